package inbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/jobs"
	"github.com/rathaus/rathaus/internal/platform/ratelimit"
)

// Mailbox is a tenant's invoice mailbox: an IMAP account whose address the
// city publishes for e-invoices.
type Mailbox struct {
	Host     string
	Port     int
	TLS      bool // imaps (implicit TLS); imap:// uses STARTTLS unless tls=none
	Insecure bool // tls=none: plain text (tests and local servers only)
	User     string
	Password string
	Folder   string
	Address  string // the published address (default: the user name)
	// Interval between polls.
	Interval time.Duration
}

// MailboxVar is the environment variable with a tenant's mailbox URL:
// RATHAUS_EINVOICE_IMAP_<SLUG> (capitals, - as _).
func MailboxVar(slug string) string {
	return "RATHAUS_EINVOICE_IMAP_" + strings.ToUpper(strings.ReplaceAll(slug, "-", "_"))
}

// ParseMailboxURL reads imaps://user:password@host[:993]/FOLDER or
// imap://…[:143]/FOLDER[?tls=none] with optional address=… and every=60s;
// "" is no mailbox (nil, nil).
func ParseMailboxURL(s string) (*Mailbox, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "imap" && u.Scheme != "imaps") || u.Hostname() == "" || u.User == nil {
		return nil, errors.New("einvoice mailbox: must look like imaps://user:password@host/INBOX")
	}
	m := &Mailbox{Host: u.Hostname(), TLS: u.Scheme == "imaps", Port: 143, User: u.User.Username(), Folder: strings.TrimPrefix(u.Path, "/"), Interval: time.Minute}
	m.Password, _ = u.User.Password()
	if m.TLS {
		m.Port = 993
	}
	if p := u.Port(); p != "" {
		if m.Port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("einvoice mailbox: bad port %q", p)
		}
	}
	if m.Folder == "" {
		m.Folder = "INBOX"
	}
	q := u.Query()
	switch q.Get("tls") {
	case "", "starttls":
	case "none":
		m.Insecure = true
	default:
		return nil, errors.New("einvoice mailbox: tls must be starttls or none")
	}
	m.Address = q.Get("address")
	if m.Address == "" {
		m.Address = m.User
	}
	if _, err := mail.ParseAddress(m.Address); err != nil {
		return nil, errors.New("einvoice mailbox: address is not an e-mail address")
	}
	if e := q.Get("every"); e != "" {
		if m.Interval, err = time.ParseDuration(e); err != nil || m.Interval < time.Second {
			return nil, errors.New("einvoice mailbox: every must be a duration of at least 1s")
		}
	}
	return m, nil
}

// MailPollJob is the job that reads a tenant's invoice mailbox once and
// schedules the next read.
const MailPollJob = "einvoice.mail_poll"

type pollPayload struct {
	TenantID int64 `json:"tenant_id"`
}

// SchedulePoll enqueues the next poll of a tenant's mailbox at the start of
// the interval after at (idempotent per interval: one job per tenant and
// slot, whichever process enqueues it).
func SchedulePoll(tx *database.Tx, tenantID int64, at time.Time, every time.Duration) error {
	slot := at.Truncate(every).Add(every)
	return jobs.Enqueue(tx, MailPollJob, pollPayload{TenantID: tenantID},
		jobs.Options{Key: fmt.Sprintf("%d:%d", tenantID, slot.Unix()), RunAt: slot, TenantID: tenantID, MaxAttempts: 1000})
}

// MailPollHandler reads the mailbox: every unseen message is taken in
// (ReceiveMail) and then flagged seen and deleted on the server; the next
// poll is scheduled in the job's finishing transaction. A message already
// taken (the process died before flagging it) is recognised and only
// flagged. lookup returns the tenant and its mailbox (nil: none, the chain
// stops).
func MailPollHandler(s *Service, lookup func(ctx context.Context, tenantID int64) (*identity.Tenant, *Mailbox, error)) jobs.Handler {
	return func(ctx context.Context, j jobs.Job) (jobs.Finish, error) {
		var p pollPayload
		if err := json.Unmarshal(j.Payload, &p); err != nil {
			return nil, fmt.Errorf("mail poll %s: %w", j.Key, err)
		}
		t, mb, err := lookup(ctx, p.TenantID)
		if err != nil {
			return nil, err
		}
		if mb == nil {
			return nil, nil
		}
		if _, err := s.PollMailbox(ctx, t, mb); err != nil {
			return nil, err
		}
		return func(tx *database.Tx) error { return SchedulePoll(tx, t.ID, tx.Now(), mb.Interval) }, nil
	}
}

