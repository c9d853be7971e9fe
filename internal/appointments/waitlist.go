package appointments

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/i18n"
	"github.com/rathaus/rathaus/internal/platform/jobs"
	"github.com/rathaus/rathaus/internal/platform/mail"
	"github.com/rathaus/rathaus/internal/platform/ref"
)

// The waitlist: a citizen registers a wish (location, services, a range
// of days); an e-mail address is confirmed first (double opt-in). When a
// seat frees up on a day of the range — a cancellation, an expired hold —
// the oldest active wish that fits is offered a booking held for
// OfferHours (at most until an hour before the start): accepting is the
// confirmation link of the offer mail; an offer not accepted expires like
// any hold, and the seat goes to the next wish.

// WaitlistEntry is a registered wish.
type WaitlistEntry struct {
	Ref      string          `json:"id"`
	Status   string          `json:"status"` // pending, active, offered, booked, cancelled, expired
	Location string          `json:"location"`
	Services []BookedService `json:"services"`
	From     string          `json:"from"`
	To       string          `json:"to"`
	Booking  string          `json:"booking,omitempty"`
	Token    string          `json:"token,omitempty"`

	id, tenantID, locationID int64
	accountID                int64
	email, lang, base        string
	units                    int
}

// OfferHours is how long a waitlist offer is held.
const OfferHours = 4

// WaitlistRequest registers a wish.
type WaitlistRequest struct {
	Location string
	Services []ServiceCount
	From, To calendar.Date
	Email    string
	Lang     string
	BaseURL  string
	// ClientAddr is the requester's address, for the per-address limit.
	ClientAddr string `json:"-"`
}

// OfferJob is the job kind that offers freed seats of a day to the waitlist.
const OfferJob = "appointments.offer"

type offerPayload struct {
	TenantID int64  `json:"tenant_id"`
	Location int64  `json:"location_id"`
	Day      string `json:"day"`
}

func enqueueOffer(tx *database.Tx, tenantID, loc int64, d calendar.Date) error {
	return jobs.Enqueue(tx, OfferJob, offerPayload{TenantID: tenantID, Location: loc, Day: d.String()},
		jobs.Options{Key: fmt.Sprintf("%d:%s:%s", loc, d, randomHex(6)), TenantID: tenantID})
}

