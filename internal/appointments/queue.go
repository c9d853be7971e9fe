package appointments

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/ref"
)

// The on-site queue: at the kiosk (a terminal signed in by staff) a
// citizen checks in with the booking number of their mail, or draws a
// ticket without an appointment; staff at a counter call the next ticket
// — appointments that are due first, then walk-ins in order, then early
// appointments — and the call display shows the calls live. Tickets are
// numbered per location and day (appointment_days.ticket_seq); every
// change bumps the day's queue revision, which the display polls.

// Ticket is a waiting ticket.
type Ticket struct {
	Ref      string          `json:"id"`
	Number   string          `json:"number"` // "T 12" (appointment) or "W 13" (walk-in)
	Kind     string          `json:"kind"`
	Status   string          `json:"status"` // waiting, called, done, no_show, cancelled
	Services []BookedService `json:"services"`
	Counter  string          `json:"counter,omitempty"`
	IssuedAt time.Time       `json:"issued_at"`
	CalledAt *time.Time      `json:"called_at,omitempty"`
	Booking  string          `json:"booking,omitempty"`
	Start    *time.Time      `json:"appointment_start,omitempty"`
	Ahead    int             `json:"ahead"`
	Wait     int             `json:"estimated_wait_minutes"`
	Token    string          `json:"-"`
	Location string          `json:"location"`

	id, locationID, bookingID int64
	minutes                   int
	day                       string
}

// CheckInEarly is how long before the start a citizen may check in.
const CheckInEarly = 60 * time.Minute

func decodeServices(s string, out *[]BookedService) {
	if err := json.Unmarshal([]byte(s), out); err != nil || *out == nil {
		*out = []BookedService{}
	}
}

const ticketCols = `t.id, t.ref, t.location_id, l.ref, t.day, t.number, t.kind, t.status, t.services, t.minutes, t.counter, t.issued_at, t.called_at, t.booking_id, b.ref, b.starts_at`

func scanTicket(row interface{ Scan(...any) error }) (*Ticket, error) {
	var t Ticket
	var svc string
	var num int
	var called, start sql.NullTime
	var bid sql.NullInt64
	var bref sql.NullString
	err := row.Scan(&t.id, &t.Ref, &t.locationID, &t.Location, &t.day, &num, &t.Kind, &t.Status, &svc, &t.minutes, &t.Counter, &t.IssuedAt, &called, &bid, &bref, &start)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	decodeServices(svc, &t.Services)
	prefix := "W"
	if t.Kind == "appointment" {
		prefix = "T"
	}
	t.Number = fmt.Sprintf("%s %d", prefix, num)
	t.IssuedAt = t.IssuedAt.In(calendar.Berlin)
	if called.Valid {
		c := called.Time.In(calendar.Berlin)
		t.CalledAt = &c
	}
	if start.Valid {
		st := start.Time.In(calendar.Berlin)
		t.Start = &st
	}
	t.bookingID, t.Booking = bid.Int64, bref.String
	return &t, nil
}

const ticketFrom = ` FROM appointment_tickets t JOIN appointment_locations l ON l.id = t.location_id LEFT JOIN appointment_bookings b ON b.id = t.booking_id`

