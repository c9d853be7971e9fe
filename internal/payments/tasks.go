package payments

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/ref"
)

// The finance worklist: what could not be booked safely and what needs a
// person (a refund). Every task stays until finance resolves it: by
// booking it to a request, by recording the refund as done, or by
// dismissing it with a note.

type task struct {
	tenantID                      int64
	kind                          string
	entryID, requestID, statement int64
	amount, currency, detail      string
	candidates                    []Candidate
}

func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

func (s *Service) addTask(tx *database.Tx, t task) (int64, error) {
	cands := ""
	if len(t.candidates) > 0 {
		b, _ := json.Marshal(t.candidates)
		cands = string(b)
	}
	if t.currency == "" {
		t.currency = "EUR"
	}
	var id int64
	err := tx.QueryRowContext(tx.Context(), `INSERT INTO finance_tasks (tenant_id, ref, kind, entry_id, request_id, statement_id, amount, currency, detail, candidates, status, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open', $11) RETURNING id`,
		t.tenantID, ref.New("F"), t.kind, nullID(t.entryID), nullID(t.requestID), nullID(t.statement), t.amount, t.currency, clipText(t.detail, 500), cands, tx.Now()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("add finance task: %w", err)
	}
	return id, nil
}

func clipText(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// Task is one entry of the finance worklist.
type Task struct {
	Ref        string      `json:"id"`
	Kind       string      `json:"kind"`
	Status     string      `json:"status"`
	Amount     string      `json:"amount"`
	Currency   string      `json:"currency"`
	Detail     string      `json:"detail"`
	Request    string      `json:"request,omitempty"`
	Statement  string      `json:"statement,omitempty"`
	Candidates []Candidate `json:"candidates"`
	Entry      *EntryView  `json:"entry,omitempty"`
	Resolution string      `json:"resolution,omitempty"`
	CreatedAt  time.Time   `json:"created_at"`
	ResolvedBy string      `json:"resolved_by,omitempty"`
}

// EntryView is a statement entry as finance sees it.
type EntryView struct {
	BookingDate string `json:"booking_date"`
	Amount      string `json:"amount"`
	Currency    string `json:"currency"`
	CreditDebit string `json:"credit_debit"`
	PartyName   string `json:"party_name"`
	PartyIBAN   string `json:"party_iban"`
	Reference   string `json:"reference"`
	Remittance  string `json:"remittance"`
	EndToEndID  string `json:"end_to_end_id"`
	Outcome     string `json:"outcome"`
	Reason      string `json:"reason"`
}

// Tasks lists the worklist (status "open" or "resolved"), newest first.
func (s *Service) Tasks(ctx context.Context, p identity.Principal, tenantID int64, status string, limit int) ([]Task, error) {
	if err := p.Require(tenantID, financeRoles...); err != nil {
		return nil, err
	}
	if status != "resolved" {
		status = "open"
	}
	if limit <= 0 || limit > 500 {
		limit = 200
	}
	return s.tasksWhere(ctx, `t.tenant_id = $1 AND t.status = $2 ORDER BY t.id DESC LIMIT $3`, tenantID, status, limit)
}

// TaskByRef returns one task.
func (s *Service) TaskByRef(ctx context.Context, p identity.Principal, tenantID int64, taskRef string) (*Task, error) {
	if err := p.See(tenantID, financeRoles...); err != nil {
		return nil, err
	}
	ts, err := s.tasksWhere(ctx, `t.tenant_id = $1 AND t.ref = $2`, tenantID, taskRef)
	if err != nil {
		return nil, err
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("finance task %s: %w", taskRef, fault.ErrNotFound)
	}
	return &ts[0], nil
}

func (s *Service) tasksWhere(ctx context.Context, where string, args ...any) ([]Task, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT t.ref, t.kind, t.status, t.amount, t.currency, t.detail, t.candidates, t.resolution, t.created_at, t.resolved_by,
		COALESCE(r.ref, ''), COALESCE(b.ref, ''), COALESCE(e.booking_date, ''), COALESCE(e.amount, ''), COALESCE(e.currency, ''), COALESCE(e.credit_debit, ''),
		COALESCE(e.party_name, ''), COALESCE(e.party_iban, ''), COALESCE(e.reference, ''), COALESCE(e.remittance, ''), COALESCE(e.end_to_end, ''),
		COALESCE(e.outcome, ''), COALESCE(e.reason, ''), COALESCE(e.id, 0)
		FROM finance_tasks t LEFT JOIN payment_requests r ON r.id = t.request_id LEFT JOIN bank_statements b ON b.id = t.statement_id
		LEFT JOIN statement_entries e ON e.id = t.entry_id WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("finance tasks: %w", err)
	}
	defer rows.Close()
	out := []Task{}
	for rows.Next() {
		var t Task
		var cands string
		var e EntryView
		var entryID int64
		if err := rows.Scan(&t.Ref, &t.Kind, &t.Status, &t.Amount, &t.Currency, &t.Detail, &cands, &t.Resolution, &t.CreatedAt, &t.ResolvedBy,
			&t.Request, &t.Statement, &e.BookingDate, &e.Amount, &e.Currency, &e.CreditDebit, &e.PartyName, &e.PartyIBAN, &e.Reference, &e.Remittance, &e.EndToEndID,
			&e.Outcome, &e.Reason, &entryID); err != nil {
			return nil, err
		}
		t.Candidates = []Candidate{}
		if cands != "" {
			json.Unmarshal([]byte(cands), &t.Candidates)
		}
		if entryID != 0 {
			t.Entry = &e
		}
		t.CreatedAt = t.CreatedAt.UTC()
		out = append(out, t)
	}
	return out, rows.Err()
}

