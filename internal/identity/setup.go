package identity

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/ref"
)

// Staff set-up: an admin (or the operator's `rathaus tenant create` for a
// municipality's first admin) invites a staff member, who gets a one-time
// link (SetupTokenTTL) to choose a password. Outside the demo city every
// staff member then sets up TOTP before the session counts: the first
// sign-in gets a session that can only confirm a TOTP code (TOTPSetup).

// SetupTokenTTL is how long a set-up link works.
const SetupTokenTTL = 72 * time.Hour

// SetupPath is the page of set-up links (…/konto/einrichten?token=…).
const SetupPath = "/konto/einrichten"

// TOTPSetupPath is where a session that must set up TOTP is sent.
const TOTPSetupPath = "/konto/einmalcode-einrichten"

func newTOTPSecret() (string, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "Rathaus", AccountName: "setup"})
	if err != nil {
		return "", fmt.Errorf("totp secret: %w", err)
	}
	return key.Secret(), nil
}

// Invitation is a staff account waiting for its set-up.
type Invitation struct {
	Account Account
	// Link is the set-up link (base + SetupPath + token), or "" when it was
	// mailed.
	Link string
}

// InviteStaff creates a staff account without a password and a one-time
// set-up link under base (the tenant's public address). With sendMail the
// link is mailed in the same transaction and not returned; otherwise the
// caller shows it (the CLI prints it when no mail is configured). Admins
// and the system only.
func (s *Service) InviteStaff(ctx context.Context, p Principal, t *Tenant, email, name string, roles []Role, base string, sendMail bool) (*Invitation, error) {
	if err := p.Require(t.ID, RoleAdmin); err != nil {
		return nil, err
	}
	email = strings.ToLower(strings.TrimSpace(email))
	name = strings.TrimSpace(name)
	v := &fault.Validation{}
	switch {
	case name == "":
		v.Add("name", "required")
	case len(name) > 200:
		v.Add("name", "too_long", "max", 200)
	}
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 254 {
		v.Add("email", "invalid_email")
	}
	for _, r := range roles {
		if !ValidRole(r) {
			v.Add("roles", "invalid_choice")
			break
		}
	}
	if !ValidPublicURL(base) {
		v.Add("public_url", "invalid_url")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	inv := &Invitation{Account: Account{Ref: ref.New("U"), Kind: "staff", Email: email, Name: name, Roles: roles}}
	err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO accounts (tenant_id, ref, kind, email, name, created_at) VALUES ($1, $2, 'staff', $3, $4, $5) RETURNING id`,
			t.ID, inv.Account.Ref, email, name, tx.Now()).Scan(&id)
		if database.IsUniqueViolation(err) {
			return fault.Invalid("email", "duplicate")
		}
		if err != nil {
			return err
		}
		for _, r := range roles {
			if _, err := tx.ExecContext(ctx, `INSERT INTO account_roles (account_id, role) VALUES ($1, $2)`, id, string(r)); err != nil {
				return err
			}
		}
		secret, err := issueToken(tx, id, "setup_account", SetupTokenTTL)
		if err != nil {
			return err
		}
		link := strings.TrimSuffix(base, "/") + SetupPath + "?token=" + secret
		if sendMail {
			err = enqueueMail(tx, t, email, "Ihr Zugang zu "+t.Name,
				"Guten Tag,\n\nfür Sie wurde ein Zugang zum digitalen Rathaus von "+t.Name+" eingerichtet. Mit diesem Link legen Sie Ihr Passwort fest (72 Stunden gültig, nur einmal nutzbar):\n\n"+link+
					"\n\nBei der ersten Anmeldung richten Sie außerdem einen Einmalcode in einer Authenticator-App ein.\n")
			if err != nil {
				return err
			}
		} else {
			inv.Link = link
		}
		return audit.Append(tx, audit.Event{TenantID: t.ID, Actor: p.Ref, Action: "account.invite", ObjectType: "account", ObjectRef: inv.Account.Ref,
			After: map[string]any{"kind": "staff", "roles": roles, "mailed": sendMail}})
	})
	if err != nil {
		return nil, fmt.Errorf("invite staff: %w", err)
	}
	return inv, nil
}

// CompleteSetup sets the password of an invited account with its set-up
// link and signs it in. Outside the demo the session must set up TOTP first
// (TOTPSetup); the returned session says so.
func (s *Service) CompleteSetup(ctx context.Context, tenantID int64, secret, password string) (string, *Session, error) {
	v := &fault.Validation{}
	checkPassword(v, "password", password)
	if err := v.Err(); err != nil {
		return "", nil, err
	}
	hash := HashPassword(password)
	var cookie string
	err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		id, accRef, err := useToken(tx, tenantID, "setup_account", secret)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET password_hash = $1, email_verified_at = COALESCE(email_verified_at, $2) WHERE id = $3`, hash, tx.Now(), id); err != nil {
			return err
		}
		demo, err := tenantIsDemo(tx, tenantID)
		if err != nil {
			return err
		}
		setup := ""
		var current string
		if err := tx.QueryRowContext(ctx, `SELECT totp_secret FROM accounts WHERE id = $1`, id).Scan(&current); err != nil {
			return err
		}
		if !demo && current == "" {
			if setup, err = newTOTPSecret(); err != nil {
				return err
			}
		}
		if cookie, err = startSession(tx, tenantID, id, TrustNone, "password", setup); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: accRef, Action: "account.setup", ObjectType: "account", ObjectRef: accRef})
	})
	if err != nil {
		return "", nil, fmt.Errorf("complete set-up: %w", err)
	}
	sess, err := s.sessionByToken(ctx, tenantID, cookie, true)
	return cookie, sess, err
}

// PendingSession returns a session that may still have to set up TOTP
// (for the set-up page itself); every other caller uses SessionByToken.
func (s *Service) PendingSession(ctx context.Context, tenantID int64, token string) (*Session, error) {
	return s.sessionByToken(ctx, tenantID, token, true)
}

// ConfirmTOTPSetup checks a code against the session's pending TOTP secret;
// when it fits, the secret becomes the account's and the session counts.
func (s *Service) ConfirmTOTPSetup(ctx context.Context, sess *Session, code string) error {
	if sess.TOTPSetup == "" {
		return fmt.Errorf("no TOTP set-up pending: %w", fault.ErrConflict)
	}
	code = strings.TrimSpace(code)
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		if ok, err := totp.ValidateCustom(code, sess.TOTPSetup, tx.Now(), totpOpts); err != nil || !ok {
			return fault.Invalid("totp", "invalid_totp")
		}
		res, err := tx.ExecContext(ctx, `UPDATE sessions SET totp_setup = '' WHERE id = $1 AND totp_setup = $2`, sess.ID, sess.TOTPSetup)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return errors.Join(err, fmt.Errorf("TOTP set-up of session %d: %w", sess.ID, fault.ErrConflict))
		}
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET totp_secret = $1 WHERE id = $2 AND tenant_id = $3`, sess.TOTPSetup, sess.AccountID, sess.TenantID); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: sess.TenantID, Actor: sess.AccountRef, Action: "account.totp.enroll", ObjectType: "account", ObjectRef: sess.AccountRef})
	})
}

// TOTPURL is the otpauth:// address of a secret for authenticator apps.
func TOTPURL(issuer, account, secret string) string {
	return "otpauth://totp/" + urlPathEscape(issuer) + ":" + urlPathEscape(account) + "?secret=" + secret + "&issuer=" + urlQueryEscape(issuer) + "&algorithm=SHA1&digits=6&period=30"
}
