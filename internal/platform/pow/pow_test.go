package pow

import (
	"errors"
	"testing"
	"time"
)

func TestProofOfWork(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	c := NewChallenge(key, "S-AAAA-BBBB", 5000, now)
	n, ok := Solve(c)
	if !ok {
		t.Fatal("no solution")
	}
	sol, err := Parse(c.Encode(n))
	if err != nil {
		t.Fatal(err)
	}
	if err := sol.Verify(key, "S-AAAA-BBBB", now.Add(time.Minute)); err != nil {
		t.Fatalf("valid solution refused: %v", err)
	}
	for name, check := range map[string]error{
		"other location": sol.Verify(key, "S-CCCC-DDDD", now),
		"other key":      sol.Verify([]byte("another key of thirty-two bytes!"), "S-AAAA-BBBB", now),
		"expired":        sol.Verify(key, "S-AAAA-BBBB", now.Add(TTL+time.Minute)),
	} {
		if check == nil {
			t.Errorf("%s accepted", name)
		}
	}
	if !errors.Is(sol.Verify(key, "S-AAAA-BBBB", now.Add(TTL+time.Minute)), ErrExpired) {
		t.Error("expiry not reported as such")
	}
	wrong := sol
	wrong.Number++
	if !errors.Is(wrong.Verify(key, "S-AAAA-BBBB", now), ErrInvalid) {
		t.Error("wrong number accepted")
	}
	forged := sol
	forged.Salt = "00?l=S-AAAA-BBBB&expires=9999999999"
	if forged.Verify(key, "S-AAAA-BBBB", now) == nil {
		t.Error("forged salt accepted")
	}
}

func FuzzParse(f *testing.F) {
	key := []byte("0123456789abcdef0123456789abcdef")
	c := NewChallenge(key, "S-AAAA-BBBB", 10, time.Now())
	n, _ := Solve(c)
	f.Add(c.Encode(n))
	f.Add("eyJ9")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		sol, err := Parse(s)
		if err != nil {
			return
		}
		_ = sol.Verify(key, "S-AAAA-BBBB", time.Now())
	})
}

// BenchmarkSolve measures the cost of one solve at the demo difficulty
// (50,000: on average 25,000 SHA-256 hashes) in Go; the browser script
// does the same with crypto.subtle.
func BenchmarkSolve(b *testing.B) {
	key := []byte("0123456789abcdef0123456789abcdef")
	for b.Loop() {
		c := NewChallenge(key, "S-AAAA-BBBB", 50000, time.Now())
		if _, ok := Solve(c); !ok {
			b.Fatal("no solution")
		}
	}
}

// BenchmarkVerify is the server's cost of checking one solution.
func BenchmarkVerify(b *testing.B) {
	key := []byte("0123456789abcdef0123456789abcdef")
	c := NewChallenge(key, "S-AAAA-BBBB", 50000, time.Now())
	n, _ := Solve(c)
	sol, _ := Parse(c.Encode(n))
	for b.Loop() {
		if err := sol.Verify(key, "S-AAAA-BBBB", time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}
