package payments

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/payments/epc"
	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/jobs"
	"github.com/rathaus/rathaus/internal/platform/ref"
)

// Request statuses.
const (
	StatusOpen      = "open"
	StatusPartial   = "partial"
	StatusPaid      = "paid"
	StatusCancelled = "cancelled"
)

// SettledJob is the job enqueued when a request is paid in full:
// payload {"tenant_id", "request", "subject"}; the cases module continues
// the case.
const SettledJob = "payments.settled"

// Settled is the payload of SettledJob.
type Settled struct {
	TenantID int64  `json:"tenant_id"`
	Request  string `json:"request"`
	Subject  string `json:"subject"`
}

// Request is an amount owed to the city.
type Request struct {
	ID             int64           `json:"-"`
	TenantID       int64           `json:"-"`
	Ref            string          `json:"id"`
	RF             string          `json:"creditor_reference"`
	Subject        string          `json:"subject"`
	ServiceID      string          `json:"service_id"`
	PayerAccountID int64           `json:"-"`
	PayerName      string          `json:"payer_name"`
	PayerEmail     string          `json:"-"`
	Purpose        string          `json:"purpose"`
	Amount         decimal.Decimal `json:"amount"`
	Currency       string          `json:"currency"`
	Paid           decimal.Decimal `json:"paid"`
	Status         string          `json:"status"`
	DueDate        string          `json:"due_date"`
	Unit           string          `json:"unit"`
	CostCentre     string          `json:"cost_centre"`
	ReminderDays   int             `json:"reminder_days"`
	Reminders      int             `json:"reminders"`
	MandateID      int64           `json:"-"`
	CreatedAt      time.Time       `json:"created_at"`
	PaidAt         *time.Time      `json:"paid_at"`
}

// Outstanding is what is still owed (never negative).
func (r *Request) Outstanding() decimal.Decimal {
	o := r.Amount.Sub(r.Paid)
	if o.IsNegative() {
		return decimal.Zero
	}
	return o
}

// URL is the path of the request's payment notice page.
func (r *Request) URL() string { return "/zahlungen/" + r.Ref }

// Overdue reports whether the request is unpaid after its due date.
func (r *Request) Overdue(now time.Time) bool {
	return (r.Status == StatusOpen || r.Status == StatusPartial) && r.DueDate < calendar.DateOf(now, calendar.Berlin).String()
}

// NewRequest is the input of CreateRequest.
type NewRequest struct {
	TenantID int64
	// Subject is what the money is for, usually the application's public
	// reference; the settled event carries it back.
	Subject        string
	ServiceID      string
	PayerAccountID int64
	PayerName      string
	PayerEmail     string
	Amount         decimal.Decimal
	Purpose        string
	// DueDate YYYY-MM-DD; "" for the service's (or the default) days from today.
	DueDate      string
	Unit         string
	CostCentre   string
	ReminderDays int
}

// Created is what CreateRequest returns to its caller (cases).
type Created struct {
	Ref string `json:"id"`
	RF  string `json:"creditor_reference"`
	URL string `json:"url"`
}

// Roles that create requests and see all of them.
var (
	creatorRoles = []identity.Role{identity.RoleFinance, identity.RoleAdmin, identity.RoleCaseWorker, identity.RoleUnitHead}
	financeRoles = []identity.Role{identity.RoleFinance, identity.RoleAdmin}
	viewerRoles  = []identity.Role{identity.RoleFinance, identity.RoleAdmin, identity.RoleCaseWorker, identity.RoleUnitHead}
)

// DefaultDueDays is the time to pay when neither caller nor service says.
const DefaultDueDays = 14

func validateNew(in *NewRequest, today string) error {
	v := &fault.Validation{}
	in.Purpose = strings.TrimSpace(in.Purpose)
	switch n := utf8.RuneCountInString(in.Purpose); {
	case n == 0:
		v.Add("purpose", "required")
	case n > 140:
		v.Add("purpose", "too_long", "max", 140)
	case strings.ContainsAny(in.Purpose, "\r\n"):
		v.Add("purpose", "no_line_breaks")
	}
	if !in.Amount.IsPositive() || !in.Amount.Equal(in.Amount.Round(2)) || in.Amount.GreaterThan(decimal.RequireFromString("999999999.99")) {
		v.Add("amount", "invalid_amount", "min", "0.01", "max", "999999999.99")
	}
	if in.DueDate != "" {
		if _, err := calendar.ParseDate(in.DueDate); err != nil {
			v.Add("due_date", "invalid_date")
		} else if in.DueDate < today {
			v.Add("due_date", "date_in_past")
		}
	}
	if utf8.RuneCountInString(in.PayerName) > 70 {
		v.Add("payer_name", "too_long", "max", 70)
	}
	if len(in.Subject) > 64 {
		v.Add("subject", "too_long", "max", 64)
	}
	if in.ReminderDays < 0 || in.ReminderDays > 365 {
		v.Add("reminder_days", "out_of_range", "min", 0, "max", 365)
	}
	return v.Err()
}

