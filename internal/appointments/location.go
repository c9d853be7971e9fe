package appointments

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/fault"
)

// Location is a citizen office where appointments take place, with
// everything that decides its capacity and how it is released. API
// documents call the reference "id".
type Location struct {
	Ref    string `json:"id"`
	Name   string `json:"name"`
	Listed bool   `json:"listed"`
	Settings
	// Revision counts changes of the settings (read-only).
	Revision int64 `json:"revision"`

	id       int64
	tenantID int64
}

// Settings are a location's editable facts and rules.
type Settings struct {
	Address       Address `json:"address"`
	Accessibility string  `json:"accessibility"` // plain text, shown when booking
	// SlotMinutes is the length of one time unit (the grid); a booking
	// takes as many consecutive units as its services need.
	SlotMinutes int `json:"slot_minutes"`
	// HorizonDays: a day is released HorizonDays before it, at ReleaseTime
	// (Europe/Berlin, "07:00" or "07:00:30").
	HorizonDays int    `json:"horizon_days"`
	ReleaseTime string `json:"release_time"`
	// HoldMinutes is how long an unconfirmed booking keeps its units.
	HoldMinutes int `json:"hold_minutes"`
	// Strategy "first_come" or "lottery": in a lottery the requests of the
	// first LotteryMinutes after a release are collected and drawn.
	Strategy       string      `json:"release_strategy"`
	LotteryMinutes int         `json:"lottery_minutes"`
	Protections    Protections `json:"protections"`
	// MaxPerPerson is how many future bookings one person (account or
	// e-mail address) may hold at this location.
	MaxPerPerson int `json:"max_bookings_per_person"`
	// ReminderHours before the start a reminder with a calendar file goes
	// out; ReconfirmDays before the start (0: never) the citizen is asked to
	// reconfirm, and an unconfirmed booking is released one day before.
	ReminderHours int `json:"reminder_hours"`
	ReconfirmDays int `json:"reconfirm_days"`
	// NoShowMinutes after the start, a booking not checked in is a no-show.
	NoShowMinutes int `json:"no_show_minutes"`
	// RetentionDays after the appointment its personal data is deleted.
	RetentionDays int               `json:"retention_days"`
	Services      []LocationService `json:"services"`
	Rules         []Rule            `json:"opening_hours"`
	Exceptions    []Exception       `json:"exceptions"`
	Blocks        []Block           `json:"blocks"`
}

// Address of a location.
type Address struct {
	Street      string `json:"street"`
	HouseNumber string `json:"house_number"`
	Postcode    string `json:"postcode"`
	City        string `json:"city"`
}

// String is the one-line address.
func (a Address) String() string {
	s := strings.TrimSpace(a.Street + " " + a.HouseNumber)
	if pc := strings.TrimSpace(a.Postcode + " " + a.City); pc != "" {
		if s != "" {
			s += ", "
		}
		s += pc
	}
	return s
}

// Protections are the location's defences against bots, switched per
// location (a load-test scenario switches them off).
type Protections struct {
	// PoW requires a solved proof-of-work challenge for an immediate
	// booking; PoWDifficulty is the challenge's largest number (the
	// average solve takes half as many SHA-256 hashes).
	PoW           bool `json:"pow"`
	PoWDifficulty int  `json:"pow_difficulty"`
	// RateLimits limits booking attempts per client address and e-mail
	// address (shared by every process through platform/ratelimit).
	RateLimits bool `json:"rate_limits"`
}

// LocationService is a service of the catalog offered at a location, with
// the minutes it takes there and how many (persons, documents) one booking
// may ask for.
type LocationService struct {
	Service  string `json:"service"` // catalog reference L-…
	Minutes  int    `json:"minutes"`
	MaxCount int    `json:"max_count"`
}

// Rule is a weekly opening-hours pattern valid in a period: on the weekdays
// (1 Monday … 7 Sunday) from Opens to Closes with Desks counters in
// parallel. Rules that overlap add their desks.
type Rule struct {
	Weekdays   []int  `json:"weekdays"`
	Opens      string `json:"opens"`
	Closes     string `json:"closes"`
	Desks      int    `json:"desks"`
	ValidFrom  string `json:"valid_from,omitempty"`  // YYYY-MM-DD, inclusive; "" open
	ValidUntil string `json:"valid_until,omitempty"` // inclusive; "" open
}

