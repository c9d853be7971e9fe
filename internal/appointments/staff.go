package appointments

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
)

// DayView is a location's day for staff: its opening, every booking and
// the waiting queue.
type DayView struct {
	Location string       `json:"location"`
	Date     string       `json:"date"`
	Holiday  string       `json:"holiday,omitempty"`
	Closed   bool         `json:"closed"`
	Note     string       `json:"note,omitempty"`
	Opens    string       `json:"opens,omitempty"`
	Closes   string       `json:"closes,omitempty"`
	Seats    int          `json:"seats"`  // seat-units of the day
	Booked   int          `json:"booked"` // of them claimed
	Blocks   []Block      `json:"blocks"`
	Bookings []DayBooking `json:"bookings"`
	Queue    []Ticket     `json:"queue"`
}

// DayBooking is one booking in the day plan. Staff see the name the
// citizen gave (until the personal data is deleted).
type DayBooking struct {
	Ref      string          `json:"id"`
	Start    time.Time       `json:"start"`
	End      time.Time       `json:"end"`
	Status   string          `json:"status"`
	Services []BookedService `json:"services"`
	Name     string          `json:"name,omitempty"`
	Channel  string          `json:"channel"`
	// Outside: the booking lies outside the current opening hours (they
	// changed after it was booked).
	Outside bool `json:"outside_hours,omitempty"`
}

