package payments

import (
	"bytes"
	"context"
	"encoding/csv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
	"github.com/rathaus/rathaus/internal/platform/fault"
)

// TestFinanceViews: open, paid and overdue list the right requests, the
// unmatched entry is in the worklist, and the CSV export carries unit and
// cost centre (a formula-like cell defused).
func TestFinanceViews(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		clk.Set(day)
		f := newFixture(t, db, clk)
		ctx := context.Background()
		mk := func(amount, due, subject string) Created {
			var c Created
			err := database.WithTx(ctx, db, func(tx *database.Tx) error {
				var err error
				c, err = f.svc.CreateRequest(tx, identity.System(f.tenant.ID), NewRequest{TenantID: f.tenant.ID, Subject: subject, PayerName: "Paul", Amount: decimal.RequireFromString(amount),
					Purpose: "Gebühr " + subject, DueDate: due, Unit: "Ordnungsamt", CostCentre: "=1220.4711"})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		soon := mk("30.00", "2026-03-05", "A-SOON-0001")
		later := mk("60.00", "2026-04-30", "A-LATE-0001")
		paid := mk("12.50", "2026-03-20", "A-PAID-0001")
		f.importXML("v.xml", GenerateStatement("VIEWS-1", cityIBAN, day, []Credit{
			{Amount: "12.50", Name: "Paul", IBAN: "DE02120300000000202051", Reference: f.get(paid.Ref).RF, ServicerRef: "V-1"},
			{Amount: "99.99", Name: "Niemand", IBAN: "DE02120300000000202051", Text: "Spende", ServicerRef: "V-2"}}))
		clk.Advance(3 * 24 * time.Hour) // 2026-03-06: the first is overdue
		refs := func(view string) []string {
			rs, err := f.svc.FinanceView(ctx, f.finance, f.tenant.ID, view, 0)
			if err != nil {
				t.Fatal(err)
			}
			out := []string{}
			for _, r := range rs {
				out = append(out, r.Ref)
			}
			return out
		}
		for view, want := range map[string][]string{ViewOpen: {soon.Ref, later.Ref}, ViewOverdue: {soon.Ref}, ViewPaid: {paid.Ref}} {
			if diff := cmp.Diff(want, refs(view)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", view, diff)
			}
		}
		if _, err := f.svc.FinanceView(ctx, f.finance, f.tenant.ID, "later", 0); !fault.HasCode(err, "view", "invalid_choice") {
			t.Errorf("unknown view: %v", err)
		}
		if n := f.openTasks()["unmatched"]; n != 1 {
			t.Errorf("unmatched in the worklist: %v", f.openTasks())
		}
		var buf bytes.Buffer
		if err := f.svc.ExportCSV(ctx, f.finance, f.tenant.ID, ViewOverdue, &buf); err != nil {
			t.Fatal(err)
		}
		r := csv.NewReader(&buf)
		r.Comma = ';'
		rows, err := r.ReadAll()
		if err != nil || len(rows) != 2 {
			t.Fatalf("csv %q: %v", buf.String(), err)
		}
		got := map[string]string{}
		for i, h := range rows[0] {
			got[h] = rows[1][i]
		}
		want := map[string]string{"zahlungsnummer": soon.Ref, "betrag": "30.00", "offen": "30.00", "status": "open", "faellig": "2026-03-05", "organisationseinheit": "Ordnungsamt", "kostenstelle": "'=1220.4711"}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("csv %s = %q, want %q", k, got[k], v)
			}
		}
		if err := f.svc.ExportCSV(ctx, identity.Principal{TenantID: f.tenant.ID, Ref: "U-CASE-0001", Kind: "staff", Roles: []identity.Role{identity.RoleCaseWorker}}, f.tenant.ID, ViewAll, &buf); err == nil {
			t.Error("a case worker exported the accounts")
		}
	})
}