// JoinWaitlist registers a wish: active at once for a signed-in person,
// pending its confirmation link otherwise.
func (s *Service) JoinWaitlist(ctx context.Context, p identity.Principal, tenantID int64, in WaitlistRequest) (*WaitlistEntry, error) {
	s.init()
	l, err := s.location(ctx, tenantID, in.Location)
	if err != nil {
		return nil, fault.Invalid("location", "location_unknown")
	}
	services, k, err := l.need(in.Services, "services")
	if err != nil {
		return nil, err
	}
	today := calendar.DateOf(s.now(), calendar.Berlin)
	v := &fault.Validation{}
	if in.From.Before(today) {
		v.Add("from", "date_in_past")
	}
	if in.To.Before(in.From) {
		v.Add("to", "end_before_start")
	} else if in.From.AddDays(MaxSearchDays - 1).Before(in.To) {
		v.Add("to", "date_range_too_long", "max", MaxSearchDays)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	b, err := s.booker(ctx, p, tenantID, in.Email, "")
	if err != nil {
		return nil, err
	}
	if l.Protections.RateLimits && s.Limits.Enabled() {
		addr := in.ClientAddr
		if addr == "" {
			addr = "unknown"
		}
		if err := s.Limits.Allow(ctx, RuleWaitlistAddr, fmt.Sprint(l.tenantID), addr); err != nil {
			return nil, err
		}
		if err := s.Limits.Allow(ctx, RuleBookingEmail, b.subject); err != nil {
			return nil, err
		}
	}
	status := "pending"
	if b.accountID != 0 {
		status = "active"
	}
	e := &WaitlistEntry{Ref: ref.New("V"), Status: status, Location: l.Ref, Services: services, From: in.From.String(), To: in.To.String(),
		tenantID: tenantID, locationID: l.id, accountID: b.accountID, email: b.email, units: k}
	svc, _ := json.Marshal(services)
	err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM appointment_waitlist WHERE location_id = $1 AND subject_hash = $2 AND status IN ('pending', 'active', 'offered')`,
			l.id, b.subject).Scan(&n); err != nil {
			return err
		}
		if n >= 1 {
			return fault.Invalid("email", "waitlist_already_registered")
		}
		var acc, email any
		if b.accountID != 0 {
			acc = b.accountID
		}
		if b.email != "" {
			email = b.email
		}
		lang := in.Lang
		if lang == "" {
			lang = "de"
		}
		var confirmed any
		if status == "active" {
			confirmed = tx.Now()
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO appointment_waitlist (tenant_id, ref, location_id, services, from_day, to_day, account_id, email, subject_hash, lang, base_url, status, created_at, confirmed_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
			tenantID, e.Ref, l.id, string(svc), e.From, e.To, acc, email, b.subject, lang, in.BaseURL, status, tx.Now(), confirmed).Scan(&e.id); err != nil {
			return err
		}
		if status == "pending" {
			if err := enqueueMail(tx, tenantID, mailWaitlistDOI, e.Ref, ""); err != nil {
				return err
			}
		} else {
			// Seats may be free right now.
			for d := in.From; !in.To.Before(d); d = d.AddDays(1) {
				if err := enqueueOffer(tx, tenantID, l.id, d); err != nil {
					return err
				}
			}
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: actorOf(p, e.Ref), Action: "appointments.waitlist.join", ObjectType: "appointment_waitlist", ObjectRef: e.Ref,
			After: map[string]any{"location": l.Ref, "from": e.From, "to": e.To, "status": status}})
	})
	if err != nil {
		return nil, err
	}
	tk, err := s.keys(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	e.Token = makeToken(tk.link, purposeWaitlist, e.Ref)
	return e, nil
}

const waitCols = `w.id, w.tenant_id, w.ref, w.location_id, l.ref, w.services, w.from_day, w.to_day, w.account_id, w.email, w.lang, w.base_url, w.status, w.booking_ref`

func scanWait(row interface{ Scan(...any) error }) (*WaitlistEntry, error) {
	var e WaitlistEntry
	var svc string
	var acc sql.NullInt64
	var email, booking sql.NullString
	err := row.Scan(&e.id, &e.tenantID, &e.Ref, &e.locationID, &e.Location, &svc, &e.From, &e.To, &acc, &email, &e.lang, &e.base, &e.Status, &booking)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	json.Unmarshal([]byte(svc), &e.Services)
	e.accountID, e.email, e.Booking = acc.Int64, email.String, booking.String
	return &e, nil
}

// WaitlistByToken returns the entry of a waitlist link.
func (s *Service) WaitlistByToken(ctx context.Context, tenantID int64, token string) (*WaitlistEntry, error) {
	s.init()
	k, err := s.keys(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	r, ok := parseToken(k.link, purposeWaitlist, "V", token)
	if !ok {
		return nil, ErrBadLink
	}
	e, err := scanWait(s.DB.R.QueryRowContext(ctx, `SELECT `+waitCols+` FROM appointment_waitlist w JOIN appointment_locations l ON l.id = w.location_id
		WHERE w.ref = $1 AND w.tenant_id = $2`, r, tenantID))
	if err != nil {
		return nil, err
	}
	e.Token = makeToken(k.link, purposeWaitlist, e.Ref)
	for i := range e.Services {
		e.Services[i].Name = s.ServiceName(ctx, tenantID, e.Services[i].Service)
	}
	return e, nil
}

// ConfirmWaitlist activates a pending entry (its confirmation link).
func (s *Service) ConfirmWaitlist(ctx context.Context, tenantID int64, token string) (*WaitlistEntry, error) {
	e, err := s.WaitlistByToken(ctx, tenantID, token)
	if err != nil {
		return nil, err
	}
	if e.Status != "pending" {
		return e, nil
	}
	from, _ := calendar.ParseDate(e.From)
	to, _ := calendar.ParseDate(e.To)
	err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE appointment_waitlist SET status = 'active', confirmed_at = $1 WHERE id = $2 AND status = 'pending'`, tx.Now(), e.id); err != nil {
			return err
		}
		today := calendar.DateOf(tx.Now(), calendar.Berlin)
		for d := from; !to.Before(d); d = d.AddDays(1) {
			if d.Before(today) {
				continue
			}
			if err := enqueueOffer(tx, tenantID, e.locationID, d); err != nil {
				return err
			}
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: "citizen:" + e.Ref, Action: "appointments.waitlist.confirm", ObjectType: "appointment_waitlist", ObjectRef: e.Ref})
	})
	if err != nil {
		return nil, err
	}
	e.Status = "active"
	return e, nil
}