// Day returns the day plan (staff of the tenant).
func (s *Service) Day(ctx context.Context, p identity.Principal, tenantID int64, locRef string, d calendar.Date) (*DayView, error) {
	s.init()
	if err := p.Require(tenantID, StaffRoles...); err != nil {
		return nil, ErrNotFound
	}
	l, err := s.location(ctx, tenantID, locRef)
	if err != nil {
		return nil, err
	}
	cal, err := s.calendar(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	plan := l.Plan(d, cal)
	v := &DayView{Location: l.Ref, Date: d.String(), Holiday: plan.Holiday, Closed: plan.Closed, Note: plan.Note, Blocks: []Block{}, Bookings: []DayBooking{}, Queue: []Ticket{}}
	open := map[int64]bool{}
	for _, u := range plan.Units {
		open[u.Start.Unix()] = true
	}
	if len(plan.Units) > 0 {
		v.Opens = plan.Units[0].Start.In(calendar.Berlin).Format("15:04")
		v.Closes = plan.Units[len(plan.Units)-1].Start.Add(time.Duration(l.SlotMinutes) * time.Minute).In(calendar.Berlin).Format("15:04")
	}
	for _, b := range l.Blocks {
		if b.Date == d.String() {
			v.Blocks = append(v.Blocks, b)
		}
	}
	from, to := d.In(calendar.Berlin).UTC(), d.AddDays(1).In(calendar.Berlin).UTC()
	if err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM appointment_seats WHERE location_id = $1 AND starts_at >= $2 AND starts_at < $3`, l.id, from, to).Scan(&v.Seats); err != nil {
		return nil, err
	}
	if err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM appointment_claims WHERE location_id = $1 AND starts_at >= $2 AND starts_at < $3`, l.id, from, to).Scan(&v.Booked); err != nil {
		return nil, err
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT ref, starts_at, ends_at, status, services, name, channel FROM appointment_bookings
		WHERE location_id = $1 AND starts_at >= $2 AND starts_at < $3 AND status NOT IN ('expired') ORDER BY starts_at, id`, l.id, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var b DayBooking
		var svc string
		var name sql.NullString
		if err := rows.Scan(&b.Ref, &b.Start, &b.End, &b.Status, &svc, &name, &b.Channel); err != nil {
			return nil, err
		}
		b.Name = name.String
		decodeServices(svc, &b.Services)
		for i := range b.Services {
			b.Services[i].Name = s.ServiceName(ctx, tenantID, b.Services[i].Service)
		}
		b.Outside = !open[b.Start.Unix()] && b.Status != StatusCancelled
		b.Start, b.End = b.Start.In(calendar.Berlin), b.End.In(calendar.Berlin)
		v.Bookings = append(v.Bookings, b)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	v.Queue, err = s.queue(ctx, l, d)
	return v, err
}

// AddBlock takes desks out of service for a time on a date (staff). The
// seats that are free go; booked ones stay and are listed (the staff
// cancel them if they must).
func (s *Service) AddBlock(ctx context.Context, p identity.Principal, tenantID int64, locRef string, b Block) (*Location, error) {
	s.init()
	if err := p.Require(tenantID, StaffRoles...); err != nil {
		return nil, ErrNotFound
	}
	l, err := s.location(ctx, tenantID, locRef)
	if err != nil {
		return nil, err
	}
	st := l.Settings
	st.Blocks = append(slices.Clone(st.Blocks), b)
	if err := Validate(l.Name, st); err != nil {
		if v, ok := fault.AsValidation(err); ok {
			out := &fault.Validation{}
			for _, fe := range v.Errors {
				if f, ok := strings.CutPrefix(fe.Field, fmt.Sprintf("blocks.%d.", len(st.Blocks)-1)); ok {
					fe.Field = f
					out.Errors = append(out.Errors, fe)
				}
			}
			if len(out.Errors) > 0 {
				return nil, out
			}
		}
		return nil, err
	}
	if d, _ := calendar.ParseDate(b.Date); d.Before(calendar.DateOf(s.now(), calendar.Berlin)) {
		return nil, fault.Invalid("date", "date_in_past")
	}
	return s.saveLocation(ctx, p, l, l.Name, l.Listed, st, "appointments.location.block")
}

// CancelDay closes a location on a date (staff): an exception closes it,
// every booking of the day is cancelled and its citizen told by mail.
func (s *Service) CancelDay(ctx context.Context, p identity.Principal, tenantID int64, locRef string, d calendar.Date, note string) (int, error) {
	s.init()
	if err := p.Require(tenantID, StaffRoles...); err != nil {
		return 0, ErrNotFound
	}
	l, err := s.location(ctx, tenantID, locRef)
	if err != nil {
		return 0, err
	}
	if d.Before(calendar.DateOf(s.now(), calendar.Berlin)) {
		return 0, fault.Invalid("date", "date_in_past")
	}
	note = strings.TrimSpace(note)
	if !textOK(note, 200) {
		return 0, fault.Invalid("note", "too_long", "max", 200)
	}
	from, to := d.In(calendar.Berlin).UTC(), d.AddDays(1).In(calendar.Berlin).UTC()
	rows, err := s.DB.R.QueryContext(ctx, `SELECT b.ref FROM appointment_bookings b WHERE b.location_id = $1 AND b.starts_at >= $2 AND b.starts_at < $3 AND b.status IN ('held', 'confirmed')`, l.id, from, to)
	if err != nil {
		return 0, err
	}
	refs := collect(rows)
	n := 0
	for _, r := range refs {
		b, err := s.bookingByRef(ctx, s.DB.R, tenantID, r)
		if err != nil {
			return n, err
		}
		if err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error { return cancelTx(tx, b, p.Ref, ReasonDay) }); err != nil {
			return n, err
		}
		n++
	}
	st := l.Settings
	st.Exceptions = slices.DeleteFunc(slices.Clone(st.Exceptions), func(e Exception) bool { return e.Date == d.String() })
	st.Exceptions = append(st.Exceptions, Exception{Date: d.String(), Closed: true, Note: note})
	if _, err := s.saveLocation(ctx, p, l, l.Name, l.Listed, st, "appointments.location.cancel_day"); err != nil {
		return n, err
	}
	err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "appointments.day.cancel", ObjectType: "appointment_location", ObjectRef: l.Ref,
			After: map[string]any{"date": d.String(), "cancelled": n}})
	})
	return n, err
}

// DayFigures are a location's figures of one day, for the KPI work.
type DayFigures struct {
	Location       string  `json:"location"`
	Day            string  `json:"day"`
	Bookings       int     `json:"bookings"`      // appointments of the day booked (not cancelled, not expired)
	Cancellations  int     `json:"cancellations"` // appointments of the day cancelled
	NoShows        int     `json:"no_shows"`
	WalkIns        int     `json:"walk_ins"`
	Served         int     `json:"served"` // tickets done
	AvgWaitMinutes float64 `json:"avg_wait_minutes"`
	MaxWaitMinutes float64 `json:"max_wait_minutes"`
}

// Figures returns the figures per location and day in a range (staff;
// later the KPI module). They survive the deletion of personal data.
func (s *Service) Figures(ctx context.Context, p identity.Principal, tenantID int64, locRef string, from, to calendar.Date) ([]DayFigures, error) {
	s.init()
	if err := p.Require(tenantID, StaffRoles...); err != nil {
		return nil, err
	}
	if to.Before(from) {
		return nil, fault.Invalid("to", "end_before_start")
	}
	if from.AddDays(366).Before(to) {
		return nil, fault.Invalid("to", "date_range_too_long", "max", 366)
	}
	locs, err := s.Locations(ctx, tenantID, true)
	if err != nil {
		return nil, err
	}
	if locRef != "" {
		l, err := s.location(ctx, tenantID, locRef)
		if err != nil {
			return nil, err
		}
		locs = []*Location{l}
	}
	out := []DayFigures{}
	t0, t1 := from.In(calendar.Berlin).UTC(), to.AddDays(1).In(calendar.Berlin).UTC()
	for _, l := range locs {
		byDay := map[string]*DayFigures{}
		get := func(day string) *DayFigures {
			f := byDay[day]
			if f == nil {
				f = &DayFigures{Location: l.Ref, Day: day}
				byDay[day] = f
			}
			return f
		}
		rows, err := s.DB.R.QueryContext(ctx, `SELECT starts_at, status FROM appointment_bookings WHERE location_id = $1 AND starts_at >= $2 AND starts_at < $3`, l.id, t0, t1)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var at time.Time
			var status string
			if err := rows.Scan(&at, &status); err != nil {
				rows.Close()
				return nil, err
			}
			f := get(calendar.DateOf(at, calendar.Berlin).String())
			switch status {
			case StatusCancelled:
				f.Cancellations++
			case StatusExpired:
			case StatusNoShow:
				f.NoShows++
				f.Bookings++
			default:
				f.Bookings++
			}
		}
		rows.Close()
		rows, err = s.DB.R.QueryContext(ctx, `SELECT day, kind, status, issued_at, called_at FROM appointment_tickets WHERE location_id = $1 AND day >= $2 AND day <= $3`, l.id, from.String(), to.String())
		if err != nil {
			return nil, err
		}
		waits := map[string][]float64{}
		for rows.Next() {
			var day, kind, status string
			var issued time.Time
			var called sql.NullTime
			if err := rows.Scan(&day, &kind, &status, &issued, &called); err != nil {
				rows.Close()
				return nil, err
			}
			f := get(day)
			if kind == "walk_in" {
				f.WalkIns++
			}
			if status == "done" {
				f.Served++
			}
			if called.Valid {
				waits[day] = append(waits[day], called.Time.Sub(issued).Minutes())
			}
		}
		rows.Close()
		for day, ws := range waits {
			f := get(day)
			sum := 0.0
			for _, w := range ws {
				sum += w
				f.MaxWaitMinutes = max(f.MaxWaitMinutes, w)
			}
			f.AvgWaitMinutes = round1(sum / float64(len(ws)))
			f.MaxWaitMinutes = round1(f.MaxWaitMinutes)
		}
		days := make([]string, 0, len(byDay))
		for d := range byDay {
			days = append(days, d)
		}
		slices.Sort(days)
		for _, d := range days {
			out = append(out, *byDay[d])
		}
	}
	return out, nil
}

func round1(x float64) float64 { return float64(int(x*10+0.5)) / 10 }