// CreateRequest creates a payment request inside the caller's transaction
// (cases calls it in the transaction that moves the case to awaiting
// payment). Staff who process cases and finance may create requests; the
// system principal too. The RF reference is new and random for every
// request.
func (s *Service) CreateRequest(tx *database.Tx, p identity.Principal, in NewRequest) (Created, error) {
	if err := p.Require(in.TenantID, creatorRoles...); err != nil {
		return Created{}, err
	}
	today := calendar.DateOf(tx.Now(), calendar.Berlin)
	if err := validateNew(&in, today.String()); err != nil {
		return Created{}, fmt.Errorf("create payment request: %w", err)
	}
	if in.ServiceID != "" {
		if st, err := settingsTx(tx, in.TenantID, in.ServiceID); err == nil {
			if in.Unit == "" {
				in.Unit = st.Unit
			}
			if in.CostCentre == "" {
				in.CostCentre = st.CostCentre
			}
			if in.DueDate == "" {
				in.DueDate = today.AddDays(st.DueDays).String()
			}
			if in.ReminderDays == 0 {
				in.ReminderDays = st.ReminderDays
			}
		} else if !errors.Is(err, fault.ErrNotFound) {
			return Created{}, err
		}
	}
	if in.DueDate == "" {
		in.DueDate = today.AddDays(DefaultDueDays).String()
	}
	if in.ReminderDays == 0 {
		in.ReminderDays = 7
	}
	if in.PayerEmail == "" && in.PayerAccountID != 0 && s.Contact != nil {
		if c, err := s.Contact(tx.Context(), in.TenantID, in.PayerAccountID); err == nil {
			in.PayerEmail = c.Email
			if in.PayerName == "" {
				in.PayerName = c.Name
			}
		}
	}
	var account sql.NullInt64
	if in.PayerAccountID != 0 {
		account = sql.NullInt64{Int64: in.PayerAccountID, Valid: true}
	}
	for attempt := 0; ; attempt++ {
		c := Created{Ref: ref.New("Z"), RF: epc.RandomRF(12)}
		c.URL = "/zahlungen/" + c.Ref
		res, err := tx.ExecContext(tx.Context(), `INSERT INTO payment_requests (tenant_id, ref, rf, subject, service_id, payer_account_id, payer_name, payer_email,
			purpose, amount, currency, paid, status, due_date, unit, cost_centre, reminder_days, created_at, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'EUR', '0', 'open', $11, $12, $13, $14, $15, $16)
			ON CONFLICT DO NOTHING`,
			in.TenantID, c.Ref, c.RF, in.Subject, in.ServiceID, account, strings.TrimSpace(in.PayerName), in.PayerEmail, in.Purpose,
			in.Amount.StringFixed(2), in.DueDate, in.Unit, in.CostCentre, in.ReminderDays, tx.Now(), p.Ref)
		if err != nil {
			return Created{}, fmt.Errorf("create payment request: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if attempt < 5 {
				continue // a reference collided
			}
			return Created{}, fmt.Errorf("create payment request: no free reference: %w", fault.ErrConflict)
		}
		err = audit.Append(tx, audit.Event{TenantID: in.TenantID, Actor: p.Ref, Action: "payment.request.create", ObjectType: "payment_request", ObjectRef: c.Ref,
			After: map[string]any{"amount": in.Amount.StringFixed(2), "subject": in.Subject, "service_id": in.ServiceID, "due_date": in.DueDate, "rf": c.RF}})
		return c, err
	}
}

const requestCols = `id, tenant_id, ref, rf, subject, service_id, COALESCE(payer_account_id, 0), payer_name, payer_email, purpose, amount, currency, paid,
	status, due_date, unit, cost_centre, reminder_days, reminders, COALESCE(mandate_id, 0), created_at, paid_at`

type scanner interface{ Scan(...any) error }

func scanRequest(row scanner, extra ...any) (*Request, error) {
	var r Request
	var amount, paid string
	var paidAt sql.NullTime
	dest := []any{&r.ID, &r.TenantID, &r.Ref, &r.RF, &r.Subject, &r.ServiceID, &r.PayerAccountID, &r.PayerName, &r.PayerEmail, &r.Purpose,
		&amount, &r.Currency, &paid, &r.Status, &r.DueDate, &r.Unit, &r.CostCentre, &r.ReminderDays, &r.Reminders, &r.MandateID, &r.CreatedAt, &paidAt}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	r.Amount, _ = decimal.NewFromString(amount)
	r.Paid, _ = decimal.NewFromString(paid)
	if paidAt.Valid {
		t := paidAt.Time.UTC()
		r.PaidAt = &t
	}
	r.CreatedAt = r.CreatedAt.UTC()
	return &r, nil
}

