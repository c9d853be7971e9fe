package appointments

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/i18n"
	"github.com/rathaus/rathaus/internal/platform/jobs"
	"github.com/rathaus/rathaus/internal/platform/mail"
	"github.com/rathaus/rathaus/internal/platform/ref"
)

// A lottery collects every request for a newly released day during the
// location's lottery window, then draws: entries are shuffled (crypto
// random) and each in turn gets its wished start or, if that is gone, the
// nearest free start of the same day, through the same claim as any
// booking — so a draw can never overbook either. Winners are held like an
// e-mail booking (a person with an account is confirmed); everyone hears
// the result by mail and on the entry's status page. One entry per person
// and draw: sending more requests does not raise the chance.

// LotteryEntry is a request in a lottery window (202 Accepted).
type LotteryEntry struct {
	Ref     string    `json:"ticket"`
	Status  string    `json:"status"` // entered, won, lost
	DrawAt  time.Time `json:"draw_at"`
	Start   time.Time `json:"start"`
	Booking string    `json:"booking,omitempty"` // the won booking
	// Token opens the entry's status page (/termine/los/{token}).
	Token    string `json:"token"`
	Location string `json:"location"`

	id, tenantID, locationID int64
	services                 []BookedService
	accountID                int64
	email, lang, base        string
}

// DrawJob is the job kind that draws one lottery.
const DrawJob = "appointments.draw"

type drawPayload struct {
	TenantID int64     `json:"tenant_id"`
	Location int64     `json:"location_id"`
	DrawAt   time.Time `json:"draw_at"`
}

func (s *Service) enterLottery(ctx context.Context, l *Location, day calendar.Date, start time.Time, services []BookedService, k int, b booker, in BookingRequest, solved bool) (*LotteryEntry, error) {
	drawAt := l.LotteryEnd(day)
	e := &LotteryEntry{Ref: ref.New("Z"), Status: "entered", DrawAt: drawAt.In(calendar.Berlin), Start: start.In(calendar.Berlin), Location: l.Ref,
		tenantID: l.tenantID, locationID: l.id}
	svc, _ := json.Marshal(services)
	err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
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
		if err := tx.QueryRowContext(ctx, `INSERT INTO appointment_lottery_entries (tenant_id, ref, location_id, draw_at, starts_at, services, account_id, email, subject_hash, lang, base_url, status, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'entered', $12) RETURNING id`,
			l.tenantID, e.Ref, l.id, drawAt, start, string(svc), acc, email, b.subject, lang, in.BaseURL, tx.Now()).Scan(&e.id); err != nil {
			return err
		}
		if err := jobs.Enqueue(tx, DrawJob, drawPayload{TenantID: l.tenantID, Location: l.id, DrawAt: drawAt},
			jobs.Options{Key: fmt.Sprintf("%d:%d", l.id, drawAt.Unix()), RunAt: drawAt, TenantID: l.tenantID}); err != nil {
			return err
		}
		if err := enqueueMail(tx, l.tenantID, mailLotteryEntered, e.Ref, ""); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: l.tenantID, Actor: "citizen:" + e.Ref, Action: "appointments.lottery.enter", ObjectType: "appointment_lottery_entry", ObjectRef: e.Ref,
			After: map[string]any{"location": l.Ref, "draw_at": drawAt, "start": start, "units": k}})
	})
	if database.IsUniqueViolation(err) {
		return nil, fault.Invalid("email", "lottery_already_entered")
	}
	if err != nil {
		return nil, fmt.Errorf("enter lottery: %w", err)
	}
	tk, err := s.keys(ctx, l.tenantID)
	if err != nil {
		return nil, err
	}
	e.Token = makeToken(tk.link, purposeLottery, e.Ref)
	return e, nil
}

const entryCols = `e.id, e.tenant_id, e.ref, e.location_id, l.ref, e.draw_at, e.starts_at, e.services, e.account_id, e.email, e.lang, e.base_url, e.status, e.booking_ref`

func scanEntry(row interface{ Scan(...any) error }) (*LotteryEntry, error) {
	var e LotteryEntry
	var svc string
	var acc sql.NullInt64
	var email, booking sql.NullString
	err := row.Scan(&e.id, &e.tenantID, &e.Ref, &e.locationID, &e.Location, &e.DrawAt, &e.Start, &svc, &acc, &email, &e.lang, &e.base, &e.Status, &booking)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	json.Unmarshal([]byte(svc), &e.services)
	e.accountID, e.email, e.Booking = acc.Int64, email.String, booking.String
	e.DrawAt, e.Start = e.DrawAt.In(calendar.Berlin), e.Start.In(calendar.Berlin)
	return &e, nil
}

