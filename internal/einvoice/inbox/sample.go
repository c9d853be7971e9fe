package inbox

import (
	"bytes"
	"fmt"
	"html"
	"text/template"

	"github.com/shopspring/decimal"
)

// Sample describes an XRechnung 3.0 document (UBL) that SampleXML writes:
// one line at the standard VAT rate of 19 %, so the totals follow from
// Net. The demo city, the tests, the benchmarks and the load command
// submit such documents; the official rules accept them.
type Sample struct {
	Number     string // BT-1
	IssueDate  string // YYYY-MM-DD
	DueDate    string // YYYY-MM-DD, "" for none
	Leitweg    string // BT-10
	Seller     string
	SellerVAT  string // DE + 9 digits
	SellerMail string
	IBAN, BIC  string
	Net        string // line net amount, e.g. "1000.00"
	Item       string
	// Skonto adds XRechnung cash discount terms to BT-20:
	// "#SKONTO#TAGE=14#PROZENT=2.00#".
	SkontoDays    int
	SkontoPercent string
	// CreditNote writes a UBL CreditNote for the invoice number Credits.
	CreditNote bool
	Credits    string
}

// DefaultSample is a valid invoice to the demo city.
func DefaultSample(number string) Sample {
	return Sample{Number: number, IssueDate: "2026-03-01", DueDate: "2026-03-31", Leitweg: "09162000-MUSTERSTADT-10",
		Seller: "Bürobedarf Schmidt GmbH", SellerVAT: "DE123456789", SellerMail: "rechnung@schmidt.example",
		IBAN: "DE02120300000000202051", BIC: "BYLADEM1001", Net: "1000.00", Item: "Druckerpapier A4, 80 g/m²"}
}

// SampleXML writes the document.
func SampleXML(s Sample) []byte {
	net := decimal.RequireFromString(s.Net).Round(2)
	vat := net.Mul(decimal.RequireFromString("0.19")).Round(2)
	d := map[string]any{
		"S": s, "Net": net.StringFixed(2), "VAT": vat.StringFixed(2), "Gross": net.Add(vat).StringFixed(2),
		"Terms": "",
	}
	if s.SkontoDays > 0 {
		d["Terms"] = fmt.Sprintf("#SKONTO#TAGE=%d#PROZENT=%s#\n", s.SkontoDays, s.SkontoPercent)
	}
	var b bytes.Buffer
	if err := sampleTemplate.Execute(&b, d); err != nil {
		panic(err)
	}
	return b.Bytes()
}