// queue lists the day's tickets in call order, waiting ones with their
// estimated wait.
func (s *Service) queue(ctx context.Context, l *Location, d calendar.Date) ([]Ticket, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT `+ticketCols+ticketFrom+` WHERE t.location_id = $1 AND t.day = $2 ORDER BY t.id`, l.id, d.String())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var all []Ticket
	for rows.Next() {
		t, err := scanTicket(rows)
		if err != nil {
			return nil, err
		}
		all = append(all, *t)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	s.estimate(l, all)
	return all, nil
}

// callOrder sorts waiting tickets: appointments due (start within five
// minutes) by start, then walk-ins by issue, then early appointments.
func callOrder(ts []Ticket, now time.Time) []int {
	var idx []int
	for i, t := range ts {
		if t.Status == "waiting" {
			idx = append(idx, i)
		}
	}
	rank := func(t Ticket) int {
		switch {
		case t.Kind == "appointment" && t.Start != nil && !t.Start.After(now.Add(5*time.Minute)):
			return 0
		case t.Kind == "walk_in":
			return 1
		}
		return 2
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		ra, rb := rank(ts[a]), rank(ts[b])
		if ra != rb {
			return ra - rb
		}
		if ra != 1 && ts[a].Start != nil && ts[b].Start != nil {
			return ts[a].Start.Compare(*ts[b].Start)
		}
		return ts[a].IssuedAt.Compare(ts[b].IssuedAt)
	})
	return idx
}

// estimate fills Ahead and Wait: the minutes of the tickets ahead divided
// by the counters that called within the last hour (at least one).
func (s *Service) estimate(l *Location, ts []Ticket) {
	now := s.now()
	counters := map[string]bool{}
	for _, t := range ts {
		if t.CalledAt != nil && now.Sub(*t.CalledAt) < time.Hour && t.Counter != "" {
			counters[t.Counter] = true
		}
	}
	n := max(len(counters), 1)
	minutes := 0
	for pos, i := range callOrder(ts, now) {
		ts[i].Ahead = pos
		ts[i].Wait = minutes / n
		minutes += max(ts[i].minutes, l.SlotMinutes)
	}
}

func nextTicketNumber(tx *database.Tx, loc int64, day string) (int, error) {
	var n int
	err := tx.QueryRowContext(tx.Context(), `INSERT INTO appointment_days (location_id, day, revision, ticket_seq, queue_rev) VALUES ($1, $2, 1, 1, 1)
		ON CONFLICT (location_id, day) DO UPDATE SET ticket_seq = appointment_days.ticket_seq + 1, queue_rev = appointment_days.queue_rev + 1
		RETURNING ticket_seq`, loc, day).Scan(&n)
	return n, err
}

func bumpQueue(tx *database.Tx, loc int64, day string) error {
	_, err := tx.ExecContext(tx.Context(), `UPDATE appointment_days SET queue_rev = queue_rev + 1 WHERE location_id = $1 AND day = $2`, loc, day)
	return err
}

func (s *Service) issue(ctx context.Context, l *Location, kind string, services []BookedService, minutes int, booking *Booking, actor, r string) (*Ticket, error) {
	day := calendar.DateOf(s.now(), calendar.Berlin).String()
	if r == "" {
		r = ref.New("W")
	}
	t := &Ticket{Ref: r, Kind: kind, Status: "waiting", Services: services, Location: l.Ref, locationID: l.id, minutes: minutes, day: day}
	svc, _ := json.Marshal(services)
	err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		num, err := nextTicketNumber(tx, l.id, day)
		if err != nil {
			return err
		}
		var bid any
		if booking != nil {
			bid = booking.id
			res, err := tx.ExecContext(ctx, `UPDATE appointment_bookings SET status = 'checked_in', checked_in_at = $1 WHERE id = $2 AND status = 'confirmed'`, tx.Now(), booking.id)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return ErrNotActive
			}
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO appointment_tickets (tenant_id, ref, location_id, day, number, kind, booking_id, services, minutes, status, issued_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'waiting', $10) RETURNING id`, l.tenantID, t.Ref, l.id, day, num, kind, bid, string(svc), minutes, tx.Now()).Scan(&t.id); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: l.tenantID, Actor: actor, Action: "appointments.ticket.issue", ObjectType: "appointment_ticket", ObjectRef: t.Ref,
			After: map[string]any{"kind": kind, "number": num}})
	})
	if err != nil {
		return nil, err
	}
	return s.Ticket(ctx, l.tenantID, t.Ref)
}

