package ubl_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

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

func parseFile(t *testing.T, name string) *en16931.Invoice {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	inv, err := ubl.Parse(data)
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return inv
}

// TestParseCreditNote compares the whole model of a small CEN credit note.
func TestParseCreditNote(t *testing.T) {
	got := parseFile(t, "ubl-tc434-creditnote1.xml")
	want := &en16931.Invoice{
		Kind:           en16931.KindCreditNote,
		Syntax:         en16931.SyntaxUBLCreditNote,
		Number:         "018304 / 28865",
		IssueDate:      date("2019-09-23"),
		TypeCode:       "381",
		CurrencyCode:   "EUR",
		BuyerReference: "018304 / 28865",
		ProcessControl: en16931.ProcessControl{
			BusinessProcessType: "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0",
			SpecificationID:     "urn:cen.eu:en16931:2017",
		},
		InvoicingPeriod: &en16931.Period{Start: date("2019-02-01"), End: date("2019-02-28")},
		Seller: en16931.Party{
			Name:                "My Supplier Company",
			TradingName:         "My Supplier Company N.V.",
			LegalRegistrationID: en16931.ID{Value: "0000000196"},
			VATID:               "BE0000000196",
			ElectronicAddress:   en16931.ID{Value: "0000000196", Scheme: "0201"},
			Address:             en16931.Address{Line1: "De Grote Meir 22", City: "ANTWERPEN", PostCode: "2000", CountryCode: "BE"},
			Contact:             &en16931.Contact{Email: "john.doole@mysuppliercompany.be"},
		},
		Buyer: en16931.Party{
			Name:                "My Customer Company",
			TradingName:         "My Customer Company S.A.",
			LegalRegistrationID: en16931.ID{Value: "0000000295"},
			VATID:               "BE0000000295",
			ElectronicAddress:   en16931.ID{Value: "0000000295", Scheme: "0201"},
			Address:             en16931.Address{Line1: "Boulevard Sint Michel 53", City: "BRUXELLES", PostCode: "1000", CountryCode: "BE"},
			Contact:             &en16931.Contact{Email: "pete.smith@mycustomercompany.be"},
		},
		PaymentInstructions: &en16931.PaymentInstructions{
			MeansCode:       "1",
			RemittanceInfo:  "010676609538",
			CreditTransfers: []en16931.CreditTransfer{{AccountID: "BE91000000143476", ServiceProviderID: "BPOTBEB1"}},
		},
		Totals: en16931.Totals{
			LineNet: dec("100.11"), WithoutVAT: dec("100.11"), VAT: dec("0.00"),
			WithVAT: dec("100.11"), Payable: dec("100.11"),
		},
		VATBreakdown: []en16931.VATBreakdown{{
			TaxableAmount: dec("100.11"), TaxAmount: dec("0.00"), Category: "E", Rate: dec("0.00"),
			ExemptionReason: "Taxes are not applicable",
		}},
		Lines: []en16931.Line{{
			ID: "1", Quantity: dec("1.00"), UnitCode: "C62", NetAmount: dec("100.11"),
			Price: en16931.Price{Net: dec("100.11")},
			VAT:   en16931.LineVAT{Category: "E", Rate: dec("0.00")},
			Item: en16931.Item{
				Name:        "Exonération du versement du PP",
				Description: "Exonération du versement du PP",
				SellerID:    "V55",
				Attributes:  []en16931.ItemAttribute{{Name: "2", Value: "Contributions - précompte professionnel"}},
			},
		}},
	}
	if diff := cmp.Diff(want, got, en16931test.CmpOptions); diff != "" {
		t.Errorf("Parse mismatch (-want +got):\n%s", diff)
	}
}

// key holds the terms the table test checks on each file.
type key struct {
	Kind         en16931.Kind
	Number       string
	IssueDate    *en16931.Date
	DueDate      *en16931.Date
	TypeCode     string
	Currency     string
	Notes        []en16931.Note
	SellerName   string
	SellerVATID  string
	SellerTaxReg string
	BuyerName    string
	Totals       en16931.Totals
	Charges      int
	VATRates     []*en16931.Amount
	LineNets     []*en16931.Amount
}

func keyOf(inv *en16931.Invoice) key {
	k := key{
		Kind: inv.Kind, Number: inv.Number, IssueDate: inv.IssueDate, DueDate: inv.DueDate,
		TypeCode: inv.TypeCode, Currency: inv.CurrencyCode, Notes: inv.Notes,
		SellerName: inv.Seller.Name, SellerVATID: inv.Seller.VATID, SellerTaxReg: inv.Seller.TaxRegistrationID,
		BuyerName: inv.Buyer.Name, Totals: inv.Totals, Charges: len(inv.Charges),
	}
	for _, b := range inv.VATBreakdown {
		k.VATRates = append(k.VATRates, b.Rate)
	}
	for _, l := range inv.Lines {
		k.LineNets = append(k.LineNets, l.NetAmount)
	}
	return k
}

