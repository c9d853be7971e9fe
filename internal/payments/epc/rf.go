package epc

import (
	"crypto/rand"
	"fmt"
	"strings"
)

// ISO 11649 structured creditor references: "RF", two check digits and a
// reference of 1 to 21 letters and digits, valid when the MOD 97-10 of
// reference + "RF" + check digits is 1.

// NewRF returns the RF reference for body (1–21 letters or digits; case
// is ignored).
func NewRF(body string) (string, error) {
	body = strings.ToUpper(body)
	if len(body) < 1 || len(body) > 21 || !alnum(body) {
		return "", fmt.Errorf("RF reference body %q: 1 to 21 letters or digits", body)
	}
	check := 98 - mod97(body+"RF00")
	return fmt.Sprintf("RF%02d%s", check, body), nil
}

// ValidRF reports whether s (spaces ignored, case-insensitive) is an RF
// reference with correct check digits.
func ValidRF(s string) bool {
	s = NormalizeRF(s)
	if len(s) < 5 || len(s) > 25 || !strings.HasPrefix(s, "RF") || !alnum(s) {
		return false
	}
	if s[2] < '0' || s[2] > '9' || s[3] < '0' || s[3] > '9' {
		return false
	}
	return mod97(s[4:]+s[:4]) == 1
}

// NormalizeRF removes spaces and upper-cases a reference (printed RF
// references come in groups of four).
func NormalizeRF(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(s), ""))
}

// GroupRF prints a reference in groups of four characters.
func GroupRF(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// crockford omits I, L, O and U, so that a reference read aloud or typed
// from paper is not misread.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// RandomRF returns a fresh RF reference with a random body of n
// characters (n from 6 to 21), for one payment request.
func RandomRF(n int) string {
	n = min(max(n, 6), 21)
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = crockford[int(b[i])%len(crockford)]
	}
	rf, _ := NewRF(string(b))
	return rf
}

func alnum(s string) bool {
	for _, r := range s {
		if !(r >= '0' && r <= '9') && !(r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}
