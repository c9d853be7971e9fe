package identity

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
)

// Passkeys are optional: an account may register one or more and then log
// in without a password. Ceremony state is kept in the database for
// PasskeyCeremonyTTL; the browser only holds an opaque handle.
const PasskeyCeremonyTTL = 5 * time.Minute

// ErrPasskey is a refused passkey registration or login.
var ErrPasskey = fmt.Errorf("passkey refused: %w", fault.ErrUnauthorized)

// RelyingParty is where the ceremony happens: the host name (RP ID) and
// the page origin, both taken from the tenant's request.
type RelyingParty struct {
	ID     string // host name without port, e.g. musterstadt.de
	Origin string // scheme://host[:port]
	Name   string // the tenant's name
}

func (rp RelyingParty) webauthn() (*webauthn.WebAuthn, error) {
	return webauthn.New(&webauthn.Config{RPID: rp.ID, RPDisplayName: rp.Name, RPOrigins: []string{rp.Origin}})
}

// passkeyUser adapts an account to the library's user.
type passkeyUser struct {
	id    int64
	ref   string
	name  string
	creds []webauthn.Credential
}

func (u *passkeyUser) WebAuthnID() []byte                         { return []byte(u.ref) }
func (u *passkeyUser) WebAuthnName() string                       { return u.ref }
func (u *passkeyUser) WebAuthnDisplayName() string                { return u.name }
func (u *passkeyUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func (s *Service) passkeyUser(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, tenantID int64, where string, arg any) (*passkeyUser, error) {
	u := &passkeyUser{}
	err := q.QueryRowContext(ctx, `SELECT id, ref, name FROM accounts WHERE tenant_id = $1 AND deleted_at IS NULL AND `+where+` = $2`, tenantID, arg).Scan(&u.id, &u.ref, &u.name)
	if err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT credential FROM passkeys WHERE account_id = $1 ORDER BY id`, u.id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var raw string
		var c webauthn.Credential
		if err := rows.Scan(&raw); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(raw), &c); err != nil {
			return nil, err
		}
		u.creds = append(u.creds, c)
	}
	return u, rows.Err()
}

func saveCeremony(tx *database.Tx, tenantID int64, accountID *int64, kind string, sd *webauthn.SessionData) (string, error) {
	handle := newSecret()
	b, err := json.Marshal(sd)
	if err != nil {
		return "", err
	}
	ctx := tx.Context()
	if _, err := tx.ExecContext(ctx, `DELETE FROM passkey_ceremonies WHERE expires_at < $1`, tx.Now()); err != nil {
		return "", err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO passkey_ceremonies (id, tenant_id, account_id, kind, session, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		hashSecret(handle), tenantID, accountID, kind, string(b), tx.Now().Add(PasskeyCeremonyTTL))
	return handle, err
}

// takeCeremony consumes a ceremony (once) and returns its session data.
func takeCeremony(tx *database.Tx, tenantID int64, kind, handle string) (webauthn.SessionData, sql.NullInt64, error) {
	var sd webauthn.SessionData
	var raw string
	var account sql.NullInt64
	var expires time.Time
	ctx := tx.Context()
	err := tx.QueryRowContext(ctx, `SELECT session, account_id, expires_at FROM passkey_ceremonies WHERE id = $1 AND tenant_id = $2 AND kind = $3`+tx.DB.ForUpdate(),
		hashSecret(handle), tenantID, kind).Scan(&raw, &account, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return sd, account, fmt.Errorf("unknown or used ceremony: %w", ErrPasskey)
	}
	if err != nil {
		return sd, account, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM passkey_ceremonies WHERE id = $1`, hashSecret(handle)); err != nil {
		return sd, account, err
	}
	if tx.Now().After(expires) {
		return sd, account, fmt.Errorf("ceremony expired: %w", ErrPasskey)
	}
	err = json.Unmarshal([]byte(raw), &sd)
	return sd, account, err
}

// BeginPasskeyRegistration returns the creation options for the browser
// (navigator.credentials.create) and the ceremony handle.
func (s *Service) BeginPasskeyRegistration(ctx context.Context, sess *Session, rp RelyingParty) ([]byte, string, error) {
	wa, err := rp.webauthn()
	if err != nil {
		return nil, "", err
	}
	u, err := s.passkeyUser(ctx, s.DB.R, sess.TenantID, "id", sess.AccountID)
	if err != nil {
		return nil, "", fmt.Errorf("passkey registration: %w", err)
	}
	exclude := make([]protocol.CredentialDescriptor, 0, len(u.creds))
	for _, c := range u.creds {
		exclude = append(exclude, c.Descriptor())
	}
	creation, sd, err := wa.BeginRegistration(u, webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementRequired), webauthn.WithExclusions(exclude))
	if err != nil {
		return nil, "", fmt.Errorf("passkey registration: %w", err)
	}
	var handle string
	err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		handle, err = saveCeremony(tx, sess.TenantID, &sess.AccountID, "register", sd)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	opts, err := json.Marshal(creation)
	return opts, handle, err
}

