package appointments

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rathaus/rathaus/internal/platform/fault"
)

// The staff settings page edits services, opening hours and exceptions as
// lines of text — one rule per line, readable and typed without a widget:
//
//	services:       L-7K3M-Q9TX 15 4        (reference, minutes, most per booking)
//	opening hours:  Mo-Fr 08:00-12:00 3 ab 2026-01-01 bis 2026-12-31
//	                Di,Do 14:00-18:00 2     (weekdays, hours, desks, optional period)
//	exceptions:     2026-12-24 geschlossen Heiligabend
//	                2026-12-27 09:00-12:00 2 Sonderöffnung
//
// English words (Mon-Fri, from, until, closed) are read too. A line that
// cannot be read is a field error naming its number; Validate checks the
// values afterwards.

var weekdayNames = map[string]int{
	"mo": 1, "mon": 1, "di": 2, "tue": 2, "tu": 2, "mi": 3, "wed": 3, "we": 3, "do": 4, "thu": 4, "th": 4,
	"fr": 5, "fri": 5, "sa": 6, "sat": 6, "so": 7, "sun": 7, "su": 7,
}

var weekdayShort = []string{"", "Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"}

func lines(text string) []string {
	return strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
}

func lineError(v *fault.Validation, field string, n int) {
	v.Add(field, "invalid_line", "line", n)
}

// ParseWeekdays reads "Mo-Fr", "Di,Do", "Sa".
func ParseWeekdays(s string) ([]int, bool) {
	var out []int
	seen := map[int]bool{}
	for _, part := range strings.Split(strings.ToLower(s), ",") {
		part = strings.TrimSpace(part)
		a, b, isRange := strings.Cut(part, "-")
		from, ok1 := weekdayNames[strings.TrimSpace(a)]
		if !ok1 {
			return nil, false
		}
		to := from
		if isRange {
			var ok2 bool
			if to, ok2 = weekdayNames[strings.TrimSpace(b)]; !ok2 || to < from {
				return nil, false
			}
		}
		for d := from; d <= to; d++ {
			if !seen[d] {
				seen[d] = true
				out = append(out, d)
			}
		}
	}
	return out, len(out) > 0
}

func formatWeekdays(ds []int) string {
	var parts []string
	for i := 0; i < len(ds); {
		j := i
		for j+1 < len(ds) && ds[j+1] == ds[j]+1 {
			j++
		}
		if ds[i] < 1 || ds[i] > 7 || ds[j] < 1 || ds[j] > 7 {
			i = j + 1
			continue
		}
		switch {
		case j-i >= 2:
			parts = append(parts, weekdayShort[ds[i]]+"-"+weekdayShort[ds[j]])
		case j > i:
			parts = append(parts, weekdayShort[ds[i]], weekdayShort[ds[j]])
		default:
			parts = append(parts, weekdayShort[ds[i]])
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// ParseHours reads "08:00-12:00".
func ParseHours(s string) (string, string, bool) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return "", "", false
	}
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	_, ok1 := clockSeconds(a)
	_, ok2 := clockSeconds(b)
	return a, b, ok1 && ok2 && len(a) == 5 && len(b) == 5
}

// ParseRules reads the opening hours, one rule per line.
func ParseRules(text string) ([]Rule, error) {
	v := &fault.Validation{}
	out := []Rule{}
	for i, line := range lines(text) {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 3 {
			lineError(v, "opening_hours", i+1)
			continue
		}
		wd, ok := ParseWeekdays(f[0])
		opens, closes, ok2 := ParseHours(f[1])
		desks, err := strconv.Atoi(f[2])
		if !ok || !ok2 || err != nil {
			lineError(v, "opening_hours", i+1)
			continue
		}
		r := Rule{Weekdays: wd, Opens: opens, Closes: closes, Desks: desks}
		rest := f[3:]
		bad := false
		for len(rest) > 0 {
			if len(rest) < 2 {
				bad = true
				break
			}
			switch strings.ToLower(rest[0]) {
			case "ab", "from":
				r.ValidFrom = rest[1]
			case "bis", "until":
				r.ValidUntil = rest[1]
			default:
				bad = true
			}
			rest = rest[2:]
		}
		if bad {
			lineError(v, "opening_hours", i+1)
			continue
		}
		out = append(out, r)
	}
	return out, v.Err()
}

// FormatRules writes rules as ParseRules reads them.
func FormatRules(rs []Rule) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "%s %s-%s %d", formatWeekdays(r.Weekdays), r.Opens, r.Closes, r.Desks)
		if r.ValidFrom != "" {
			b.WriteString(" ab " + r.ValidFrom)
		}
		if r.ValidUntil != "" {
			b.WriteString(" bis " + r.ValidUntil)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// ParseExceptions reads the exceptions, one date per line.
func ParseExceptions(text string) ([]Exception, error) {
	v := &fault.Validation{}
	out := []Exception{}
	for i, line := range lines(text) {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 2 {
			lineError(v, "exceptions", i+1)
			continue
		}
		e := Exception{Date: f[0]}
		switch strings.ToLower(f[1]) {
		case "geschlossen", "closed", "zu":
			e.Closed = true
			e.Note = strings.Join(f[2:], " ")
		default:
			opens, closes, ok := ParseHours(f[1])
			if !ok || len(f) < 3 {
				lineError(v, "exceptions", i+1)
				continue
			}
			desks, err := strconv.Atoi(f[2])
			if err != nil {
				lineError(v, "exceptions", i+1)
				continue
			}
			e.Opens, e.Closes, e.Desks, e.Note = opens, closes, desks, strings.Join(f[3:], " ")
		}
		out = append(out, e)
	}
	return out, v.Err()
}

// FormatExceptions writes exceptions as ParseExceptions reads them.
func FormatExceptions(es []Exception) string {
	var b strings.Builder
	for _, e := range es {
		if e.Closed {
			fmt.Fprintf(&b, "%s geschlossen", e.Date)
		} else {
			fmt.Fprintf(&b, "%s %s-%s %d", e.Date, e.Opens, e.Closes, e.Desks)
		}
		if e.Note != "" {
			b.WriteString(" " + e.Note)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// ParseServices reads the offered services, one per line: reference,
// minutes, most per booking (default 1).
func ParseServices(text string) ([]LocationService, error) {
	v := &fault.Validation{}
	out := []LocationService{}
	for i, line := range lines(text) {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 2 || len(f) > 3 {
			lineError(v, "services", i+1)
			continue
		}
		m, err := strconv.Atoi(f[1])
		if err != nil {
			lineError(v, "services", i+1)
			continue
		}
		ls := LocationService{Service: strings.ToUpper(f[0]), Minutes: m, MaxCount: 1}
		if len(f) == 3 {
			if ls.MaxCount, err = strconv.Atoi(f[2]); err != nil {
				lineError(v, "services", i+1)
				continue
			}
		}
		out = append(out, ls)
	}
	return out, v.Err()
}

// FormatServices writes services as ParseServices reads them.
func FormatServices(ss []LocationService) string {
	var b strings.Builder
	for _, s := range ss {
		fmt.Fprintf(&b, "%s %d %d\n", s.Service, s.Minutes, s.MaxCount)
	}
	return b.String()
}
