package identity

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

// Person is the account behind a principal, as other domains need it to
// act for that person: the name for a receipt, the kind to check who may
// apply, the profile for prefilling (which the caller may use only with
// the person's recorded consent, see forms).
type Person struct {
	ID      int64
	Ref     string
	Kind    string // citizen, business, staff
	Name    string
	Email   string
	Profile Profile
}

// Person returns the live account accountID of the tenant. It is a system
// read for use cases that already checked that the principal is this
// person (p.AccountID); it is not audited as a staff read of personal data.
func (s *Service) Person(ctx context.Context, tenantID, accountID int64) (*Person, error) {
	var p Person
	var profile string
	err := s.DB.R.QueryRowContext(ctx, `SELECT id, ref, kind, name, email, profile FROM accounts WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL`, accountID, tenantID).
		Scan(&p.ID, &p.Ref, &p.Kind, &p.Name, &p.Email, &profile)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("account %d: %w", accountID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("account %d: %w", accountID, err)
	}
	if profile != "" {
		if err := json.Unmarshal([]byte(profile), &p.Profile); err != nil {
			return nil, fmt.Errorf("account %d: profile: %w", accountID, err)
		}
	}
	return &p, nil
}
