package appointments

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/ratelimit"
	"github.com/rathaus/rathaus/internal/platform/ref"
)

// Booking statuses.
const (
	StatusHeld      = "held"       // waiting for the e-mail confirmation; counts against capacity until HoldExpiresAt
	StatusConfirmed = "confirmed"  // booked
	StatusCancelled = "cancelled"  // by the citizen, staff, a cancelled day or a missing reconfirmation
	StatusExpired   = "expired"    // the hold ran out
	StatusCheckedIn = "checked_in" // arrived (kiosk), waiting
	StatusCalled    = "called"     // called to a counter
	StatusDone      = "done"       // served
	StatusNoShow    = "no_show"    // not checked in by the start plus the location's grace minutes
)

// liveStatuses occupy their seats.
var liveStatuses = []string{StatusHeld, StatusConfirmed, StatusCheckedIn, StatusCalled}

// Booking is an appointment as the API shows it.
type Booking struct {
	Ref          string          `json:"id"`
	Status       string          `json:"status"`
	Location     string          `json:"location"`
	LocationName string          `json:"location_name"`
	Services     []BookedService `json:"services"`
	Start        time.Time       `json:"start"`
	End          time.Time       `json:"end"`
	// HoldExpiresAt: a held booking is released at this instant unless it
	// is confirmed.
	HoldExpiresAt *time.Time `json:"hold_expires_at,omitempty"`
	Channel       string     `json:"channel"`
	// Token cancels and rebooks the booking (the manage link's token); it
	// is given only to whoever made the booking.
	Token string `json:"token,omitempty"`
	// Reconfirm: the citizen has been asked to reconfirm and has not yet.
	Reconfirm bool `json:"reconfirm_requested,omitempty"`

	id, tenantID, locationID int64
	accountID                int64
	email, name, lang, base  string
	units                    int
	pow                      bool
	createdAt                time.Time
	checkedIn, calledAt      *time.Time
}

// BookingRequest is what a citizen sends to book.
type BookingRequest struct {
	Location string         `json:"location"`
	Services []ServiceCount `json:"services"`
	Start    time.Time      `json:"start"`
	// Email is required without an account: the booking is held until the
	// address is confirmed. With an account it is taken from the account.
	Email string `json:"email,omitempty"`
	Name  string `json:"name,omitempty"`
	// PoW is a solved challenge (GET /api/v1/appointments/challenge) where
	// the location asks for one.
	PoW string `json:"pow,omitempty"`

	// Set by the edge, not by the client.
	Lang       string `json:"-"`
	BaseURL    string `json:"-"`
	ClientAddr string `json:"-"`
	// NoScript marks a booking form sent without JavaScript (no challenge
	// could be solved): the booking is held and confirmed by e-mail, under
	// stricter limits.
	NoScript bool `json:"-"`
}

// Outcome is the result of a booking request: a booking (201), or — in a
// lottery window — an entry into the draw (202).
type Outcome struct {
	Booking *Booking      `json:"booking,omitempty"`
	Entry   *LotteryEntry `json:"entry,omitempty"`
}

// Errors of booking, each wrapping a fault kind.
var (
	ErrSlotTaken   = fmt.Errorf("the slot is taken: %w", fault.ErrConflict)
	ErrHoldExpired = fmt.Errorf("the hold has expired: %w", fault.ErrConflict)
	ErrNotActive   = fmt.Errorf("the booking is no longer active: %w", fault.ErrConflict)
)

// Rate-limit rules of booking, used when a location's protections ask.
var (
	RuleBookingAddr  = ratelimit.Rule{Name: "appointments.booking.addr", Limit: 10, Window: 10 * time.Minute}
	RuleBookingEmail = ratelimit.Rule{Name: "appointments.booking.email", Limit: 5, Window: time.Hour}
	RuleNoScriptAddr = ratelimit.Rule{Name: "appointments.noscript.addr", Limit: 5, Window: time.Hour}
	// RuleWaitlistAddr bounds the wishes one address may enter (each
	// mails a confirmation link), so that nobody mails many people.
	RuleWaitlistAddr = ratelimit.Rule{Name: "appointments.waitlist.addr", Limit: 10, Window: time.Hour}
)

func normEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func validEmail(s string) bool {
	if len(s) > 254 || strings.ContainsAny(s, " \t\r\n<>\"") {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".")
}

