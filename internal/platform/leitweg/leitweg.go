// Package leitweg reads and checks Leitweg-IDs, the routing identifiers of
// e-invoices to German public bodies (KoSIT "Formatspezifikation
// Leitweg-ID"). An invoice carries it as the buyer reference (BT-10).
//
// A Leitweg-ID is Grobadressierung-Feinadressierung-Prüfziffer:
//
//   - Grobadressierung: 2 to 12 digits. The first two name the federal state
//     (01–16) or the federation (99); then, for states, optionally the
//     Regierungsbezirk (1 digit), the Landkreis (2) and the Gemeinde (3, 4 or
//     7), so its length is 2, 3, 5, 8, 9 or 12 digits; for the federation
//     an ordinal number of up to 10 digits follows.
//   - Feinadressierung (optional): 1 to 30 letters and digits.
//   - Prüfziffer: two digits, ISO/IEC 7064 MOD 97-10 over Grob- and
//     Feinadressierung without hyphens, letters as their position in the
//     alphabet counting from A = 10 (as for the IBAN).
//
// Letters are case-insensitive; Normalize writes them in capitals, the form
// in which IDs are compared and stored.
package leitweg

import (
	"fmt"
	"strings"
)

// Problem codes of Check; they are fault codes of the inbox (routing
// reasons shown to clerks).
const (
	ProblemMissing     = "leitweg_missing"
	ProblemFormat      = "leitweg_format"
	ProblemState       = "leitweg_state"
	ProblemCheckDigits = "leitweg_check_digits"
)

// ID is a parsed Leitweg-ID.
type ID struct {
	Coarse      string // Grobadressierung (digits)
	Fine        string // Feinadressierung (capitals and digits, may be "")
	CheckDigits string // two digits
}

// String writes the ID in its normal form: capitals, parts joined by "-".
func (id ID) String() string {
	if id.Fine == "" {
		return id.Coarse + "-" + id.CheckDigits
	}
	return id.Coarse + "-" + id.Fine + "-" + id.CheckDigits
}

// Error is a Leitweg-ID that cannot be used, with the reason's code.
type Error struct {
	Code  string
	Input string
}

func (e *Error) Error() string { return fmt.Sprintf("Leitweg-ID %q: %s", e.Input, e.Code) }

// Normalize trims white space and writes letters in capitals.
func Normalize(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// Parse checks s (structure, state code and check digits) and returns the
// parsed ID, or an *Error naming the first problem found.
func Parse(s string) (ID, error) {
	in := Normalize(s)
	if in == "" {
		return ID{}, &Error{Code: ProblemMissing, Input: s}
	}
	if len(in) > 46 {
		return ID{}, &Error{Code: ProblemFormat, Input: s}
	}
	parts := strings.Split(in, "-")
	var id ID
	switch len(parts) {
	case 2:
		id = ID{Coarse: parts[0], CheckDigits: parts[1]}
	case 3:
		id = ID{Coarse: parts[0], Fine: parts[1], CheckDigits: parts[2]}
		if id.Fine == "" || len(id.Fine) > 30 || !alnum(id.Fine) {
			return ID{}, &Error{Code: ProblemFormat, Input: s}
		}
	default:
		return ID{}, &Error{Code: ProblemFormat, Input: s}
	}
	if len(id.CheckDigits) != 2 || !digits(id.CheckDigits) || !digits(id.Coarse) {
		return ID{}, &Error{Code: ProblemFormat, Input: s}
	}
	if !coarseLength(id.Coarse) {
		return ID{}, &Error{Code: ProblemFormat, Input: s}
	}
	if st := id.Coarse[:2]; st != "99" && (st < "01" || st > "16") {
		return ID{}, &Error{Code: ProblemState, Input: s}
	}
	if CheckDigits(id.Coarse+id.Fine) != id.CheckDigits {
		return ID{}, &Error{Code: ProblemCheckDigits, Input: s}
	}
	return id, nil
}

// Valid reports whether s is a usable Leitweg-ID.
func Valid(s string) bool {
	_, err := Parse(s)
	return err == nil
}

// New returns the Leitweg-ID of a Grob- and Feinadressierung with its check
// digits computed; it does not check the parts.
func New(coarse, fine string) ID {
	c, f := Normalize(coarse), Normalize(fine)
	return ID{Coarse: c, Fine: f, CheckDigits: CheckDigits(c + f)}
}

// coarseLength: states 2, 3, 5, 8, 9 or 12 digits; the federation (99) 2 to
// 12 (its ordinal numbers are not structured further).
func coarseLength(c string) bool {
	if len(c) < 2 || len(c) > 12 {
		return false
	}
	if c[:2] == "99" {
		return true
	}
	switch len(c) {
	case 2, 3, 5, 8, 9, 12:
		return true
	}
	return false
}

// CheckDigits computes the two MOD 97-10 check digits of body (digits and
// capitals, no hyphens): 98 − (body·100 mod 97), letters as A = 10 … Z = 35.
func CheckDigits(body string) string {
	rem := 0
	add := func(d int) { rem = (rem*10 + d) % 97 }
	for _, c := range body {
		switch {
		case c >= '0' && c <= '9':
			add(int(c - '0'))
		case c >= 'A' && c <= 'Z':
			v := int(c-'A') + 10
			add(v / 10)
			add(v % 10)
		default:
			return ""
		}
	}
	add(0)
	add(0)
	return fmt.Sprintf("%02d", 98-rem)
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func alnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}
