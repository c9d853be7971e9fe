package payments

import (
	"context"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/database"
)

// Demo subjects: what the demo city's example payments are for.
const (
	demoOpenSubject = "DEMO-HUNDESTEUER"
	demoPaidSubject = "DEMO-MELDEBESCHEINIGUNG"
)

// The demo city's example objects have fixed references, so that the
// route table can name example URLs before any data exists (the browser
// harness visits them).
const (
	DemoRequestRef = "Z-DEM0-0001" // open: dog tax, with an online payment started
	DemoPaidRef    = "Z-DEM0-0002" // paid by transfer, with a receipt
	DemoReceiptRef = "Q-DEM0-0001"
	DemoOnlineRef  = "O-DEM0-0001"
	DemoTaskRef    = "F-DEM0-0001" // a transfer nobody asked for
)

// DemoCreditorID is the official SEPA test creditor identifier.
const DemoCreditorID = "DE98ZZZ09999999999"

// SeedDemo gives the demo city example payments once: fee settings for
// the dog tax (a stepped rule), an open request (with an online payment
// started at the demo provider), a paid one with its receipt (booked from
// a generated statement that also holds a transfer nobody asked for, so
// the worklist has an entry) and a direct-debit mandate.
func SeedDemo(ctx context.Context, s *Service, t *identity.Tenant, dogTaxService string) ([]string, error) {
	var n int
	if err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM payment_requests WHERE tenant_id = $1 AND subject = $2`, t.ID, demoOpenSubject).Scan(&n); err != nil {
		return nil, err
	}
	if n > 0 {
		return []string{"payments: demo payment notice /zahlungen/" + DemoRequestRef}, nil
	}
	sys := identity.System(t.ID)
	sys.Ref = "demo"
	if dogTaxService != "" {
		rule := &FeeRule{Steps: []FeeStep{{UpTo: 1, Amount: decimal.RequireFromString("75.00")}, {UpTo: 2, Amount: decimal.RequireFromString("180.00")}}, Above: decimal.RequireFromString("300.00")}
		if _, err := s.PutSettings(ctx, sys, t.ID, Settings{ServiceID: dogTaxService, Timing: AfterSubmission, FeeKind: FeeStepped, Rule: rule, Purpose: "Hundesteuer",
			Unit: "Steueramt", CostCentre: "6110.0300", DueDays: 30, ReminderDays: 14}); err != nil {
			return nil, fmt.Errorf("demo payment settings: %w", err)
		}
	}
	var open, paid Created
	err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		var err error
		if open, err = s.CreateRequest(tx, sys, NewRequest{TenantID: t.ID, Subject: demoOpenSubject, ServiceID: dogTaxService, PayerName: "Bärbel Beispiel",
			Amount: decimal.RequireFromString("75.00"), Purpose: "Hundesteuer 2026 für Bello (Demo)", Unit: "Steueramt", CostCentre: "6110.0300"}); err != nil {
			return err
		}
		paid, err = s.CreateRequest(tx, sys, NewRequest{TenantID: t.ID, Subject: demoPaidSubject, PayerName: "Max Muster",
			Amount: decimal.RequireFromString("12.00"), Purpose: "Meldebescheinigung (Demo)", Unit: "Bürgerbüro", CostCentre: "1220.0100"})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("demo payment requests: %w", err)
	}
	iban := t.Settings.Creditor.IBAN
	stmt := GenerateStatement("DEMO-AUSZUG-1", iban, s.DB.Clock.Now(), []Credit{
		{Amount: "12.00", Name: "Max Muster", IBAN: "DE02120300000000202051", Reference: paid.RF, ServicerRef: "DEMO-1"},
		{Amount: "23.45", Name: "Erika Unbekannt", IBAN: "DE02500105170137075030", Text: "Spende Stadtbibliothek", ServicerRef: "DEMO-2"},
	})
	if _, err := s.ImportStatement(ctx, sys, t.ID, SourceCLI, "demo-auszug.xml", stmt); err != nil {
		return nil, fmt.Errorf("demo statement: %w", err)
	}
	online := ""
	if _, ok := s.Providers["demo"]; ok {
		to, err := s.StartOnline(ctx, sys, t.ID, open.Ref, "demo")
		if err != nil {
			return nil, fmt.Errorf("demo online payment: %w", err)
		}
		if i := strings.Index(to, "O-"); i >= 0 && len(to) >= i+11 {
			online = to[i : i+11]
		}
	}
	if _, err := s.CreateMandate(ctx, sys, t.ID, Mandate{DebtorName: "Bärbel Beispiel", IBAN: "DE02120300000000202051", Purpose: "Hundesteuer Bello (Demo)",
		Amount: decimal.RequireFromString("75.00"), SignedOn: "2026-01-10"}); err != nil {
		return nil, fmt.Errorf("demo mandate: %w", err)
	}
	// The fixed references of the examples.
	err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		for _, u := range []struct{ q, to, from string }{
			{`UPDATE payment_requests SET ref = $1 WHERE tenant_id = $3 AND ref = $2`, DemoRequestRef, open.Ref},
			{`UPDATE payment_requests SET ref = $1 WHERE tenant_id = $3 AND ref = $2`, DemoPaidRef, paid.Ref},
			{`UPDATE provider_payments SET ref = $1, provider_id = 'demo-' || $1 WHERE tenant_id = $3 AND ref = $2`, DemoOnlineRef, online},
			{`UPDATE payments_received SET ref = $1 WHERE tenant_id = $3 AND ref = (SELECT MIN(p.ref) FROM payments_received p JOIN payment_requests r ON r.id = p.request_id WHERE r.ref = $2 AND r.tenant_id = $3)`, DemoReceiptRef, DemoPaidRef},
			{`UPDATE finance_tasks SET ref = $1 WHERE tenant_id = $3 AND id = (SELECT MIN(id) FROM finance_tasks WHERE tenant_id = $3 AND kind = $2)`, DemoTaskRef, "unmatched"},
		} {
			if _, err := tx.ExecContext(ctx, u.q, u.to, u.from, t.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("demo references: %w", err)
	}
	return []string{"payments: demo payment notice /zahlungen/" + DemoRequestRef}, nil
}