func subjectHash(tenantID int64, accountID int64, email string) string {
	h := sha256.New()
	if accountID != 0 {
		fmt.Fprintf(h, "%d|account|%d", tenantID, accountID)
	} else {
		fmt.Fprintf(h, "%d|email|%s", tenantID, email)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// who the booking is for: a person's account (confirmed at once) or an
// e-mail address (held until confirmed).
type booker struct {
	accountID   int64
	email, name string
	subject     string
}

func (s *Service) booker(ctx context.Context, p identity.Principal, tenantID int64, email, name string) (booker, error) {
	name = strings.TrimSpace(name)
	if !textOK(name, 200) {
		return booker{}, fault.Invalid("name", "too_long", "max", 200)
	}
	if p.IsPerson() && p.TenantID == tenantID {
		e, err := s.Identity.ContactEmail(ctx, p)
		if err != nil {
			return booker{}, err
		}
		return booker{accountID: p.AccountID, email: e, name: name, subject: subjectHash(tenantID, p.AccountID, "")}, nil
	}
	e := normEmail(email)
	switch {
	case e == "":
		return booker{}, fault.Invalid("email", "required")
	case !validEmail(e):
		return booker{}, fault.Invalid("email", "invalid_email")
	}
	return booker{email: e, name: name, subject: subjectHash(tenantID, 0, e)}, nil
}

// startUnit checks a wished start at a location: on the grid, in the
// future, on a released day. It returns the day.
func (l *Location) startUnit(start time.Time, now time.Time) (calendar.Date, error) {
	if start.IsZero() {
		return calendar.Date{}, fault.Invalid("start", "required")
	}
	start = start.UTC()
	if !start.After(now) {
		return calendar.Date{}, fault.Invalid("start", "date_in_past")
	}
	if start.Unix()%int64(l.SlotMinutes*60) != 0 {
		return calendar.Date{}, fault.Invalid("start", "off_slot_grid", "minutes", l.SlotMinutes)
	}
	d := calendar.DateOf(start, calendar.Berlin)
	if l.ReleaseOf(d).After(now) {
		return calendar.Date{}, fault.Invalid("start", "not_released")
	}
	return d, nil
}

// guard is what a location's protections found about a request: the
// solved challenge (to be spent once the seats are reserved).
type guard struct {
	solved bool
	sol    Solution
}

// protect applies the location's protections before anything else is
// looked at: the challenge must be present and right (checked without a
// write), and the request counts against the limits per client address
// and per person — so a bot is refused (429) whether or not the slot it
// wants is gone. Without a challenge (a form sent without JavaScript) only
// the e-mail path remains, under the stricter per-address limit.
func (s *Service) protect(ctx context.Context, l *Location, in BookingRequest, b booker) (guard, error) {
	var g guard
	if l.Protections.PoW {
		switch {
		case in.PoW != "":
			k, err := s.keys(ctx, l.tenantID)
			if err != nil {
				return g, err
			}
			sol, err := ParseSolution(in.PoW)
			if err == nil {
				err = sol.Verify(k.pow, l.Ref, s.now())
			}
			switch {
			case errors.Is(err, ErrPoWExpired):
				return g, fault.Invalid("pow", "pow_expired")
			case err != nil:
				return g, fault.Invalid("pow", "pow_invalid")
			}
			g.solved, g.sol = true, sol
		case !in.NoScript:
			return g, fault.Invalid("pow", "pow_required")
		}
	}
	if l.Protections.RateLimits && s.Limits.Enabled() {
		addr := in.ClientAddr
		if addr == "" {
			addr = "unknown"
		}
		rule := RuleBookingAddr
		if l.Protections.PoW && !g.solved {
			rule = RuleNoScriptAddr
		}
		if err := s.Limits.Allow(ctx, rule, fmt.Sprint(l.tenantID), addr); err != nil {
			return g, err
		}
		if err := s.Limits.Allow(ctx, RuleBookingEmail, b.subject); err != nil {
			return g, err
		}
	}
	return g, nil
}

// spendIfSolved spends the request's challenge, so it cannot be replayed.
func (s *Service) spendIfSolved(ctx context.Context, g guard) error {
	if !g.solved {
		return nil
	}
	return s.spend(ctx, g.sol)
}

// spend records a solved challenge; a second use is refused.
func (s *Service) spend(ctx context.Context, sol Solution) error {
	err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO appointment_pow_spent (challenge, expires_at) VALUES ($1, $2)`, strings.ToLower(sol.Challenge), tx.Now().Add(ChallengeTTL))
		return err
	})
	if database.IsUniqueViolation(err) {
		return fault.Invalid("pow", "pow_replayed")
	}
	return err
}

// Book books an appointment: immediately for a signed-in person with a
// solved challenge (where the location asks for one), else held until the
// e-mail address is confirmed. In a lottery window the request enters the
// draw instead. The seats are claimed in one small transaction; the
// database refuses a seat that is already claimed (ErrSlotTaken, 409).
func (s *Service) Book(ctx context.Context, p identity.Principal, tenantID int64, in BookingRequest) (*Outcome, error) {
	s.init()
	l, err := s.location(ctx, tenantID, in.Location)
	if err != nil {
		return nil, fault.Invalid("location", "location_unknown")
	}
	services, k, err := l.need(in.Services, "services")
	if err != nil {
		return nil, err
	}
	now := s.now()
	day, err := l.startUnit(in.Start, now)
	if err != nil {
		return nil, err
	}
	b, err := s.booker(ctx, p, tenantID, in.Email, in.Name)
	if err != nil {
		return nil, err
	}
	start := in.Start.UTC()
	g, err := s.protect(ctx, l, in, b)
	if err != nil {
		return nil, err
	}
	if l.Strategy == Lottery && now.Before(l.LotteryEnd(day)) {
		if err := s.spendIfSolved(ctx, g); err != nil {
			return nil, err
		}
		e, err := s.enterLottery(ctx, l, day, start, services, k, b, in, g.solved)
		if err != nil {
			return nil, err
		}
		return &Outcome{Entry: e}, nil
	}
	// A slot this process knows to be gone, or is being booked by another
	// request right now, is refused without a write (and the challenge is
	// not spent on it).
	res, err := s.reserve(ctx, l, day, start, k)
	if err != nil {
		return nil, err
	}
	if err := s.spendIfSolved(ctx, g); err != nil {
		res.abandon()
		return nil, err
	}
	solved := g.solved
	status := StatusHeld
	if b.accountID != 0 && (solved || !l.Protections.PoW) {
		status = StatusConfirmed
	}
	bk := &Booking{Ref: ref.New("T"), Status: status, Location: l.Ref, LocationName: l.Name, Services: services, Start: start,
		End: start.Add(time.Duration(k*l.SlotMinutes) * time.Minute), Channel: "online", tenantID: tenantID, locationID: l.id,
		accountID: b.accountID, email: b.email, name: b.name, lang: in.Lang, base: in.BaseURL, units: k, pow: solved}
	var holdUntil time.Time
	if status == StatusHeld {
		holdUntil = now.Add(time.Duration(l.HoldMinutes) * time.Minute)
		bk.HoldExpiresAt = &holdUntil
	}
	if err := s.commit(ctx, res, bk, b.subject, holdUntil, actorOf(p, bk.Ref)); err != nil {
		return nil, err
	}
	k2, err := s.keys(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	bk.Token = makeToken(k2.link, purposeManage, bk.Ref)
	s.fillNames(ctx, bk)
	bk.Start, bk.End = bk.Start.In(calendar.Berlin), bk.End.In(calendar.Berlin)
	return &Outcome{Booking: bk}, nil
}

func actorOf(p identity.Principal, fallback string) string {
	if p.Ref != "" {
		return p.Ref
	}
	return "citizen:" + fallback
}

func (s *Service) fillNames(ctx context.Context, bk *Booking) {
	for i := range bk.Services {
		bk.Services[i].Name = s.ServiceName(ctx, bk.tenantID, bk.Services[i].Service)
	}
}

// reservation is a booking's seats marked pending in the cache.
type reservation struct {
	l     *Location
	day   calendar.Date
	ds    *dayState
	rev   int64
	picks []pick
}

// reserve picks free seats for k units from start in the process's cache
// (after checking the day's revision) and marks them pending. A start that
// is not a unit is a field error; seats known to be taken are ErrSlotTaken.
func (s *Service) reserve(ctx context.Context, l *Location, day calendar.Date, start time.Time, k int) (*reservation, error) {
	ds, err := s.avail.current(ctx, l.id, day)
	if err != nil {
		return nil, err
	}
	defer ds.mu.Unlock()
	rev := ds.rev
	ds.expire(s.now().Unix())
	if _, ok := ds.index[start.Unix()]; !ok {
		return nil, fault.Invalid("start", "no_such_slot")
	}
	picks := ds.reserve(start, k, int64(l.SlotMinutes*60))
	if picks == nil {
		s.stats.cacheRefusals.Add(1)
		return nil, ErrSlotTaken
	}
	return &reservation{l: l, day: day, ds: ds, rev: rev, picks: picks}, nil
}

// abandon takes a reservation's pending marks back.
func (r *reservation) abandon() {
	r.ds.mu.Lock()
	r.ds.release(r.picks, false, 0)
	r.ds.mu.Unlock()
}

// commit writes the booking of a reservation. The database refuses seats
// another process took meanwhile (ErrSlotTaken); the cache learns either
// way.
func (s *Service) commit(ctx context.Context, r *reservation, bk *Booking, subject string, holdUntil time.Time, actor string) error {
	var newRev int64
	err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		var err error
		newRev, err = writeBooking(tx, r.l, r.day, bk, r.picks, subject, holdUntil, actor)
		return err
	})
	ds := r.ds
	ds.mu.Lock()
	defer ds.mu.Unlock()
	var hold int64
	if !holdUntil.IsZero() {
		hold = holdUntil.Unix()
	}
	switch {
	case err == nil:
		s.stats.bookings.Add(1)
		ds.release(r.picks, true, hold)
		if ds.rev == r.rev && newRev == r.rev+1 {
			ds.rev = newRev // nobody else wrote the day meanwhile
			ds.checked = time.Now()
		} else {
			ds.rev = -1
		}
		return nil
	case database.IsUniqueViolation(err):
		// Another process took a seat: the cache was stale.
		s.stats.dbConflicts.Add(1)
		ds.release(r.picks, false, 0)
		ds.rev = -1
		return ErrSlotTaken
	default:
		ds.release(r.picks, false, 0)
		return err
	}
}

// claim reserves and commits in one go (lottery draws, waitlist offers,
// the demo's example).
func (s *Service) claim(ctx context.Context, l *Location, day calendar.Date, bk *Booking, subject string, holdUntil time.Time, actor string) error {
	r, err := s.reserve(ctx, l, day, bk.Start.UTC(), bk.units)
	if err != nil {
		return err
	}
	return s.commit(ctx, r, bk, subject, holdUntil, actor)
}

// writeBooking is the booking transaction: free claims of expired holds
// where the picks need it, claim the seats (the primary key refuses a
// taken one), check the person's quota, insert the booking, bump the day's
// revision, enqueue its mail, audit.
func writeBooking(tx *database.Tx, l *Location, day calendar.Date, bk *Booking, picks []pick, subject string, holdUntil time.Time, actor string) (int64, error) {
	ctx := tx.Context()
	now := tx.Now()
	var stale []pick
	for _, p := range picks {
		if p.stale {
			stale = append(stale, p)
		}
	}
	if len(stale) > 0 {
		if err := freeExpired(tx, l.id, stale); err != nil {
			return 0, err
		}
	}
	var sb strings.Builder
	args := []any{l.id, bk.Ref}
	var exp any
	if !holdUntil.IsZero() {
		exp = holdUntil
	}
	args = append(args, exp)
	for i, p := range picks {
		if i > 0 {
			sb.WriteString(", ")
		}
		args = append(args, p.at, p.seat)
		fmt.Fprintf(&sb, "($1, $%d, $%d, $2, $3)", len(args)-1, len(args))
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO appointment_claims (location_id, starts_at, seat, booking_ref, expires_at) VALUES `+sb.String(), args...); err != nil {
		return 0, err
	}
	if subject != "" {
		if tx.DB.Dialect == database.Postgres {
			// Serialise the bookings of one person across processes, so
			// two concurrent requests cannot both pass the quota.
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, subject); err != nil {
				return 0, err
			}
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM appointment_bookings WHERE tenant_id = $1 AND location_id = $2 AND subject_hash = $3
			AND status IN ('held', 'confirmed') AND starts_at > $4`, bk.tenantID, l.id, subject, now).Scan(&n); err != nil {
			return 0, err
		}
		if n >= l.MaxPerPerson {
			return 0, fault.Invalid("email", "quota_exceeded", "max", l.MaxPerPerson)
		}
	}
	svc, _ := json.Marshal(bk.Services)
	var acc, email, name, subj, hold any
	if bk.accountID != 0 {
		acc = bk.accountID
	}
	if bk.email != "" {
		email = bk.email
	}
	if bk.name != "" {
		name = bk.name
	}
	if subject != "" {
		subj = subject
	}
	if !holdUntil.IsZero() {
		hold = holdUntil
	}
	var confirmed any
	if bk.Status == StatusConfirmed {
		confirmed = now
	}
	lang := bk.lang
	if lang == "" {
		lang = "de"
	}
	if err := tx.QueryRowContext(ctx, `INSERT INTO appointment_bookings (tenant_id, ref, location_id, starts_at, ends_at, units, services, status, channel,
		account_id, email, name, subject_hash, lang, base_url, pow, hold_expires_at, created_at, confirmed_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) RETURNING id`,
		bk.tenantID, bk.Ref, l.id, bk.Start.UTC(), bk.End.UTC(), bk.units, string(svc), bk.Status, bk.Channel,
		acc, email, name, subj, lang, bk.base, bk.pow, hold, now, confirmed).Scan(&bk.id); err != nil {
		return 0, err
	}
	var rev int64
	if err := tx.QueryRowContext(ctx, `UPDATE appointment_days SET revision = revision + 1 WHERE location_id = $1 AND day = $2 RETURNING revision`, l.id, day.String()).Scan(&rev); err != nil {
		return 0, fmt.Errorf("bump day: %w", err)
	}
	// Lottery and waitlist bookings get the mail of their draw or offer.
	if bk.Channel == "online" {
		kind := mailConfirmRequest
		if bk.Status == StatusConfirmed {
			kind = mailConfirmed
		}
		if err := enqueueMail(tx, bk.tenantID, kind, bk.Ref, ""); err != nil {
			return 0, err
		}
	}
	if err := audit.Append(tx, audit.Event{TenantID: bk.tenantID, Actor: actor, Action: "appointments.booking.create", ObjectType: "appointment", ObjectRef: bk.Ref,
		After: map[string]any{"location": l.Ref, "start": bk.Start.UTC(), "units": bk.units, "status": bk.Status, "channel": bk.Channel}}); err != nil {
		return 0, err
	}
	return rev, nil
}

// freeExpired deletes the claims of expired holds on the given seats and
// marks their bookings expired, in the caller's transaction.
func freeExpired(tx *database.Tx, locID int64, picks []pick) error {
	ctx := tx.Context()
	var sb strings.Builder
	args := []any{locID, tx.Now()}
	for i, p := range picks {
		if i > 0 {
			sb.WriteString(" OR ")
		}
		args = append(args, p.at, p.seat)
		fmt.Fprintf(&sb, "(starts_at = $%d AND seat = $%d)", len(args)-1, len(args))
	}
	rows, err := tx.QueryContext(ctx, `DELETE FROM appointment_claims WHERE location_id = $1 AND expires_at IS NOT NULL AND expires_at <= $2 AND (`+sb.String()+`) RETURNING booking_ref`, args...)
	if err != nil {
		return fmt.Errorf("free expired holds: %w", err)
	}
	var refs []string
	for rows.Next() {
		var r string
		rows.Scan(&r)
		refs = append(refs, r)
	}
	rows.Close()
	for _, r := range refs {
		if err := expireBooking(tx, r); err != nil {
			return err
		}
	}
	return nil
}

// expireBooking ends a held booking whose hold ran out: all its claims go,
// its status becomes expired.
func expireBooking(tx *database.Tx, r string) error {
	ctx := tx.Context()
	if _, err := tx.ExecContext(ctx, `DELETE FROM appointment_claims WHERE booking_ref = $1`, r); err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE appointment_bookings SET status = 'expired' WHERE ref = $1 AND status = 'held'`, r)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		var tenantID int64
		var loc int64
		var start time.Time
		if err := tx.QueryRowContext(ctx, `SELECT tenant_id, location_id, starts_at FROM appointment_bookings WHERE ref = $1`, r).Scan(&tenantID, &loc, &start); err != nil {
			return err
		}
		if err := bumpDay(tx, loc, calendar.DateOf(start, calendar.Berlin)); err != nil {
			return err
		}
		if err := enqueueOffer(tx, tenantID, loc, calendar.DateOf(start, calendar.Berlin)); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: "system", Action: "appointments.booking.expire", ObjectType: "appointment", ObjectRef: r})
	}
	return nil
}