// Entry returns the lottery entry of a status link.
func (s *Service) Entry(ctx context.Context, tenantID int64, token string) (*LotteryEntry, error) {
	s.init()
	k, err := s.keys(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	r, ok := parseToken(k.link, purposeLottery, "Z", token)
	if !ok {
		return nil, ErrBadLink
	}
	e, err := scanEntry(s.DB.R.QueryRowContext(ctx, `SELECT `+entryCols+` FROM appointment_lottery_entries e JOIN appointment_locations l ON l.id = e.location_id
		WHERE e.ref = $1 AND e.tenant_id = $2`, r, tenantID))
	if err != nil {
		return nil, err
	}
	e.Token = makeToken(k.link, purposeLottery, e.Ref)
	return e, nil
}

// DrawHandler is the job handler of DrawJob.
func (s *Service) DrawHandler() jobs.Handler {
	return func(ctx context.Context, j jobs.Job) (jobs.Finish, error) {
		var p drawPayload
		if err := json.Unmarshal(j.Payload, &p); err != nil {
			return nil, fmt.Errorf("draw %s: bad payload: %w", j.Key, err)
		}
		_, err := s.Draw(ctx, p.TenantID, p.Location, p.DrawAt)
		return nil, err
	}
}

// DrawResult counts a draw's outcome.
type DrawResult struct{ Entries, Won, Lost int }

// Draw draws the lottery of a location that closes at drawAt. It is
// idempotent: entries already drawn are skipped, so a draw interrupted by
// a crash continues where it stopped.
func (s *Service) Draw(ctx context.Context, tenantID, locID int64, drawAt time.Time) (DrawResult, error) {
	s.init()
	var res DrawResult
	rows, err := s.DB.R.QueryContext(ctx, `SELECT `+entryCols+` FROM appointment_lottery_entries e JOIN appointment_locations l ON l.id = e.location_id
		WHERE e.location_id = $1 AND e.draw_at = $2 AND e.status = 'entered' AND e.tenant_id = $3`, locID, drawAt.UTC(), tenantID)
	if err != nil {
		return res, err
	}
	var entries []*LotteryEntry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			rows.Close()
			return res, err
		}
		entries = append(entries, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, err
	}
	if len(entries) == 0 {
		return res, nil
	}
	// Fisher–Yates with crypto/rand: nobody can predict or steer the order.
	for i := len(entries) - 1; i > 0; i-- {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(i+1)))
		j := int(n.Int64())
		entries[i], entries[j] = entries[j], entries[i]
	}
	var l *Location
	for _, e := range entries {
		if l == nil {
			if l, err = s.location(ctx, tenantID, e.Location); err != nil {
				return res, err
			}
		}
		res.Entries++
		won, err := s.drawOne(ctx, l, e)
		if err != nil {
			return res, err
		}
		if won {
			res.Won++
		} else {
			res.Lost++
		}
	}
	return res, nil
}

