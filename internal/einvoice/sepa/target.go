package sepa

import (
	"time"

	"github.com/rathaus/rathaus/internal/platform/calendar"
)

// BusinessDay reports whether d is a TARGET2 business day, on which SEPA
// transfers are executed: not a Saturday or Sunday, not 1 January, Good
// Friday, Easter Monday, 1 May, 25 or 26 December.
func BusinessDay(d calendar.Date) bool {
	switch d.Weekday() {
	case time.Saturday, time.Sunday:
		return false
	}
	switch {
	case d.Month == time.January && d.Day == 1,
		d.Month == time.May && d.Day == 1,
		d.Month == time.December && (d.Day == 25 || d.Day == 26):
		return false
	}
	e := easter(d.Year)
	return d != e.AddDays(-2) && d != e.AddDays(1)
}

// NextBusinessDay is d if it is a business day, else the next one.
func NextBusinessDay(d calendar.Date) calendar.Date {
	for !BusinessDay(d) {
		d = d.AddDays(1)
	}
	return d
}

// PrevBusinessDay is d if it is a business day, else the one before.
func PrevBusinessDay(d calendar.Date) calendar.Date {
	for !BusinessDay(d) {
		d = d.AddDays(-1)
	}
	return d
}

// easter is Easter Sunday of the Gregorian year y (the anonymous
// Gregorian algorithm).
func easter(y int) calendar.Date {
	a := y % 19
	b, c := y/100, y%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return calendar.Date{Year: y, Month: time.Month(month), Day: day}
}