func bumpDay(tx *database.Tx, loc int64, d calendar.Date) error {
	_, err := tx.ExecContext(tx.Context(), `UPDATE appointment_days SET revision = revision + 1 WHERE location_id = $1 AND day = $2`, loc, d.String())
	return err
}

// --- reading bookings ---

const bookingCols = `b.id, b.tenant_id, b.ref, b.location_id, l.ref, l.name, b.starts_at, b.ends_at, b.units, b.services, b.status, b.channel,
	b.account_id, b.email, b.name, b.lang, b.base_url, b.pow, b.hold_expires_at, b.created_at, b.reconfirm_sent_at, b.reconfirmed_at, b.checked_in_at, b.called_at`

func scanBooking(row interface{ Scan(...any) error }) (*Booking, error) {
	var b Booking
	var svc string
	var acc sql.NullInt64
	var email, name sql.NullString
	var hold, recSent, recDone, checked, called sql.NullTime
	err := row.Scan(&b.id, &b.tenantID, &b.Ref, &b.locationID, &b.Location, &b.LocationName, &b.Start, &b.End, &b.units, &svc, &b.Status, &b.Channel,
		&acc, &email, &name, &b.lang, &b.base, &b.pow, &hold, &b.createdAt, &recSent, &recDone, &checked, &called)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(svc), &b.Services); err != nil {
		return nil, fmt.Errorf("booking %s services: %w", b.Ref, err)
	}
	b.accountID, b.email, b.name = acc.Int64, email.String, name.String
	if hold.Valid && b.Status == StatusHeld {
		t := hold.Time.In(calendar.Berlin)
		b.HoldExpiresAt = &t
	}
	if checked.Valid {
		b.checkedIn = &checked.Time
	}
	if called.Valid {
		b.calledAt = &called.Time
	}
	b.Reconfirm = recSent.Valid && !recDone.Valid && b.Status == StatusConfirmed
	b.Start, b.End = b.Start.In(calendar.Berlin), b.End.In(calendar.Berlin)
	return &b, nil
}

