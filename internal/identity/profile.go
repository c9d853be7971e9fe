package identity

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

// ProfileOf returns the profile of the live account accountID of the
// tenant, for prefilling a form. It is a system read: the calling use case
// has checked that the principal is this person and that the person
// consented to this use (forms records the consent per service and field).
func (s *Service) ProfileOf(ctx context.Context, tenantID, accountID int64) (Profile, error) {
	var raw string
	var p Profile
	err := s.DB.R.QueryRowContext(ctx, `SELECT profile FROM accounts WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL`, accountID, tenantID).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("account %d: %w", accountID, ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("account %d: %w", accountID, err)
	}
	if raw != "" {
		if err := json.Unmarshal([]byte(raw), &p); err != nil {
			return p, fmt.Errorf("account %d: profile: %w", accountID, err)
		}
	}
	return p, nil
}
