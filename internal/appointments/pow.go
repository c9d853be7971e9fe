package appointments

import (
	"context"
	"time"

	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/pow"
)

// The booking's proof of work is the platform's (internal/platform/pow):
// the scope of a challenge is the location, a solution is spent once
// (appointment_pow_spent), so it cannot be replayed, also not on another
// process.
type (
	// Challenge is what a client solves (the JSON of GET /api/v1/appointments/challenge).
	Challenge = pow.Challenge
	// Solution is a solved challenge: base64 of its JSON in the booking's
	// "pow" field (the form field "altcha").
	Solution = pow.Solution
)

// ChallengeTTL is how long a challenge may be solved and used.
const ChallengeTTL = pow.TTL

// Errors of a proof-of-work check (the use case turns them into field codes).
var (
	ErrPoWMalformed = pow.ErrMalformed
	ErrPoWInvalid   = pow.ErrInvalid
	ErrPoWExpired   = pow.ErrExpired
)

// NewChallenge issues a challenge for a location.
func NewChallenge(key []byte, location string, maxNumber int, now time.Time) Challenge {
	return pow.NewChallenge(key, location, maxNumber, now)
}

// Solve finds the number of a challenge by brute force (the load harness
// and tests use it).
func Solve(c Challenge) (int, bool) { return pow.Solve(c) }

// ParseSolution reads a client's payload; hostile input gives
// ErrPoWMalformed, never a panic.
func ParseSolution(payload string) (Solution, error) { return pow.Parse(payload) }

// Challenge issues a challenge for booking at a location (public). A
// location without the protection still answers, with its default
// difficulty, so clients need not know the setting.
func (s *Service) Challenge(ctx context.Context, tenantID int64, location string) (Challenge, error) {
	l, err := s.location(ctx, tenantID, location)
	if err != nil {
		return Challenge{}, fault.Invalid("location", "location_unknown")
	}
	k, err := s.keys(ctx, tenantID)
	if err != nil {
		return Challenge{}, err
	}
	max := l.Protections.PoWDifficulty
	if max <= 0 {
		max = DefaultSettings().Protections.PoWDifficulty
	}
	return NewChallenge(k.pow, l.Ref, max, s.now()), nil
}