// PollResult counts what one poll did.
type PollResult struct {
	Messages, Received, Refused, Ignored, Seen int
}

// PollMailbox reads the unseen messages of the mailbox once.
func (s *Service) PollMailbox(ctx context.Context, t *identity.Tenant, mb *Mailbox) (PollResult, error) {
	var res PollResult
	addr := net.JoinHostPort(mb.Host, strconv.Itoa(mb.Port))
	opts := &imapclient.Options{Dialer: &net.Dialer{Timeout: 20 * time.Second}}
	var c *imapclient.Client
	var err error
	switch {
	case mb.TLS:
		c, err = imapclient.DialTLS(addr, opts)
	case mb.Insecure:
		c, err = imapclient.DialInsecure(addr, opts)
	default:
		c, err = imapclient.DialStartTLS(addr, opts)
	}
	if err != nil {
		return res, fmt.Errorf("invoice mailbox %s: %w: %w", addr, fault.ErrUnavailable, err)
	}
	defer c.Close()
	if err := c.Login(mb.User, mb.Password).Wait(); err != nil {
		return res, fmt.Errorf("invoice mailbox login: %w", err)
	}
	if _, err := c.Select(mb.Folder, nil).Wait(); err != nil {
		return res, fmt.Errorf("invoice mailbox select %s: %w", mb.Folder, err)
	}
	found, err := c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen, imap.FlagDeleted}}, nil).Wait()
	if err != nil {
		return res, fmt.Errorf("invoice mailbox search: %w", err)
	}
	uids := found.AllUIDs()
	if len(uids) > 100 {
		uids = uids[:100] // the rest on the next poll
	}
	for _, uid := range uids {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		set := imap.UIDSetNum(uid)
		msgs, err := c.Fetch(set, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
		if err != nil {
			return res, fmt.Errorf("invoice mailbox fetch: %w", err)
		}
		if len(msgs) != 1 || len(msgs[0].BodySection) != 1 {
			continue
		}
		res.Messages++
		outcome, err := s.ReceiveMail(ctx, t, msgs[0].BodySection[0].Bytes)
		if err != nil {
			return res, err
		}
		switch outcome {
		case OutcomeReceived:
			res.Received++
		case OutcomeRefused:
			res.Refused++
		case OutcomeSeen:
			res.Seen++
		default:
			res.Ignored++
		}
		if err := c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen, imap.FlagDeleted}}, nil).Close(); err != nil {
			return res, fmt.Errorf("invoice mailbox flag: %w", err)
		}
	}
	if len(uids) > 0 {
		if err := c.Expunge().Close(); err != nil {
			return res, fmt.Errorf("invoice mailbox expunge: %w", err)
		}
	}
	c.Logout().Wait()
	return res, nil
}

// Outcomes of ReceiveMail.
const (
	OutcomeReceived = "received" // at least one invoice taken in
	OutcomeRefused  = "refused"  // invoices refused: the sender is told why
	OutcomeIgnored  = "ignored"  // no invoice in it, or unreadable
	OutcomeSeen     = "seen"     // this message was taken in before
)

// replyRule bounds the answers to one sender: rejected invoices are
// answered, but never more than 20 times an hour.
var replyRule = ratelimit.Rule{Name: "einvoice.mail_reply", Limit: 20, Window: time.Hour}

