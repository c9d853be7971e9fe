// Package pow is a proof of work in the manner of ALTCHA (self-hosted, no
// third party), for what a stranger may do without an account but should
// not do in bulk: booking a released appointment slot, starting an
// anonymous form draft once many have been started.
//
// The server picks a secret number n ≤ MaxNumber and a random salt, and
// sends the SHA-256 of salt+n together with its HMAC signature. The client
// finds n by trying numbers from 0 — on average MaxNumber/2 hashes (Go
// 2.7 ms, a browser 0.2–0.4 s at 50 000) — and sends it back; the server
// checks the signature (so it keeps no state for issued challenges), the
// expiry and the scope written into the salt, and the hash (about 2 µs).
// The caller spends a solution once, so it cannot be replayed. The
// browser side is Script (pow.js), which modules serve under their own
// static path.
package pow

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	_ "embed"
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

// Script solves a challenge in the browser (Web Crypto); see pow.js.
//
//go:embed pow.js
var Script []byte

// Challenge is what a client solves (served as JSON by the module that asks for it).
type Challenge struct {
	Algorithm string `json:"algorithm"`
	Challenge string `json:"challenge"`
	MaxNumber int    `json:"maxnumber"`
	Salt      string `json:"salt"`
	Signature string `json:"signature"`
}

// Solution is a solved challenge as the client returns it: base64 of this
// JSON (the form field "altcha").
type Solution struct {
	Algorithm string `json:"algorithm"`
	Challenge string `json:"challenge"`
	Number    int    `json:"number"`
	Salt      string `json:"salt"`
	Signature string `json:"signature"`
}

// TTL is how long a challenge may be solved and used.
const TTL = 10 * time.Minute

// Errors of a check (the use case turns them into field codes).
var (
	ErrMalformed = errors.New("pow: malformed solution")
	ErrInvalid   = errors.New("pow: wrong solution or signature")
	ErrExpired   = errors.New("pow: challenge expired")
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

// NewChallenge issues a challenge for a scope (what it may be used for: a
// location, a tenant's forms); its cost is set here, by maxNumber.
func NewChallenge(key []byte, scope string, maxNumber int, now time.Time) Challenge {
	var b [12]byte
	rand.Read(b[:])
	var nb [8]byte
	rand.Read(nb[:])
	n := int(binary.BigEndian.Uint64(nb[:]) % uint64(maxNumber+1))
	salt := hex.EncodeToString(b[:]) + "?" + url.Values{"l": {scope}, "expires": {strconv.FormatInt(now.Add(TTL).Unix(), 10)}}.Encode()
	c := powHash(salt, n)
	return Challenge{Algorithm: "SHA-256", Challenge: c, MaxNumber: maxNumber, Salt: salt, Signature: powSign(key, c)}
}

// Solve finds the number of a challenge by brute force (what the browser
// script does; load harnesses and tests use it). ok is false when no
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
// Hostile input gives ErrMalformed, never a panic.
func Parse(payload string) (Solution, error) {
	payload = strings.TrimSpace(payload)
	if payload == "" || len(payload) > 2048 {
		return Solution{}, ErrMalformed
	}
	raw, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		if raw, err = base64.RawURLEncoding.DecodeString(payload); err != nil {
			return Solution{}, ErrMalformed
		}
	}
	var s Solution
	if err := json.Unmarshal(raw, &s); err != nil || s.Number < 0 || s.Challenge == "" || s.Salt == "" || s.Signature == "" {
		return Solution{}, ErrMalformed
	}
	return s, nil
}

// Verify checks a solution for a scope at now: algorithm, signature,
// expiry and scope in the salt, and the hash. It does not check replay
// (the caller spends the challenge).
func (s Solution) Verify(key []byte, scope string, now time.Time) error {
	if s.Algorithm != "SHA-256" {
		return ErrMalformed
	}
	if !hmac.Equal([]byte(powSign(key, s.Challenge)), []byte(strings.ToLower(s.Signature))) {
		return ErrInvalid
	}
	_, query, ok := strings.Cut(s.Salt, "?")
	if !ok {
		return ErrMalformed
	}
	q, err := url.ParseQuery(query)
	if err != nil || q.Get("l") != scope {
		return ErrInvalid
	}
	exp, err := strconv.ParseInt(q.Get("expires"), 10, 64)
	if err != nil {
		return ErrMalformed
	}
	if now.Unix() > exp {
		return ErrExpired
	}
	if !hmac.Equal([]byte(powHash(s.Salt, s.Number)), []byte(strings.ToLower(s.Challenge))) {
		return ErrInvalid
	}
	return nil
}
