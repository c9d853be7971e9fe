// Package ratelimit counts requests per rule and subject in the database, so
// that every rathaus process of an installation enforces the same limit
// (a bot cannot multiply its allowance by the number of instances).
//
// A Rule allows Limit hits per Window. Counting uses two fixed windows and
// weighs the previous one by how much of it still overlaps the sliding
// window (the approximation of Cloudflare's and nginx's limiters), so a burst
// at a window boundary gets at most the limit, not twice it. Subjects
// (an address, an email recipient, an account) are stored only as SHA-256.
//
// Limits are for what is expensive or abusable — sending mail, storing
// anonymous input, booking, logging in — not for reading pages: a write per
// page view would cost more than the page. A Limiter built with Enabled false
// allows everything (load harnesses switch protections off by configuration
// and say so in their output).
package ratelimit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
)

// Rule is a named limit: at most Limit hits per Window for one subject.
type Rule struct {
	Name   string // stable, e.g. "mail.recipient"
	Limit  int
	Window time.Duration
}

// Limiter enforces rules through the database.
type Limiter struct {
	db      *database.DB
	enabled bool
}

// New returns a limiter on db; enabled false allows everything.
func New(db *database.DB, enabled bool) *Limiter {
	return &Limiter{db: db, enabled: enabled}
}

// Enabled reports whether the limiter enforces anything.
func (l *Limiter) Enabled() bool { return l != nil && l.enabled }

// Hash is the stored form of a subject, also usable as a key elsewhere
// (tenant-scoped by the caller: Hash(tenant, "ip", addr)).
func Hash(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s|", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Subject is the form in which a subject is counted: an IPv6 address
// stands for its whole /64 (one household or server is given a /64, so
// counting single addresses would give a stranger 2^64 allowances), an
// IPv4-mapped IPv6 address for its IPv4 address; anything else (an email
// address, an account, a tenant) is counted as it is.
func Subject(s string) string {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return s
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.WithZone("").Prefix(64)
	return p.String()
}

func key(subject []string) string {
	parts := make([]string, len(subject))
	for i, s := range subject {
		parts[i] = Subject(s)
	}
	return Hash(parts...)
}

// Allow counts one hit of subject under rule in its own transaction and
// returns a *fault.RateLimited when the limit is exceeded (the hit is then
// not counted, so a refused client does not extend its own ban).
func (l *Limiter) Allow(ctx context.Context, rule Rule, subject ...string) error {
	if !l.Enabled() {
		return nil
	}
	return database.WithTx(ctx, l.db, func(tx *database.Tx) error {
		return l.AllowTx(tx, rule, subject...)
	})
}

// AllowTx counts the hit inside the caller's transaction: when the use case
// fails and rolls back, the hit is not counted either.
func (l *Limiter) AllowTx(tx *database.Tx, rule Rule, subject ...string) error {
	if !l.Enabled() {
		return nil
	}
	if rule.Limit <= 0 || rule.Window <= 0 {
		return fmt.Errorf("ratelimit: rule %q needs a positive limit and window", rule.Name)
	}
	key := key(subject)
	now := tx.Now()
	cur := now.Truncate(rule.Window)
	prev := cur.Add(-rule.Window)
	// The upsert takes the row lock of the current window first, so
	// concurrent hits of one subject (on PostgreSQL, on several instances)
	// are counted one after the other; the refused hit is taken back.
	var curHits int64
	err := tx.QueryRowContext(tx.Context(),
		`INSERT INTO rate_limits (rule, key_hash, window_start, hits, expires_at) VALUES ($1, $2, $3, 1, $4)
		 ON CONFLICT (rule, key_hash, window_start) DO UPDATE SET hits = rate_limits.hits + 1
		 RETURNING hits`,
		rule.Name, key, cur, cur.Add(2*rule.Window)).Scan(&curHits)
	if err != nil {
		return fmt.Errorf("ratelimit %s: %w", rule.Name, err)
	}
	var prevHits int64
	err = tx.QueryRowContext(tx.Context(),
		`SELECT hits FROM rate_limits WHERE rule = $1 AND key_hash = $2 AND window_start = $3`,
		rule.Name, key, prev).Scan(&prevHits)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("ratelimit %s: %w", rule.Name, err)
	}
	elapsed := now.Sub(cur)
	overlap := float64(rule.Window-elapsed) / float64(rule.Window)
	if float64(prevHits)*overlap+float64(curHits) > float64(rule.Limit) {
		if _, err := tx.ExecContext(tx.Context(),
			`UPDATE rate_limits SET hits = hits - 1 WHERE rule = $1 AND key_hash = $2 AND window_start = $3`,
			rule.Name, key, cur); err != nil {
			return fmt.Errorf("ratelimit %s: %w", rule.Name, err)
		}
		return &fault.RateLimited{Scope: rule.Name, RetryAfter: retryAfter(rule, elapsed, prevHits, curHits-1)}
	}
	return nil
}

// Count is the current estimate of hits of subject under rule (the sliding
// window, as AllowTx weighs it), without counting one: for a caller whose
// answer depends on the load — how hard a challenge to issue, say.
func (l *Limiter) Count(ctx context.Context, rule Rule, subject ...string) (float64, error) {
	if !l.Enabled() || rule.Window <= 0 {
		return 0, nil
	}
	k := key(subject)
	now := l.db.Clock.Now().UTC().Truncate(time.Microsecond)
	cur := now.Truncate(rule.Window)
	var c, p int64
	err := l.db.W.QueryRowContext(ctx,
		`SELECT COALESCE(SUM(CASE WHEN window_start = $3 THEN hits ELSE 0 END), 0), COALESCE(SUM(CASE WHEN window_start = $4 THEN hits ELSE 0 END), 0)
		 FROM rate_limits WHERE rule = $1 AND key_hash = $2 AND window_start IN ($3, $4)`,
		rule.Name, k, cur, cur.Add(-rule.Window)).Scan(&c, &p)
	if err != nil {
		return 0, fmt.Errorf("ratelimit %s: %w", rule.Name, err)
	}
	overlap := float64(rule.Window-now.Sub(cur)) / float64(rule.Window)
	return float64(p)*overlap + float64(c), nil
}

// retryAfter is when the estimate will have dropped below the limit again:
// the end of the current window when it alone is full, else when enough of
// the previous window has slid out.
func retryAfter(rule Rule, elapsed time.Duration, prevHits, curHits int64) time.Duration {
	if curHits+1 > int64(rule.Limit) || prevHits == 0 {
		return rule.Window - elapsed + time.Second
	}
	// prev*(W-e')/W + cur + 1 <= limit  →  e' >= W*(1 - (limit-cur-1)/prev)
	need := float64(rule.Window) * (1 - float64(int64(rule.Limit)-curHits-1)/float64(prevHits))
	d := time.Duration(need) - elapsed
	if d < time.Second {
		d = time.Second
	}
	return d
}

// Reset forgets the counts of subject under rule (after a successful login,
// say, the failures no longer count).
func (l *Limiter) Reset(tx *database.Tx, rule Rule, subject ...string) error {
	if !l.Enabled() {
		return nil
	}
	_, err := tx.ExecContext(tx.Context(), `DELETE FROM rate_limits WHERE rule = $1 AND key_hash = $2`, rule.Name, key(subject))
	return err
}

// Clean deletes expired windows; the job queue runs it periodically.
func (l *Limiter) Clean(ctx context.Context) (int64, error) {
	var n int64
	err := database.WithTx(ctx, l.db, func(tx *database.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM rate_limits WHERE expires_at < $1`, tx.Now())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
