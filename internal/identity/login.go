package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/pquerna/otp/totp"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/platform/database"
)

// LoginInput is a password login attempt.
type LoginInput struct {
	Email, Password, TOTP string
	Addr                  string // client address (login delays)
	// Device is the browser's rathaus_device cookie, if any: a browser the
	// account signed in from before skips the per-account delay.
	Device string
}

// Login checks a password (and TOTP for staff who enrolled it) and starts a
// session. Before anything is checked, an attempt that must still wait gets
// *fault.RateLimited (see throttle.go); failures are counted and audited.
// A staff member without TOTP outside the demo city gets a session that
// only sets up TOTP (Session.TOTPSetup) until they confirm a code. The
// returned session's DeviceToken is the browser's device cookie value.
func (s *Service) Login(ctx context.Context, tenantID int64, in LoginInput) (string, *Session, error) {
	email := strings.ToLower(strings.TrimSpace(in.Email))
	keys := keysFor(tenantID, email, in.Addr)
	protect := s.Limiter == nil || s.Limiter.Enabled()
	var token, device string
	var result error
	err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		var accountID int64
		var ref, kind, hash, secret string
		var verified sql.NullTime
		err := tx.QueryRowContext(ctx, `SELECT id, ref, kind, password_hash, totp_secret, email_verified_at FROM accounts WHERE tenant_id = $1 AND email = $2 AND deleted_at IS NULL`, tenantID, email).
			Scan(&accountID, &ref, &kind, &hash, &secret, &verified)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		known, err := knownDevice(tx, accountID, in.Device)
		if err != nil {
			return err
		}
		if protect {
			wait, err := throttleWait(tx, keys, known)
			if err != nil {
				return err
			}
			if wait > 0 {
				result = throttled(wait)
				return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: "anonymous", Action: "login.throttled", ObjectType: "account", ObjectRef: ref})
			}
		}
		switch {
		case accountID == 0:
			CheckPassword(dummyHash(), in.Password)
			result = ErrBadCredentials
		case hash == "" || !CheckPassword(hash, in.Password):
			result = ErrBadCredentials
		case kind != "staff" && !verified.Valid:
			result = ErrNotVerified
		case secret != "" && in.TOTP == "":
			// The password was right; ask for the code without counting a failure.
			result = ErrTOTPRequired
			return nil
		case secret != "":
			if ok, err := totp.ValidateCustom(strings.TrimSpace(in.TOTP), secret, tx.Now(), totpOpts); err != nil || !ok {
				result = ErrBadCredentials
			}
		}
		if result != nil {
			if protect {
				if err := recordFailures(tx, keys); err != nil {
					return err
				}
			}
			actor := "anonymous"
			if ref != "" {
				actor = ref
			}
			return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: actor, Action: "login.failed", ObjectType: "account", ObjectRef: ref})
		}
		if err := clearFailures(tx, keys.pair, keys.account); err != nil {
			return err
		}
		setup := ""
		if kind == "staff" && secret == "" {
			demo, err := tenantIsDemo(tx, tenantID)
			if err != nil {
				return err
			}
			if !demo {
				if setup, err = newTOTPSecret(); err != nil {
					return err
				}
			}
		}
		token, err = startSession(tx, tenantID, accountID, TrustNone, "password", setup)
		if err != nil {
			return err
		}
		if device, err = rememberDevice(tx, accountID, in.Device, known); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: ref, Action: "login", ObjectType: "account", ObjectRef: ref})
	})
	if err != nil {
		return "", nil, fmt.Errorf("login: %w", err)
	}
	if result != nil {
		return "", nil, result
	}
	sess, err := s.sessionByToken(ctx, tenantID, token, true)
	if err != nil {
		return "", nil, err
	}
	sess.DeviceToken = device
	return token, sess, nil
}

func tenantIsDemo(tx *database.Tx, tenantID int64) (bool, error) {
	var demo bool
	if err := tx.QueryRowContext(tx.Context(), `SELECT is_demo FROM tenants WHERE id = $1`, tenantID).Scan(&demo); err != nil {
		return false, fmt.Errorf("tenant %d: %w", tenantID, err)
	}
	return demo, nil
}
