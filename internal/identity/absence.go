package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/jobs"
	"github.com/rathaus/rathaus/internal/platform/ref"
)

// Absence and substitutes (Vertretung). Every staff account may name one
// substitute and has absence periods. Domains that hand work to people —
// cases, e-invoice approvals — ask SubstituteFor who acts for someone at a
// given instant, and react to AbsenceStartedJob (enqueued in the
// transaction that records the absence, due at its start) by moving that
// person's open work to the substitute, or back to the unit when there is
// none.
//
// Who may: admins and unit heads for anyone of the tenant; every staff
// member for themselves.

// AbsenceStartedJob is the job kind enqueued for each recorded absence, due
// when it starts; payload AbsenceStarted.
const AbsenceStartedJob = "identity.absence_started"

// AbsenceStarted is the payload of AbsenceStartedJob (public references only).
type AbsenceStarted struct {
	TenantID int64  `json:"tenant_id"`
	Account  string `json:"account"`
	Absence  string `json:"absence"`
}

// Absence is one period in which a staff member is away.
type Absence struct {
	Ref        string    `json:"id"`
	AccountRef string    `json:"account_id"`
	StartsAt   time.Time `json:"starts_at"`
	EndsAt     time.Time `json:"ends_at"`
	CreatedBy  string    `json:"created_by"`
}

// Member is a staff member as colleagues see them: enough to pick an
// assignee or a substitute and to see who is away.
type Member struct {
	ID            int64    `json:"-"`
	Ref           string   `json:"id"`
	Name          string   `json:"name"`
	Roles         []Role   `json:"roles"`
	Units         []string `json:"units"` // unit references
	SubstituteRef string   `json:"substitute_id"`
	AbsentNow     bool     `json:"absent_now"`
	// Absences are the current and coming periods (not the past ones).
	Absences []Absence `json:"absences"`
}

// maxSubstituteHops bounds the walk along substitutes of substitutes.
const maxSubstituteHops = 5

// staffID finds a live staff account of the tenant.
func staffID(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, tenantID int64, accountRef, field string) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM accounts WHERE ref = $1 AND tenant_id = $2 AND kind = 'staff' AND deleted_at IS NULL`, accountRef, tenantID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fault.Invalid(field, "unknown")
	}
	return id, err
}

// mayManageAbsence: admins and unit heads for anyone, staff for themselves.
func mayManageAbsence(p Principal, tenantID int64, accountRef string) error {
	if err := p.Require(tenantID, Roles...); err != nil {
		return err
	}
	if p.Has(RoleAdmin, RoleUnitHead) || (p.IsPerson() && p.Ref == accountRef) {
		return nil
	}
	return fmt.Errorf("absence of %s: %w", accountRef, fault.ErrForbidden)
}

// SetSubstitute names who acts for accountRef while they are absent
// (substituteRef "" removes the substitute).
func (s *Service) SetSubstitute(ctx context.Context, p Principal, tenantID int64, accountRef, substituteRef string) error {
	if err := mayManageAbsence(p, tenantID, accountRef); err != nil {
		return err
	}
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		return setSubstitute(tx, p, tenantID, accountRef, substituteRef)
	})
}

func setSubstitute(tx *database.Tx, p Principal, tenantID int64, accountRef, substituteRef string) error {
	ctx := tx.Context()
	id, err := staffID(ctx, tx, tenantID, accountRef, "account_id")
	if err != nil {
		return err
	}
	if substituteRef == "" {
		if _, err := tx.ExecContext(ctx, `DELETE FROM substitutes WHERE account_id = $1`, id); err != nil {
			return err
		}
	} else {
		if substituteRef == accountRef {
			return fault.Invalid("substitute_id", "substitute_self")
		}
		sid, err := staffID(ctx, tx, tenantID, substituteRef, "substitute_id")
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO substitutes (account_id, substitute_id, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (account_id) DO UPDATE SET substitute_id = excluded.substitute_id, updated_at = excluded.updated_at`, id, sid, tx.Now()); err != nil {
			return err
		}
	}
	return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "account.substitute.set", ObjectType: "account", ObjectRef: accountRef,
		After: map[string]string{"substitute": substituteRef}})
}

