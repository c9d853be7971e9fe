package app

import (
	"context"
	"strings"
	"testing"

	"github.com/rathaus/rathaus/internal/einvoice/leitweg"

	"github.com/rathaus/rathaus/internal/einvoice/inbox"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/database"
)

func init() {
	for _, route := range []string{
		"GET /api/v1/einvoices/{id}", "POST /api/v1/einvoices/{id}/approvals", "POST /api/v1/einvoices/{id}/assignment", "POST /api/v1/einvoices/{id}/rejection",
		"GET /verwaltung/rechnungen/{id}", "POST /verwaltung/rechnungen/{id}/ablehnung", "GET /verwaltung/rechnungen/{id}/ansicht.pdf",
		"POST /verwaltung/rechnungen/{id}/freigabe", "GET /verwaltung/rechnungen/{id}/original", "POST /verwaltung/rechnungen/{id}/zuordnung",
	} {
		isolationFixtures[route] = invoiceFixture
	}
	isolationFixtures["GET /api/v1/einvoices/payment-runs/{id}/pain.001.xml"] = paymentRunFixture
}

// invoiceFixture receives an invoice only this tenant has.
func invoiceFixture(t *testing.T, e *env, tn *identity.Tenant) string {
	ctx := context.Background()
	number := "FIX-" + tn.Slug
	var ref string
	if e.db.R.QueryRow(`SELECT ref FROM einvoice_invoices WHERE tenant_id = $1 AND number = $2`, tn.ID, number).Scan(&ref) == nil {
		return ref
	}
	clerk := identity.Principal{TenantID: tn.ID, Ref: "fixture", Kind: "token", Roles: []identity.Role{identity.RoleFinance}}
	s := inbox.DefaultSample(number)
	s.Leitweg = leitweg.New("09999000", "FIXTURE"+strings.ToUpper(strings.ReplaceAll(tn.Slug, "-", ""))).String() // nobody's: clarification
	inv, err := e.inbox().Submit(ctx, clerk, tn.ID, inbox.Submission{Channel: inbox.ChannelAPI, Data: inbox.SampleXML(s)})
	must(t, err)
	return inv.Ref
}

// paymentRunFixture records a payment run of the tenant.
func paymentRunFixture(t *testing.T, e *env, tn *identity.Tenant) string {
	ctx := context.Background()
	ref := "Z-F1X0-" + map[bool]string{true: "000A", false: "000B"}[tn.Slug == DemoSlug]
	var n int
	e.db.R.QueryRow(`SELECT COUNT(*) FROM einvoice_payment_runs WHERE ref = $1`, ref).Scan(&n)
	if n == 0 {
		must(t, database.WithTx(ctx, e.db, func(tx *database.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO einvoice_payment_runs (tenant_id, ref, count, control_sum, file_key, file_size, created_by, created_at) VALUES ($1, $2, 0, '0.00', '', 0, 'fixture', $3)`,
				tn.ID, ref, tx.Now())
			return err
		}))
	}
	return ref
}