// LeaveWaitlist cancels an entry (its link).
func (s *Service) LeaveWaitlist(ctx context.Context, tenantID int64, token string) (*WaitlistEntry, error) {
	e, err := s.WaitlistByToken(ctx, tenantID, token)
	if err != nil {
		return nil, err
	}
	if e.Status == "cancelled" || e.Status == "booked" || e.Status == "expired" {
		return e, nil
	}
	err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE appointment_waitlist SET status = 'cancelled' WHERE id = $1`, e.id); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: "citizen:" + e.Ref, Action: "appointments.waitlist.leave", ObjectType: "appointment_waitlist", ObjectRef: e.Ref})
	})
	if err != nil {
		return nil, err
	}
	e.Status = "cancelled"
	return e, nil
}

// OfferHandler is the job handler of OfferJob.
func (s *Service) OfferHandler() jobs.Handler {
	return func(ctx context.Context, j jobs.Job) (jobs.Finish, error) {
		var p offerPayload
		if err := json.Unmarshal(j.Payload, &p); err != nil {
			return nil, fmt.Errorf("offer %s: bad payload: %w", j.Key, err)
		}
		d, err := calendar.ParseDate(p.Day)
		if err != nil {
			return nil, fmt.Errorf("offer %s: bad day: %w", j.Key, err)
		}
		_, err = s.Offer(ctx, p.TenantID, p.Location, d)
		return nil, err
	}
}

// Offer offers the free seats of a day to the waitlist, oldest wish first
// (wishes offered fewer times first). It returns how many offers it made.
func (s *Service) Offer(ctx context.Context, tenantID, locID int64, d calendar.Date) (int, error) {
	s.init()
	now := s.now()
	// Settle entries whose offer ended.
	err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE appointment_waitlist SET status = 'booked' WHERE location_id = $1 AND status = 'offered'
			AND booking_ref IN (SELECT ref FROM appointment_bookings WHERE status IN ('confirmed', 'checked_in', 'called', 'done', 'no_show'))`, locID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE appointment_waitlist SET status = 'active', booking_ref = NULL WHERE location_id = $1 AND status = 'offered'
			AND booking_ref IN (SELECT ref FROM appointment_bookings WHERE status IN ('expired', 'cancelled'))`, locID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE appointment_waitlist SET status = 'expired' WHERE location_id = $1 AND status IN ('pending', 'active') AND to_day < $2`,
			locID, calendar.DateOf(now, calendar.Berlin).String())
		return err
	})
	if err != nil {
		return 0, err
	}
	if d.Before(calendar.DateOf(now, calendar.Berlin)) {
		return 0, nil
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT `+waitCols+` FROM appointment_waitlist w JOIN appointment_locations l ON l.id = w.location_id
		WHERE w.location_id = $1 AND w.tenant_id = $2 AND w.status = 'active' AND w.from_day <= $3 AND w.to_day >= $3 ORDER BY w.offers, w.created_at, w.id`,
		locID, tenantID, d.String())
	if err != nil {
		return 0, err
	}
	var wishes []*WaitlistEntry
	for rows.Next() {
		e, err := scanWait(rows)
		if err != nil {
			rows.Close()
			return 0, err
		}
		wishes = append(wishes, e)
	}
	rows.Close()
	if len(wishes) == 0 {
		return 0, nil
	}
	l, err := s.location(ctx, tenantID, wishes[0].Location)
	if err != nil {
		return 0, err
	}
	if l.LotteryEnd(d).After(now) {
		return 0, nil // not released, or in its lottery window: the release is for everyone
	}
	made := 0
	for _, e := range wishes {
		minutes := 0
		for _, bs := range e.Services {
			minutes += bs.Minutes
		}
		k := (minutes + l.SlotMinutes - 1) / l.SlotMinutes
		ds, err := s.avail.current(ctx, l.id, d)
		if err != nil {
			return made, err
		}
		ds.expire(now.Unix())
		// At least an hour's notice.
		starts := ds.starts(k, int64(l.SlotMinutes*60), now.Add(time.Hour).Unix())
		ds.mu.Unlock()
		for _, st := range starts {
			hold := now.Add(OfferHours * time.Hour)
			if lim := st.Add(-time.Hour); lim.Before(hold) {
				hold = lim
			}
			bk := &Booking{Ref: ref.New("T"), Status: StatusHeld, Location: l.Ref, Services: e.Services, Start: st,
				End: st.Add(time.Duration(k*l.SlotMinutes) * time.Minute), Channel: "waitlist", tenantID: tenantID, locationID: l.id,
				accountID: e.accountID, email: e.email, lang: e.lang, base: e.base, units: k}
			var sub string
			if e.accountID != 0 {
				sub = subjectHash(tenantID, e.accountID, "")
			} else {
				sub = subjectHash(tenantID, 0, e.email)
			}
			err := s.claimOffer(ctx, l, d, bk, sub, hold, e)
			if errors.Is(err, ErrSlotTaken) {
				continue
			}
			if fault.HasCode(err, "email", "quota_exceeded") {
				break
			}
			if err != nil {
				return made, err
			}
			made++
			break
		}
	}
	return made, nil
}

// claimOffer books the offer held and marks the wish offered; its mail is
// the offer (a booking of the waitlist gets no other confirmation request).
func (s *Service) claimOffer(ctx context.Context, l *Location, d calendar.Date, bk *Booking, sub string, hold time.Time, e *WaitlistEntry) error {
	if err := s.claim(ctx, l, d, bk, sub, hold, "system"); err != nil {
		return err
	}
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE appointment_waitlist SET status = 'offered', booking_ref = $1, offers = offers + 1, last_offered_at = $2 WHERE id = $3`,
			bk.Ref, tx.Now(), e.id); err != nil {
			return err
		}
		if err := enqueueMail(tx, bk.tenantID, mailWaitlistOffer, bk.Ref, ""); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: bk.tenantID, Actor: "system", Action: "appointments.waitlist.offer", ObjectType: "appointment_waitlist", ObjectRef: e.Ref,
			After: map[string]any{"booking": bk.Ref}})
	})
}

func (s *Service) composeWaitlistMail(ctx context.Context, texts *i18n.Catalog, k *tenantKeys, from, city string, p mailPayload) (mail.Message, error) {
	e, err := scanWait(s.DB.R.QueryRowContext(ctx, `SELECT `+waitCols+` FROM appointment_waitlist w JOIN appointment_locations l ON l.id = w.location_id
		WHERE w.ref = $1 AND w.tenant_id = $2`, p.Ref, p.TenantID))
	if errors.Is(err, ErrNotFound) {
		return mail.Message{}, errNoMail
	}
	if err != nil {
		return mail.Message{}, err
	}
	if e.email == "" || e.Status != "pending" {
		return mail.Message{}, errNoMail
	}
	lang, _ := i18n.Parse(e.lang)
	if lang == "" {
		lang = i18n.De
	}
	pr := texts.Printer(lang)
	link := e.base + "/termine/warteliste/" + makeToken(k.link, purposeWaitlist, e.Ref)
	return mail.Message{From: from, To: e.email, Subject: pr.T("appointments.mail.waitlist_confirm.subject", city),
		Text: pr.T("appointments.mail.waitlist_confirm.body", link)}, nil
}