// SetAbsence records that accountRef is away from from to until (instants;
// until after from, at most a year). A non-empty substituteRef also names
// the substitute. In the same transaction it enqueues AbsenceStartedJob,
// due at from, so the domains move the person's open work when the absence
// begins (at once when it already has).
func (s *Service) SetAbsence(ctx context.Context, p Principal, tenantID int64, accountRef string, from, until time.Time, substituteRef string) (*Absence, error) {
	if err := mayManageAbsence(p, tenantID, accountRef); err != nil {
		return nil, err
	}
	v := &fault.Validation{}
	if from.IsZero() {
		v.Add("starts_at", "required")
	}
	if until.IsZero() {
		v.Add("ends_at", "required")
	} else if !from.IsZero() && !until.After(from) {
		v.Add("ends_at", "ends_before_start")
	} else if until.Sub(from) > 366*24*time.Hour {
		v.Add("ends_at", "absence_too_long")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	a := &Absence{Ref: ref.New("V"), AccountRef: accountRef, StartsAt: from.UTC().Truncate(time.Microsecond), EndsAt: until.UTC().Truncate(time.Microsecond), CreatedBy: p.Ref}
	err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		id, err := staffID(ctx, tx, tenantID, accountRef, "account_id")
		if err != nil {
			return err
		}
		if !a.EndsAt.After(tx.Now()) {
			return fault.Invalid("ends_at", "date_in_past")
		}
		if substituteRef != "" {
			if err := setSubstitute(tx, p, tenantID, accountRef, substituteRef); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO absences (tenant_id, ref, account_id, starts_at, ends_at, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			tenantID, a.Ref, id, a.StartsAt, a.EndsAt, tx.Now(), p.Ref); err != nil {
			return err
		}
		runAt := a.StartsAt
		if runAt.Before(tx.Now()) {
			runAt = tx.Now()
		}
		if err := jobs.Enqueue(tx, AbsenceStartedJob, AbsenceStarted{TenantID: tenantID, Account: accountRef, Absence: a.Ref},
			jobs.Options{Key: a.Ref, RunAt: runAt, TenantID: tenantID}); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "account.absence.set", ObjectType: "account", ObjectRef: accountRef, After: a})
	})
	if err != nil {
		return nil, fmt.Errorf("set absence of %s: %w", accountRef, err)
	}
	return a, nil
}

