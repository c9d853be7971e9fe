package payments

import (
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/rathaus/rathaus/internal/payments/camt"
	"github.com/rathaus/rathaus/internal/payments/epc"
)

// benchData: n open requests and a statement of n credits: 70 % pay with
// the RF reference, 20 % without it (amount and name only), 5 % pay part,
// 5 % are transfers nobody asked for.
func benchData(n int) ([]OpenRequest, []byte) {
	reqs := make([]OpenRequest, n)
	credits := make([]Credit, n)
	for i := range reqs {
		amount := decimal.New(int64(1000+(i*7919)%900000), -2) // 10.00 … 9009.99
		rf, _ := epc.NewRF(fmt.Sprintf("B%011d", i))
		reqs[i] = OpenRequest{ID: int64(i + 1), Ref: fmt.Sprintf("Z-%04d-%04d", i/10000, i%10000), RF: rf, Subject: fmt.Sprintf("A-%08d", i),
			Outstanding: amount, PayerName: fmt.Sprintf("Paula Payer%d Muster", i), Purpose: "Gebühr Bewohnerparkausweis", Status: "open"}
		c := Credit{Amount: amount.StringFixed(2), Name: reqs[i].PayerName, IBAN: "DE02120300000000202051", ServicerRef: fmt.Sprintf("ASR%09d", i)}
		switch i % 20 {
		case 14, 15, 16, 17:
			c.Text = "Bewohnerparkausweis"
		case 18:
			c.Amount = amount.Div(decimal.NewFromInt(2)).StringFixed(2)
			c.Reference = rf
		case 19:
			c.Amount, c.Name, c.Text = "13.37", "Someone Else", "Spende"
		default:
			c.Reference = rf
		}
		credits[i] = c
	}
	return reqs, GenerateStatement("BENCH", "DE89370400440532013000", time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), credits)
}

// BenchmarkParseAndMatch100k: parse a statement of 100,000 entries and
// match it against 100,000 open requests (target: under 5 s).
func BenchmarkParseAndMatch100k(b *testing.B) {
	reqs, xml := benchData(100_000)
	b.SetBytes(int64(len(xml)))
	b.ResetTimer()
	for b.Loop() {
		doc, err := camt.ParseBytes(xml)
		if err != nil {
			b.Fatal(err)
		}
		rs := append([]OpenRequest(nil), reqs...)
		ds := Reconcile(Items(doc), NewIndex(rs))
		if len(ds) != 100_000 {
			b.Fatal(len(ds))
		}
	}
}

func TestBenchDataOutcomes(t *testing.T) {
	reqs, xml := benchData(2000)
	doc, err := camt.ParseBytes(xml)
	if err != nil {
		t.Fatal(err)
	}
	ds := Reconcile(Items(doc), NewIndex(reqs))
	count := map[string]int{}
	for _, d := range ds {
		k := string(d.Outcome) + "/" + d.Method + "/" + d.Task
		count[k]++
	}
	want := map[string]int{"booked/rf/": 1400 + 100, "booked/fuzzy/": 400, "worklist//unmatched": 100}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("%s: %d, want %d (all: %v)", k, count[k], n, count)
		}
	}
}