// Exception changes one date: closed, or opening hours of their own (which
// also open a holiday or a weekend day).
type Exception struct {
	Date   string `json:"date"`
	Closed bool   `json:"closed"`
	Opens  string `json:"opens,omitempty"`
	Closes string `json:"closes,omitempty"`
	Desks  int    `json:"desks,omitempty"`
	Note   string `json:"note,omitempty"`
}

// Block takes desks out of service on a date from From to To (a meeting,
// a training): the units lose that many seats.
type Block struct {
	Date   string `json:"date"`
	From   string `json:"from"`
	To     string `json:"to"`
	Desks  int    `json:"desks"`
	Reason string `json:"reason,omitempty"`
}

// Limits of settings.
const (
	MaxDesks       = 64 // seats are bits of a 64-bit mask in the availability cache
	MaxHorizonDays = 366
	MaxUnits       = 96 // units of one booking
)

// Release strategies.
const (
	FirstCome = "first_come"
	Lottery   = "lottery"
)

// DefaultSettings are what a new location starts from.
func DefaultSettings() Settings {
	return Settings{SlotMinutes: 5, HorizonDays: 28, ReleaseTime: "07:00", HoldMinutes: 15, Strategy: FirstCome,
		LotteryMinutes: 10, Protections: Protections{PoW: true, PoWDifficulty: 50000, RateLimits: true},
		MaxPerPerson: 2, ReminderHours: 24, ReconfirmDays: 0, NoShowMinutes: 15, RetentionDays: 30,
		Services: []LocationService{}, Rules: []Rule{}, Exceptions: []Exception{}, Blocks: []Block{}}
}

