package appointments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/i18n"
	"github.com/rathaus/rathaus/internal/platform/jobs"
	"github.com/rathaus/rathaus/internal/platform/mail"
)

// Mails are composed and sent by a job (MailJob), enqueued in the
// transaction of the change: the booking transaction stays small, and a
// crash neither loses nor invents a mail. A mail says when, where and for
// which service — no name, no other personal data — and carries the signed
// links; confirmations, rebookings and reminders carry an iCalendar file.

// MailJob is the job kind that composes and sends one mail of the module.
const MailJob = "appointments.mail"

// Mail kinds.
const (
	mailConfirmRequest = "confirm_request"  // held: please confirm
	mailConfirmed      = "confirmed"        // booked (with .ics)
	mailCancelled      = "cancelled"        // Extra: the reason
	mailRebooked       = "rebooked"         // Extra: the new start (with .ics)
	mailReminder       = "reminder"         // (with .ics)
	mailReconfirm      = "reconfirm"        // please reconfirm
	mailLotteryEntered = "lottery_entered"  // Ref: entry
	mailLotteryWon     = "lottery_won"      // Ref: entry
	mailLotteryLost    = "lottery_lost"     // Ref: entry
	mailWaitlistDOI    = "waitlist_confirm" // Ref: waitlist entry
	mailWaitlistOffer  = "waitlist_offer"   // Ref: booking
)

type mailPayload struct {
	TenantID int64  `json:"tenant_id"`
	Kind     string `json:"kind"`
	Ref      string `json:"ref"`
	Extra    string `json:"extra,omitempty"`
}

func enqueueMail(tx *database.Tx, tenantID int64, kind, r, extra string) error {
	key := kind + ":" + r
	if extra != "" {
		key += ":" + extra
	}
	return jobs.Enqueue(tx, MailJob, mailPayload{TenantID: tenantID, Kind: kind, Ref: r, Extra: extra}, jobs.Options{Key: key, TenantID: tenantID})
}

// MailHandler is the job handler of MailJob: it reads the booking (or
// entry) now, composes the mail in the citizen's language and sends it.
// A booking whose personal data is gone gets no mail.
func (s *Service) MailHandler(texts *i18n.Catalog) jobs.Handler {
	return func(ctx context.Context, j jobs.Job) (jobs.Finish, error) {
		s.init()
		var p mailPayload
		if err := json.Unmarshal(j.Payload, &p); err != nil {
			return nil, fmt.Errorf("appointments mail %s: bad payload: %w", j.Key, err)
		}
		m, err := s.composeMail(ctx, texts, p)
		if errors.Is(err, errNoMail) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		m.ID = strings.NewReplacer(":", "-", "+", "", " ", "").Replace(strings.ToLower(j.Key)) + "@rathaus"
		return nil, s.Mail.Send(ctx, m)
	}
}

var errNoMail = errors.New("nothing to send")

// mailDetails is what every mail about an appointment says.
type mailDetails struct {
	when, place, address, services, ref string
}

func (s *Service) details(ctx context.Context, pr *i18n.Printer, b *Booking, l *Location) mailDetails {
	var names []string
	for _, bs := range b.Services {
		n := s.ServiceName(ctx, b.tenantID, bs.Service)
		if bs.Count > 1 {
			n = fmt.Sprintf("%s (%d×)", n, bs.Count)
		}
		names = append(names, n)
	}
	start := b.Start.In(calendar.Berlin)
	when := pr.T("appointments.mail.when", pr.DateLong(start), start.Format("15:04"), b.End.In(calendar.Berlin).Format("15:04"))
	return mailDetails{when: when, place: l.Name, address: l.Address.String(), services: strings.Join(names, ", "), ref: b.Ref}
}

func (d mailDetails) block(pr *i18n.Printer) string {
	return pr.T("appointments.mail.details", d.when, d.place, d.address, d.services, d.ref)
}

func (s *Service) from(ctx context.Context, tenantID int64) (string, string) {
	t, err := s.Identity.TenantByID(ctx, tenantID)
	if err != nil {
		return "rathaus@localhost", ""
	}
	from := t.Settings.MailFrom
	if from == "" {
		from = "rathaus@localhost"
	}
	return from, t.Name
}

