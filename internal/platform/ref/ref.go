// Package ref makes random public references such as "A-7K3M-Q9TX".
//
// Citizen-facing URLs and API documents never show internal integer keys:
// sequential ids leak volumes and invite probing. A reference is a one-letter
// kind prefix and eight characters of Crockford base32 (40 random bits),
// grouped in fours. Uniqueness is enforced by the database (UNIQUE column);
// callers retry on the rare collision.
package ref

import (
	"crypto/rand"
	"strings"
)

const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ" // Crockford: no I, L, O, U

// New returns a fresh reference with the given kind prefix, e.g. New("A").
func New(prefix string) string {
	var b [5]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("ref: crypto/rand failed: " + err.Error()) // never happens on Linux
	}
	v := uint64(b[0])<<32 | uint64(b[1])<<24 | uint64(b[2])<<16 | uint64(b[3])<<8 | uint64(b[4])
	var out [8]byte
	for i := 7; i >= 0; i-- {
		out[i] = alphabet[v&31]
		v >>= 5
	}
	return prefix + "-" + string(out[:4]) + "-" + string(out[4:])
}

// Valid reports whether s has the shape of a reference with the given prefix.
func Valid(prefix, s string) bool {
	if !strings.HasPrefix(s, prefix+"-") {
		return false
	}
	rest := s[len(prefix)+1:]
	if len(rest) != 9 || rest[4] != '-' {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if i == 4 {
			continue
		}
		if !strings.ContainsRune(alphabet, rune(rest[i])) {
			return false
		}
	}
	return true
}
