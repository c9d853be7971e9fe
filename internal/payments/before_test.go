package payments

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
	"github.com/rathaus/rathaus/internal/platform/fault"
)

func TestQuantityFromAnswers(t *testing.T) {
	st := Settings{ServiceID: "L-PARK-0001", FeeKind: FeePerQuantity, Amount: decimal.RequireFromString("2.50"), QuantityField: "duration"}
	for _, tc := range []struct {
		answers map[string]any
		want    int
		fee     string
	}{
		{map[string]any{"duration": "12"}, 12, "30.00"},
		{map[string]any{"duration": json.Number("24")}, 24, "60.00"},
		{map[string]any{"duration": 3.0}, 3, "7.50"},
		{map[string]any{"duration": "zwölf"}, 0, ""},
		{map[string]any{}, 0, ""},
		{map[string]any{"duration": "0"}, 0, ""},
	} {
		n, err := st.Quantity(tc.answers)
		if tc.want == 0 {
			if !fault.HasCode(err, "quantity", "out_of_range") {
				t.Errorf("%v: %d, %v; want out_of_range", tc.answers, n, err)
			}
			continue
		}
		fee, ferr := st.Fee(n)
		if err != nil || ferr != nil || n != tc.want || fee.StringFixed(2) != tc.fee {
			t.Errorf("%v: %d × 2.50 = %s (%v %v), want %d → %s", tc.answers, n, fee, err, ferr, tc.want, tc.fee)
		}
	}
	fixed := Settings{FeeKind: FeeFixed, QuantityField: "duration"}
	if n, err := fixed.Quantity(nil); n != 1 || err != nil {
		t.Errorf("fixed fee counts %d (%v)", n, err)
	}
}

// TestPayBeforeSubmission: a service paid before submission holds the
// draft at its payment notice (one request however often it is sent),
// makes a new request when the answers change the fee, lets the draft
// through once paid, and refuses a submission without a draft; after
// submission the request names the application.
func TestPayBeforeSubmission(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		f := newFixture(t, db, clk)
		ctx := context.Background()
		for _, st := range []Settings{
			{ServiceID: "L-PARK-0001", Timing: BeforeSubmission, FeeKind: FeePerQuantity, Amount: decimal.RequireFromString("2.50"), QuantityField: "duration", Purpose: "Bewohnerparkausweis", DueDays: 14, ReminderDays: 7},
			{ServiceID: "L-DOGS-0001", Timing: AfterSubmission, FeeKind: FeeFixed, Amount: decimal.RequireFromString("96.00"), Purpose: "Hundesteuer", DueDays: 14, ReminderDays: 7},
		} {
			if _, err := f.svc.PutSettings(ctx, f.finance, f.tenant.ID, st); err != nil {
				t.Fatal(err)
			}
		}
		tid := f.tenant.ID
		if next, err := f.svc.BeforeSubmission(ctx, tid, "L-DOGS-0001", "D-DOGS-0001", nil, NewRequest{}); next != "" || err != nil {
			t.Errorf("paid after submission: held at %q (%v)", next, err)
		}
		if next, err := f.svc.BeforeSubmission(ctx, tid, "L-NONE-0001", "D-NONE-0001", nil, NewRequest{}); next != "" || err != nil {
			t.Errorf("no fee: held at %q (%v)", next, err)
		}
		if _, err := f.svc.BeforeSubmission(ctx, tid, "L-PARK-0001", "", map[string]any{"duration": "12"}, NewRequest{}); !fault.HasCode(err, "service", "payment_first") {
			t.Errorf("API submission: %v", err)
		}
		twelve := map[string]any{"duration": "12"}
		first, err := f.svc.BeforeSubmission(ctx, tid, "L-PARK-0001", "D-PAUL-0001", twelve, NewRequest{PayerEmail: "paul@example.org"})
		if err != nil || first == "" {
			t.Fatalf("held at %q (%v)", first, err)
		}
		again, _ := f.svc.BeforeSubmission(ctx, tid, "L-PARK-0001", "D-PAUL-0001", twelve, NewRequest{})
		if again != first {
			t.Errorf("sent again: %q, want the same notice %q", again, first)
		}
		r := f.get(first[len("/zahlungen/"):])
		if r.Amount.StringFixed(2) != "30.00" || r.Subject != "D-PAUL-0001" || r.Status != StatusOpen {
			t.Errorf("request %+v", r)
		}
		// Two years instead of one: the open request is replaced.
		second, _ := f.svc.BeforeSubmission(ctx, tid, "L-PARK-0001", "D-PAUL-0001", map[string]any{"duration": "24"}, NewRequest{PayerEmail: "paul@example.org"})
		if second == first || f.get(first[len("/zahlungen/"):]).Status != StatusCancelled {
			t.Errorf("fee changed: %q after %q", second, first)
		}
		r = f.get(second[len("/zahlungen/"):])
		if r.Amount.StringFixed(2) != "60.00" {
			t.Errorf("24 months: %s", r.Amount)
		}
		// Unpaid for weeks: no reminder, nothing is owed for a draft.
		clk.Advance(40 * 24 * time.Hour)
		if n, err := f.svc.Remind(ctx, func(int64) string { return "https://musterstadt.example" }); n != 0 || err != nil {
			t.Errorf("reminders for a draft's fee: %d (%v) %v", n, err, f.sent)
		}
		// Paid by bank transfer: the draft goes through, payments.settled names it.
		res := f.importXML("a.xml", GenerateStatement("BEFORE-1", cityIBAN, day, []Credit{{Amount: "60.00", Name: "Paul Beispiel", IBAN: "DE02120300000000202051", Reference: r.RF, ServicerRef: "B-1"}}))
		if res.Booked != 1 || res.Settled != 1 {
			t.Fatalf("import %+v", res)
		}
		if next, err := f.svc.BeforeSubmission(ctx, tid, "L-PARK-0001", "D-PAUL-0001", map[string]any{"duration": "24"}, NewRequest{}); next != "" || err != nil {
			t.Errorf("paid: held at %q (%v)", next, err)
		}
		f.sent = nil
		if err := f.svc.PaidButNotSent(ctx, tid, r.Ref, "https://musterstadt.example/antrag/entwurf/D-PAUL-0001/pruefen"); err != nil || len(f.sent) != 1 || !strings.HasPrefix(f.sent[0], "paul@example.org: Bitte Antrag absenden") {
			t.Errorf("paid but not sent: %v %v", err, f.sent)
		}
		var settled Settled
		if js := f.jobs(SettledJob); len(js) != 1 || json.Unmarshal(js[0].Payload, &settled) != nil || settled.Subject != "D-PAUL-0001" {
			t.Errorf("settled jobs %v", js)
		}
		// A paid draft that is gone: its money to the refund worklist, once.
		for range 2 {
			if err := f.svc.Unclaimed(ctx, tid, r.Ref, "draft D-PAUL-0001 discarded after paying"); err != nil {
				t.Fatal(err)
			}
		}
		if n := f.openTasks()["refund"]; n != 1 {
			t.Errorf("refund tasks %v", f.openTasks())
		}
		err = database.WithTx(ctx, db, func(tx *database.Tx) error { return f.svc.Resubject(tx, tid, "D-PAUL-0001", "A-PAUL-0001") })
		if err != nil {
			t.Fatal(err)
		}
		if got := f.get(r.Ref).Subject; got != "A-PAUL-0001" {
			t.Errorf("after submission the request is for %q", got)
		}
	})
}
