package cii_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rathaus/rathaus/internal/einvoice/cii"
	"github.com/rathaus/rathaus/internal/einvoice/en16931"
	"github.com/rathaus/rathaus/internal/einvoice/en16931/en16931test"
	"github.com/rathaus/rathaus/internal/einvoice/ubl"
)

func dec(s string) *en16931.Amount {
	d, err := en16931.ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return &d
}

func date(s string) *en16931.Date {
	d, err := en16931.ParseISODate(s)
	if err != nil {
		panic(err)
	}
	return &d
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func parseFile(t *testing.T, name string) *en16931.Invoice {
	t.Helper()
	inv, err := cii.Parse(readFile(t, filepath.Join("testdata", name)))
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return inv
}

// TestParseExample3 compares the whole model of the CEN CII example 3.
func TestParseExample3(t *testing.T) {
	got := parseFile(t, "CII_example3.xml")
	want := &en16931.Invoice{
		Kind:              en16931.KindInvoice,
		Syntax:            en16931.SyntaxCII,
		Number:            "TOSL108",
		IssueDate:         date("2013-04-10"),
		DueDate:           date("2013-05-10"),
		TypeCode:          "380",
		CurrencyCode:      "DKK",
		ContractReference: "SUBSCR571",
		Notes:             []en16931.Note{{Text: "Contract was established through our website"}},
		ProcessControl:    en16931.ProcessControl{SpecificationID: "urn:cen.eu:en16931:2017"},
		InvoicingPeriod:   &en16931.Period{Start: date("2013-01-01"), End: date("2013-04-01")},
		Seller: en16931.Party{
			Name:                "SubscriptionSeller",
			LegalRegistrationID: en16931.ID{Value: "DK16356706"},
			VATID:               "DK16356706",
			Address:             en16931.Address{Line1: "Main street 2, Building 4", City: "Big city", PostCode: "54321", CountryCode: "DK"},
			Contact:             &en16931.Contact{Email: "antonio@SubscriptionsSeller.dk"},
		},
		Buyer: en16931.Party{
			Name:        "Buyercompany ltd",
			Identifiers: []en16931.ID{{Value: "5790000435975", Scheme: "0088"}},
			Address:     en16931.Address{Line1: "Anystreet, Building 1", City: "Anytown", PostCode: "101", CountryCode: "DK"},
		},
		PaymentInstructions: &en16931.PaymentInstructions{
			MeansCode:       "30",
			RemittanceInfo:  "Payref1",
			CreditTransfers: []en16931.CreditTransfer{{AccountID: "DK1212341234123412"}},
		},
		Charges: []en16931.AllowanceCharge{{
			Amount: dec("100"), VATCategory: "S", VATRate: dec("25"), Reason: "Freight charge", ReasonCode: "FC",
		}},
		Totals: en16931.Totals{
			LineNet: dec("800"), Charges: dec("100"), WithoutVAT: dec("900"), VAT: dec("225"),
			WithVAT: dec("1125"), Payable: dec("1125"),
		},
		VATBreakdown: []en16931.VATBreakdown{{TaxableAmount: dec("900"), TaxAmount: dec("225"), Category: "S", Rate: dec("25")}},
		Lines: []en16931.Line{{
			ID: "1", Quantity: dec("1"), UnitCode: "C62", NetAmount: dec("800"),
			Price: en16931.Price{Net: dec("800")},
			VAT:   en16931.LineVAT{Category: "S", Rate: dec("25")},
			Item:  en16931.Item{Name: "Paper subscription", Description: "Subscription fee 1st quarter"},
		}},
	}
	if diff := cmp.Diff(want, got, en16931test.CmpOptions); diff != "" {
		t.Errorf("Parse mismatch (-want +got):\n%s", diff)
	}
}

// TestTwinUBL: the KoSIT test suite writes business case 01.04a in both
// syntaxes; both parsers must give the same model.
func TestTwinUBL(t *testing.T) {
	c := parseFile(t, "01.04a-INVOICE_uncefact.xml")
	u, err := ubl.Parse(readFile(t, filepath.Join("..", "ubl", "testdata", "01.04a-INVOICE_ubl.xml")))
	if err != nil {
		t.Fatal(err)
	}
	if c.Syntax != en16931.SyntaxCII || u.Syntax != en16931.SyntaxUBLInvoice {
		t.Errorf("syntax: CII %q, UBL %q", c.Syntax, u.Syntax)
	}
	u.Syntax = c.Syntax
	if diff := cmp.Diff(u, c, en16931test.CmpOptions); diff != "" {
		t.Errorf("UBL and CII twins differ (-UBL +CII):\n%s", diff)
	}
	if c.Number != "1234/78/901" || c.Seller.TaxRegistrationID != "12/345/67890" || len(c.Lines) != 1 ||
		c.Lines[0].NetAmount.String() != "120" || c.Notes[0].SubjectCode != "ADU" {
		t.Errorf("unexpected values: %+v", c)
	}
}

func TestKindFromTypeCode(t *testing.T) {
	data := readFile(t, filepath.Join("testdata", "CII_example3.xml"))
	for code, want := range map[string]en16931.Kind{
		"380": en16931.KindInvoice, "381": en16931.KindCreditNote, "384": en16931.KindInvoice, "": en16931.KindInvoice,
	} {
		d := bytes.Replace(data, []byte("<ram:TypeCode>380</ram:TypeCode>"), []byte("<ram:TypeCode>"+code+"</ram:TypeCode>"), 1)
		inv, err := cii.Parse(d)
		if err != nil {
			t.Fatal(err)
		}
		if inv.Kind != want {
			t.Errorf("type code %q: kind %q, want %q", code, inv.Kind, want)
		}
	}
}

func TestParseKeepsMalformedValues(t *testing.T) {
	data := readFile(t, filepath.Join("testdata", "CII_example3.xml"))
	data = bytes.Replace(data, []byte(`<udt:DateTimeString format="102">20130410<`), []byte(`<udt:DateTimeString format="102">2013-04-10<`), 1)
	data = bytes.Replace(data, []byte(`<udt:DateTimeString format="102">20130101<`), []byte(`<udt:DateTimeString format="610">201301<`), 1)
	data = bytes.Replace(data, []byte(`<ram:GrandTotalAmount>1125<`), []byte(`<ram:GrandTotalAmount>EUR 1125<`), 1)
	data = bytes.Replace(data, []byte(`<ram:LineTotalAmount>800</ram:LineTotalAmount>`), []byte(`<ram:LineTotalAmount></ram:LineTotalAmount>`), 1)
	inv, err := cii.Parse(data)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	type loc struct{ Element, Text string }
	var got []loc
	for _, v := range inv.Invalid {
		got = append(got, loc{v.Element, v.Text})
	}
	want := []loc{
		{"/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString", "2013-04-10"},
		{"/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString", "201301"},
		{"/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:GrandTotalAmount", "EUR 1125"},
		{"/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:IncludedSupplyChainTradeLineItem/ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Invalid (-want +got):\n%s", diff)
	}
	if inv.IssueDate != nil || inv.Totals.WithVAT != nil || inv.Lines[0].NetAmount != nil {
		t.Errorf("malformed terms not left absent")
	}
	if inv.InvoicingPeriod == nil || inv.InvoicingPeriod.End.String() != "2013-04-01" {
		t.Errorf("invoicing period end not read: %+v", inv.InvoicingPeriod)
	}
}

func TestParseErrors(t *testing.T) {
	const head = `<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100">`
	const tail = `</rsm:CrossIndustryInvoice>`
	tests := []struct {
		name  string
		input string
		want  error
	}{
		{"empty", "", en16931.ErrNotWellFormed},
		{"unclosed", head, en16931.ErrNotWellFormed},
		{"undeclared prefix end", head + "</rsm:Other>", en16931.ErrNotWellFormed},
		{"doctype", `<!DOCTYPE x [<!ENTITY e SYSTEM "http://example.org/">]>` + head + tail, en16931.ErrDTD},
		{"too deep", head + strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100) + tail, en16931.ErrTooDeep},
		{"too large", head + strings.Repeat(" ", 20<<20) + tail, en16931.ErrTooLarge},
		{"no namespace", "<CrossIndustryInvoice/>", en16931.ErrUnknownDocument},
		{"old ZUGFeRD 1 namespace", `<rsm:CrossIndustryDocument xmlns:rsm="urn:ferd:CrossIndustryDocument:invoice:1p0"/>`, en16931.ErrUnknownDocument},
		{"UBL root", `<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>`, en16931.ErrUnknownDocument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := cii.Parse([]byte(tt.input))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse error = %v, want %v", err, tt.want)
			}
			if inv != nil {
				t.Errorf("Parse returned an invoice with the error")
			}
		})
	}
}
