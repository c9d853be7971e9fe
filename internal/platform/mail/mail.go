// Package mail sends e-mail: notifications, verification and reset links.
// Mail is always sent from a durable job (kind "mail.send"), never inline in
// a request, so a slow or failing mail server neither blocks citizens nor
// loses a message. Messages carry no personal data beyond the recipient's
// address: they tell that something is waiting and link to the portal.
package mail

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/rathaus/rathaus/internal/platform/jobs"
)

// Message is one plain-text e-mail.
type Message struct {
	From    string `json:"from"`
	To      string `json:"to"`
	Subject string `json:"subject"`
	Text    string `json:"text"`
	// ID ("local@domain", no angle brackets) becomes the Message-ID, so a
	// resend after a crash is recognisable.
	ID string `json:"id"`
	// Attachments (a calendar file, say); optional.
	Attachments []Attachment `json:"attachments,omitempty"`
}

// Attachment is a file sent with a message.
type Attachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Data        []byte `json:"data"`
}

// Sender delivers messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// SMTP delivers through an SMTP server.
type SMTP struct {
	Host     string
	Port     int
	User     string
	Password string
	TLS      gomail.TLSPolicy
}

// ParseURL reads smtp://[user:pass@]host[:port][?tls=mandatory|opportunistic|none]
// (RATHAUS_SMTP_URL). Default port 587 with mandatory STARTTLS.
func ParseURL(s string) (*SMTP, error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "smtp" || u.Hostname() == "" {
		return nil, fmt.Errorf("RATHAUS_SMTP_URL: must look like smtp://user:password@host:587")
	}
	m := &SMTP{Host: u.Hostname(), Port: 587, TLS: gomail.TLSMandatory}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("RATHAUS_SMTP_URL: bad port %q", p)
		}
		m.Port = n
	}
	if u.User != nil {
		m.User = u.User.Username()
		m.Password, _ = u.User.Password()
	}
	switch u.Query().Get("tls") {
	case "", "mandatory":
	case "opportunistic":
		m.TLS = gomail.TLSOpportunistic
	case "none":
		m.TLS = gomail.NoTLS
	default:
		return nil, fmt.Errorf("RATHAUS_SMTP_URL: tls must be mandatory, opportunistic or none")
	}
	return m, nil
}

func build(m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.From(m.From); err != nil {
		return nil, fmt.Errorf("mail from %q: %w", m.From, err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("mail to: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	for _, a := range m.Attachments {
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		if err := msg.AttachReader(a.Name, bytes.NewReader(a.Data), gomail.WithFileContentType(gomail.ContentType(ct))); err != nil {
			return nil, fmt.Errorf("mail attachment %q: %w", a.Name, err)
		}
	}
	msg.SetDate()
	if m.ID != "" {
		msg.SetMessageIDWithValue(m.ID)
	} else {
		msg.SetMessageID()
	}
	return msg, nil
}

// Send delivers m.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg, err := build(m)
	if err != nil {
		return err
	}
	opts := []gomail.Option{gomail.WithPort(s.Port), gomail.WithTLSPolicy(s.TLS), gomail.WithTimeout(20 * time.Second)}
	if s.User != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain), gomail.WithUsername(s.User), gomail.WithPassword(s.Password))
	}
	c, err := gomail.NewClient(s.Host, opts...)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("smtp send to %s:%d: %w", s.Host, s.Port, err)
	}
	return nil
}

// Dir writes each message as an .eml file into a directory: the default
// when no SMTP server is configured (demo, development), so nothing is lost
// and an operator can read what would have been sent.
type Dir struct{ Path string }

// Send writes m to Path/<id>.eml.
func (d Dir) Send(ctx context.Context, m Message) error {
	msg, err := build(m)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(d.Path, 0o750); err != nil {
		return err
	}
	name := strings.NewReplacer("<", "", ">", "", "/", "_", "@", "_").Replace(m.ID)
	if name == "" {
		name = strconv.FormatInt(time.Now().UnixNano(), 10)
	}
	f, err := os.Create(filepath.Join(d.Path, name+".eml"))
	if err != nil {
		return err
	}
	if _, err := msg.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// JobKind is the job that sends one Message (the payload).
const JobKind = "mail.send"

// JobHandler sends the job's message through s. Delivery is at-least-once;
// the Message-ID lets receivers recognise a repeat after a crash.
func JobHandler(s Sender) jobs.Handler {
	return func(ctx context.Context, j jobs.Job) (jobs.Finish, error) {
		var m Message
		if err := json.Unmarshal(j.Payload, &m); err != nil {
			return nil, fmt.Errorf("mail job %s: bad payload: %w", j.Key, err)
		}
		return nil, s.Send(ctx, m)
	}
}