// ReceiveMail takes in one e-mail of the invoice mailbox: every attached
// XML or PDF goes through Submit (channel email); refused invoices are
// answered to the sender with the reasons (not to automatic mail, not to
// the city's own address, at most 20 answers an hour per sender). A
// message is taken in once: its Message-ID (else its content hash) is
// recorded with the outcome.
func (s *Service) ReceiveMail(ctx context.Context, t *identity.Tenant, raw []byte) (string, error) {
	key := sha(raw)
	m, perr := ParseMail(raw)
	if perr == nil && m.MessageID != "" {
		key = sha([]byte("message-id:" + m.MessageID))
	}
	var seen int
	if err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM einvoice_mails WHERE tenant_id = $1 AND message_key = $2`, t.ID, key).Scan(&seen); err != nil {
		return "", err
	}
	if seen > 0 {
		return OutcomeSeen, nil
	}
	sys := identity.System(t.ID)
	sys.Ref = "mail"
	var refs []string
	var reasons, refusedFiles []string
	outcome := OutcomeIgnored
	if perr != nil {
		s.auditRefusal(ctx, t.ID, sys.Ref, "einvoice.refused", "", map[string]any{"reason": "unreadable_mail", "channel": ChannelEmail, "size": len(raw)})
	} else {
		for _, a := range m.Attachments {
			inv, err := s.Submit(ctx, sys, t.ID, Submission{Channel: ChannelEmail, Data: a.Data, ContentType: a.ContentType, Name: a.Name, SenderEmail: m.From})
			var rej *Rejection
			var dup *Duplicate
			switch {
			case err == nil:
				refs = append(refs, inv.Ref)
			case errors.As(err, &rej):
				refusedFiles = append(refusedFiles, safeName(a.Name))
				for _, e := range rej.Errors() {
					txt := e.TextDE
					if txt == "" {
						txt = e.Text
					}
					reasons = append(reasons, fmt.Sprintf("%s: %s [%s]", safeName(a.Name), txt, e.ID))
				}
			case errors.As(err, &dup):
				refs = append(refs, dup.Existing)
			case errors.Is(err, fault.ErrUnavailable):
				return "", err // try again on the next poll
			default:
				refusedFiles = append(refusedFiles, safeName(a.Name))
				reasons = append(reasons, fmt.Sprintf("%s: %s", safeName(a.Name), refusalText(err)))
			}
		}
		switch {
		case len(reasons) > 0:
			outcome = OutcomeRefused
		case len(refs) > 0:
			outcome = OutcomeReceived
		}
	}
	err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO einvoice_mails (tenant_id, message_key, outcome, invoices, at) VALUES ($1, $2, $3, $4, $5)`,
			t.ID, key, outcome, strings.Join(refs, " "), tx.Now())
		if err != nil {
			return err
		}
		if outcome != OutcomeRefused || m == nil || m.Automatic || m.From == "" || strings.EqualFold(m.From, t.Settings.MailFrom) {
			return nil
		}
		if s.Limits != nil {
			if err := s.Limits.AllowTx(tx, replyRule, t.Slug, m.From); err != nil {
				if s.Log != nil {
					s.Log.Warn("invoice mail: no more answers to this sender this hour")
				}
				return nil
			}
		}
		return enqueueRejectionMail(tx, t, m.From, strings.Join(refusedFiles, ", "), key[:16], reasons)
	})
	if database.IsUniqueViolation(err) {
		return OutcomeSeen, nil
	}
	if err != nil {
		return "", fmt.Errorf("receive mail: %w", err)
	}
	return outcome, nil
}

// refusalText is the German reason of a refusal that is not a rule.
func refusalText(err error) string {
	switch ProblemCode(err) {
	case "unsupported_type":
		return "Nur XML-Rechnungen und PDF-Dateien werden angenommen."
	case "leitweg_other_recipient":
		return "Die Leitweg-ID gehört einer anderen Verwaltung; die Rechnung ist nicht an uns gerichtet."
	}
	if errors.Is(err, fault.ErrTooLarge) {
		return "Die Datei ist zu groß (höchstens 20 MB)."
	}
	return "Die Datei konnte nicht als Rechnung gelesen werden."
}
