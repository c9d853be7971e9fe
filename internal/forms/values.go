package forms

import (
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// ibanLengths are the IBAN lengths of the SEPA countries (ISO 13616
// registry); an IBAN of another country is checked by its check digits and
// the general bounds only.
var ibanLengths = map[string]int{
	"AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "EE": 20,
	"ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IS": 26,
	"IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28,
	"PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "VA": 22,
}

// NormalizeIBAN removes spaces and upper-cases.
func NormalizeIBAN(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(s), ""))
}

// ValidIBAN checks an IBAN (normalised): country code, length for SEPA
// countries, and the ISO 7064 mod 97-10 check digits.
func ValidIBAN(s string) bool {
	if len(s) < 15 || len(s) > 34 {
		return false
	}
	if s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z' || s[2] < '0' || s[2] > '9' || s[3] < '0' || s[3] > '9' {
		return false
	}
	if n, ok := ibanLengths[s[:2]]; ok && len(s) != n {
		return false
	}
	if s[:2] == "DE" {
		for i := 4; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		}
	}
	rem := 0
	r := s[4:] + s[:4]
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case c >= '0' && c <= '9':
			rem = (rem*10 + int(c-'0')) % 97
		case c >= 'A' && c <= 'Z':
			rem = (rem*100 + int(c-'A'+10)) % 97
		default:
			return false
		}
	}
	return rem == 1
}

var postcodeRE = regexp.MustCompile(`^[0-9]{5}$`)

// ValidPostcode checks a German postcode: five digits, 01001–99998.
func ValidPostcode(s string) bool {
	if !postcodeRE.MatchString(s) {
		return false
	}
	n, _ := strconv.Atoi(s)
	return n >= 1001 && n <= 99998
}

var phoneRE = regexp.MustCompile(`^\+?[0-9 ()/.-]{5,30}$`)

// ValidPhone checks a telephone number: digits with the usual separators,
// an optional leading +, 5 to 20 digits.
func ValidPhone(s string) bool {
	if !phoneRE.MatchString(s) {
		return false
	}
	digits := 0
	for _, c := range s {
		if c >= '0' && c <= '9' {
			digits++
		}
	}
	return digits >= 5 && digits <= 20
}

// ValidEmail checks an e-mail address: one plain address (no display
// name), a dot in the domain, at most 254 characters.
func ValidEmail(s string) bool {
	if len(s) > 254 || strings.ContainsAny(s, " \t\r\n<>") {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && strings.Contains(s[at+1:], ".") && !strings.HasSuffix(s, ".")
}

// ParseAmount reads a money amount: "30.50", "30,50", "1.234,50", "30"
// (German input with a decimal comma is accepted, as are plain decimals).
func ParseAmount(s string) (decimal.Decimal, bool) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(strings.TrimSuffix(s, "€")), "EUR"))
	if s == "" || len(s) > 30 {
		return decimal.Decimal{}, false
	}
	if strings.Contains(s, ",") {
		// German: dots group thousands, the comma separates decimals.
		if strings.Count(s, ",") > 1 {
			return decimal.Decimal{}, false
		}
		intPart := s[:strings.IndexByte(s, ',')]
		if strings.Contains(intPart, ".") && !germanIntRE.MatchString(intPart) {
			return decimal.Decimal{}, false
		}
		s = strings.ReplaceAll(s, ".", "")
		s = strings.Replace(s, ",", ".", 1)
	}
	if !amountRE.MatchString(s) {
		return decimal.Decimal{}, false
	}
	d, err := decimal.NewFromString(s)
	return d, err == nil
}

var (
	amountRE    = regexp.MustCompile(`^-?[0-9]{1,15}(\.[0-9]+)?$`)
	germanIntRE = regexp.MustCompile(`^-?\d{1,3}(\.\d{3})+$`)
)

// parseNumber reads a number: plain decimal or with a decimal comma.
func parseNumber(s string) (decimal.Decimal, bool) {
	s = strings.TrimSpace(s)
	if strings.Count(s, ",") == 1 && !strings.Contains(s, ".") {
		s = strings.Replace(s, ",", ".", 1)
	}
	if !amountRE.MatchString(s) {
		return decimal.Decimal{}, false
	}
	d, err := decimal.NewFromString(s)
	return d, err == nil
}

// berlin is where the day of "today" is decided.
var berlin = func() *time.Location {
	l, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return l
}()

// Day is a civil date (no time of day, no zone).
type Day struct{ Y, M, D int }

func (d Day) String() string {
	return time.Date(d.Y, time.Month(d.M), d.D, 0, 0, 0, 0, time.UTC).Format("2006-01-02")
}

func (d Day) before(o Day) bool {
	if d.Y != o.Y {
		return d.Y < o.Y
	}
	if d.M != o.M {
		return d.M < o.M
	}
	return d.D < o.D
}

// Today is the civil date in Germany at t.
func Today(t time.Time) Day {
	y, m, d := t.In(berlin).Date()
	return Day{y, int(m), d}
}

// ParseDay reads "YYYY-MM-DD" or the German "TT.MM.JJJJ" (also "T.M.JJJJ")
// and rejects impossible dates (31.02.) and years outside 1800–2200.
func ParseDay(s string) (Day, bool) {
	s = strings.TrimSpace(s)
	var y, m, d int
	var err1, err2, err3 error
	if p := strings.Split(s, "-"); len(p) == 3 && len(p[0]) == 4 && len(p[1]) == 2 && len(p[2]) == 2 {
		y, err1 = strconv.Atoi(p[0])
		m, err2 = strconv.Atoi(p[1])
		d, err3 = strconv.Atoi(p[2])
	} else if p := strings.Split(s, "."); len(p) == 3 && len(p[2]) == 4 && len(p[0]) >= 1 && len(p[0]) <= 2 && len(p[1]) >= 1 && len(p[1]) <= 2 {
		d, err1 = strconv.Atoi(p[0])
		m, err2 = strconv.Atoi(p[1])
		y, err3 = strconv.Atoi(p[2])
	} else {
		return Day{}, false
	}
	if err1 != nil || err2 != nil || err3 != nil || y < 1800 || y > 2200 || m < 1 || m > 12 || d < 1 {
		return Day{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d || int(t.Month()) != m {
		return Day{}, false
	}
	return Day{y, m, d}, true
}

// refDay is a fixed day for checking that date bounds parse.
var refDay = Day{2026, 1, 1}

var relRE = regexp.MustCompile(`^today(?:([+-])([0-9]{1,4})([dmy]))?$`)

// parseDateBound reads a date rule ("2026-01-31", "today", "today-28d",
// "today+1y") relative to today.
func parseDateBound(s string, today Day) (Day, bool) {
	if m := relRE.FindStringSubmatch(s); m != nil {
		t := time.Date(today.Y, time.Month(today.M), today.D, 0, 0, 0, 0, time.UTC)
		if m[1] != "" {
			n, _ := strconv.Atoi(m[2])
			if m[1] == "-" {
				n = -n
			}
			switch m[3] {
			case "d":
				t = t.AddDate(0, 0, n)
			case "m":
				t = t.AddDate(0, n, 0)
			case "y":
				t = t.AddDate(n, 0, 0)
			}
		}
		return Day{t.Year(), int(t.Month()), t.Day()}, true
	}
	if len(s) == 10 {
		return ParseDay(s)
	}
	return Day{}, false
}
