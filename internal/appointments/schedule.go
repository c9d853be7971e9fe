package appointments

import (
	"slices"
	"time"

	"github.com/rathaus/rathaus/internal/platform/calendar"
)

// Unit is one time unit of a day with the number of seats (desks) open
// in it.
type Unit struct {
	Start time.Time // UTC
	Desks int
}

// DayPlan is the opening of a location on one date: its units, or why it
// is closed.
type DayPlan struct {
	Date    calendar.Date
	Units   []Unit
	Holiday string // the holiday's name when the office is closed for it
	Closed  bool   // an exception closes it
	Note    string
}

// Plan computes the units of date d: an exception of the date decides
// alone (closed, or its own hours — which may open a holiday); otherwise a
// holiday of the calendar closes the office; otherwise every rule valid on
// d for its weekday contributes its desks. Blocks then take desks out.
// Units are whole SlotMinutes that end by the closing time, computed in
// Europe/Berlin, so daylight-saving days are right.
func (s Settings) Plan(d calendar.Date, cal *calendar.Calendar) DayPlan {
	p := DayPlan{Date: d}
	grid := s.SlotMinutes
	if grid <= 0 {
		return p
	}
	desks := map[int]int{} // minute of day -> desks
	addPeriod := func(opens, closes string, n int) {
		o, ok1 := clockSeconds(opens)
		c, ok2 := clockSeconds(closes)
		if !ok1 || !ok2 {
			return
		}
		for m := o / 60; m+grid <= c/60; m += grid {
			desks[m] += n
		}
	}
	date := d.String()
	exIdx := slices.IndexFunc(s.Exceptions, func(e Exception) bool { return e.Date == date })
	switch {
	case exIdx >= 0 && s.Exceptions[exIdx].Closed:
		p.Closed, p.Note = true, s.Exceptions[exIdx].Note
		return p
	case exIdx >= 0:
		e := s.Exceptions[exIdx]
		p.Note = e.Note
		addPeriod(e.Opens, e.Closes, e.Desks)
	default:
		if cal != nil {
			if name, ok := cal.Holiday(d); ok {
				p.Holiday = name
				return p
			}
		}
		wd := int(d.Weekday())
		if wd == 0 {
			wd = 7
		}
		for _, r := range s.Rules {
			if !slices.Contains(r.Weekdays, wd) {
				continue
			}
			if f, ok := parseDate(r.ValidFrom); ok && d.Before(f) {
				continue
			}
			if u, ok := parseDate(r.ValidUntil); ok && u.Before(d) {
				continue
			}
			addPeriod(r.Opens, r.Closes, r.Desks)
		}
	}
	for _, b := range s.Blocks {
		if b.Date != date {
			continue
		}
		from, ok1 := clockSeconds(b.From)
		to, ok2 := clockSeconds(b.To)
		if !ok1 || !ok2 {
			continue
		}
		for m := range desks {
			// A unit overlapping the block loses the blocked desks.
			if m*60 < to && (m+grid)*60 > from {
				desks[m] -= b.Desks
			}
		}
	}
	mins := make([]int, 0, len(desks))
	for m, n := range desks {
		if n > 0 {
			mins = append(mins, m)
		}
	}
	slices.Sort(mins)
	for _, m := range mins {
		p.Units = append(p.Units, Unit{Start: time.Date(d.Year, d.Month, d.Day, m/60, m%60, 0, 0, calendar.Berlin).UTC(), Desks: min(desks[m], MaxDesks)})
	}
	return p
}

// Open reports whether the plan has any unit.
func (p DayPlan) Open() bool { return len(p.Units) > 0 }
