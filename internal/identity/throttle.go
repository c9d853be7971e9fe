package identity

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/ratelimit"
)

// Login protection: failed password logins make the next attempt wait,
// with delays that grow with each failure, counted in the database
// (login_attempts) so that every instance shares them. Three counters, so
// that no stranger can lock an owner out:
//
//   - per account and address: the guesser's own delay. It grows fast
//     (from the 4th failure 1 s, 2 s, 4 s … up to 15 min) and touches only
//     that address's attempts at that account.
//   - per address, across accounts (password spraying): from the 30th
//     failure, up to 1 h.
//   - per account, across addresses (a botnet guessing one password): from
//     the 10th failure, up to 5 min. This is the only counter a stranger
//     can drive for someone else's account, so it is soft and a browser
//     that signed in to the account before (the rathaus_device cookie,
//     login_devices) skips it.
//
// A refused attempt is answered with *fault.RateLimited (429,
// Retry-After) before the password is checked, and is not counted. A
// success clears the pair and account counters; the address counter only
// forgets after a day without failures (an attacker cannot reset it by
// signing in to an account of their own).
const (
	// ForgetFailures: counters without a failure for this long start again.
	ForgetFailures = 24 * time.Hour
)

// delayRule is one counter's delay curve: free failures, then 1 s doubling
// per failure up to the cap.
type delayRule struct {
	name string
	free int
	cap  time.Duration
}

var (
	pairRule    = delayRule{"pair", 3, 15 * time.Minute}
	addressRule = delayRule{"address", 29, time.Hour}
	accountRule = delayRule{"account", 9, 5 * time.Minute}
)

// delay is the wait after n failures.
func (r delayRule) delay(n int) time.Duration {
	if n <= r.free {
		return 0
	}
	k := n - r.free - 1
	if k > 20 {
		return r.cap
	}
	return min(time.Second<<k, r.cap)
}

// ErrThrottled is the scope of login delays in *fault.RateLimited.
const throttleScope = "login"

func emailHash(email string) string {
	h := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	return hex.EncodeToString(h[:16])
}

func hashKey(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:])
}

// throttleKeys are the three counters of an attempt (stored hashed: no
// address or e-mail address in the table).
type throttleKeys struct{ pair, address, account string }

func keysFor(tenantID int64, email, addr string) throttleKeys {
	t := fmt.Sprint(tenantID)
	e := emailHash(email)
	addr = ratelimit.Subject(addr) // an IPv6 address counts for its /64
	return throttleKeys{
		pair:    "pair:" + hashKey(t, e, addr),
		address: "ip:" + hashKey(t, addr),
		account: "acct:" + hashKey(t, e),
	}
}

// waitFor is how long key must still wait (0: may try now).
func waitFor(tx *database.Tx, key string) (time.Duration, error) {
	var until sql.NullTime
	err := tx.QueryRowContext(tx.Context(), `SELECT locked_until FROM login_attempts WHERE key = $1`, key).Scan(&until)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !until.Valid {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("login delay: %w", err)
	}
	return max(until.Time.Sub(tx.Now()), 0), nil
}

// throttleWait is the longest wait of the keys that apply: the account's
// own counter is skipped for a browser the account signed in from before.
func throttleWait(tx *database.Tx, k throttleKeys, knownDevice bool) (time.Duration, error) {
	keys := []string{k.pair, k.address}
	if !knownDevice {
		keys = append(keys, k.account)
	}
	var wait time.Duration
	for _, key := range keys {
		d, err := waitFor(tx, key)
		if err != nil {
			return 0, err
		}
		wait = max(wait, d)
	}
	return wait, nil
}

// recordFailure counts one failure for key and sets its next allowed time.
func recordFailure(tx *database.Tx, key string, rule delayRule) error {
	ctx := tx.Context()
	now := tx.Now()
	var failures int
	var last time.Time
	err := tx.QueryRowContext(ctx, `SELECT failures, window_start FROM login_attempts WHERE key = $1`+tx.DB.ForUpdate(), key).Scan(&failures, &last)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		failures = 0
	case err != nil:
		return fmt.Errorf("login failure: %w", err)
	case now.Sub(last) > ForgetFailures:
		failures = 0
	}
	failures++
	var until any
	if d := rule.delay(failures); d > 0 {
		until = now.Add(d)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO login_attempts (key, failures, window_start, locked_until) VALUES ($1, $2, $3, $4)
		ON CONFLICT (key) DO UPDATE SET failures = $2, window_start = $3, locked_until = $4`, key, failures, now, until)
	if err != nil {
		return fmt.Errorf("login failure: %w", err)
	}
	return nil
}

func recordFailures(tx *database.Tx, k throttleKeys) error {
	for _, f := range []struct {
		key  string
		rule delayRule
	}{{k.pair, pairRule}, {k.address, addressRule}, {k.account, accountRule}} {
		if err := recordFailure(tx, f.key, f.rule); err != nil {
			return err
		}
	}
	return nil
}

func clearFailures(tx *database.Tx, keys ...string) error {
	for _, k := range keys {
		if _, err := tx.ExecContext(tx.Context(), `DELETE FROM login_attempts WHERE key = $1`, k); err != nil {
			return fmt.Errorf("clear login failures: %w", err)
		}
	}
	return nil
}

// throttled is the error of an attempt that must wait.
func throttled(wait time.Duration) error {
	return &fault.RateLimited{RetryAfter: wait, Scope: throttleScope}
}

// knownDevice reports whether the device cookie value belongs to a browser
// that signed in to the account before, and notes its use.
func knownDevice(tx *database.Tx, accountID int64, device string) (bool, error) {
	if device == "" || len(device) > 100 || accountID == 0 {
		return false, nil
	}
	res, err := tx.ExecContext(tx.Context(), `UPDATE login_devices SET last_used_at = $1 WHERE token_hash = $2 AND account_id = $3`, tx.Now(), hashSecret(device), accountID)
	if err != nil {
		return false, fmt.Errorf("login device: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("login device: %w", err)
	}
	return n > 0, nil
}

// rememberDevice returns the device cookie value for a browser that just
// signed in: the one it has if it is known, else a new one.
func rememberDevice(tx *database.Tx, accountID int64, device string, known bool) (string, error) {
	if known {
		return device, nil
	}
	secret := newSecret()
	_, err := tx.ExecContext(tx.Context(), `INSERT INTO login_devices (token_hash, account_id, created_at, last_used_at) VALUES ($1, $2, $3, $3)`,
		hashSecret(secret), accountID, tx.Now())
	if err != nil {
		return "", fmt.Errorf("remember device: %w", err)
	}
	return secret, nil
}