// CancelAbsence ends an absence early (or drops a coming one).
func (s *Service) CancelAbsence(ctx context.Context, p Principal, tenantID int64, absenceRef string) error {
	if err := p.See(tenantID, Roles...); err != nil {
		return err
	}
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		var accountRef string
		err := tx.QueryRowContext(ctx, `SELECT a.ref FROM absences b JOIN accounts a ON a.id = b.account_id WHERE b.ref = $1 AND b.tenant_id = $2 AND b.cancelled_at IS NULL`,
			absenceRef, tenantID).Scan(&accountRef)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("absence %s: %w", absenceRef, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if err := mayManageAbsence(p, tenantID, accountRef); err != nil {
			return fmt.Errorf("absence %s: %w", absenceRef, ErrNotFound)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE absences SET cancelled_at = $1 WHERE ref = $2`, tx.Now(), absenceRef); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "account.absence.cancel", ObjectType: "account", ObjectRef: accountRef,
			After: map[string]string{"absence": absenceRef}})
	})
}

// IsAbsent reports whether the staff account is away at the instant.
func (s *Service) IsAbsent(ctx context.Context, tenantID, accountID int64, at time.Time) (bool, error) {
	var n int
	err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM absences WHERE tenant_id = $1 AND account_id = $2 AND cancelled_at IS NULL AND starts_at <= $3 AND ends_at > $3`,
		tenantID, accountID, at.UTC()).Scan(&n)
	return n > 0, err
}

// SubstituteFor returns the staff account that acts for accountID at the
// instant: accountID itself when present; else its named substitute, or
// that one's substitute when the substitute is away too (a few hops, never
// in a circle); 0 when nobody present is named — the work then goes back to
// the unit. It is a system read for domains (cases, e-invoice approvals),
// scoped by tenant.
func (s *Service) SubstituteFor(ctx context.Context, tenantID, accountID int64, at time.Time) (int64, error) {
	seen := []int64{}
	cur := accountID
	for hop := 0; hop <= maxSubstituteHops; hop++ {
		absent, err := s.IsAbsent(ctx, tenantID, cur, at)
		if err != nil {
			return 0, fmt.Errorf("substitute for %d: %w", accountID, err)
		}
		if !absent {
			var ok int
			err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts WHERE id = $1 AND tenant_id = $2 AND kind = 'staff' AND deleted_at IS NULL`, cur, tenantID).Scan(&ok)
			if err != nil {
				return 0, err
			}
			if ok == 0 {
				return 0, nil
			}
			return cur, nil
		}
		seen = append(seen, cur)
		var next int64
		err = s.DB.R.QueryRowContext(ctx, `SELECT s.substitute_id FROM substitutes s JOIN accounts a ON a.id = s.account_id WHERE s.account_id = $1 AND a.tenant_id = $2`, cur, tenantID).Scan(&next)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, nil
		}
		if err != nil {
			return 0, err
		}
		if slices.Contains(seen, next) {
			return 0, nil
		}
		cur = next
	}
	return 0, nil
}

// Members lists the tenant's staff for colleagues (any staff role): names,
// roles, units, substitutes and current or coming absences. It is what a
// unit head needs to reassign work and what a form needs to offer a choice
// of people; it carries no contact data.
func (s *Service) Members(ctx context.Context, p Principal, tenantID int64) ([]Member, error) {
	if err := p.Require(tenantID, Roles...); err != nil {
		return nil, err
	}
	now := s.DB.Clock.Now().UTC()
	rows, err := s.DB.R.QueryContext(ctx, `SELECT a.id, a.ref, a.name, COALESCE(sa.ref, '') FROM accounts a
		LEFT JOIN substitutes s ON s.account_id = a.id LEFT JOIN accounts sa ON sa.id = s.substitute_id
		WHERE a.tenant_id = $1 AND a.kind = 'staff' AND a.deleted_at IS NULL ORDER BY a.name, a.ref`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("members: %w", err)
	}
	out := []Member{}
	byID := map[int64]int{}
	for rows.Next() {
		var m Member
		if err := rows.Scan(&m.ID, &m.Ref, &m.Name, &m.SubstituteRef); err != nil {
			rows.Close()
			return nil, err
		}
		m.Roles, m.Units, m.Absences = []Role{}, []string{}, []Absence{}
		byID[m.ID] = len(out)
		out = append(out, m)
	}
	rows.Close()
	q := func(query string, scan func(rows *sql.Rows) error, args ...any) error {
		rows, err := s.DB.R.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	err = q(`SELECT r.account_id, r.role FROM account_roles r JOIN accounts a ON a.id = r.account_id WHERE a.tenant_id = $1 ORDER BY r.role`, func(rows *sql.Rows) error {
		var id int64
		var role string
		if err := rows.Scan(&id, &role); err != nil {
			return err
		}
		if i, ok := byID[id]; ok {
			out[i].Roles = append(out[i].Roles, Role(role))
		}
		return nil
	}, tenantID)
	if err == nil {
		err = q(`SELECT m.account_id, u.ref FROM unit_members m JOIN units u ON u.id = m.unit_id WHERE u.tenant_id = $1 ORDER BY u.name`, func(rows *sql.Rows) error {
			var id int64
			var unit string
			if err := rows.Scan(&id, &unit); err != nil {
				return err
			}
			if i, ok := byID[id]; ok {
				out[i].Units = append(out[i].Units, unit)
			}
			return nil
		}, tenantID)
	}
	if err == nil {
		err = q(`SELECT b.account_id, b.ref, a.ref, b.starts_at, b.ends_at, b.created_by FROM absences b JOIN accounts a ON a.id = b.account_id
			WHERE b.tenant_id = $1 AND b.cancelled_at IS NULL AND b.ends_at > $2 ORDER BY b.starts_at`, func(rows *sql.Rows) error {
			var id int64
			var ab Absence
			if err := rows.Scan(&id, &ab.Ref, &ab.AccountRef, &ab.StartsAt, &ab.EndsAt, &ab.CreatedBy); err != nil {
				return err
			}
			if i, ok := byID[id]; ok {
				out[i].Absences = append(out[i].Absences, ab)
				if !ab.StartsAt.After(now) {
					out[i].AbsentNow = true
				}
			}
			return nil
		}, tenantID, now)
	}
	if err != nil {
		return nil, fmt.Errorf("members: %w", err)
	}
	return out, nil
}

// MemberByRef returns one staff member (see Members).
func (s *Service) MemberByRef(ctx context.Context, p Principal, tenantID int64, accountRef string) (*Member, error) {
	ms, err := s.Members(ctx, p, tenantID)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		if m.Ref == accountRef {
			return &m, nil
		}
	}
	return nil, fmt.Errorf("staff %s: %w", accountRef, ErrNotFound)
}

// Contact is a system read for domains that notify an account (the
// mailbox): its e-mail address, name and kind. Mails built from it carry
// only a link, never the name or case details.
func (s *Service) Contact(ctx context.Context, tenantID, accountID int64) (email, name, kind string, err error) {
	err = s.DB.R.QueryRowContext(ctx, `SELECT email, name, kind FROM accounts WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL`, accountID, tenantID).Scan(&email, &name, &kind)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", "", fmt.Errorf("account %d: %w", accountID, ErrNotFound)
	}
	return email, name, kind, err
}
