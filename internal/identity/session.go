package identity

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
)

// TrustLevel is the eID assurance of a login (Vertrauensniveau).
type TrustLevel string

const (
	TrustNone        TrustLevel = "none" // password login without eID
	TrustLow         TrustLevel = "low"
	TrustSubstantial TrustLevel = "substantial"
	TrustHigh        TrustLevel = "high"
)

// Session timeouts: idle sessions end after IdleTimeout, every session after
// MaxSessionAge.
const (
	IdleTimeout   = 30 * time.Minute
	MaxSessionAge = 12 * time.Hour
)

// Session is a logged-in browser.
type Session struct {
	ID         int64
	TenantID   int64
	AccountID  int64
	AccountRef string
	Kind       string
	Name       string
	Trust      TrustLevel
	Provider   string
	Roles      []Role
	CreatedAt  time.Time
	// TOTPSetup is the TOTP secret a staff member must confirm with a code
	// before the session counts (first sign-in outside the demo); such a
	// session may only set up TOTP (SessionByToken refuses it).
	TOTPSetup string
	// DeviceToken is the browser's device cookie value, set by Login only.
	DeviceToken string
}

// ErrTOTPSetupPending: the session must set up TOTP first.
var ErrTOTPSetupPending = fmt.Errorf("one-time code to be set up first: %w", fault.ErrUnauthorized)

// Principal returns who the session acts as.
func (s *Session) Principal() Principal {
	return Principal{TenantID: s.TenantID, AccountID: s.AccountID, Ref: s.AccountRef, Kind: s.Kind, Roles: s.Roles}
}

func newSecret() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// startSession creates a session in tx and returns the cookie value.
// A non-empty totpSetup makes a session that may only set up TOTP.
func startSession(tx *database.Tx, tenantID, accountID int64, trust TrustLevel, provider, totpSetup string) (string, error) {
	secret := newSecret()
	_, err := tx.ExecContext(tx.Context(), `INSERT INTO sessions (token_hash, tenant_id, account_id, trust_level, provider, created_at, last_seen_at, expires_at, totp_setup)
		VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8)`, hashSecret(secret), tenantID, accountID, string(trust), provider, tx.Now(), tx.Now().Add(MaxSessionAge), totpSetup)
	if err != nil {
		return "", fmt.Errorf("start session: %w", err)
	}
	return secret, nil
}

// SessionByToken returns the live session of the cookie value within the
// tenant. A cookie of another tenant, an expired or idle session all give
// ErrUnauthorized; a session that must set up TOTP first gives
// ErrTOTPSetupPending. Activity is recorded at most once a minute.
func (s *Service) SessionByToken(ctx context.Context, tenantID int64, token string) (*Session, error) {
	return s.sessionByToken(ctx, tenantID, token, false)
}

func (s *Service) sessionByToken(ctx context.Context, tenantID int64, token string, allowPending bool) (*Session, error) {
	if token == "" || len(token) > 100 {
		return nil, fault.ErrUnauthorized
	}
	var sess Session
	var lastSeen, expires time.Time
	var trust string
	err := s.DB.R.QueryRowContext(ctx, `SELECT s.id, s.tenant_id, s.account_id, a.ref, a.kind, a.name, s.trust_level, s.provider, s.created_at, s.last_seen_at, s.expires_at, s.totp_setup
		FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = $1 AND a.deleted_at IS NULL`, hashSecret(token)).
		Scan(&sess.ID, &sess.TenantID, &sess.AccountID, &sess.AccountRef, &sess.Kind, &sess.Name, &trust, &sess.Provider, &sess.CreatedAt, &lastSeen, &expires, &sess.TOTPSetup)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fault.ErrUnauthorized
	}
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	if sess.TenantID != tenantID {
		// A live cookie of another municipality: refused, and recorded in
		// the trail of the municipality it was presented to.
		err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
			return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: "anonymous", Action: "session.foreign_tenant", ObjectType: "session", ObjectRef: ""})
		})
		if err != nil {
			return nil, fmt.Errorf("session of another tenant: %w", err)
		}
		return nil, fault.ErrUnauthorized
	}
	now := s.DB.Clock.Now()
	if now.After(expires) || now.Sub(lastSeen) > IdleTimeout {
		err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
			_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = $1`, sess.ID)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("end expired session: %w", err)
		}
		return nil, fault.ErrUnauthorized
	}
	if sess.TOTPSetup != "" && !allowPending {
		return nil, ErrTOTPSetupPending
	}
	sess.Trust = TrustLevel(trust)
	if sess.Roles, err = s.roles(ctx, sess.AccountID); err != nil {
		return nil, err
	}
	if now.Sub(lastSeen) > time.Minute {
		err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE id = $2`, tx.Now(), sess.ID)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("session activity: %w", err)
		}
	}
	return &sess, nil
}

func (s *Service) roles(ctx context.Context, accountID int64) ([]Role, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT role FROM account_roles WHERE account_id = $1 ORDER BY role`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Role{}
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, fmt.Errorf("roles: %w", err)
		}
		out = append(out, Role(r))
	}
	return out, rows.Err()
}

// Logout ends one session.
func (s *Service) Logout(ctx context.Context, token string) error {
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, hashSecret(token))
		return err
	})
}

// LogoutEverywhere ends every session of the account (own account only).
func (s *Service) LogoutEverywhere(ctx context.Context, sess *Session) (int64, error) {
	var n int64
	err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE account_id = $1 AND tenant_id = $2`, sess.AccountID, sess.TenantID)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
