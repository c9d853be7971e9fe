package inbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/rathaus/rathaus/internal/einvoice/en16931"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
)

var errNoRows = sql.ErrNoRows

// querier is the reader pool or a transaction.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

const invoiceColumns = `id, tenant_id, ref, channel, kind, status, version, unit_ref, leitweg_id, routing_problem, supplier_key, supplier_name,
	number, issue_date, due_date, discount_until, discount_percent, currency, amount, iban, credits_number, validation, document,
	original_key, original_type, original_name, original_size, submitter_account, sender_email, cost_centre, budget_line,
	rejection_reason, netted_with, received_at, closed_at, retain_until`

func insertInvoice(tx *database.Tx, inv *Invoice, syntax string) error {
	val, err := json.Marshal(inv.Validation)
	if err != nil {
		return err
	}
	doc, err := json.Marshal(inv.Document)
	if err != nil {
		return err
	}
	var submitter any
	if inv.submitterAccount != 0 {
		submitter = inv.submitterAccount
	}
	scenario := ""
	if inv.Validation.Scenario != nil {
		scenario = *inv.Validation.Scenario
	}
	err = tx.QueryRowContext(tx.Context(), `INSERT INTO einvoice_invoices (tenant_id, ref, channel, kind, status, version, unit_ref, leitweg_id,
		routing_problem, supplier_key, supplier_name, number, issue_date, due_date, discount_until, discount_percent, currency, amount, iban,
		credits_number, syntax, scenario, validation, document, original_key, original_type, original_name, original_size, scan_key,
		submitted_by, submitter_account, sender_email, received_at, updated_at, retain_until)
		VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27,
		$28, $29, $30, $31, $32, $32, $33) RETURNING id`,
		inv.tenantID, inv.Ref, string(inv.Channel), inv.Kind, string(inv.Status), inv.Unit, inv.LeitwegID, inv.RoutingProblem, inv.supplierKey,
		inv.Supplier, inv.Number, inv.IssueDate, inv.DueDate, inv.DiscountUntil, inv.DiscountPercent, inv.Currency, inv.Amount, inv.IBAN,
		inv.CreditsNumber, syntax, scenario, string(val), string(doc), inv.Hash, inv.Original.Type, inv.Original.Name, inv.Original.Size,
		scanKey(inv), stepActor(inv), submitter, inv.senderEmail, tx.Now(), inv.RetainUntil).Scan(&inv.id)
	return err
}

func scanKey(inv *Invoice) string {
	if inv.Channel == ChannelPaper {
		return inv.Hash
	}
	return ""
}

// stepActor is filled in by receive before the insert (the principal).
func stepActor(inv *Invoice) string {
	if inv.submittedBy == "" {
		return "system"
	}
	return inv.submittedBy
}

func scanInvoice(row interface{ Scan(...any) error }) (*Invoice, error) {
	inv := &Invoice{}
	var val, doc string
	var submitter sql.NullInt64
	var closed sql.NullTime
	err := row.Scan(&inv.id, &inv.tenantID, &inv.Ref, &inv.Channel, &inv.Kind, &inv.Status, &inv.Version, &inv.Unit, &inv.LeitwegID,
		&inv.RoutingProblem, &inv.supplierKey, &inv.Supplier, &inv.Number, &inv.IssueDate, &inv.DueDate, &inv.DiscountUntil,
		&inv.DiscountPercent, &inv.Currency, &inv.Amount, &inv.IBAN, &inv.CreditsNumber, &val, &doc, &inv.Hash, &inv.Original.Type,
		&inv.Original.Name, &inv.Original.Size, &submitter, &inv.senderEmail, &inv.CostCentre, &inv.BudgetLine, &inv.RejectionReason,
		&inv.NettedWith, &inv.ReceivedAt, &closed, &inv.RetainUntil)
	if err != nil {
		return nil, err
	}
	inv.submitterAccount = submitter.Int64
	if closed.Valid {
		t := closed.Time.UTC()
		inv.ClosedAt = &t
	}
	inv.ReceivedAt = inv.ReceivedAt.UTC()
	if err := json.Unmarshal([]byte(val), &inv.Validation); err != nil {
		return nil, fmt.Errorf("invoice %s validation: %w", inv.Ref, err)
	}
	inv.Document = &en16931.Invoice{}
	if err := json.Unmarshal([]byte(doc), inv.Document); err != nil {
		return nil, fmt.Errorf("invoice %s document: %w", inv.Ref, err)
	}
	return inv, nil
}

// load reads one invoice of the tenant with its steps.
func (s *Service) load(ctx context.Context, q querier, tenantID int64, ref string) (*Invoice, error) {
	inv, err := scanInvoice(q.QueryRowContext(ctx, `SELECT `+invoiceColumns+` FROM einvoice_invoices WHERE tenant_id = $1 AND ref = $2`, tenantID, ref))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("invoice %s: %w", ref, fault.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load invoice %s: %w", ref, err)
	}
	if inv.Steps, err = steps(ctx, q, inv.id); err != nil {
		return nil, err
	}
	return inv, s.decorate(ctx, inv)
}

// decorate adds the unit's name.
func (s *Service) decorate(ctx context.Context, inv *Invoice) error {
	if inv.Unit == "" || s.Identity == nil {
		return nil
	}
	names, err := s.Identity.UnitNames(ctx, inv.tenantID)
	if err != nil {
		return err
	}
	inv.UnitName = names[inv.Unit]
	return nil
}