func (s *Service) bookingByRef(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, tenantID int64, r string) (*Booking, error) {
	b, err := scanBooking(q.QueryRowContext(ctx, `SELECT `+bookingCols+` FROM appointment_bookings b JOIN appointment_locations l ON l.id = b.location_id
		WHERE b.ref = $1 AND b.tenant_id = $2`, strings.ToUpper(r), tenantID))
	if err != nil {
		return nil, err
	}
	return b, nil
}

// bookingForToken finds the booking of a signed token (tampered: not found).
func (s *Service) bookingForToken(ctx context.Context, tenantID int64, purpose, token string) (*Booking, error) {
	k, err := s.keys(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	r, ok := parseToken(k.link, purpose, "T", token)
	if !ok {
		return nil, fmt.Errorf("booking link: %w", ErrBadLink)
	}
	b, err := s.bookingByRef(ctx, s.DB.R, tenantID, r)
	if err != nil {
		return nil, err
	}
	b.Token = makeToken(k.link, purposeManage, b.Ref)
	s.fillNames(ctx, b)
	return b, nil
}

// ErrBadLink: a signed link that is tampered with, cut off or of another
// municipality (shown as "link invalid", 404).
var ErrBadLink = fmt.Errorf("invalid or tampered link: %w", fault.ErrNotFound)

// BookingByToken returns the booking of a manage link.
func (s *Service) BookingByToken(ctx context.Context, tenantID int64, token string) (*Booking, error) {
	return s.bookingForToken(ctx, tenantID, purposeManage, token)
}

// BookingForConfirmation returns the booking of a confirmation link.
func (s *Service) BookingForConfirmation(ctx context.Context, tenantID int64, token string) (*Booking, error) {
	return s.bookingForToken(ctx, tenantID, purposeConfirm, token)
}

// Get returns a booking to its owner (the account that booked) or to
// staff of the tenant; others get not found.
func (s *Service) Get(ctx context.Context, p identity.Principal, tenantID int64, r string) (*Booking, error) {
	s.init()
	if err := p.Require(tenantID); err != nil {
		return nil, err
	}
	b, err := s.bookingByRef(ctx, s.DB.R, tenantID, r)
	if err != nil {
		return nil, err
	}
	if !p.Has(StaffRoles...) && (b.accountID == 0 || b.accountID != p.AccountID) {
		return nil, ErrNotFound
	}
	s.fillNames(ctx, b)
	return b, nil
}