// CheckIn issues the ticket of a booking arriving at the kiosk; code is
// the booking number of the confirmation mail. Only a confirmed booking of
// this location and day, from an hour before its start until it counts as
// a no-show, checks in; otherwise the citizen draws a walk-in ticket.
func (s *Service) CheckIn(ctx context.Context, p identity.Principal, tenantID int64, locRef, code string) (*Ticket, error) {
	s.init()
	if err := p.Require(tenantID, StaffRoles...); err != nil {
		return nil, ErrNotFound
	}
	l, err := s.location(ctx, tenantID, locRef)
	if err != nil {
		return nil, err
	}
	code = strings.ToUpper(strings.TrimSpace(code))
	if !strings.HasPrefix(code, "T-") && len(code) == 8 {
		code = "T-" + code[:4] + "-" + code[4:]
	}
	if !ref.Valid("T", code) {
		return nil, fault.Invalid("code", "booking_unknown")
	}
	b, err := s.bookingByRef(ctx, s.DB.R, tenantID, code)
	if errors.Is(err, ErrNotFound) || err == nil && b.locationID != l.id {
		return nil, fault.Invalid("code", "booking_unknown")
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	switch {
	case b.Status == StatusCheckedIn || b.Status == StatusCalled:
		return nil, fault.Invalid("code", "already_checked_in")
	case b.Status != StatusConfirmed:
		return nil, fault.Invalid("code", "booking_not_confirmed")
	case calendar.DateOf(b.Start, calendar.Berlin) != calendar.DateOf(now, calendar.Berlin):
		return nil, fault.Invalid("code", "checkin_not_today")
	case now.Before(b.Start.Add(-CheckInEarly)):
		return nil, fault.Invalid("code", "checkin_too_early", "minutes", int(CheckInEarly.Minutes()))
	case now.After(b.Start.Add(time.Duration(l.NoShowMinutes) * time.Minute)):
		return nil, fault.Invalid("code", "checkin_too_late")
	}
	minutes := 0
	for _, bs := range b.Services {
		minutes += bs.Minutes
	}
	t, err := s.issue(ctx, l, "appointment", b.Services, minutes, b, p.Ref, "")
	if errors.Is(err, ErrNotActive) {
		return nil, fault.Invalid("code", "booking_not_confirmed")
	}
	return t, err
}

// WalkIn issues a ticket without an appointment for the chosen services.
func (s *Service) WalkIn(ctx context.Context, p identity.Principal, tenantID int64, locRef string, services []ServiceCount) (*Ticket, error) {
	s.init()
	if err := p.Require(tenantID, StaffRoles...); err != nil {
		return nil, ErrNotFound
	}
	l, err := s.location(ctx, tenantID, locRef)
	if err != nil {
		return nil, err
	}
	bs, k, err := l.need(services, "services")
	if err != nil {
		return nil, err
	}
	return s.issue(ctx, l, "walk_in", bs, k*l.SlotMinutes, nil, p.Ref, "")
}

// Ticket returns a ticket with its place in the queue.
func (s *Service) Ticket(ctx context.Context, tenantID int64, r string) (*Ticket, error) {
	s.init()
	t, err := scanTicket(s.DB.R.QueryRowContext(ctx, `SELECT `+ticketCols+ticketFrom+` WHERE t.ref = $1 AND t.tenant_id = $2`, r, tenantID))
	if err != nil {
		return nil, err
	}
	l, err := s.location(ctx, tenantID, t.Location)
	if err != nil {
		return nil, err
	}
	d, _ := calendar.ParseDate(t.day)
	q, err := s.queue(ctx, l, d)
	if err != nil {
		return nil, err
	}
	for _, o := range q {
		if o.Ref == t.Ref {
			t.Ahead, t.Wait = o.Ahead, o.Wait
		}
	}
	k, err := s.keys(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	t.Token = makeToken(k.link, purposeTicket, t.Ref)
	return t, nil
}

// TicketByToken returns the ticket of a ticket page link.
func (s *Service) TicketByToken(ctx context.Context, tenantID int64, token string) (*Ticket, error) {
	s.init()
	k, err := s.keys(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	r, ok := parseToken(k.link, purposeTicket, "W", token)
	if !ok {
		return nil, ErrBadLink
	}
	return s.Ticket(ctx, tenantID, r)
}

// CallNext calls the next waiting ticket to a counter (staff); the ticket
// the counter had called before is done. nil when nobody waits.
func (s *Service) CallNext(ctx context.Context, p identity.Principal, tenantID int64, locRef, counter string) (*Ticket, error) {
	s.init()
	if err := p.Require(tenantID, StaffRoles...); err != nil {
		return nil, ErrNotFound
	}
	counter = strings.TrimSpace(counter)
	if counter == "" {
		return nil, fault.Invalid("counter", "required")
	}
	if !textOK(counter, 20) {
		return nil, fault.Invalid("counter", "too_long", "max", 20)
	}
	l, err := s.location(ctx, tenantID, locRef)
	if err != nil {
		return nil, err
	}
	now := s.now()
	d := calendar.DateOf(now, calendar.Berlin)
	// Each lost race means another counter called a ticket, so the queue
	// shrinks with every attempt: an office with many counters is bounded
	// by its queue, not by a fixed number of tries.
	for attempt := 0; attempt < 1000; attempt++ {
		q, err := s.queue(ctx, l, d)
		if err != nil {
			return nil, err
		}
		order := callOrder(q, now)
		if len(order) == 0 {
			if err := s.finishCounter(ctx, l, d.String(), counter, p.Ref); err != nil {
				return nil, err
			}
			return nil, nil
		}
		next := q[order[0]]
		called := false
		err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
			if err := finishCounterTx(tx, l, d.String(), counter, p.Ref); err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `UPDATE appointment_tickets SET status = 'called', counter = $1, called_at = $2 WHERE id = $3 AND status = 'waiting'`, counter, tx.Now(), next.id)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return nil // another counter was faster: try the next
			}
			called = true
			if next.bookingID != 0 {
				if _, err := tx.ExecContext(ctx, `UPDATE appointment_bookings SET status = 'called', called_at = $1 WHERE id = $2`, tx.Now(), next.bookingID); err != nil {
					return err
				}
			}
			if err := bumpQueue(tx, l.id, d.String()); err != nil {
				return err
			}
			return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "appointments.ticket.call", ObjectType: "appointment_ticket", ObjectRef: next.Ref,
				After: map[string]any{"counter": counter}})
		})
		if err != nil {
			return nil, err
		}
		if called {
			return s.Ticket(ctx, tenantID, next.Ref)
		}
	}
	return nil, fmt.Errorf("call next: %w", fault.ErrConflict)
}