func steps(ctx context.Context, q querier, invoiceID int64) ([]StepRecord, error) {
	rows, err := q.QueryContext(ctx, `SELECT step, account_id, actor, actor_name, on_behalf_of, invoice_hash, version, note, at FROM einvoice_steps WHERE invoice_id = $1 ORDER BY id`, invoiceID)
	if err != nil {
		return nil, fmt.Errorf("invoice steps: %w", err)
	}
	defer rows.Close()
	out := []StepRecord{}
	for rows.Next() {
		var r StepRecord
		var acc sql.NullInt64
		if err := rows.Scan(&r.Step, &acc, &r.Actor, &r.ActorName, &r.OnBehalfOf, &r.Hash, &r.Version, &r.Note, &r.At); err != nil {
			return nil, err
		}
		r.accountID, r.At = acc.Int64, r.At.UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// addStep records a step on the invoice's current version and appends it
// to inv.Steps.
func addStep(tx *database.Tx, inv *Invoice, r StepRecord, accountID int64) error {
	r.Hash, r.Version, r.At, r.accountID = inv.Hash, inv.Version, tx.Now(), accountID
	var acc any
	if accountID != 0 {
		acc = accountID
	}
	_, err := tx.ExecContext(tx.Context(), `INSERT INTO einvoice_steps (tenant_id, invoice_id, step, account_id, actor, actor_name, on_behalf_of, invoice_hash, version, note, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, inv.tenantID, inv.id, string(r.Step), acc, r.Actor, r.ActorName, r.OnBehalfOf, r.Hash, r.Version, r.Note, r.At)
	if err != nil {
		return fmt.Errorf("record step %s: %w", r.Step, err)
	}
	inv.Steps = append(inv.Steps, r)
	return nil
}

// update writes the workflow columns of inv if its version is still
// expected, and bumps the version; a changed invoice gives a stale problem.
func update(tx *database.Tx, inv *Invoice, expected int) error {
	var closed any
	if inv.ClosedAt != nil {
		closed = *inv.ClosedAt
	}
	res, err := tx.ExecContext(tx.Context(), `UPDATE einvoice_invoices SET status = $1, version = version + 1, unit_ref = $2, routing_problem = $3,
		cost_centre = $4, budget_line = $5, rejection_reason = $6, netted_with = $7, closed_at = $8, retain_until = $9, updated_at = $10
		WHERE id = $11 AND version = $12`, string(inv.Status), inv.Unit, inv.RoutingProblem, inv.CostCentre, inv.BudgetLine, inv.RejectionReason,
		inv.NettedWith, closed, inv.RetainUntil, tx.Now(), inv.id, expected)
	if err != nil {
		return fmt.Errorf("update invoice %s: %w", inv.Ref, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return refuse(fault.ErrConflict, "stale")
	}
	inv.Version = expected + 1
	return nil
}

func (s *Service) duplicateOf(ctx context.Context, q querier, tenantID int64, f facts) (string, error) {
	var ref string
	err := q.QueryRowContext(ctx, `SELECT ref FROM einvoice_invoices WHERE tenant_id = $1 AND supplier_key = $2 AND number = $3 AND amount = $4`,
		tenantID, f.supplierKey, f.number, f.amount).Scan(&ref)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return ref, err
}

// Filter selects invoices for a list.
type Filter struct {
	Statuses []Status
	Units    []string // only these units ("" selects clarification)
	// Submitter: only those a business account sent.
	Submitter int64
	// RetainedBefore lists closed invoices whose retention ended before the
	// date (YYYY-MM-DD).
	RetainedBefore string
	Limit          int
}

func (s *Service) list(ctx context.Context, tenantID int64, f Filter) ([]*Invoice, error) {
	q := `SELECT ` + invoiceColumns + ` FROM einvoice_invoices WHERE tenant_id = $1`
	args := []any{tenantID}
	in := func(col string, vals []string) {
		ph := make([]string, len(vals))
		for i, v := range vals {
			args = append(args, v)
			ph[i] = fmt.Sprintf("$%d", len(args))
		}
		q += " AND " + col + " IN (" + strings.Join(ph, ", ") + ")"
	}
	if len(f.Statuses) > 0 {
		vals := make([]string, len(f.Statuses))
		for i, st := range f.Statuses {
			vals[i] = string(st)
		}
		in("status", vals)
	}
	if f.Units != nil {
		if len(f.Units) == 0 {
			return []*Invoice{}, nil
		}
		in("unit_ref", f.Units)
	}
	if f.Submitter != 0 {
		args = append(args, f.Submitter)
		q += fmt.Sprintf(" AND submitter_account = $%d", len(args))
	}
	if f.RetainedBefore != "" {
		args = append(args, f.RetainedBefore)
		q += fmt.Sprintf(" AND closed_at IS NOT NULL AND retain_until < $%d", len(args))
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	q += fmt.Sprintf(" ORDER BY CASE WHEN due_date = '' THEN 1 ELSE 0 END, due_date, received_at, id LIMIT %d", limit)
	rows, err := s.DB.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list invoices: %w", err)
	}
	defer rows.Close()
	out := []*Invoice{}
	for rows.Next() {
		inv, err := scanInvoice(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, inv)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if len(out) == 0 {
		return out, nil
	}
	names, err := s.Identity.UnitNames(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	for _, inv := range out {
		inv.UnitName = names[inv.Unit]
		if inv.Steps, err = steps(ctx, s.DB.R, inv.id); err != nil {
			return nil, err
		}
	}
	return out, nil
}