var sampleTemplate = template.Must(template.New("ubl").Funcs(template.FuncMap{"x": html.EscapeString}).Parse(`<?xml version="1.0" encoding="UTF-8"?>
{{with .S}}{{if .CreditNote}}<ubl:CreditNote xmlns:ubl="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"{{else}}<ubl:Invoice xmlns:ubl="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"{{end}}
    xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
    xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0</cbc:CustomizationID>
  <cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</cbc:ProfileID>
  <cbc:ID>{{x .Number}}</cbc:ID>
  <cbc:IssueDate>{{.IssueDate}}</cbc:IssueDate>
{{if and .DueDate (not .CreditNote)}}  <cbc:DueDate>{{.DueDate}}</cbc:DueDate>
{{end}}{{if .CreditNote}}  <cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>
{{else}}  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
{{end}}  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cbc:BuyerReference>{{x .Leitweg}}</cbc:BuyerReference>
{{if .CreditNote}}  <cac:BillingReference>
    <cac:InvoiceDocumentReference>
      <cbc:ID>{{x .Credits}}</cbc:ID>
    </cac:InvoiceDocumentReference>
  </cac:BillingReference>
{{end}}  <cac:AccountingSupplierParty>
    <cac:Party>
      <cbc:EndpointID schemeID="EM">{{x .SellerMail}}</cbc:EndpointID>
      <cac:PostalAddress>
        <cbc:StreetName>Hauptstraße 5</cbc:StreetName>
        <cbc:CityName>Nürnberg</cbc:CityName>
        <cbc:PostalZone>90402</cbc:PostalZone>
        <cac:Country>
          <cbc:IdentificationCode>DE</cbc:IdentificationCode>
        </cac:Country>
      </cac:PostalAddress>
      <cac:PartyTaxScheme>
        <cbc:CompanyID>{{x .SellerVAT}}</cbc:CompanyID>
        <cac:TaxScheme>
          <cbc:ID>VAT</cbc:ID>
        </cac:TaxScheme>
      </cac:PartyTaxScheme>
      <cac:PartyLegalEntity>
        <cbc:RegistrationName>{{x .Seller}}</cbc:RegistrationName>
      </cac:PartyLegalEntity>
      <cac:Contact>
        <cbc:Name>Buchhaltung</cbc:Name>
        <cbc:Telephone>0911 123456</cbc:Telephone>
        <cbc:ElectronicMail>{{x .SellerMail}}</cbc:ElectronicMail>
      </cac:Contact>
    </cac:Party>
  </cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty>
    <cac:Party>
      <cbc:EndpointID schemeID="EM">rechnung@musterstadt.example</cbc:EndpointID>
      <cac:PostalAddress>
        <cbc:StreetName>Marktplatz 1</cbc:StreetName>
        <cbc:CityName>Musterstadt</cbc:CityName>
        <cbc:PostalZone>91052</cbc:PostalZone>
        <cac:Country>
          <cbc:IdentificationCode>DE</cbc:IdentificationCode>
        </cac:Country>
      </cac:PostalAddress>
      <cac:PartyLegalEntity>
        <cbc:RegistrationName>Stadt Musterstadt</cbc:RegistrationName>
      </cac:PartyLegalEntity>
    </cac:Party>
  </cac:AccountingCustomerParty>
  <cac:Delivery>
    <cbc:ActualDeliveryDate>{{.IssueDate}}</cbc:ActualDeliveryDate>
  </cac:Delivery>
  <cac:PaymentMeans>
    <cbc:PaymentMeansCode>58</cbc:PaymentMeansCode>
    <cbc:PaymentID>{{x .Number}}</cbc:PaymentID>
    <cac:PayeeFinancialAccount>
      <cbc:ID>{{x .IBAN}}</cbc:ID>
      <cbc:Name>{{x .Seller}}</cbc:Name>
{{if .BIC}}      <cac:FinancialInstitutionBranch>
        <cbc:ID>{{x .BIC}}</cbc:ID>
      </cac:FinancialInstitutionBranch>
{{end}}    </cac:PayeeFinancialAccount>
  </cac:PaymentMeans>
{{end}}  <cac:PaymentTerms>
    <cbc:Note>{{if .Terms}}{{x .Terms}}{{else}}Zahlbar innerhalb von 30 Tagen ohne Abzug.{{end}}</cbc:Note>
  </cac:PaymentTerms>
  <cac:TaxTotal>
    <cbc:TaxAmount currencyID="EUR">{{.VAT}}</cbc:TaxAmount>
    <cac:TaxSubtotal>
      <cbc:TaxableAmount currencyID="EUR">{{.Net}}</cbc:TaxableAmount>
      <cbc:TaxAmount currencyID="EUR">{{.VAT}}</cbc:TaxAmount>
      <cac:TaxCategory>
        <cbc:ID>S</cbc:ID>
        <cbc:Percent>19</cbc:Percent>
        <cac:TaxScheme>
          <cbc:ID>VAT</cbc:ID>
        </cac:TaxScheme>
      </cac:TaxCategory>
    </cac:TaxSubtotal>
  </cac:TaxTotal>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="EUR">{{.Net}}</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="EUR">{{.Net}}</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="EUR">{{.Gross}}</cbc:TaxInclusiveAmount>
    <cbc:PayableAmount currencyID="EUR">{{.Gross}}</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
{{with .S}}{{if .CreditNote}}  <cac:CreditNoteLine>
    <cbc:ID>1</cbc:ID>
    <cbc:CreditedQuantity unitCode="C62">1</cbc:CreditedQuantity>
{{else}}  <cac:InvoiceLine>
    <cbc:ID>1</cbc:ID>
    <cbc:InvoicedQuantity unitCode="C62">1</cbc:InvoicedQuantity>
{{end}}{{end}}    <cbc:LineExtensionAmount currencyID="EUR">{{.Net}}</cbc:LineExtensionAmount>
    <cac:Item>
      <cbc:Name>{{x .S.Item}}</cbc:Name>
      <cac:ClassifiedTaxCategory>
        <cbc:ID>S</cbc:ID>
        <cbc:Percent>19</cbc:Percent>
        <cac:TaxScheme>
          <cbc:ID>VAT</cbc:ID>
        </cac:TaxScheme>
      </cac:ClassifiedTaxCategory>
    </cac:Item>
    <cac:Price>
      <cbc:PriceAmount currencyID="EUR">{{.Net}}</cbc:PriceAmount>
    </cac:Price>
{{if .S.CreditNote}}  </cac:CreditNoteLine>
</ubl:CreditNote>
{{else}}  </cac:InvoiceLine>
</ubl:Invoice>
{{end}}`))
