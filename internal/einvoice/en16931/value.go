package en16931

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Date is a calendar date without time zone, written YYYY-MM-DD in JSON.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// NewDate returns the date y-m-d; it does not check that the date exists.
func NewDate(y int, m time.Month, d int) Date { return Date{Year: y, Month: m, Day: d} }

// String returns the date as YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// German returns the date as DD.MM.YYYY.
func (d Date) German() string { return fmt.Sprintf("%02d.%02d.%04d", d.Day, int(d.Month), d.Year) }

// MarshalText implements encoding.TextMarshaler (YYYY-MM-DD).
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler (YYYY-MM-DD).
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseISODate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	switch {
	case d.Year != e.Year:
		return cmpInt(d.Year, e.Year)
	case d.Month != e.Month:
		return cmpInt(int(d.Month), int(e.Month))
	default:
		return cmpInt(d.Day, e.Day)
	}
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ErrInvalidValue is wrapped by every error of ParseDecimal, ParseISODate and
// ParseDate102.
var ErrInvalidValue = errors.New("invalid value")

// ParseISODate reads an xs:date as UBL writes dates: YYYY-MM-DD, optionally
// followed by a time zone (Z or ±hh:mm) that is checked and dropped. The date
// must exist in the Gregorian calendar.
func ParseISODate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return Date{}, fmt.Errorf("%w: date %q is not YYYY-MM-DD", ErrInvalidValue, s)
	}
	if tz := s[10:]; tz != "" && tz != "Z" && !isZoneOffset(tz) {
		return Date{}, fmt.Errorf("%w: date %q has a malformed time zone", ErrInvalidValue, s)
	}
	return dateOf(s[0:4], s[5:7], s[8:10], s)
}

func isZoneOffset(tz string) bool {
	return len(tz) == 6 && (tz[0] == '+' || tz[0] == '-') && digits(tz[1:3]) && tz[3] == ':' && digits(tz[4:6])
}

// ParseDate102 reads a date in UNTDID 2379 format 102 (CCYYMMDD), the only
// date format EN 16931 allows in CII.
func ParseDate102(s string) (Date, error) {
	s = strings.TrimSpace(s)
	if len(s) != 8 {
		return Date{}, fmt.Errorf("%w: date %q is not CCYYMMDD", ErrInvalidValue, s)
	}
	return dateOf(s[0:4], s[4:6], s[6:8], s)
}

func dateOf(ys, ms, ds, orig string) (Date, error) {
	if !digits(ys) || !digits(ms) || !digits(ds) {
		return Date{}, fmt.Errorf("%w: date %q has non-digits", ErrInvalidValue, orig)
	}
	y, m, d := atoi(ys), atoi(ms), atoi(ds)
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if m < 1 || m > 12 || d < 1 || t.Day() != d || int(t.Month()) != m {
		return Date{}, fmt.Errorf("%w: date %q does not exist", ErrInvalidValue, orig)
	}
	return Date{Year: y, Month: time.Month(m), Day: d}, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// maxDecimalLen bounds the length of a decimal text, so that a hostile
// document cannot make the model hold huge numbers.
const maxDecimalLen = 64

// ParseDecimal reads an xs:decimal: optional sign, digits, optional fraction,
// surrounding white space allowed; no exponent, no thousands separators, no
// comma. The scale written is kept ("12.50" stays 2 decimals).
func ParseDecimal(s string) (Amount, error) {
	t := strings.TrimSpace(s)
	if len(t) > maxDecimalLen {
		return Amount{}, fmt.Errorf("%w: number %.20q… is longer than %d characters", ErrInvalidValue, t, maxDecimalLen)
	}
	body := t
	if body != "" && (body[0] == '+' || body[0] == '-') {
		body = body[1:]
	}
	intPart, frac, _ := strings.Cut(body, ".")
	if (intPart == "" && frac == "") || (intPart != "" && !digits(intPart)) || (frac != "" && !digits(frac)) {
		return Amount{}, fmt.Errorf("%w: %q is not a decimal number", ErrInvalidValue, s)
	}
	norm := intPart
	if norm == "" {
		norm = "0"
	}
	if t[0] == '-' {
		norm = "-" + norm
	}
	if frac != "" {
		norm += "." + frac
	}
	d, err := decimal.NewFromString(norm)
	if err != nil {
		return Amount{}, fmt.Errorf("%w: %q: %v", ErrInvalidValue, s, err)
	}
	return Amount{d}, nil
}

// String returns the decimal with the scale it was written with.
func (a Amount) String() string {
	if e := a.Exponent(); e < 0 {
		return a.StringFixed(-e)
	}
	return a.Decimal.String()
}

// MarshalText implements encoding.TextMarshaler; JSON gets a string.
func (a Amount) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// MarshalJSON writes the amount as a JSON string, "1125.00".
func (a Amount) MarshalJSON() ([]byte, error) { return []byte(`"` + a.String() + `"`), nil }

// UnmarshalText implements encoding.TextUnmarshaler with ParseDecimal.
func (a *Amount) UnmarshalText(b []byte) error {
	v, err := ParseDecimal(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// UnmarshalJSON reads a JSON string (or bare number) with ParseDecimal.
func (a *Amount) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	return a.UnmarshalText([]byte(s))
}
