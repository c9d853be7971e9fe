package appointments

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Proof of work in the manner of ALTCHA (self-hosted, no third party): the
// server picks a secret number n ≤ MaxNumber and a random salt, and sends
// the SHA-256 of salt+n together with its HMAC signature. The client finds
// n by trying numbers from 0 — on average MaxNumber/2 hashes — and sends it
// back; the server checks the signature (so it needs to keep no state for
// issued challenges), the expiry and the location written into the salt,
// and the hash. A solution is spent once (appointment_pow_spent), so it
// cannot be replayed, also not on another process.

// Challenge is what a client solves (the JSON of GET /api/v1/appointments/challenge).
type Challenge struct {
	Algorithm string `json:"algorithm"`
	Challenge string `json:"challenge"`
	MaxNumber int    `json:"maxnumber"`
	Salt      string `json:"salt"`
	Signature string `json:"signature"`
}

// Solution is a solved challenge as the client returns it: base64 of this
// JSON in the booking's "pow" field (the form field "altcha").
type Solution struct {
	Algorithm string `json:"algorithm"`
	Challenge string `json:"challenge"`
	Number    int    `json:"number"`
	Salt      string `json:"salt"`
	Signature string `json:"signature"`
}

// ChallengeTTL is how long a challenge may be solved and used.
const ChallengeTTL = 10 * time.Minute

// Errors of a proof-of-work check (the use case turns them into field codes).
var (
	ErrPoWMalformed = errors.New("pow: malformed solution")
	ErrPoWInvalid   = errors.New("pow: wrong solution or signature")
	ErrPoWExpired   = errors.New("pow: challenge expired")
)

func powHash(salt string, n int) string {
	sum := sha256.Sum256([]byte(salt + strconv.Itoa(n)))
	return hex.EncodeToString(sum[:])
}

func powSign(key []byte, challenge string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(challenge))
	return hex.EncodeToString(m.Sum(nil))
}

// NewChallenge issues a challenge for a location.
func NewChallenge(key []byte, location string, maxNumber int, now time.Time) Challenge {
	var b [12]byte
	rand.Read(b[:])
	var nb [8]byte
	rand.Read(nb[:])
	n := int(binary.BigEndian.Uint64(nb[:]) % uint64(maxNumber+1))
	salt := hex.EncodeToString(b[:]) + "?" + url.Values{"l": {location}, "expires": {strconv.FormatInt(now.Add(ChallengeTTL).Unix(), 10)}}.Encode()
	c := powHash(salt, n)
	return Challenge{Algorithm: "SHA-256", Challenge: c, MaxNumber: maxNumber, Salt: salt, Signature: powSign(key, c)}
}

// Solve finds the number of a challenge by brute force (what the browser
// script does; the load harness and tests use it). ok is false when no
// number up to MaxNumber fits.
func Solve(c Challenge) (int, bool) {
	want, err := hex.DecodeString(c.Challenge)
	if err != nil || len(want) != sha256.Size {
		return 0, false
	}
	buf := make([]byte, 0, len(c.Salt)+12)
	for n := 0; n <= c.MaxNumber; n++ {
		buf = strconv.AppendInt(append(buf[:0], c.Salt...), int64(n), 10)
		sum := sha256.Sum256(buf)
		if hmac.Equal(sum[:], want) {
			return n, true
		}
	}
	return 0, false
}

// Encode is the payload a client sends for a solved challenge.
func (c Challenge) Encode(number int) string {
	b, _ := json.Marshal(Solution{Algorithm: c.Algorithm, Challenge: c.Challenge, Number: number, Salt: c.Salt, Signature: c.Signature})
	return base64.StdEncoding.EncodeToString(b)
}

// ParseSolution reads a client's payload (base64 of the Solution JSON).
// Hostile input gives ErrPoWMalformed, never a panic.
func ParseSolution(payload string) (Solution, error) {
	payload = strings.TrimSpace(payload)
	if payload == "" || len(payload) > 2048 {
		return Solution{}, ErrPoWMalformed
	}
	raw, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		if raw, err = base64.RawURLEncoding.DecodeString(payload); err != nil {
			return Solution{}, ErrPoWMalformed
		}
	}
	var s Solution
	if err := json.Unmarshal(raw, &s); err != nil || s.Number < 0 || s.Challenge == "" || s.Salt == "" || s.Signature == "" {
		return Solution{}, ErrPoWMalformed
	}
	return s, nil
}

// Verify checks a solution for a location at now: algorithm, signature,
// expiry and location in the salt, and the hash. It does not check replay
// (the caller spends the challenge in the database).
func (s Solution) Verify(key []byte, location string, now time.Time) error {
	if s.Algorithm != "SHA-256" {
		return ErrPoWMalformed
	}
	if !hmac.Equal([]byte(powSign(key, s.Challenge)), []byte(strings.ToLower(s.Signature))) {
		return ErrPoWInvalid
	}
	_, query, ok := strings.Cut(s.Salt, "?")
	if !ok {
		return ErrPoWMalformed
	}
	q, err := url.ParseQuery(query)
	if err != nil || q.Get("l") != location {
		return ErrPoWInvalid
	}
	exp, err := strconv.ParseInt(q.Get("expires"), 10, 64)
	if err != nil {
		return ErrPoWMalformed
	}
	if now.Unix() > exp {
		return ErrPoWExpired
	}
	if !hmac.Equal([]byte(powHash(s.Salt, s.Number)), []byte(strings.ToLower(s.Challenge))) {
		return ErrPoWInvalid
	}
	return nil
}