var (
	clockRE = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$`)
	dateRE  = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
)

// clockSeconds reads "HH:MM" or "HH:MM:SS" as seconds after midnight.
func clockSeconds(s string) (int, bool) {
	if !clockRE.MatchString(s) {
		return 0, false
	}
	h, _ := strconv.Atoi(s[0:2])
	m, _ := strconv.Atoi(s[3:5])
	sec := 0
	if len(s) == 8 {
		sec, _ = strconv.Atoi(s[6:8])
	}
	return h*3600 + m*60 + sec, true
}

func parseDate(s string) (calendar.Date, bool) {
	if !dateRE.MatchString(s) {
		return calendar.Date{}, false
	}
	d, err := calendar.ParseDate(s)
	return d, err == nil
}

// normalize fills empty lists and trims texts.
func (s *Settings) normalize() {
	s.Accessibility = strings.TrimSpace(strings.ReplaceAll(s.Accessibility, "\r\n", "\n"))
	s.Address.Street = strings.TrimSpace(s.Address.Street)
	s.Address.HouseNumber = strings.TrimSpace(s.Address.HouseNumber)
	s.Address.Postcode = strings.TrimSpace(s.Address.Postcode)
	s.Address.City = strings.TrimSpace(s.Address.City)
	if s.Strategy == "" {
		s.Strategy = FirstCome
	}
	if s.Services == nil {
		s.Services = []LocationService{}
	}
	if s.Rules == nil {
		s.Rules = []Rule{}
	}
	if s.Exceptions == nil {
		s.Exceptions = []Exception{}
	}
	if s.Blocks == nil {
		s.Blocks = []Block{}
	}
	for i := range s.Rules {
		if s.Rules[i].Weekdays == nil {
			s.Rules[i].Weekdays = []int{}
		}
	}
}

func textOK(s string, max int) bool {
	return utf8.ValidString(s) && utf8.RuneCountInString(s) <= max && !strings.ContainsRune(s, 0)
}

// Validate checks a location's name and settings; every problem is one
// field error (the JSON field path).
func Validate(name string, s Settings) error {
	v := &fault.Validation{}
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		v.Add("name", "required")
	case !textOK(name, 200):
		v.Add("name", "too_long", "max", 200)
	}
	if !textOK(s.Accessibility, 4000) {
		v.Add("accessibility", "too_long", "max", 4000)
	}
	for f, val := range map[string]string{"address.street": s.Address.Street, "address.house_number": s.Address.HouseNumber, "address.postcode": s.Address.Postcode, "address.city": s.Address.City} {
		if !textOK(val, 200) {
			v.Add(f, "too_long", "max", 200)
		}
	}
	switch {
	case s.SlotMinutes < 1 || s.SlotMinutes > 120:
		v.Add("slot_minutes", "out_of_range", "min", 1, "max", 120)
	case 1440%s.SlotMinutes != 0:
		v.Add("slot_minutes", "not_a_divisor_of_a_day")
	}
	if s.HorizonDays < 0 || s.HorizonDays > MaxHorizonDays {
		v.Add("horizon_days", "out_of_range", "min", 0, "max", MaxHorizonDays)
	}
	if _, ok := clockSeconds(s.ReleaseTime); !ok {
		v.Add("release_time", "invalid_time")
	}
	if s.HoldMinutes < 1 || s.HoldMinutes > 24*60 {
		v.Add("hold_minutes", "out_of_range", "min", 1, "max", 24*60)
	}
	switch s.Strategy {
	case FirstCome:
	case Lottery:
		if s.LotteryMinutes < 1 || s.LotteryMinutes > 24*60 {
			v.Add("lottery_minutes", "out_of_range", "min", 1, "max", 24*60)
		}
	default:
		v.Add("release_strategy", "invalid_choice")
	}
	if s.Protections.PoW && (s.Protections.PoWDifficulty < 1000 || s.Protections.PoWDifficulty > 10_000_000) {
		v.Add("protections.pow_difficulty", "out_of_range", "min", 1000, "max", 10_000_000)
	}
	if s.MaxPerPerson < 1 || s.MaxPerPerson > 1000 {
		v.Add("max_bookings_per_person", "out_of_range", "min", 1, "max", 1000)
	}
	if s.ReminderHours < 0 || s.ReminderHours > 24*14 {
		v.Add("reminder_hours", "out_of_range", "min", 0, "max", 24*14)
	}
	if s.ReconfirmDays < 0 || s.ReconfirmDays > 30 || s.ReconfirmDays == 1 {
		v.Add("reconfirm_days", "out_of_range", "min", 2, "max", 30)
	}
	if s.NoShowMinutes < 1 || s.NoShowMinutes > 24*60 {
		v.Add("no_show_minutes", "out_of_range", "min", 1, "max", 24*60)
	}
	if s.RetentionDays < 1 || s.RetentionDays > 3650 {
		v.Add("retention_days", "out_of_range", "min", 1, "max", 3650)
	}
	seen := map[string]bool{}
	if len(s.Services) > 500 {
		v.Add("services", "too_many", "max", 500)
	}
	for i, ls := range s.Services {
		f := fmt.Sprintf("services.%d.", i)
		switch {
		case ls.Service == "":
			v.Add(f+"service", "required")
		case seen[ls.Service]:
			v.Add(f+"service", "duplicate")
		case !textOK(ls.Service, 40):
			v.Add(f+"service", "too_long", "max", 40)
		}
		seen[ls.Service] = true
		if ls.Minutes < 1 || ls.Minutes > 480 {
			v.Add(f+"minutes", "out_of_range", "min", 1, "max", 480)
		}
		if ls.MaxCount < 1 || ls.MaxCount > 20 {
			v.Add(f+"max_count", "out_of_range", "min", 1, "max", 20)
		}
	}
	if len(s.Rules) > 200 {
		v.Add("opening_hours", "too_many", "max", 200)
	}
	for i, r := range s.Rules {
		f := fmt.Sprintf("opening_hours.%d.", i)
		if len(r.Weekdays) == 0 {
			v.Add(f+"weekdays", "required")
		}
		for _, wd := range r.Weekdays {
			if wd < 1 || wd > 7 {
				v.Add(f+"weekdays", "out_of_range", "min", 1, "max", 7)
				break
			}
		}
		validPeriod(v, f, r.Opens, r.Closes, s.SlotMinutes)
		if r.Desks < 1 || r.Desks > MaxDesks {
			v.Add(f+"desks", "out_of_range", "min", 1, "max", MaxDesks)
		}
		from, okF := parseDate(r.ValidFrom)
		if r.ValidFrom != "" && !okF {
			v.Add(f+"valid_from", "invalid_date")
		}
		until, okU := parseDate(r.ValidUntil)
		if r.ValidUntil != "" && !okU {
			v.Add(f+"valid_until", "invalid_date")
		}
		if okF && okU && until.Before(from) {
			v.Add(f+"valid_until", "before_start")
		}
	}
	if len(s.Exceptions) > 1000 {
		v.Add("exceptions", "too_many", "max", 1000)
	}
	for i, e := range s.Exceptions {
		f := fmt.Sprintf("exceptions.%d.", i)
		if _, ok := parseDate(e.Date); !ok {
			v.Add(f+"date", "invalid_date")
		}
		if !e.Closed {
			validPeriod(v, f, e.Opens, e.Closes, s.SlotMinutes)
			if e.Desks < 1 || e.Desks > MaxDesks {
				v.Add(f+"desks", "out_of_range", "min", 1, "max", MaxDesks)
			}
		}
		if !textOK(e.Note, 200) {
			v.Add(f+"note", "too_long", "max", 200)
		}
	}
	if len(s.Blocks) > 2000 {
		v.Add("blocks", "too_many", "max", 2000)
	}
	for i, b := range s.Blocks {
		f := fmt.Sprintf("blocks.%d.", i)
		if _, ok := parseDate(b.Date); !ok {
			v.Add(f+"date", "invalid_date")
		}
		o, ok1 := clockSeconds(b.From)
		c, ok2 := clockSeconds(b.To)
		if !ok1 {
			v.Add(f+"from", "invalid_time")
		}
		if !ok2 {
			v.Add(f+"to", "invalid_time")
		}
		if ok1 && ok2 && c <= o {
			v.Add(f+"to", "before_start")
		}
		if b.Desks < 1 || b.Desks > MaxDesks {
			v.Add(f+"desks", "out_of_range", "min", 1, "max", MaxDesks)
		}
		if !textOK(b.Reason, 200) {
			v.Add(f+"reason", "too_long", "max", 200)
		}
	}
	return v.Err()
}

func validPeriod(v *fault.Validation, f, opens, closes string, grid int) {
	o, ok1 := clockSeconds(opens)
	c, ok2 := clockSeconds(closes)
	if !ok1 || len(opens) != 5 {
		v.Add(f+"opens", "invalid_time")
	}
	if !ok2 || len(closes) != 5 {
		v.Add(f+"closes", "invalid_time")
	}
	if ok1 && ok2 && c <= o {
		v.Add(f+"closes", "before_start")
	}
	if ok1 && grid > 0 && (o/60)%grid != 0 && grid <= 60 && 60%grid == 0 {
		v.Add(f+"opens", "off_grid", "minutes", grid)
	}
}

// Service returns the location's offer of a catalog service.
func (s Settings) Service(ref string) (LocationService, bool) {
	i := slices.IndexFunc(s.Services, func(ls LocationService) bool { return ls.Service == ref })
	if i < 0 {
		return LocationService{}, false
	}
	return s.Services[i], true
}

// ReleaseOf is the instant the units of day d become bookable.
func (s Settings) ReleaseOf(d calendar.Date) time.Time {
	sec, _ := clockSeconds(s.ReleaseTime)
	r := d.AddDays(-s.HorizonDays)
	return time.Date(r.Year, r.Month, r.Day, sec/3600, sec/60%60, sec%60, 0, calendar.Berlin).UTC()
}

// LotteryEnd is the end of the lottery window of day d (the release when
// the location books first come, first served).
func (s Settings) LotteryEnd(d calendar.Date) time.Time {
	r := s.ReleaseOf(d)
	if s.Strategy != Lottery {
		return r
	}
	return r.Add(time.Duration(s.LotteryMinutes) * time.Minute)
}

// LastReleasedDay is the latest day whose units are released at now.
func (s Settings) LastReleasedDay(now time.Time) calendar.Date {
	d := calendar.DateOf(now, calendar.Berlin).AddDays(s.HorizonDays + 1)
	for i := 0; i < 3 && s.ReleaseOf(d).After(now); i++ {
		d = d.AddDays(-1)
	}
	return d
}
