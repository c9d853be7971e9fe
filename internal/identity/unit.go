package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/ref"
)

// Unit is an organisational unit (Amt, Sachgebiet); units form a tree per
// tenant.
type Unit struct {
	Ref       string   `json:"id"`
	Name      string   `json:"name"`
	ParentRef string   `json:"parent_id"` // "" for a top unit
	Members   []string `json:"members"`   // account references
	id        int64
}

// See is Require for object routes: a principal that may not see the
// object gets ErrNotFound, so existence is not revealed.
func (p Principal) See(tenantID int64, roles ...Role) error {
	if err := p.Require(tenantID, roles...); err != nil {
		return fmt.Errorf("%v: %w", err, fault.ErrNotFound)
	}
	return nil
}

// CreateUnit adds a unit under parentRef ("" for a top unit). Admins only.
func (s *Service) CreateUnit(ctx context.Context, p Principal, tenantID int64, name, parentRef string) (*Unit, error) {
	if err := p.Require(tenantID, RoleAdmin); err != nil {
		return nil, err
	}
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return nil, fault.Invalid("name", "required")
	case len(name) > 200:
		return nil, fault.Invalid("name", "too_long", "max", 200)
	}
	u := &Unit{Ref: ref.New("E"), Name: name, ParentRef: parentRef, Members: []string{}}
	err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		var parent sql.NullInt64
		if parentRef != "" {
			var id int64
			err := tx.QueryRowContext(ctx, `SELECT id FROM units WHERE ref = $1 AND tenant_id = $2`, parentRef, tenantID).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				return fault.Invalid("parent_id", "unknown")
			}
			if err != nil {
				return err
			}
			parent = sql.NullInt64{Int64: id, Valid: true}
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO units (tenant_id, ref, parent_id, name, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			tenantID, u.Ref, parent, name, tx.Now()).Scan(&u.id)
		if database.IsUniqueViolation(err) {
			return fault.Invalid("name", "duplicate")
		}
		if err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "unit.create", ObjectType: "unit", ObjectRef: u.Ref, After: u})
	})
	if err != nil {
		return nil, fmt.Errorf("create unit: %w", err)
	}
	return u, nil
}

// Units lists the tenant's units with their members (staff only).
func (s *Service) Units(ctx context.Context, p Principal, tenantID int64) ([]Unit, error) {
	if err := p.Require(tenantID, Roles...); err != nil {
		return nil, err
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT u.id, u.ref, u.name, COALESCE(pu.ref, '') FROM units u LEFT JOIN units pu ON pu.id = u.parent_id WHERE u.tenant_id = $1 ORDER BY u.name`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("list units: %w", err)
	}
	out := []Unit{}
	byID := map[int64]int{}
	for rows.Next() {
		var u Unit
		if err := rows.Scan(&u.id, &u.Ref, &u.Name, &u.ParentRef); err != nil {
			rows.Close()
			return nil, err
		}
		u.Members = []string{}
		byID[u.id] = len(out)
		out = append(out, u)
	}
	rows.Close()
	mrows, err := s.DB.R.QueryContext(ctx, `SELECT m.unit_id, a.ref FROM unit_members m JOIN accounts a ON a.id = m.account_id JOIN units u ON u.id = m.unit_id WHERE u.tenant_id = $1 ORDER BY a.ref`, tenantID)
	if err != nil {
		return nil, err
	}
	defer mrows.Close()
	for mrows.Next() {
		var uid int64
		var a string
		if err := mrows.Scan(&uid, &a); err != nil {
			return nil, fmt.Errorf("list unit members: %w", err)
		}
		if i, ok := byID[uid]; ok {
			out[i].Members = append(out[i].Members, a)
		}
	}
	return out, mrows.Err()
}

// Unit returns one unit of the tenant (staff only; others get not found).
func (s *Service) Unit(ctx context.Context, p Principal, tenantID int64, unitRef string) (*Unit, error) {
	if err := p.See(tenantID, Roles...); err != nil {
		return nil, err
	}
	units, err := s.Units(ctx, p, tenantID)
	if err != nil {
		return nil, err
	}
	for _, u := range units {
		if u.Ref == unitRef {
			return &u, nil
		}
	}
	return nil, fmt.Errorf("unit %s: %w", unitRef, ErrNotFound)
}

// AddMember puts a staff account into a unit (admins only).
func (s *Service) AddMember(ctx context.Context, p Principal, tenantID int64, unitRef, accountRef string) error {
	if err := p.See(tenantID, RoleAdmin); err != nil {
		return err
	}
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		var unitID, accountID int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM units WHERE ref = $1 AND tenant_id = $2`, unitRef, tenantID).Scan(&unitID); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("unit %s: %w", unitRef, ErrNotFound)
			}
			return err
		}
		err := tx.QueryRowContext(ctx, `SELECT id FROM accounts WHERE ref = $1 AND tenant_id = $2 AND kind = 'staff' AND deleted_at IS NULL`, accountRef, tenantID).Scan(&accountID)
		if errors.Is(err, sql.ErrNoRows) {
			return fault.Invalid("account_id", "unknown")
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO unit_members (unit_id, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, unitID, accountID); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "unit.member.add", ObjectType: "unit", ObjectRef: unitRef, After: map[string]string{"account": accountRef}})
	})
}

// Staff lists the tenant's staff accounts with roles (admins only).
func (s *Service) Staff(ctx context.Context, p Principal, tenantID int64) ([]Account, error) {
	if err := p.Require(tenantID, RoleAdmin); err != nil {
		return nil, err
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, ref, kind, email, name FROM accounts WHERE tenant_id = $1 AND kind = 'staff' AND deleted_at IS NULL ORDER BY name`, tenantID)
	if err != nil {
		return nil, err
	}
	var ids []int64
	out := []Account{}
	for rows.Next() {
		var id int64
		var a Account
		if err := rows.Scan(&id, &a.Ref, &a.Kind, &a.Email, &a.Name); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
		out = append(out, a)
	}
	rows.Close()
	for i, id := range ids {
		if out[i].Roles, err = s.roles(ctx, id); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SetRoles replaces a staff account's roles (admins only; an admin cannot
// remove their own admin role, so a tenant never loses its last way in).
func (s *Service) SetRoles(ctx context.Context, p Principal, tenantID int64, accountRef string, roles []Role) error {
	if err := p.See(tenantID, RoleAdmin); err != nil {
		return err
	}
	for _, r := range roles {
		if !ValidRole(r) {
			return fault.Invalid("roles", "invalid_choice")
		}
	}
	if accountRef == p.Ref {
		keeps := false
		for _, r := range roles {
			keeps = keeps || r == RoleAdmin
		}
		if !keeps {
			return fault.Invalid("roles", "own_admin_role")
		}
	}
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM accounts WHERE ref = $1 AND tenant_id = $2 AND kind = 'staff' AND deleted_at IS NULL`, accountRef, tenantID).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("staff %s: %w", accountRef, ErrNotFound)
		}
		if err != nil {
			return err
		}
		before, err := s.roles(ctx, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM account_roles WHERE account_id = $1`, id); err != nil {
			return err
		}
		for _, r := range roles {
			if _, err := tx.ExecContext(ctx, `INSERT INTO account_roles (account_id, role) VALUES ($1, $2) ON CONFLICT DO NOTHING`, id, string(r)); err != nil {
				return err
			}
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "account.roles.set", ObjectType: "account", ObjectRef: accountRef, Before: before, After: roles})
	})
}
