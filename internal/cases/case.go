package cases

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/shopspring/decimal"

	"github.com/rathaus/rathaus/internal/catalog"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/mailbox"
	"github.com/rathaus/rathaus/internal/platform/blob"
	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/seal"
	"github.com/rathaus/rathaus/internal/records"
)

// Application is what case processing needs of a submitted application
// (forms owns it; the composition root adapts forms.Application).
type Application struct {
	Ref         string
	ServiceID   string
	FormTitle   string
	FormVersion int
	// AccountID is the applicant's account (0: applied with a confirmed
	// e-mail address, no mailbox).
	AccountID   int64
	AccountRef  string
	AccountKind string
	Email       string
	Answers     map[string]any
	Files       []File
	ReceiptPDF  string // blob keys
	ReceiptJSON string
	SubmittedAt time.Time
	Status      string
}

// File is an upload of an application.
type File struct {
	Field, Name, MediaType, SHA256 string
	Size                           int64
}

// Applications is the forms side of the contract: a system read of an
// application and the applicant-visible status, moved in the case's
// transaction.
type Applications interface {
	Application(ctx context.Context, tenantID int64, ref string) (*Application, error)
	SetStatus(tx *database.Tx, tenantID int64, ref, status string) error
}

// PaymentRequest is what a case asks payments for.
type PaymentRequest struct {
	TenantID     int64
	Subject      string // the application reference
	PayerAccount int64
	Amount       decimal.Decimal
	Purpose      string
	Due          calendar.Date
}

// Payments is the payments side (optional until it lands): a payment
// request created inside the case's transaction; payments.settled then
// moves the case on (EventPaymentSettled).
type Payments interface {
	Request(tx *database.Tx, r PaymentRequest) (ref, rf, url string, err error)
}

// Service holds the case processing use cases.
type Service struct {
	DB           *database.DB
	Identity     *identity.Service
	Catalog      *catalog.Catalog
	Applications Applications
	Mailbox      *mailbox.Service
	Records      *records.Service
	Blobs        blob.Store
	// Sealer seals decisions; nil: decisions cannot be sent (the
	// installation has no key configured).
	Sealer   *seal.Sealer
	Payments Payments
	Log      *slog.Logger
}

// Case is one case (Vorgang).
type Case struct {
	Ref             string     `json:"id"`
	ApplicationRef  string     `json:"application"`
	ServiceRef      string     `json:"service"`
	ServiceName     string     `json:"service_name"`
	WorkflowVersion int        `json:"workflow_version"`
	UnitRef         string     `json:"unit"`
	State           string     `json:"state"`
	AssigneeRef     string     `json:"assignee"`
	SubmittedAt     time.Time  `json:"submitted_at"`
	OpenedAt        time.Time  `json:"opened_at"`
	StateSince      time.Time  `json:"state_since"`
	DueAt           time.Time  `json:"due_at"`
	StateDueAt      *time.Time `json:"state_due_at"`
	PausedAt        *time.Time `json:"paused_at"`
	FollowUpOn      string     `json:"follow_up_on"`
	ClosedAt        *time.Time `json:"closed_at"`
	FileRef         string     `json:"file"`
	Revision        int        `json:"revision"`

	id                 int64
	tenantID           int64
	assigneeID         int64
	applicantAccountID int64
	applicantEmail     string
}

// Event is one entry of a case's timeline.
type Event struct {
	At        time.Time      `json:"at"`
	Actor     string         `json:"actor"`
	ActorName string         `json:"actor_name"`
	Kind      string         `json:"kind"`
	Text      string         `json:"text"`
	Data      map[string]any `json:"data"`
}

// Errors of case processing.
var (
	ErrTransition = fmt.Errorf("transition not allowed: %w", fault.ErrForbidden)
	ErrNoSeal     = fmt.Errorf("no seal key configured: decisions cannot be sent: %w", fault.ErrUnavailable)
)

