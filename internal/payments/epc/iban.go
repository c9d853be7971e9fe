package epc

import (
	"math/big"
	"strings"
)

// ibanLengths are the IBAN lengths of the SEPA countries and a few more
// (ISO 13616 registry).
var ibanLengths = map[string]int{
	"AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "EE": 20,
	"ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IS": 26,
	"IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28,
	"PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "VA": 22, "FO": 18, "GL": 18, "AL": 28,
	"BA": 20, "ME": 22, "MK": 19, "RS": 22, "TR": 26, "UA": 29, "XK": 20, "MD": 24, "SA": 24, "AE": 23,
}

// NormalizeIBAN removes spaces and upper-cases an IBAN.
func NormalizeIBAN(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(s), ""))
}

// ValidIBAN reports whether s (normalised) is an IBAN with correct length
// for its country and correct check digits (mod 97 = 1).
func ValidIBAN(s string) bool {
	if len(s) < 15 || len(s) > 34 {
		return false
	}
	for i, r := range s {
		switch {
		case i < 2 && (r < 'A' || r > 'Z'):
			return false
		case i >= 2 && i < 4 && (r < '0' || r > '9'):
			return false
		case !(r >= '0' && r <= '9') && !(r >= 'A' && r <= 'Z'):
			return false
		}
	}
	if n, ok := ibanLengths[s[:2]]; ok && n != len(s) {
		return false
	} else if !ok {
		return false
	}
	return mod97(s[4:]+s[:4]) == 1
}

// mod97 computes the ISO 7064 MOD 97-10 remainder of s with letters as
// 10..35.
func mod97(s string) int {
	var b strings.Builder
	for _, r := range s {
		if r >= 'A' && r <= 'Z' {
			b.WriteString(big.NewInt(int64(r - 'A' + 10)).String())
		} else {
			b.WriteRune(r)
		}
	}
	rem := 0
	for _, c := range b.String() {
		rem = (rem*10 + int(c-'0')) % 97
	}
	return rem
}

// ValidBIC reports whether s is a BIC (8 or 11 characters).
func ValidBIC(s string) bool {
	if len(s) != 8 && len(s) != 11 {
		return false
	}
	for i, r := range s {
		switch {
		case i < 6 && (r < 'A' || r > 'Z'):
			return false
		case i >= 6 && !(r >= 'A' && r <= 'Z') && !(r >= '0' && r <= '9'):
			return false
		}
	}
	return true
}

// Mod97 is the ISO 7064 MOD 97-10 remainder of s (letters as 10..35), for
// other check-digit schemes built on it (SEPA creditor identifiers).
func Mod97(s string) int { return mod97(s) }