func TestParse(t *testing.T) {
	tests := []struct {
		file string
		want key
	}{
		{"ubl-tc434-example3.xml", key{
			Kind: en16931.KindInvoice, Number: "TOSL108", IssueDate: date("2013-04-10"), DueDate: date("2013-05-10"),
			TypeCode: "380", Currency: "DKK",
			Notes:      []en16931.Note{{Text: "Contract was established through our website"}},
			SellerName: "SubscriptionSeller", SellerVATID: "DK16356706", BuyerName: "Buyercompany ltd",
			Totals: en16931.Totals{
				LineNet: dec("1600.00"), Charges: dec("100.00"), WithoutVAT: dec("1700.00"), VAT: dec("305.00"),
				WithVAT: dec("2005.00"), Payable: dec("2005.00"),
			},
			Charges:  1,
			VATRates: []*en16931.Amount{dec("25"), dec("10")},
			LineNets: []*en16931.Amount{dec("800.00"), dec("800.00")},
		}},
		{"01.04a-INVOICE_ubl.xml", key{
			Kind: en16931.KindInvoice, Number: "1234/78/901", IssueDate: date("2016-06-16"),
			TypeCode: "380", Currency: "EUR",
			Notes:      []en16931.Note{{SubjectCode: "ADU", Text: "Diese Leistung ist umsatzsteuerbefreit nach § 4 Nr. 22a UStG."}},
			SellerName: "[Seller name]", SellerTaxReg: "12/345/67890", BuyerName: "[Buyer name]",
			Totals: en16931.Totals{
				LineNet: dec("120"), WithoutVAT: dec("120"), VAT: dec("0"), WithVAT: dec("120"), Payable: dec("120"),
			},
			VATRates: []*en16931.Amount{dec("0")},
			LineNets: []*en16931.Amount{dec("120")},
		}},
		{"ubl-tc434-creditnote1.xml", key{
			Kind: en16931.KindCreditNote, Number: "018304 / 28865", IssueDate: date("2019-09-23"),
			TypeCode: "381", Currency: "EUR",
			SellerName: "My Supplier Company", SellerVATID: "BE0000000196", BuyerName: "My Customer Company",
			Totals: en16931.Totals{
				LineNet: dec("100.11"), WithoutVAT: dec("100.11"), VAT: dec("0.00"), WithVAT: dec("100.11"), Payable: dec("100.11"),
			},
			VATRates: []*en16931.Amount{dec("0.00")},
			LineNets: []*en16931.Amount{dec("100.11")},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			inv := parseFile(t, tt.file)
			if diff := cmp.Diff(tt.want, keyOf(inv), en16931test.CmpOptions); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if len(inv.Invalid) != 0 {
				t.Errorf("Invalid = %+v, want none", inv.Invalid)
			}
		})
	}
}

// TestParseKeepsMalformedValues: a malformed number or date is not an error;
// the term is left absent and listed with its element path.
func TestParseKeepsMalformedValues(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "ubl-tc434-example3.xml"))
	if err != nil {
		t.Fatal(err)
	}
	data = bytes.Replace(data, []byte(`<cbc:IssueDate>2013-04-10<`), []byte(`<cbc:IssueDate>2013-02-30<`), 1)
	data = bytes.Replace(data, []byte(`<cbc:PayableAmount currencyID="DKK">2005.00<`), []byte(`<cbc:PayableAmount currencyID="DKK">2.005,00<`), 1)
	data = bytes.Replace(data, []byte(`<cbc:InvoicedQuantity unitCode="EA">2<`), []byte(`<cbc:InvoicedQuantity unitCode="EA">1e3<`), 1)
	inv, err := ubl.Parse(data)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	type loc struct{ Element, Text string }
	var got []loc
	for _, v := range inv.Invalid {
		got = append(got, loc{v.Element, v.Text})
	}
	want := []loc{
		{"/Invoice/cbc:IssueDate", "2013-02-30"},
		{"/Invoice/cac:LegalMonetaryTotal/cbc:PayableAmount", "2.005,00"},
		{"/Invoice/cac:InvoiceLine[1]/cbc:InvoicedQuantity", "1e3"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Invalid (-want +got):\n%s", diff)
	}
	if inv.IssueDate != nil || inv.Totals.Payable != nil || inv.Lines[0].Quantity != nil {
		t.Errorf("malformed terms not left absent: %v %v %v", inv.IssueDate, inv.Totals.Payable, inv.Lines[0].Quantity)
	}
	if inv.Number != "TOSL108" || len(inv.Lines) != 2 {
		t.Errorf("rest of the invoice not read: number %q, %d lines", inv.Number, len(inv.Lines))
	}
}

