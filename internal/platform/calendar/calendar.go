// Package calendar is the one working-day calendar of rathaus: which civil
// dates are working days for a municipality (Monday to Friday, minus the
// statutory holidays of its federal state and the municipality's own), and
// deadline arithmetic in working days. Cases (processing deadlines) and
// appointments (opening days) use the same calendar.
//
// Everything is computed on civil dates in the municipality's time zone
// (Europe/Berlin), never by adding 24-hour durations, so a deadline across
// the change to or from daylight-saving time lands on the right day.
//
// Holidays come from the embedded table data/feiertage_de_2020-2035_computed.csv.
// A holiday marked local ("nur Stadt Augsburg") or only in parts of a state
// is not a state-wide holiday; the municipality adds it as its own
// (Calendar.Add) when it applies there. Bavaria's Assumption Day (only in
// municipalities with a mainly Catholic population) is included for BY, as
// most Bavarian municipalities observe it.
package calendar

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // Europe/Berlin even on machines without zoneinfo
)

//go:embed data/feiertage_de_2020-2035_computed.csv
var holidaysCSV []byte

// States are the codes of the 16 federal states.
var States = []string{"BB", "BE", "BW", "BY", "HB", "HE", "HH", "MV", "NI", "NW", "RP", "SH", "SL", "SN", "ST", "TH"}

// ValidState reports whether s is a federal state code.
func ValidState(s string) bool { return slices.Contains(States, s) }

// Date is a civil date without time of day or zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf is the civil date of t in loc.
func DateOf(t time.Time, loc *time.Location) Date {
	y, m, d := t.In(loc).Date()
	return Date{y, m, d}
}

// ParseDate reads YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	return Date{t.Year(), t.Month(), t.Day()}, nil
}

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// In is the instant of the date's midnight in loc (start of the day).
func (d Date) In(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// AddDays moves by n calendar days.
func (d Date) AddDays(n int) Date {
	t := time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC)
	return Date{t.Year(), t.Month(), t.Day()}
}

// Weekday of the date.
func (d Date) Weekday() time.Weekday {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Weekday()
}

// Before reports whether d is earlier than o.
func (d Date) Before(o Date) bool { return d.Compare(o) < 0 }

// Compare returns -1, 0 or +1.
func (d Date) Compare(o Date) int {
	switch {
	case d.Year != o.Year:
		return cmp(d.Year, o.Year)
	case d.Month != o.Month:
		return cmp(int(d.Month), int(o.Month))
	}
	return cmp(d.Day, o.Day)
}

func cmp(a, b int) int {
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}

// Holiday is one public holiday.
type Holiday struct {
	Date Date
	Name string
}

type row struct {
	date   Date
	name   string
	states []string // nil: ALL
	local  bool
}

var table = sync.OnceValues(func() ([]row, error) {
	r := csv.NewReader(bytes.NewReader(holidaysCSV))
	recs, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("calendar: holiday table: %w", err)
	}
	var out []row
	for i, rec := range recs {
		if i == 0 {
			continue
		}
		if len(rec) < 5 {
			return nil, fmt.Errorf("calendar: holiday table line %d: %d columns", i+1, len(rec))
		}
		d, err := ParseDate(rec[0])
		if err != nil {
			return nil, fmt.Errorf("calendar: holiday table line %d: %w", i+1, err)
		}
		rw := row{date: d, name: rec[2]}
		if rec[3] != "ALL" {
			rw.states = strings.Split(rec[3], ",")
		}
		note := rec[4]
		rw.local = strings.Contains(note, "(lokal)")
		out = append(out, rw)
	}
	return out, nil
})

// StateHolidays lists the state-wide holidays of a federal state (sorted).
// The table covers 2020–2035.
func StateHolidays(state string) ([]Holiday, error) {
	if !ValidState(state) {
		return nil, fmt.Errorf("calendar: unknown federal state %q", state)
	}
	rows, err := table()
	if err != nil {
		return nil, err
	}
	var out []Holiday
	for _, r := range rows {
		if r.local {
			continue
		}
		if r.states == nil || slices.Contains(r.states, state) {
			out = append(out, Holiday{Date: r.date, Name: r.name})
		}
	}
	return out, nil
}

// Berlin is the time zone of every German municipality.
var Berlin = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err) // time/tzdata is embedded
	}
	return loc
}()

// Calendar answers working-day questions for one municipality.
type Calendar struct {
	Loc      *time.Location
	holidays map[Date]string
}

// ForState is the calendar of a municipality in state, with its statutory
// holidays and no local ones.
func ForState(state string) (*Calendar, error) {
	hs, err := StateHolidays(state)
	if err != nil {
		return nil, err
	}
	c := &Calendar{Loc: Berlin, holidays: make(map[Date]string, len(hs))}
	for _, h := range hs {
		c.holidays[h.Date] = h.Name
	}
	return c, nil
}

// Add makes a date a holiday (a local holiday, a day the town hall closes).
func (c *Calendar) Add(d Date, name string) { c.holidays[d] = name }

// Remove makes a listed holiday a working day again (a partial holiday the
// municipality does not observe).
func (c *Calendar) Remove(d Date) { delete(c.holidays, d) }

// Holiday returns the holiday's name and true when d is a holiday.
func (c *Calendar) Holiday(d Date) (string, bool) {
	n, ok := c.holidays[d]
	return n, ok
}

// IsWorkingDay: Monday to Friday and not a holiday.
func (c *Calendar) IsWorkingDay(d Date) bool {
	wd := d.Weekday()
	if wd == time.Saturday || wd == time.Sunday {
		return false
	}
	_, h := c.holidays[d]
	return !h
}

// AddWorkingDays returns the date n working days after d (n ≥ 0; d itself
// does not count: a case submitted on Friday with 1 working day is due on
// Monday, or later after holidays). With n = 0 it is d when d is a working
// day, else the next working day.
func (c *Calendar) AddWorkingDays(d Date, n int) Date {
	if n <= 0 {
		for !c.IsWorkingDay(d) {
			d = d.AddDays(1)
		}
		return d
	}
	for n > 0 {
		d = d.AddDays(1)
		if c.IsWorkingDay(d) {
			n--
		}
	}
	return d
}

// WorkingDaysBetween counts working days after from up to and including to
// (0 when to is not after from).
func (c *Calendar) WorkingDaysBetween(from, to Date) int {
	n := 0
	for d := from.AddDays(1); !to.Before(d); d = d.AddDays(1) {
		if c.IsWorkingDay(d) {
			n++
		}
	}
	return n
}

// Deadline is the last instant of the working day n working days after the
// instant t (in the calendar's zone): the moment a deadline of n working days
// from t expires. Returned in UTC for storage.
func (c *Calendar) Deadline(t time.Time, n int) time.Time {
	d := c.AddWorkingDays(DateOf(t, c.Loc), n)
	return d.AddDays(1).In(c.Loc).Add(-time.Microsecond).UTC()
}
