package payments

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/database"
)

// Demo subjects: what the demo city's example payments are for.
const (
	demoOpenSubject = "DEMO-HUNDESTEUER"
	demoPaidSubject = "DEMO-MELDEBESCHEINIGUNG"
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
	ex, err := s.DemoExamples(ctx, t.ID)
	if n > 0 && err == nil {
		return []string{"payments: demo payment notice /zahlungen/" + ex.Request}, nil
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
	err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
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
	if _, ok := s.Providers["demo"]; ok {
		if _, err := s.StartOnline(ctx, sys, t.ID, open.Ref, "demo"); err != nil {
			return nil, fmt.Errorf("demo online payment: %w", err)
		}
	}
	if _, err := s.CreateMandate(ctx, sys, t.ID, Mandate{DebtorName: "Bärbel Beispiel", IBAN: "DE02120300000000202051", Purpose: "Hundesteuer Bello (Demo)",
		Amount: decimal.RequireFromString("75.00"), SignedOn: "2026-01-10"}); err != nil {
		return nil, fmt.Errorf("demo mandate: %w", err)
	}
	return []string{"payments: demo payment notice /zahlungen/" + open.Ref}, nil
}

// Examples are references of demo objects for the route table's example
// URLs (the browser harness visits them).
type Examples struct {
	Request, Receipt, Online, Task string
}

// DemoExamples finds the demo city's example objects.
func (s *Service) DemoExamples(ctx context.Context, tenantID int64) (Examples, error) {
	var ex Examples
	q := s.DB.R
	if err := q.QueryRowContext(ctx, `SELECT ref FROM payment_requests WHERE tenant_id = $1 AND subject = $2 ORDER BY id LIMIT 1`, tenantID, demoOpenSubject).Scan(&ex.Request); err != nil {
		return ex, err
	}
	err := q.QueryRowContext(ctx, `SELECT p.ref FROM payments_received p JOIN payment_requests r ON r.id = p.request_id WHERE r.tenant_id = $1 AND r.subject = $2 ORDER BY p.id LIMIT 1`,
		tenantID, demoPaidSubject).Scan(&ex.Receipt)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return ex, err
	}
	err = q.QueryRowContext(ctx, `SELECT o.ref FROM provider_payments o JOIN payment_requests r ON r.id = o.request_id WHERE r.tenant_id = $1 AND r.subject = $2 ORDER BY o.id LIMIT 1`,
		tenantID, demoOpenSubject).Scan(&ex.Online)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return ex, err
	}
	err = q.QueryRowContext(ctx, `SELECT ref FROM finance_tasks WHERE tenant_id = $1 ORDER BY id LIMIT 1`, tenantID).Scan(&ex.Task)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return ex, err
	}
	return ex, nil
}

// DemoReceiptRequest is the demo's paid request (for the receipt example).
func (s *Service) DemoReceiptRequest(ctx context.Context, tenantID int64) (string, error) {
	var ref string
	err := s.DB.R.QueryRowContext(ctx, `SELECT ref FROM payment_requests WHERE tenant_id = $1 AND subject = $2 ORDER BY id LIMIT 1`, tenantID, demoPaidSubject).Scan(&ref)
	return ref, err
}