// drawOne gives one entry its wish or the nearest free start of the day.
func (s *Service) drawOne(ctx context.Context, l *Location, e *LotteryEntry) (bool, error) {
	k := 0
	minutes := 0
	for _, bs := range e.services {
		minutes += bs.Minutes
	}
	k = (minutes + l.SlotMinutes - 1) / l.SlotMinutes
	day := calendar.DateOf(e.Start, calendar.Berlin)
	now := s.now()
	ds, err := s.avail.current(ctx, l.id, day)
	if err != nil {
		return false, err
	}
	ds.expire(now.Unix())
	starts := ds.starts(k, int64(l.SlotMinutes*60), now.Unix()+1)
	ds.mu.Unlock()
	// Nearest first.
	wish := e.Start.Unix()
	ordered := append([]time.Time(nil), starts...)
	for i := 1; i < len(ordered); i++ {
		for j := i; j > 0 && abs64(ordered[j].Unix()-wish) < abs64(ordered[j-1].Unix()-wish); j-- {
			ordered[j], ordered[j-1] = ordered[j-1], ordered[j]
		}
	}
	var sub string
	if e.accountID != 0 {
		sub = subjectHash(l.tenantID, e.accountID, "")
	} else if e.email != "" {
		sub = subjectHash(l.tenantID, 0, e.email)
	}
	for _, st := range ordered {
		status := StatusHeld
		var hold time.Time
		if e.accountID != 0 {
			status = StatusConfirmed
		} else {
			hold = now.Add(time.Duration(max(l.HoldMinutes, 60)) * time.Minute)
		}
		bk := &Booking{Ref: ref.New("T"), Status: status, Location: l.Ref, Services: e.services, Start: st,
			End: st.Add(time.Duration(k*l.SlotMinutes) * time.Minute), Channel: "lottery", tenantID: l.tenantID, locationID: l.id,
			accountID: e.accountID, email: e.email, lang: e.lang, base: e.base, units: k}
		err := s.claim(ctx, l, day, bk, sub, hold, "system")
		if errors.Is(err, ErrSlotTaken) {
			continue
		}
		if fault.HasCode(err, "email", "quota_exceeded") {
			break
		}
		if err != nil {
			return false, err
		}
		return true, s.finishEntry(ctx, e, "won", bk.Ref)
	}
	return false, s.finishEntry(ctx, e, "lost", "")
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func (s *Service) finishEntry(ctx context.Context, e *LotteryEntry, status, booking string) error {
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		var b any
		if booking != "" {
			b = booking
		}
		if _, err := tx.ExecContext(ctx, `UPDATE appointment_lottery_entries SET status = $1, booking_ref = $2, drawn_at = $3 WHERE id = $4 AND status = 'entered'`,
			status, b, tx.Now(), e.id); err != nil {
			return err
		}
		kind := mailLotteryLost
		if status == "won" {
			kind = mailLotteryWon
		}
		if err := enqueueMail(tx, e.tenantID, kind, e.Ref, ""); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: e.tenantID, Actor: "system", Action: "appointments.lottery." + status, ObjectType: "appointment_lottery_entry", ObjectRef: e.Ref,
			After: map[string]any{"booking": booking}})
	})
}

func (s *Service) composeLotteryMail(ctx context.Context, texts *i18n.Catalog, k *tenantKeys, from, city string, p mailPayload) (mail.Message, error) {
	e, err := scanEntry(s.DB.R.QueryRowContext(ctx, `SELECT `+entryCols+` FROM appointment_lottery_entries e JOIN appointment_locations l ON l.id = e.location_id
		WHERE e.ref = $1 AND e.tenant_id = $2`, p.Ref, p.TenantID))
	if errors.Is(err, ErrNotFound) {
		return mail.Message{}, errNoMail
	}
	if err != nil {
		return mail.Message{}, err
	}
	if e.email == "" {
		return mail.Message{}, errNoMail
	}
	lang, _ := i18n.Parse(e.lang)
	if lang == "" {
		lang = i18n.De
	}
	pr := texts.Printer(lang)
	status := e.base + "/termine/los/" + makeToken(k.link, purposeLottery, e.Ref)
	m := mail.Message{From: from, To: e.email}
	switch p.Kind {
	case mailLotteryEntered:
		m.Subject = pr.T("appointments.mail.lottery_entered.subject", city)
		m.Text = pr.T("appointments.mail.lottery_entered.body", pr.DateTime(e.DrawAt), status)
	case mailLotteryLost:
		m.Subject = pr.T("appointments.mail.lottery_lost.subject", city)
		m.Text = pr.T("appointments.mail.lottery_lost.body", status, e.base+"/termine")
	case mailLotteryWon:
		b, err := s.bookingByRef(ctx, s.DB.R, p.TenantID, e.Booking)
		if err != nil {
			return mail.Message{}, err
		}
		l, err := s.location(ctx, p.TenantID, b.Location)
		if err != nil {
			return mail.Message{}, err
		}
		d := s.details(ctx, pr, b, l)
		manage := e.base + "/termine/buchung/" + makeToken(k.link, purposeManage, b.Ref)
		m.Subject = pr.T("appointments.mail.lottery_won.subject", city)
		if b.Status == StatusHeld {
			confirm := e.base + "/termine/bestaetigen/" + makeToken(k.link, purposeConfirm, b.Ref)
			until := ""
			if b.HoldExpiresAt != nil {
				until = pr.DateTime(b.HoldExpiresAt.In(calendar.Berlin))
			}
			m.Text = pr.T("appointments.mail.lottery_won.held", until, confirm, d.block(pr), manage)
		} else {
			m.Text = pr.T("appointments.mail.lottery_won.body", d.block(pr), manage)
			m.Attachments = []mail.Attachment{{Name: "termin.ics", ContentType: "text/calendar", Data: []byte(ICS(b, l, d.services, s.now()))}}
		}
	}
	return m, nil
}