// FinishPasskeyRegistration verifies the browser's attestation and stores
// the credential for the session's account.
func (s *Service) FinishPasskeyRegistration(ctx context.Context, sess *Session, rp RelyingParty, handle string, response []byte) error {
	wa, err := rp.webauthn()
	if err != nil {
		return err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBody(bytes.NewReader(response))
	if err != nil {
		return fmt.Errorf("passkey registration: %v: %w", err, ErrPasskey)
	}
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		sd, account, err := takeCeremony(tx, sess.TenantID, "register", handle)
		if err != nil {
			return err
		}
		if !account.Valid || account.Int64 != sess.AccountID {
			return fmt.Errorf("ceremony of another account: %w", ErrPasskey)
		}
		u, err := s.passkeyUser(ctx, tx, sess.TenantID, "id", sess.AccountID)
		if err != nil {
			return err
		}
		cred, err := wa.CreateCredential(u, sd, parsed)
		if err != nil {
			return fmt.Errorf("passkey registration: %v: %w", err, ErrPasskey)
		}
		b, err := json.Marshal(cred)
		if err != nil {
			return fmt.Errorf("passkey registration: %w", err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO passkeys (tenant_id, account_id, credential_id, credential, created_at) VALUES ($1, $2, $3, $4, $5)`,
			sess.TenantID, sess.AccountID, base64.RawURLEncoding.EncodeToString(cred.ID), string(b), tx.Now())
		if database.IsUniqueViolation(err) {
			return fmt.Errorf("credential already registered: %w", ErrPasskey)
		}
		if err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: sess.TenantID, Actor: sess.AccountRef, Action: "account.passkey.add", ObjectType: "account", ObjectRef: sess.AccountRef})
	})
}

// BeginPasskeyLogin returns the request options for a login with any
// passkey of the tenant (discoverable credentials: no user name asked).
func (s *Service) BeginPasskeyLogin(ctx context.Context, tenantID int64, rp RelyingParty) ([]byte, string, error) {
	wa, err := rp.webauthn()
	if err != nil {
		return nil, "", err
	}
	assertion, sd, err := wa.BeginDiscoverableLogin()
	if err != nil {
		return nil, "", err
	}
	var handle string
	err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		handle, err = saveCeremony(tx, tenantID, nil, "login", sd)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	opts, err := json.Marshal(assertion)
	return opts, handle, err
}

// FinishPasskeyLogin verifies the assertion (signature, challenge, origin,
// RP ID, sign counter) and starts a session.
func (s *Service) FinishPasskeyLogin(ctx context.Context, tenantID int64, rp RelyingParty, handle string, response []byte) (string, *Session, error) {
	wa, err := rp.webauthn()
	if err != nil {
		return "", nil, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBody(bytes.NewReader(response))
	if err != nil {
		return "", nil, fmt.Errorf("passkey login: %v: %w", err, ErrPasskey)
	}
	var cookie string
	var failure error
	err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		sd, _, err := takeCeremony(tx, tenantID, "login", handle)
		if err != nil {
			failure = err
			return nil
		}
		var found *passkeyUser
		user, cred, err := wa.ValidatePasskeyLogin(func(rawID, userHandle []byte) (webauthn.User, error) {
			u, err := s.passkeyUser(ctx, tx, tenantID, "ref", string(userHandle))
			found = u
			return u, err
		}, sd, parsed)
		if err != nil || found == nil || user == nil {
			failure = fmt.Errorf("passkey login: %v: %w", err, ErrPasskey)
			return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: "anonymous", Action: "login.passkey.failed", ObjectType: "account"})
		}
		b, err := json.Marshal(cred)
		if err != nil {
			return fmt.Errorf("passkey login: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE passkeys SET credential = $1, last_used_at = $2 WHERE credential_id = $3 AND account_id = $4`,
			string(b), tx.Now(), base64.RawURLEncoding.EncodeToString(cred.ID), found.id); err != nil {
			return err
		}
		if cookie, err = startSession(tx, tenantID, found.id, TrustNone, "passkey", ""); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: found.ref, Action: "login.passkey", ObjectType: "account", ObjectRef: found.ref})
	})
	if err != nil {
		return "", nil, err
	}
	if failure != nil {
		return "", nil, failure
	}
	sess, err := s.SessionByToken(ctx, tenantID, cookie)
	return cookie, sess, err
}