type querier interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

func requestBy(ctx context.Context, q querier, lock string, tenantID int64, col string, val any) (*Request, error) {
	r, err := scanRequest(q.QueryRowContext(ctx, `SELECT `+requestCols+` FROM payment_requests WHERE tenant_id = $1 AND `+col+` = $2`+lock, tenantID, val))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("payment request: %w", fault.ErrNotFound)
	}
	return r, err
}

// Request returns one request to someone who may see it: staff of the
// tenant, the payer's account, or — for a request without a payer account
// (an applicant who applied with a confirmed e-mail address only) — anyone
// holding its random reference, which is what the notice mail links to.
func (s *Service) Request(ctx context.Context, p identity.Principal, tenantID int64, reqRef string) (*Request, error) {
	r, err := requestBy(ctx, s.DB.R, "", tenantID, "ref", reqRef)
	if err != nil {
		return nil, err
	}
	if !s.maySee(p, tenantID, r) {
		return nil, fmt.Errorf("payment request %s: %w", reqRef, fault.ErrNotFound)
	}
	return r, nil
}

func (s *Service) maySee(p identity.Principal, tenantID int64, r *Request) bool {
	switch {
	case p.TenantID == tenantID && p.Has(viewerRoles...):
		return true
	case r.PayerAccountID != 0:
		return p.TenantID == tenantID && p.AccountID == r.PayerAccountID
	}
	return true
}

// RequestsFor returns the requests of a subject (for cases and staff).
func (s *Service) RequestsFor(ctx context.Context, p identity.Principal, tenantID int64, subject string) ([]Request, error) {
	if err := p.Require(tenantID, viewerRoles...); err != nil {
		return nil, err
	}
	return s.listWhere(ctx, `tenant_id = $1 AND subject = $2 ORDER BY id`, tenantID, subject)
}

// MyRequests are the requests of the signed-in person.
func (s *Service) MyRequests(ctx context.Context, p identity.Principal, tenantID int64) ([]Request, error) {
	if p.TenantID != tenantID || !p.IsPerson() {
		return nil, fault.ErrUnauthorized
	}
	return s.listWhere(ctx, `tenant_id = $1 AND payer_account_id = $2 ORDER BY id DESC LIMIT 200`, tenantID, p.AccountID)
}

func (s *Service) listWhere(ctx context.Context, where string, args ...any) ([]Request, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT `+requestCols+` FROM payment_requests WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("list payment requests: %w", err)
	}
	defer rows.Close()
	out := []Request{}
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	return out, rows.Err()
}

// Received is money booked for a request; its Ref is the receipt number.
type Received struct {
	Ref        string          `json:"id"`
	Request    string          `json:"request"`
	Source     string          `json:"source"`
	Amount     decimal.Decimal `json:"amount"`
	Currency   string          `json:"currency"`
	ReceivedOn string          `json:"received_on"`
	Method     string          `json:"method"`
	Confidence string          `json:"confidence,omitempty"`
	CreatedAt  time.Time       `json:"created_at"`
}

