package forms

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/pow"
	"github.com/rathaus/rathaus/internal/platform/ratelimit"
)

// Anonymous drafts under pressure. The first anonymousDrafts.Limit
// anonymous drafts of an hour are free (each address still only
// anonymousDraftsPerAddress of them); beyond that an anonymous start is not
// refused but paid for with a solved proof-of-work challenge
// (internal/platform/pow, the one appointments use). So strangers with many
// addresses can no longer lock every anonymous applicant out for an hour —
// a genuine applicant waits a few seconds while the browser computes — and
// what they store stays bounded by what they pay: the challenge doubles in
// cost with every further anonymousDrafts.Limit paid drafts of the hour, up
// to PoWMaxDifficulty. Mail stays limited per recipient, draft and address
// (links.go); a signed-in person never pays.
//
// Without JavaScript a visitor cannot solve the challenge: once the free
// drafts are used up, the start page says so and offers signing in (or
// trying later); below the ceiling nothing changes for them.

// PoW difficulties: a challenge's largest number (the average cost is half
// of it: at PoWBaseDifficulty 2.7–4.8 ms in Go, 0.2–0.4 s in a browser; at
// PoWMaxDifficulty about 20 times that, a few seconds in a browser — the
// most a genuine applicant waits however hard strangers push).
const (
	PoWBaseDifficulty = 50_000
	PoWMaxDifficulty  = 1_000_000
)

// anonymousDraftsPaid counts the anonymous drafts paid with a challenge
// (never refuses: it sets the next challenge's cost).
var anonymousDraftsPaid = ratelimit.Rule{Name: "forms.anonymous_draft.paid", Limit: math.MaxInt32, Window: time.Hour}

// powSpent marks a solved challenge as used: a second use within its
// lifetime is refused (the sliding window of length pow.TTL still holds
// the first use whenever the challenge can still be valid).
var powSpent = ratelimit.Rule{Name: "forms.pow.spent", Limit: 1, Window: pow.TTL}

// powScope is what a forms challenge may be used for (the key is the tenant's).
const powScope = "forms.anonymous_draft"

func powDifficulty(paid float64) int {
	d := PoWBaseDifficulty
	for steps := int(paid) / anonymousDrafts.Limit; steps > 0 && d < PoWMaxDifficulty; steps-- {
		d *= 2
	}
	return min(d, PoWMaxDifficulty)
}

// AnonymousStartCosts reports whether an anonymous start needs a solved
// challenge now (the hour's free anonymous drafts are used up).
func (s *Service) AnonymousStartCosts(ctx context.Context, tenantID int64) (bool, error) {
	if !s.Limits.Enabled() {
		return false, nil
	}
	n, err := s.Limits.Count(ctx, anonymousDrafts, fmt.Sprint(tenantID))
	return n+1 > float64(anonymousDrafts.Limit), err
}

// Challenge issues a proof-of-work challenge for an anonymous start; its
// cost grows with the paid starts of the hour.
func (s *Service) Challenge(ctx context.Context, tenantID int64) (pow.Challenge, error) {
	paid, err := s.Limits.Count(ctx, anonymousDraftsPaid, fmt.Sprint(tenantID))
	if err != nil {
		return pow.Challenge{}, err
	}
	key, err := s.powKey(ctx, tenantID)
	if err != nil {
		return pow.Challenge{}, err
	}
	return pow.NewChallenge(key, powScope, powDifficulty(paid), s.DB.Clock.Now()), nil
}

// checkPoW reads and checks a visitor's solution (before any write).
func (s *Service) checkPoW(ctx context.Context, tenantID int64, payload string) (pow.Solution, error) {
	if strings.TrimSpace(payload) == "" {
		return pow.Solution{}, fault.Invalid("pow", "challenge_required")
	}
	key, err := s.powKey(ctx, tenantID)
	if err != nil {
		return pow.Solution{}, err
	}
	sol, err := pow.Parse(payload)
	if err == nil {
		err = sol.Verify(key, powScope, s.DB.Clock.Now())
	}
	switch {
	case errors.Is(err, pow.ErrExpired):
		return sol, fault.Invalid("pow", "challenge_expired")
	case err != nil:
		return sol, fault.Invalid("pow", "challenge_invalid")
	}
	return sol, nil
}

// payAnonymousStart is called inside the start's transaction when the free
// drafts are used up: the checked solution is spent once and counted.
func (s *Service) payAnonymousStart(tx *database.Tx, tenantID int64, sol pow.Solution, checkErr error) error {
	if checkErr != nil {
		return checkErr
	}
	var rl *fault.RateLimited
	if err := s.Limits.AllowTx(tx, powSpent, fmt.Sprint(tenantID), strings.ToLower(sol.Challenge)); errors.As(err, &rl) {
		return fault.Invalid("pow", "challenge_replayed")
	} else if err != nil {
		return err
	}
	return s.Limits.AllowTx(tx, anonymousDraftsPaid, fmt.Sprint(tenantID))
}

// powKey is the tenant's challenge key, made on first use.
func (s *Service) powKey(ctx context.Context, tenantID int64) ([]byte, error) {
	if k, ok := s.powKeys.Load(tenantID); ok {
		return k.([]byte), nil
	}
	read := func() ([]byte, error) {
		var h string
		if err := s.DB.W.QueryRowContext(ctx, `SELECT pow_key FROM form_pow_keys WHERE tenant_id = $1`, tenantID).Scan(&h); err != nil {
			return nil, err
		}
		return hex.DecodeString(h)
	}
	k, err := read()
	if errors.Is(err, sql.ErrNoRows) {
		var b [32]byte
		rand.Read(b[:])
		err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO form_pow_keys (tenant_id, pow_key) VALUES ($1, $2) ON CONFLICT (tenant_id) DO NOTHING`, tenantID, hex.EncodeToString(b[:]))
			return err
		})
		if err == nil {
			k, err = read()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("forms challenge key: %w", err)
	}
	s.powKeys.Store(tenantID, k)
	return k, nil
}
