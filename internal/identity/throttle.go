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
)

// Login throttling lives in the database so every process of an
// installation shares it. Per account: MaxAccountFailures failures within
// ThrottleWindow lock logins to that account for ThrottleWindow; per client
// address the limit is MaxAddressFailures.
const (
	ThrottleWindow     = 15 * time.Minute
	MaxAccountFailures = 5
	MaxAddressFailures = 30
)

// ErrThrottled: too many failed logins; try later.
var ErrThrottled = errors.New("too many failed logins")

func accountKey(tenantID int64, email string) string {
	h := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	return fmt.Sprintf("acct:%d:%s", tenantID, hex.EncodeToString(h[:16]))
}

func addressKey(tenantID int64, addr string) string { return fmt.Sprintf("ip:%d:%s", tenantID, addr) }

// throttled reports whether any key is locked now.
func throttled(tx *database.Tx, keys ...string) (bool, error) {
	for _, k := range keys {
		var locked sql.NullTime
		err := tx.QueryRowContext(tx.Context(), `SELECT locked_until FROM login_attempts WHERE key = $1`, k).Scan(&locked)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return false, err
		}
		if locked.Valid && tx.Now().Before(locked.Time) {
			return true, nil
		}
	}
	return false, nil
}

// recordFailure counts a failed login for key and locks it at limit.
func recordFailure(tx *database.Tx, key string, limit int) error {
	ctx := tx.Context()
	var failures int
	var start time.Time
	err := tx.QueryRowContext(ctx, `SELECT failures, window_start FROM login_attempts WHERE key = $1`+tx.DB.ForUpdate(), key).Scan(&failures, &start)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = tx.ExecContext(ctx, `INSERT INTO login_attempts (key, failures, window_start) VALUES ($1, 1, $2)
			ON CONFLICT (key) DO UPDATE SET failures = login_attempts.failures + 1`, key, tx.Now())
		return err
	case err != nil:
		return err
	}
	if tx.Now().Sub(start) > ThrottleWindow {
		failures, start = 0, tx.Now()
	}
	failures++
	var locked any
	if failures >= limit {
		locked = tx.Now().Add(ThrottleWindow)
		failures, start = 0, tx.Now()
	}
	_, err = tx.ExecContext(ctx, `UPDATE login_attempts SET failures = $1, window_start = $2, locked_until = COALESCE($3, locked_until) WHERE key = $4`, failures, start, locked, key)
	return err
}

func clearFailures(tx *database.Tx, key string) error {
	_, err := tx.ExecContext(tx.Context(), `DELETE FROM login_attempts WHERE key = $1`, key)
	return err
}
