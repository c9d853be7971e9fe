package inbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/blob"
	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/ratelimit"
)

// Service holds the use cases of the inbox. Every use case checks tenant
// and role itself (identity.Principal), so the API, the pages, the CLI and
// the mail job share the same rules.
type Service struct {
	DB       *database.DB
	Blobs    blob.Store
	Identity *identity.Service
	Limits   *ratelimit.Limiter
	Log      *slog.Logger
	// Substitute returns the account acting for accountID at the instant:
	// accountID itself when present, its substitute when absent, 0 when
	// nobody present is named (identity.Service.SubstituteFor); nil: nobody
	// is ever absent.
	Substitute func(ctx context.Context, tenantID, accountID int64, at time.Time) (int64, error)
	// Debits registers a payment run's expected debits with the payments
	// module in the run's transaction; nil: not registered (the bank
	// statement then cannot be matched automatically).
	Debits func(tx *database.Tx, tenantID int64, run string, debits []Debit) error
}

// Debit is one transfer of a payment run as the bank statement will show it.
type Debit struct {
	EndToEndID    string `json:"end_to_end_id"`
	Amount        string `json:"amount"`
	Currency      string `json:"currency"`
	Creditor      string `json:"creditor"`
	ExecutionDate string `json:"execution_date"`
}

// Problem is a refusal with a stable code ("same_person", "wrong_order",
// ...): Kind is the fault kind that sets the status, Code names the reason
// (message key "einvoice.problem.CODE").
type Problem struct {
	Kind error
	Code string
}

func (p *Problem) Error() string { return "einvoice: " + p.Code + ": " + p.Kind.Error() }
func (p *Problem) Unwrap() error { return p.Kind }

func refuse(kind error, code string) *Problem { return &Problem{Kind: kind, Code: code} }

// ProblemCode returns the code of a *Problem in err's chain, or "".
func ProblemCode(err error) string {
	var p *Problem
	if errors.As(err, &p) {
		return p.Code
	}
	return ""
}

// Duplicate is the answer to an invoice already received: same supplier,
// number and amount (409). Existing is empty for a business account that
// did not send the earlier invoice itself.
type Duplicate struct{ Existing string }

func (d *Duplicate) Error() string {
	if d.Existing == "" {
		return "invoice already received"
	}
	return "invoice already received as " + d.Existing
}

func (d *Duplicate) Unwrap() error { return fault.ErrConflict }

// Roles that see every invoice of the tenant.
var readAll = []identity.Role{identity.RoleFinance, identity.RoleAdmin, identity.RoleRecordsOfficer}

// berlin is the civil time zone of due dates and deadlines.
var berlin = calendar.Berlin

func today(t time.Time) calendar.Date { return calendar.DateOf(t, berlin) }

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// retainUntil is the end of the retention of records closed (or received)
// at t: ten full years after the end of that calendar year (§ 147 AO,
// § 257 HGB).
func retainUntil(t time.Time) string {
	y := today(t).Year
	return fmt.Sprintf("%04d-12-31", y+10)
}

// auditRefusal records a refused request in its own transaction: the
// refusal itself stored nothing else.
func (s *Service) auditRefusal(ctx context.Context, tenantID int64, actor, action, objectRef string, after any) {
	if actor == "" {
		actor = "anonymous"
	}
	err := database.WithTx(context.WithoutCancel(ctx), s.DB, func(tx *database.Tx) error {
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: actor, Action: action, ObjectType: "einvoice", ObjectRef: objectRef, After: after})
	})
	if err != nil && s.Log != nil {
		s.Log.Error("audit refusal", "err", err, "action", action)
	}
}

// mayRead reports whether p sees inv: finance, admins and records officers
// see every invoice; other staff those routed to a unit they belong to or
// stand in for; a business account the invoices it sent.
func (s *Service) mayRead(ctx context.Context, p identity.Principal, inv *Invoice) (bool, error) {
	if p.Has(readAll...) {
		return true, nil
	}
	if p.Kind == "business" {
		return p.AccountID != 0 && inv.submitterAccount == p.AccountID, nil
	}
	if !p.IsPerson() || len(p.Roles) == 0 || inv.Unit == "" {
		return false, nil
	}
	_, ok, err := s.unitStaff(ctx, p, inv)
	return ok, err
}

// unitStaff reports whether p is a member of the invoice's unit or the
// substitute of an absent member, and for whom it stands in.
func (s *Service) unitStaff(ctx context.Context, p identity.Principal, inv *Invoice) (onBehalfOf int64, ok bool, err error) {
	if !p.IsPerson() || inv.Unit == "" {
		return 0, false, nil
	}
	members, err := s.Identity.UnitMemberIDs(ctx, inv.tenantID, inv.Unit)
	if err != nil {
		return 0, false, err
	}
	if slices.Contains(members, p.AccountID) {
		return 0, true, nil
	}
	if s.Substitute == nil {
		return 0, false, nil
	}
	now := s.DB.Clock.Now()
	for _, m := range members {
		sub, err := s.Substitute(ctx, inv.tenantID, m, now)
		if err != nil {
			return 0, false, err
		}
		if sub != 0 && sub != m && sub == p.AccountID {
			return m, true, nil
		}
	}
	return 0, false, nil
}

// Get returns one invoice with its steps and document, for those who may
// see it (others: not found).
func (s *Service) Get(ctx context.Context, p identity.Principal, tenantID int64, ref string) (*Invoice, error) {
	if err := p.Require(tenantID); err != nil {
		return nil, err
	}
	inv, err := s.load(ctx, s.DB.R, tenantID, ref)
	if err != nil {
		return nil, err
	}
	ok, err := s.mayRead(ctx, p, inv)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("invoice %s: %w", ref, fault.ErrNotFound)
	}
	return inv, nil
}

// Original returns the file as received, for those who may see the invoice.
func (s *Service) Original(ctx context.Context, p identity.Principal, tenantID int64, ref string) (*Invoice, []byte, error) {
	inv, err := s.Get(ctx, p, tenantID, ref)
	if err != nil {
		return nil, nil, err
	}
	data, err := s.readBlob(ctx, inv.Hash)
	return inv, data, err
}

func (s *Service) readBlob(ctx context.Context, key string) ([]byte, error) {
	f, err := s.Blobs.Open(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("open original %s: %w", key, err)
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, 64<<20))
}
