package calendar

import (
	"testing"
	"time"
)

func d(s string) Date {
	x, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return x
}

func TestStateHolidays(t *testing.T) {
	by, err := StateHolidays("BY")
	if err != nil {
		t.Fatal(err)
	}
	has := func(hs []Holiday, date string) bool {
		for _, h := range hs {
			if h.Date == d(date) {
				return true
			}
		}
		return false
	}
	if !has(by, "2026-01-06") || !has(by, "2026-06-04") { // Epiphany, Corpus Christi
		t.Error("Bavaria lacks Epiphany or Corpus Christi 2026")
	}
	if has(by, "2026-08-08") {
		t.Error("Augsburg's local holiday counted as state-wide")
	}
	be, _ := StateHolidays("BE")
	if !has(be, "2026-03-08") || has(be, "2026-01-06") {
		t.Error("Berlin: Women's Day missing or Epiphany present")
	}
	if _, err := StateHolidays("XX"); err == nil {
		t.Error("unknown state accepted")
	}
}

func TestAddWorkingDays(t *testing.T) {
	c, err := ForState("BY")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		from string
		n    int
		want string
	}{
		{"2026-03-06", 1, "2026-03-09"}, // Friday + 1 → Monday
		{"2026-04-02", 1, "2026-04-07"}, // Thursday before Easter: Good Friday, weekend, Easter Monday
		{"2026-12-23", 2, "2026-12-28"}, // Christmas Day and Boxing Day
		{"2026-03-07", 0, "2026-03-09"}, // Saturday, 0 days → next working day
		{"2026-03-04", 0, "2026-03-04"}, // a working day itself
		{"2026-03-25", 5, "2026-04-01"}, // across the change to summer time (29 March)
		{"2026-10-22", 5, "2026-10-29"}, // across the change to winter time (25 October)
		{"2026-12-31", 1, "2027-01-04"}, // New Year, weekend
		{"2026-01-05", 1, "2026-01-07"}, // Epiphany in Bavaria
	}
	for _, tt := range tests {
		if got := c.AddWorkingDays(d(tt.from), tt.n); got != d(tt.want) {
			t.Errorf("AddWorkingDays(%s, %d) = %s, want %s", tt.from, tt.n, got, tt.want)
		}
	}
	be, _ := ForState("BE")
	if got := be.AddWorkingDays(d("2026-01-05"), 1); got != d("2026-01-06") {
		t.Errorf("Berlin works on Epiphany: got %s", got)
	}
	if n := c.WorkingDaysBetween(d("2026-03-27"), d("2026-04-10")); n != 8 {
		t.Errorf("WorkingDaysBetween over Easter = %d, want 8", n)
	}
}

func TestDeadlineAcrossDaylightSaving(t *testing.T) {
	c, _ := ForState("BY")
	// Submitted Friday 27 March 2026, 23:30 Berlin (22:30 UTC, winter time);
	// 1 working day → Monday 30 March, whose end is 21:59:59.999999 UTC
	// (summer time, UTC+2).
	sub := time.Date(2026, 3, 27, 22, 30, 0, 0, time.UTC)
	got := c.Deadline(sub, 1)
	want := time.Date(2026, 3, 30, 21, 59, 59, 999999000, time.UTC)
	if !got.Equal(want) {
		t.Errorf("Deadline = %s, want %s", got, want)
	}
	// The same instant as UTC date would be the 27th too, but 23:30 UTC on
	// Friday is already Saturday in Berlin: counted from Saturday.
	late := time.Date(2026, 3, 27, 23, 30, 0, 0, time.UTC)
	if got := DateOf(late, c.Loc); got != d("2026-03-28") {
		t.Errorf("DateOf = %s, want 2026-03-28", got)
	}
	if got := c.AddWorkingDays(DateOf(late, c.Loc), 2); got != d("2026-03-31") {
		t.Errorf("from Saturday +2 = %s, want Tuesday 2026-03-31", got)
	}
}

func TestLocalHolidayAndRemove(t *testing.T) {
	c, _ := ForState("BY")
	c.Add(d("2026-08-07"), "Betriebsausflug")
	if c.IsWorkingDay(d("2026-08-07")) {
		t.Error("added holiday is a working day")
	}
	c.Remove(d("2026-08-07"))
	if !c.IsWorkingDay(d("2026-08-07")) {
		t.Error("removed holiday is not a working day")
	}
}