// Resolution actions.
const (
	ActionBook    = "book"    // book the entry to a request
	ActionRefund  = "refund"  // the money was sent back
	ActionDismiss = "dismiss" // nothing to do (with a note)
)

// Resolve settles a worklist task (finance and admins). Book assigns the
// task's statement entry to the request given (the amount is booked as
// written; only entries in euros with at most two decimals); refund marks
// the task's open refund as done; dismiss needs a note.
func (s *Service) Resolve(ctx context.Context, p identity.Principal, tenantID int64, taskRef, action, requestRef, note string) error {
	if err := p.See(tenantID, financeRoles...); err != nil {
		return err
	}
	note = strings.TrimSpace(note)
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		var id, entryID, requestID int64
		var kind, status, amount, currency string
		err := tx.QueryRowContext(ctx, `SELECT id, COALESCE(entry_id, 0), COALESCE(request_id, 0), kind, status, amount, currency FROM finance_tasks
			WHERE tenant_id = $1 AND ref = $2`+s.DB.ForUpdate(), tenantID, taskRef).Scan(&id, &entryID, &requestID, &kind, &status, &amount, &currency)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("finance task %s: %w", taskRef, fault.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if status != "open" {
			return fmt.Errorf("finance task %s is resolved: %w", taskRef, fault.ErrConflict)
		}
		resolution := action
		switch action {
		case ActionBook:
			if entryID == 0 {
				return fault.Invalid("action", "nothing_to_book")
			}
			var eAmount, eCurrency, cd, key, booking string
			if err := tx.QueryRowContext(ctx, `SELECT amount, currency, credit_debit, entry_key, booking_date FROM statement_entries WHERE id = $1`, entryID).
				Scan(&eAmount, &eCurrency, &cd, &key, &booking); err != nil {
				return err
			}
			amt, err := decimal.NewFromString(eAmount)
			if err != nil || cd != "CRDT" || eCurrency != "EUR" || !amt.Equal(amt.Round(2)) {
				return fault.Invalid("action", "not_bookable")
			}
			r, err := requestBy(ctx, tx, s.DB.ForUpdate(), tenantID, "ref", strings.TrimSpace(requestRef))
			if err != nil {
				return fault.Invalid("request", "unknown_request")
			}
			if r.Status == StatusCancelled || r.Status == StatusPaid {
				return fault.Invalid("request", "request_not_open")
			}
			if _, booked, err := s.applyPayment(tx, r, incoming{source: "statement", externalID: key, amount: amt, receivedOn: booking, method: "bank_transfer",
				confidence: "manual", entryID: entryID, actor: p.Ref}); err != nil {
				return err
			} else if !booked {
				return fmt.Errorf("entry already booked: %w", fault.ErrConflict)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE statement_entries SET outcome = 'booked', request_id = $1, confidence = 'manual' WHERE id = $2`, r.ID, entryID); err != nil {
				return err
			}
			resolution = "booked to " + r.Ref
		case ActionRefund:
			res, err := tx.ExecContext(ctx, `UPDATE refunds SET status = 'done', done_at = $1 WHERE task_id = $2 AND status = 'open'`, tx.Now(), id)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 && entryID == 0 {
				return fault.Invalid("action", "nothing_to_refund")
			}
			resolution = "refunded"
		case ActionDismiss:
			if note == "" {
				return fault.Invalid("note", "required")
			}
		default:
			return fault.Invalid("action", "invalid_choice")
		}
		if note != "" {
			resolution += ": " + clipText(note, 300)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE finance_tasks SET status = 'resolved', resolution = $1, resolved_at = $2, resolved_by = $3 WHERE id = $4`,
			resolution, tx.Now(), p.Ref, id); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "payment.task.resolve", ObjectType: "finance_task", ObjectRef: taskRef,
			After: map[string]any{"kind": kind, "action": action, "resolution": resolution, "amount": amount, "currency": currency}})
	})
}
