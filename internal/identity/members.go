package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Person is what other domains may know of an account that acted or may
// act in their workflows (an approver, a submitter): never its password or
// profile.
type Person struct {
	AccountID int64
	Ref       string
	Kind      string // staff, citizen, business
	Name      string
	Email     string
	Roles     []Role
}

// PersonByID returns an account of the tenant for a workflow (system read:
// the calling use case has checked its own principal). Deleted accounts
// and accounts of other tenants are not found.
func (s *Service) PersonByID(ctx context.Context, tenantID, accountID int64) (*Person, error) {
	p := &Person{AccountID: accountID}
	err := s.DB.R.QueryRowContext(ctx, `SELECT ref, kind, name, email FROM accounts WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL`,
		accountID, tenantID).Scan(&p.Ref, &p.Kind, &p.Name, &p.Email)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("account %d: %w", accountID, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	if p.Roles, err = s.roles(ctx, accountID); err != nil {
		return nil, err
	}
	return p, nil
}

// UnitMemberIDs lists the account ids of a unit's members (system read).
// An unknown unit of the tenant has none.
func (s *Service) UnitMemberIDs(ctx context.Context, tenantID int64, unitRef string) ([]int64, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT m.account_id FROM unit_members m JOIN units u ON u.id = m.unit_id
		JOIN accounts a ON a.id = m.account_id WHERE u.tenant_id = $1 AND u.ref = $2 AND a.deleted_at IS NULL ORDER BY m.account_id`, tenantID, unitRef)
	if err != nil {
		return nil, fmt.Errorf("unit members: %w", err)
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// UnitRefsOf lists the references of the units an account belongs to
// (system read).
func (s *Service) UnitRefsOf(ctx context.Context, tenantID, accountID int64) ([]string, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT u.ref FROM unit_members m JOIN units u ON u.id = m.unit_id WHERE u.tenant_id = $1 AND m.account_id = $2 ORDER BY u.ref`, tenantID, accountID)
	if err != nil {
		return nil, fmt.Errorf("units of account: %w", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// UnitNames maps every unit reference of the tenant to its name (system
// read, for lists that show where something is).
func (s *Service) UnitNames(ctx context.Context, tenantID int64) (map[string]string, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT ref, name FROM units WHERE tenant_id = $1`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("unit names: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var r, n string
		if err := rows.Scan(&r, &n); err != nil {
			return nil, err
		}
		out[r] = n
	}
	return out, rows.Err()
}