func (s *Service) finishCounter(ctx context.Context, l *Location, day, counter, actor string) error {
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error { return finishCounterTx(tx, l, day, counter, actor) })
}

// finishCounterTx marks the ticket a counter had called as done.
func finishCounterTx(tx *database.Tx, l *Location, day, counter, actor string) error {
	return closeTickets(tx, l, `location_id = $1 AND day = $2 AND counter = $3 AND status = 'called'`, []any{l.id, day, counter}, "done", actor)
}

func closeTickets(tx *database.Tx, l *Location, where string, args []any, status, actor string) error {
	ctx := tx.Context()
	rows, err := tx.QueryContext(ctx, `SELECT id, ref, booking_id, day FROM appointment_tickets WHERE `+where, args...)
	if err != nil {
		return err
	}
	type tk struct {
		id  int64
		ref string
		bid sql.NullInt64
		day string
	}
	var ts []tk
	for rows.Next() {
		var t tk
		rows.Scan(&t.id, &t.ref, &t.bid, &t.day)
		ts = append(ts, t)
	}
	rows.Close()
	for _, t := range ts {
		if _, err := tx.ExecContext(ctx, `UPDATE appointment_tickets SET status = $1, done_at = $2 WHERE id = $3`, status, tx.Now(), t.id); err != nil {
			return err
		}
		if t.bid.Valid {
			bs := StatusDone
			if status == "no_show" {
				bs = StatusNoShow
			}
			if _, err := tx.ExecContext(ctx, `UPDATE appointment_bookings SET status = $1, done_at = $2 WHERE id = $3`, bs, tx.Now(), t.bid.Int64); err != nil {
				return err
			}
		}
		if err := bumpQueue(tx, l.id, t.day); err != nil {
			return err
		}
		if err := audit.Append(tx, audit.Event{TenantID: l.tenantID, Actor: actor, Action: "appointments.ticket." + status, ObjectType: "appointment_ticket", ObjectRef: t.ref}); err != nil {
			return err
		}
	}
	return nil
}