const caseCols = `id, tenant_id, ref, application_ref, service_ref, service_name, workflow_version, unit_ref, state, COALESCE(assignee_id, 0),
	COALESCE(applicant_account_id, 0), applicant_email, submitted_at, opened_at, state_since, due_at, state_due_at, paused_at, COALESCE(follow_up_on, ''), closed_at, file_ref, revision`

type rowScanner interface{ Scan(...any) error }

func scanCase(row rowScanner) (*Case, error) {
	var c Case
	var stateDue, paused, closed sql.NullTime
	err := row.Scan(&c.id, &c.tenantID, &c.Ref, &c.ApplicationRef, &c.ServiceRef, &c.ServiceName, &c.WorkflowVersion, &c.UnitRef, &c.State, &c.assigneeID,
		&c.applicantAccountID, &c.applicantEmail, &c.SubmittedAt, &c.OpenedAt, &c.StateSince, &c.DueAt, &stateDue, &paused, &c.FollowUpOn, &closed, &c.FileRef, &c.Revision)
	if err != nil {
		return nil, err
	}
	for _, x := range []struct {
		n *sql.NullTime
		t **time.Time
	}{{&stateDue, &c.StateDueAt}, {&paused, &c.PausedAt}, {&closed, &c.ClosedAt}} {
		if x.n.Valid {
			t := x.n.Time
			*x.t = &t
		}
	}
	return &c, nil
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// caseByRef reads a case of the tenant (locked for update inside a write
// transaction on PostgreSQL).
func caseByRef(ctx context.Context, q querier, tenantID int64, ref, lock string) (*Case, error) {
	c, err := scanCase(q.QueryRowContext(ctx, `SELECT `+caseCols+` FROM cases WHERE tenant_id = $1 AND ref = $2`+lock, tenantID, ref))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("case %s: %w", ref, fault.ErrNotFound)
	}
	return c, err
}

// addEvent appends to the timeline.
func addEvent(tx *database.Tx, c *Case, p identity.Principal, actorName, kind, text string, data map[string]any) error {
	if data == nil {
		data = map[string]any{}
	}
	b, _ := json.Marshal(data)
	actor := p.Ref
	if actor == "" {
		actor = "system"
	}
	_, err := tx.ExecContext(tx.Context(), `INSERT INTO case_events (case_id, at, actor, actor_name, kind, text, data) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		c.id, tx.Now(), actor, actorName, kind, text, string(b))
	return err
}

// events reads a case's timeline, oldest first.
func (s *Service) events(ctx context.Context, caseID int64) ([]Event, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT at, actor, actor_name, kind, text, data FROM case_events WHERE case_id = $1 ORDER BY id`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Event{}
	for rows.Next() {
		var e Event
		var data string
		if err := rows.Scan(&e.At, &e.Actor, &e.ActorName, &e.Kind, &e.Text, &data); err != nil {
			return nil, err
		}
		e.Data = map[string]any{}
		json.Unmarshal([]byte(data), &e.Data)
		out = append(out, e)
	}
	return out, rows.Err()
}

// calendarOf is the working-day calendar of the tenant's federal state.
func (s *Service) calendarOf(ctx context.Context, tenantID int64) (*calendar.Calendar, *identity.Tenant, error) {
	t, err := s.Identity.TenantByID(ctx, tenantID)
	if err != nil {
		return nil, nil, err
	}
	state := t.Settings.FederalState
	if !calendar.ValidState(state) {
		state = "BY"
	}
	cal, err := calendar.ForState(state)
	return cal, t, err
}

// deadlineIn is the end of the working day n working days after t; nil for n = 0.
func deadlineIn(cal *calendar.Calendar, t time.Time, n int) *time.Time {
	if n <= 0 {
		return nil
	}
	d := cal.Deadline(t, n)
	return &d
}

// nullTime turns a *time.Time into a bind value.
func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}

// nullID turns an id into a bind value (0 → NULL).
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// nullableTime scans a nullable instant.
type nullableTime struct{ sql.NullTime }

func (n nullableTime) ptr() *time.Time {
	if !n.Valid {
		return nil
	}
	t := n.Time
	return &t
}