// Payments returns what was received for a request (its receipts).
func (s *Service) Payments(ctx context.Context, p identity.Principal, tenantID int64, reqRef string) ([]Received, error) {
	r, err := s.Request(ctx, p, tenantID, reqRef)
	if err != nil {
		return nil, err
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT ref, source, amount, currency, received_on, method, confidence, created_at FROM payments_received
		WHERE tenant_id = $1 AND request_id = $2 ORDER BY id`, tenantID, r.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Received{}
	for rows.Next() {
		var x Received
		var amount string
		if err := rows.Scan(&x.Ref, &x.Source, &amount, &x.Currency, &x.ReceivedOn, &x.Method, &x.Confidence, &x.CreatedAt); err != nil {
			return nil, err
		}
		x.Amount, _ = decimal.NewFromString(amount)
		x.Request, x.CreatedAt = r.Ref, x.CreatedAt.UTC()
		out = append(out, x)
	}
	return out, rows.Err()
}

// incoming is one booking for applyPayment.
type incoming struct {
	source     string // statement, provider, direct_debit, manual
	externalID string // unique per source: a repeat books nothing
	amount     decimal.Decimal
	receivedOn string
	method     string
	confidence string
	entryID    int64 // statement entry, for the worklist
	actor      string
}

// applyPayment books money for a request in tx: a receipt row (nothing
// when the same source event was booked before: booked=false), the paid
// sum and status, an overpayment task and refund for an excess, the
// settled job when the request became paid, and an audit event.
func (s *Service) applyPayment(tx *database.Tx, r *Request, in incoming) (receipt string, booked bool, err error) {
	receipt = ref.New("Q")
	res, err := tx.ExecContext(tx.Context(), `INSERT INTO payments_received (tenant_id, ref, request_id, source, external_id, amount, currency, received_on, method, confidence, created_at, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, 'EUR', $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING`,
		r.TenantID, receipt, r.ID, in.source, in.externalID, in.amount.StringFixed(2), in.receivedOn, in.method, in.confidence, tx.Now(), in.actor)
	if err != nil {
		return "", false, fmt.Errorf("book payment: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return "", false, nil
	}
	before := map[string]any{"paid": r.Paid.StringFixed(2), "status": r.Status}
	outstanding := r.Outstanding()
	r.Paid = r.Paid.Add(in.amount)
	became := false
	switch {
	case r.Paid.GreaterThanOrEqual(r.Amount):
		became = r.Status != StatusPaid
		r.Status = StatusPaid
	case r.Paid.IsPositive():
		r.Status = StatusPartial
	}
	var paidAt any
	if became {
		paidAt = tx.Now()
	}
	if _, err := tx.ExecContext(tx.Context(), `UPDATE payment_requests SET paid = $1, status = $2, paid_at = COALESCE(paid_at, $3) WHERE id = $4`,
		r.Paid.StringFixed(2), r.Status, paidAt, r.ID); err != nil {
		return "", false, err
	}
	if excess := in.amount.Sub(outstanding); excess.IsPositive() && in.source != "provider" {
		if err := s.refundTask(tx, r, "overpayment", excess, in.entryID, fmt.Sprintf("%s paid %s, %s were owed", in.method, in.amount.StringFixed(2), outstanding.StringFixed(2))); err != nil {
			return "", false, err
		}
	}
	if became {
		if err := jobs.Enqueue(tx, SettledJob, Settled{TenantID: r.TenantID, Request: r.Ref, Subject: r.Subject}, jobs.Options{Key: r.Ref, TenantID: r.TenantID}); err != nil {
			return "", false, err
		}
	}
	err = audit.Append(tx, audit.Event{TenantID: r.TenantID, Actor: in.actor, Action: "payment.book", ObjectType: "payment_request", ObjectRef: r.Ref, Before: before,
		After: map[string]any{"paid": r.Paid.StringFixed(2), "status": r.Status, "receipt": receipt, "source": in.source, "amount": in.amount.StringFixed(2), "confidence": in.confidence}})
	return receipt, true, err
}

// refundTask puts money to give back on the finance worklist, with an
// open refund.
func (s *Service) refundTask(tx *database.Tx, r *Request, kind string, amount decimal.Decimal, entryID int64, detail string) error {
	taskID, err := s.addTask(tx, task{tenantID: r.TenantID, kind: kind, requestID: r.ID, entryID: entryID, amount: amount.StringFixed(2), currency: "EUR", detail: detail})
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(tx.Context(), `INSERT INTO refunds (tenant_id, ref, request_id, amount, method, status, task_id, created_at, created_by)
		VALUES ($1, $2, $3, $4, 'bank_transfer', 'open', $5, $6, 'system')`, r.TenantID, ref.New("R"), r.ID, amount.StringFixed(2), taskID, tx.Now())
	return err
}

// CancelRequest cancels an unpaid request (finance, admin, case workers).
func (s *Service) CancelRequest(ctx context.Context, p identity.Principal, tenantID int64, reqRef string) error {
	if err := p.Require(tenantID, creatorRoles...); err != nil {
		return err
	}
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		r, err := requestBy(ctx, tx, s.DB.ForUpdate(), tenantID, "ref", reqRef)
		if err != nil {
			return err
		}
		if r.Status != StatusOpen {
			return fmt.Errorf("cancel %s (%s): %w", r.Ref, r.Status, fault.ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE payment_requests SET status = 'cancelled' WHERE id = $1`, r.ID); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "payment.request.cancel", ObjectType: "payment_request", ObjectRef: r.Ref})
	})
}

// Due is the due date as a time (midnight UTC), for formatting.
func (r Request) Due() time.Time {
	t, _ := time.Parse(time.DateOnly, r.DueDate)
	return t
}

// StatusKey is the message key of the status.
func (r Request) StatusKey() string { return "payments.status." + r.Status }

// OutstandingText is the outstanding amount as a decimal string.
func (r Request) OutstandingText() string { return r.Outstanding().StringFixed(2) }