func (s *Service) composeMail(ctx context.Context, texts *i18n.Catalog, p mailPayload) (mail.Message, error) {
	k, err := s.keys(ctx, p.TenantID)
	if err != nil {
		return mail.Message{}, err
	}
	from, city := s.from(ctx, p.TenantID)
	switch p.Kind {
	case mailLotteryEntered, mailLotteryWon, mailLotteryLost:
		return s.composeLotteryMail(ctx, texts, k, from, city, p)
	case mailWaitlistDOI:
		return s.composeWaitlistMail(ctx, texts, k, from, city, p)
	}
	b, err := s.bookingByRef(ctx, s.DB.R, p.TenantID, p.Ref)
	if errors.Is(err, ErrNotFound) {
		return mail.Message{}, errNoMail
	}
	if err != nil {
		return mail.Message{}, err
	}
	if b.email == "" {
		return mail.Message{}, errNoMail
	}
	l, err := s.location(ctx, p.TenantID, b.Location)
	if err != nil {
		return mail.Message{}, err
	}
	lang, _ := i18n.Parse(b.lang)
	if lang == "" {
		lang = i18n.De
	}
	pr := texts.Printer(lang)
	d := s.details(ctx, pr, b, l)
	manage := b.base + "/termine/buchung/" + makeToken(k.link, purposeManage, b.Ref)
	m := mail.Message{From: from, To: b.email}
	withICS := false
	switch p.Kind {
	case mailConfirmRequest:
		if b.Status != StatusHeld {
			return mail.Message{}, errNoMail
		}
		confirm := b.base + "/termine/bestaetigen/" + makeToken(k.link, purposeConfirm, b.Ref)
		until := ""
		if b.HoldExpiresAt != nil {
			until = pr.DateTime(b.HoldExpiresAt.In(calendar.Berlin))
		}
		m.Subject = pr.T("appointments.mail.confirm_request.subject", city)
		m.Text = pr.T("appointments.mail.confirm_request.body", until, confirm, d.block(pr), manage)
	case mailConfirmed, mailWaitlistOffer:
		if p.Kind == mailWaitlistOffer {
			if b.Status != StatusHeld {
				return mail.Message{}, errNoMail
			}
			confirm := b.base + "/termine/bestaetigen/" + makeToken(k.link, purposeConfirm, b.Ref)
			until := ""
			if b.HoldExpiresAt != nil {
				until = pr.DateTime(b.HoldExpiresAt.In(calendar.Berlin))
			}
			m.Subject = pr.T("appointments.mail.offer.subject", city)
			m.Text = pr.T("appointments.mail.offer.body", until, confirm, d.block(pr), manage)
			break
		}
		m.Subject = pr.T("appointments.mail.confirmed.subject", city)
		m.Text = pr.T("appointments.mail.confirmed.body", d.block(pr), s.documents(ctx, pr, b), manage)
		withICS = true
	case mailRebooked:
		if b.Status != StatusConfirmed && b.Status != StatusHeld {
			return mail.Message{}, errNoMail
		}
		m.Subject = pr.T("appointments.mail.rebooked.subject", city)
		m.Text = pr.T("appointments.mail.rebooked.body", d.block(pr), manage)
		withICS = b.Status == StatusConfirmed
	case mailCancelled:
		m.Subject = pr.T("appointments.mail.cancelled.subject", city)
		reason := pr.T("appointments.mail.cancelled.reason." + p.Extra)
		m.Text = pr.T("appointments.mail.cancelled.body", reason, d.block(pr), b.base+"/termine")
	case mailReminder:
		if b.Status != StatusConfirmed {
			return mail.Message{}, errNoMail
		}
		m.Subject = pr.T("appointments.mail.reminder.subject", city)
		m.Text = pr.T("appointments.mail.reminder.body", d.block(pr), s.documents(ctx, pr, b), manage)
		withICS = true
	case mailReconfirm:
		if b.Status != StatusConfirmed {
			return mail.Message{}, errNoMail
		}
		deadline := b.Start.In(calendar.Berlin).AddDate(0, 0, -1)
		m.Subject = pr.T("appointments.mail.reconfirm.subject", city)
		m.Text = pr.T("appointments.mail.reconfirm.body", pr.DateTime(deadline), manage, d.block(pr))
	default:
		return mail.Message{}, fmt.Errorf("unknown mail kind %q", p.Kind)
	}
	if withICS {
		m.Attachments = []mail.Attachment{{Name: "termin.ics", ContentType: "text/calendar", Data: []byte(ICS(b, l, d.services, s.now()))}}
	}
	return m, nil
}

func (s *Service) documents(ctx context.Context, pr *i18n.Printer, b *Booking) string {
	var docs []string
	seen := map[string]bool{}
	for _, bs := range b.Services {
		info, err := s.serviceInfo(ctx, b.tenantID, bs.Service)
		if err != nil {
			continue
		}
		for _, d := range info.Documents {
			if !seen[d] {
				seen[d] = true
				docs = append(docs, "- "+d)
			}
		}
	}
	if len(docs) == 0 {
		return ""
	}
	return pr.T("appointments.mail.documents") + "\n" + strings.Join(docs, "\n") + "\n"
}

// ICS is the iCalendar file (RFC 5545) of a booking: one event with start,
// end, place and service — nothing personal. UID is the booking's
// reference, so a rebooking replaces the event in the citizen's calendar.
func ICS(b *Booking, l *Location, services string, now time.Time) string {
	cal := ics.NewCalendar()
	cal.SetMethod(ics.MethodPublish)
	cal.SetProductId("-//Rathaus//Termine//DE")
	ev := cal.AddEvent(strings.ToLower(b.Ref) + "@rathaus")
	ev.SetDtStampTime(now.UTC())
	ev.SetStartAt(b.Start.UTC())
	ev.SetEndAt(b.End.UTC())
	ev.SetSummary(services + " – " + l.Name)
	ev.SetLocation(strings.TrimSpace(l.Name + ", " + l.Address.String()))
	ev.SetDescription(b.Ref)
	return cal.Serialize()
}
