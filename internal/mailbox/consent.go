package mailbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
)

// Consent is the recorded choice of electronic delivery: a formal
// decision reaches the mailbox only while it is given; otherwise it is
// printed and posted.
type Consent struct {
	Consented bool       `json:"consented"`
	Since     *time.Time `json:"since"`
	Source    string     `json:"source"`
}

func consented(tx *database.Tx, tenantID, accountID int64) (bool, error) {
	var ok bool
	err := tx.QueryRowContext(tx.Context(), `SELECT consented FROM delivery_consents WHERE tenant_id = $1 AND account_id = $2 ORDER BY id DESC LIMIT 1`, tenantID, accountID).Scan(&ok)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return ok, err
}

// ConsentOf returns the owner's current choice.
func (s *Service) ConsentOf(ctx context.Context, p identity.Principal, tenantID int64) (Consent, error) {
	if err := owner(p, tenantID); err != nil {
		return Consent{}, err
	}
	return s.consentOf(ctx, tenantID, p.AccountID)
}

func (s *Service) consentOf(ctx context.Context, tenantID, accountID int64) (Consent, error) {
	var c Consent
	var at time.Time
	err := s.DB.R.QueryRowContext(ctx, `SELECT consented, at, source FROM delivery_consents WHERE tenant_id = $1 AND account_id = $2 ORDER BY id DESC LIMIT 1`, tenantID, accountID).Scan(&c.Consented, &at, &c.Source)
	if errors.Is(err, sql.ErrNoRows) {
		return Consent{}, nil
	}
	if err != nil {
		return c, err
	}
	c.Since = &at
	return c, nil
}

// ConsentFor is a system read of an account's choice (staff views, tests).
func (s *Service) ConsentFor(ctx context.Context, tenantID, accountID int64) (Consent, error) {
	return s.consentOf(ctx, tenantID, accountID)
}

// SetConsent records the owner's choice (a new row; the history stays)
// and audits it. source names where it was given ("account_page", "api").
func (s *Service) SetConsent(ctx context.Context, p identity.Principal, tenantID int64, consent bool, source string) error {
	if err := owner(p, tenantID); err != nil {
		return err
	}
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		return RecordConsent(tx, tenantID, p.AccountID, p.Ref, consent, source)
	})
}

// RecordConsent writes a consent row in the caller's transaction (the demo
// seeds one through it).
func RecordConsent(tx *database.Tx, tenantID, accountID int64, actor string, consent bool, source string) error {
	if source == "" {
		return fault.Invalid("source", "required")
	}
	if _, err := tx.ExecContext(tx.Context(), `INSERT INTO delivery_consents (tenant_id, account_id, consented, at, source) VALUES ($1, $2, $3, $4, $5)`,
		tenantID, accountID, consent, tx.Now(), source); err != nil {
		return fmt.Errorf("record consent: %w", err)
	}
	action := "mailbox.consent.given"
	if !consent {
		action = "mailbox.consent.withdrawn"
	}
	return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: actor, Action: action, ObjectType: "account", ObjectRef: actor, After: map[string]string{"source": source}})
}

// At is when the choice in force was made (zero when none was).
func (c Consent) At() time.Time {
	if c.Since == nil {
		return time.Time{}
	}
	return *c.Since
}