// FinishTicket closes a called ticket: done, or no-show when the citizen
// did not come to the counter (staff).
func (s *Service) FinishTicket(ctx context.Context, p identity.Principal, tenantID int64, ticketRef string, noShow bool) (*Ticket, error) {
	s.init()
	if err := p.Require(tenantID, StaffRoles...); err != nil {
		return nil, ErrNotFound
	}
	t, err := s.Ticket(ctx, tenantID, ticketRef)
	if err != nil {
		return nil, err
	}
	if t.Status != "called" && t.Status != "waiting" {
		return nil, fmt.Errorf("ticket %s is %s: %w", t.Ref, t.Status, fault.ErrConflict)
	}
	l, err := s.location(ctx, tenantID, t.Location)
	if err != nil {
		return nil, err
	}
	status := "done"
	if noShow {
		status = "no_show"
	}
	err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		return closeTickets(tx, l, `id = $1 AND status IN ('called', 'waiting')`, []any{t.id}, status, p.Ref)
	})
	if err != nil {
		return nil, err
	}
	return s.Ticket(ctx, tenantID, t.Ref)
}

// Display is what the call display shows: the latest calls and the
// waiting queue's length and estimated wait — numbers only, no names.
type Display struct {
	Location string    `json:"location"`
	Name     string    `json:"name"`
	Revision int64     `json:"revision"`
	Calls    []Call    `json:"calls"`
	Waiting  int       `json:"waiting"`
	Wait     int       `json:"estimated_wait_minutes"`
	At       time.Time `json:"at"`
}

// Call is one call on the display.
type Call struct {
	Number, Counter string
	At              time.Time
}

// QueueRevision is the day's queue revision (the display polls it).
func (s *Service) QueueRevision(ctx context.Context, l *Location) (int64, error) {
	var rev int64
	err := s.DB.R.QueryRowContext(ctx, `SELECT queue_rev FROM appointment_days WHERE location_id = $1 AND day = $2`, l.id, calendar.DateOf(s.now(), calendar.Berlin).String()).Scan(&rev)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return rev, err
}

// DisplayOf returns the call display's state of a location today (public:
// it hangs in the waiting room).
func (s *Service) DisplayOf(ctx context.Context, tenantID int64, locRef string) (*Display, error) {
	s.init()
	l, err := s.location(ctx, tenantID, locRef)
	if err != nil {
		return nil, err
	}
	rev, err := s.QueueRevision(ctx, l)
	if err != nil {
		return nil, err
	}
	q, err := s.queue(ctx, l, calendar.DateOf(s.now(), calendar.Berlin))
	if err != nil {
		return nil, err
	}
	v := &Display{Location: l.Ref, Name: l.Name, Revision: rev, Calls: []Call{}, At: s.now().In(calendar.Berlin)}
	var calls []Ticket
	newWait := 0
	for _, t := range q {
		if t.CalledAt != nil && (t.Status == "called" || t.Status == "done") {
			calls = append(calls, t)
		}
		if t.Status == "waiting" {
			v.Waiting++
			newWait = max(newWait, t.Wait+max(t.minutes, l.SlotMinutes))
		}
	}
	slices.SortFunc(calls, func(a, b Ticket) int { return b.CalledAt.Compare(*a.CalledAt) })
	for i, t := range calls {
		if i == 6 {
			break
		}
		v.Calls = append(v.Calls, Call{Number: t.Number, Counter: t.Counter, At: *t.CalledAt})
	}
	v.Wait = newWait
	return v, nil
}