func TestParseErrors(t *testing.T) {
	const head = `<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">`
	deep := head + strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100) + "</Invoice>"
	large := head + "<cbc:Note>" + strings.Repeat("x", 20<<20) + "</cbc:Note></Invoice>"
	tests := []struct {
		name  string
		input string
		want  error
	}{
		{"empty", "", en16931.ErrNotWellFormed},
		{"not xml", "hello", en16931.ErrNotWellFormed},
		{"unclosed", head + "<cbc:ID>1</cbc:ID>", en16931.ErrNotWellFormed},
		{"mismatched tags", head + "<cbc:ID>1</cbc:Note></Invoice>", en16931.ErrNotWellFormed},
		{"second root", head + "</Invoice><Invoice/>", en16931.ErrNotWellFormed},
		{"undefined entity", head + "<cbc:ID>&foo;</cbc:ID></Invoice>", en16931.ErrNotWellFormed},
		{"latin-1", `<?xml version="1.0" encoding="ISO-8859-1"?>` + head + "</Invoice>", en16931.ErrNotWellFormed},
		{"doctype", `<!DOCTYPE Invoice [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>` + head + "<cbc:ID>&b;</cbc:ID></Invoice>", en16931.ErrDTD},
		{"external entity", `<!DOCTYPE Invoice SYSTEM "file:///etc/passwd">` + head + "</Invoice>", en16931.ErrDTD},
		{"too deep", deep, en16931.ErrTooDeep},
		{"too large", large, en16931.ErrTooLarge},
		{"no namespace", "<Invoice><ID>1</ID></Invoice>", en16931.ErrUnknownDocument},
		{"wrong namespace", `<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"/>`, en16931.ErrUnknownDocument},
		{"CII root", `<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"/>`, en16931.ErrUnknownDocument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := ubl.Parse([]byte(tt.input))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse error = %v, want %v", err, tt.want)
			}
			if inv != nil {
				t.Errorf("Parse returned an invoice with the error")
			}
		})
	}
}

// TestParseDepthLimit: 100 levels in all are still fine.
func TestParseDepthLimit(t *testing.T) {
	const head = `<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">`
	ok := head + strings.Repeat("<a>", 99) + strings.Repeat("</a>", 99) + "</Invoice>"
	if _, err := ubl.Parse([]byte(ok)); err != nil {
		t.Errorf("100 levels: %v", err)
	}
}

// TestParseJSON checks the API shape: snake_case names, money as decimal
// strings with their scale, dates as YYYY-MM-DD.
func TestParseJSON(t *testing.T) {
	inv := parseFile(t, "ubl-tc434-example3.xml")
	b, err := json.Marshal(inv)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Number    string `json:"number"`
		IssueDate string `json:"issue_date"`
		Totals    map[string]string
		Lines     []struct {
			NetAmount string `json:"net_amount"`
			Quantity  string `json:"quantity"`
		}
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	got.Totals = nil
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw["totals"], &got.Totals); err != nil {
		t.Fatal(err)
	}
	want := struct {
		Number    string `json:"number"`
		IssueDate string `json:"issue_date"`
		Totals    map[string]string
		Lines     []struct {
			NetAmount string `json:"net_amount"`
			Quantity  string `json:"quantity"`
		}
	}{
		Number: "TOSL108", IssueDate: "2013-04-10",
		Totals: map[string]string{
			"line_net": "1600.00", "charges": "100.00", "without_vat": "1700.00", "vat": "305.00",
			"with_vat": "2005.00", "payable": "2005.00",
		},
	}
	want.Lines = append(want.Lines, struct {
		NetAmount string `json:"net_amount"`
		Quantity  string `json:"quantity"`
	}{"800.00", "2"}, struct {
		NetAmount string `json:"net_amount"`
		Quantity  string `json:"quantity"`
	}{"800.00", "2"})
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("JSON (-want +got):\n%s", diff)
	}
}

// TestParseManyMalformedValues: the list of malformed values is bounded,
// so a document with thousands of them costs linear time.
func TestParseManyMalformedValues(t *testing.T) {
	const n = 5000
	doc := `<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">` +
		strings.Repeat("<cac:InvoiceLine><cbc:LineExtensionAmount>x</cbc:LineExtensionAmount></cac:InvoiceLine>", n) + "</Invoice>"
	inv, err := ubl.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Lines) != n || len(inv.Invalid) != en16931.MaxInvalid+1 {
		t.Fatalf("%d lines, %d invalid; want %d, %d", len(inv.Lines), len(inv.Invalid), n, en16931.MaxInvalid+1)
	}
	if got, want := inv.Invalid[1].Element, "/Invoice/cac:InvoiceLine[2]/cbc:LineExtensionAmount"; got != want {
		t.Errorf("second element %q, want %q", got, want)
	}
	want := en16931.InvalidValue{Reason: "4900 further malformed values not listed"}
	if diff := cmp.Diff(want, inv.Invalid[en16931.MaxInvalid]); diff != "" {
		t.Errorf("last entry (-want +got):\n%s", diff)
	}
}
