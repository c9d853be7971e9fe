package appointments

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rathaus/rathaus/internal/platform/calendar"
)

func TestPlan(t *testing.T) {
	cal, err := calendar.ForState("BY")
	if err != nil {
		t.Fatal(err)
	}
	st := DefaultSettings()
	st.SlotMinutes = 30
	st.Rules = []Rule{
		{Weekdays: []int{1, 2, 3, 4, 5}, Opens: "08:00", Closes: "10:00", Desks: 2},
		{Weekdays: []int{2}, Opens: "09:00", Closes: "10:15", Desks: 1},                           // adds a desk; 10:00–10:15 is no whole unit
		{Weekdays: []int{4}, Opens: "14:00", Closes: "15:00", Desks: 1, ValidUntil: "2026-03-31"}, // only in March
	}
	st.Exceptions = []Exception{
		{Date: "2026-03-06", Closed: true, Note: "Betriebsausflug"},
		{Date: "2026-04-06", Opens: "10:00", Closes: "11:00", Desks: 1}, // Easter Monday opened
	}
	st.Blocks = []Block{{Date: "2026-03-03", From: "08:15", To: "08:45", Desks: 1}}
	type u struct {
		At    string
		Desks int
	}
	units := func(p DayPlan) []u {
		out := []u{}
		for _, x := range p.Units {
			out = append(out, u{x.Start.In(calendar.Berlin).Format("01-02 15:04"), x.Desks})
		}
		return out
	}
	day := func(s string) calendar.Date { d, _ := calendar.ParseDate(s); return d }
	cases := []struct {
		date    string
		want    []u
		holiday string
		closed  bool
	}{
		{"2026-03-02", []u{{"03-02 08:00", 2}, {"03-02 08:30", 2}, {"03-02 09:00", 2}, {"03-02 09:30", 2}}, "", false},
		// Tuesday: a block takes a desk from both units it overlaps; the second rule adds one.
		{"2026-03-03", []u{{"03-03 08:00", 1}, {"03-03 08:30", 1}, {"03-03 09:00", 3}, {"03-03 09:30", 3}}, "", false},
		{"2026-03-05", []u{{"03-05 08:00", 2}, {"03-05 08:30", 2}, {"03-05 09:00", 2}, {"03-05 09:30", 2}, {"03-05 14:00", 1}, {"03-05 14:30", 1}}, "", false},
		{"2026-04-02", []u{{"04-02 08:00", 2}, {"04-02 08:30", 2}, {"04-02 09:00", 2}, {"04-02 09:30", 2}}, "", false}, // the March rule ended
		{"2026-03-06", []u{}, "", true},
		{"2026-03-07", []u{}, "", false},                                       // Saturday
		{"2026-04-03", []u{}, "Karfreitag", false},                             // Good Friday
		{"2026-04-06", []u{{"04-06 10:00", 1}, {"04-06 10:30", 1}}, "", false}, // the exception opens the holiday
		// Summer time starts 2026-03-29; 08:00 local is 06:00 UTC from then on.
		{"2026-03-30", []u{{"03-30 08:00", 2}, {"03-30 08:30", 2}, {"03-30 09:00", 2}, {"03-30 09:30", 2}}, "", false},
	}
	for _, c := range cases {
		p := st.Plan(day(c.date), cal)
		if diff := cmp.Diff(c.want, units(p)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.date, diff)
		}
		if p.Holiday != c.holiday || p.Closed != c.closed {
			t.Errorf("%s: holiday %q closed %v", c.date, p.Holiday, p.Closed)
		}
	}
	if got := st.Plan(day("2026-03-30"), cal).Units[0].Start; !got.Equal(time.Date(2026, 3, 30, 6, 0, 0, 0, time.UTC)) {
		t.Errorf("summer time: first unit at %v UTC", got)
	}
}

func TestRelease(t *testing.T) {
	st := DefaultSettings()
	st.HorizonDays, st.ReleaseTime = 14, "07:00"
	d := calendar.Date{Year: 2026, Month: 3, Day: 30} // summer time
	if got, want := st.ReleaseOf(d), time.Date(2026, 3, 16, 6, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("release %v, want %v", got, want)
	}
	if got := st.LastReleasedDay(time.Date(2026, 3, 16, 5, 59, 0, 0, time.UTC)); got != (calendar.Date{Year: 2026, Month: 3, Day: 29}) {
		t.Errorf("before 07:00: last released %v", got)
	}
	if got := st.LastReleasedDay(time.Date(2026, 3, 16, 6, 0, 0, 0, time.UTC)); got != d {
		t.Errorf("at 07:00: last released %v", got)
	}
	st.Strategy, st.LotteryMinutes = Lottery, 20
	if got := st.LotteryEnd(d).Sub(st.ReleaseOf(d)); got != 20*time.Minute {
		t.Errorf("lottery window %v", got)
	}
}

func TestValidateSettings(t *testing.T) {
	st := DefaultSettings()
	st.SlotMinutes = 7
	st.ReleaseTime = "25:00"
	st.Rules = []Rule{{Weekdays: []int{8}, Opens: "12:00", Closes: "08:00", Desks: 0, ValidFrom: "2026-13-01"}}
	st.Exceptions = []Exception{{Date: "gestern", Opens: "09:00", Closes: "10:00", Desks: 1}}
	st.Services = []LocationService{{Service: "L-1", Minutes: 0, MaxCount: 1}, {Service: "L-1", Minutes: 5, MaxCount: 1}}
	err := Validate("", st)
	for _, want := range [][2]string{{"name", "required"}, {"slot_minutes", "not_a_divisor_of_a_day"}, {"release_time", "invalid_time_of_day"},
		{"opening_hours.0.weekdays", "out_of_range"}, {"opening_hours.0.closes", "end_before_start"}, {"opening_hours.0.desks", "out_of_range"},
		{"opening_hours.0.valid_from", "invalid_date"}, {"exceptions.0.date", "invalid_date"}, {"services.0.minutes", "out_of_range"}, {"services.1.service", "duplicate"}} {
		if !hasCode(err, want[0], want[1]) {
			t.Errorf("missing %s %s in %v", want[0], want[1], err)
		}
	}
}
