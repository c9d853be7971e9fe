package en16931_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rathaus/rathaus/internal/einvoice/cii"
	"github.com/rathaus/rathaus/internal/einvoice/en16931"
)

func TestSummary(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "cii", "testdata", "CII_example3.xml"))
	if err != nil {
		t.Fatal(err)
	}
	inv, err := cii.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	want := []en16931.Section{
		{Title: "Rechnung", Rows: []en16931.Row{
			{"Art", "Rechnung (380)", "BT-3"},
			{"Rechnungsnummer", "TOSL108", "BT-1"},
			{"Rechnungsdatum", "10.04.2013", "BT-2"},
			{"Fälligkeitsdatum", "10.05.2013", "BT-9"},
			{"Währung", "DKK", "BT-5"},
			{"Leistungszeitraum", "01.01.2013 – 01.04.2013", "BG-14"},
			{"Vertragsnummer", "SUBSCR571", "BT-12"},
			{"Bemerkung", "Contract was established through our website", "BT-22"},
		}},
		{Title: "Verkäufer", Rows: []en16931.Row{
			{"Name", "SubscriptionSeller", "BG-4"},
			{"Anschrift", "Main street 2, Building 4, 54321 Big city, DK", "BG-4"},
			{"USt-IdNr.", "DK16356706", "BG-4"},
			{"Registernummer", "DK16356706", "BG-4"},
			{"E-Mail", "antonio@SubscriptionsSeller.dk", "BG-4"},
		}},
		{Title: "Käufer", Rows: []en16931.Row{
			{"Name", "Buyercompany ltd", "BG-7"},
			{"Anschrift", "Anystreet, Building 1, 101 Anytown, DK", "BG-7"},
		}},
		{Title: "Zahlung", Rows: []en16931.Row{
			{"Zahlungsart", "Überweisung (30)", "BT-81"},
			{"Konto (IBAN)", "DK1212341234123412", "BT-84"},
			{"Verwendungszweck", "Payref1", "BT-83"},
		}},
		{Title: "Beträge", Rows: []en16931.Row{
			{"Summe der Positionen (netto)", "800,00 DKK", "BT-106"},
			{"Zuschläge", "100,00 DKK", "BT-108"},
			{"Gesamtbetrag netto", "900,00 DKK", "BT-109"},
			{"Umsatzsteuer", "225,00 DKK", "BT-110"},
			{"Gesamtbetrag brutto", "1.125,00 DKK", "BT-112"},
			{"Zahlbetrag", "1.125,00 DKK", "BT-115"},
		}},
		{Title: "Umsatzsteuer", Rows: []en16931.Row{
			{"Kategorie S, 25 %", "225,00 DKK auf 900,00 DKK", "BG-23"},
		}},
		{Title: "Positionen", Rows: []en16931.Row{
			{"1 Paper subscription", "1 C62 × 800,00 DKK = 800,00 DKK", "BG-25"},
		}},
	}
	if diff := cmp.Diff(want, inv.Summary()); diff != "" {
		t.Errorf("Summary (-want +got):\n%s", diff)
	}
}

func TestSummaryNumbers(t *testing.T) {
	tests := []struct{ in, want string }{
		{"-1234567.5", "-1.234.567,50 EUR"},
		{"0.125", "0,125 EUR"},
		{"999", "999,00 EUR"},
		{"1000", "1.000,00 EUR"},
	}
	for _, tt := range tests {
		a, err := en16931.ParseDecimal(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		inv := &en16931.Invoice{CurrencyCode: "EUR", Totals: en16931.Totals{Payable: &a}}
		got := inv.Summary()
		want := en16931.Section{Title: "Beträge", Rows: []en16931.Row{{"Zahlbetrag", tt.want, "BT-115"}}}
		if diff := cmp.Diff(want, got[len(got)-1]); diff != "" {
			t.Errorf("%s: (-want +got):\n%s", tt.in, diff)
		}
	}
}
