package inbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	gomail "github.com/wneessen/go-mail"

	"github.com/rathaus/rathaus/internal/platform/jobs"
	"github.com/rathaus/rathaus/internal/platform/mail"
	"github.com/rathaus/rathaus/internal/platform/mail/mailtest"
	"github.com/rathaus/rathaus/internal/platform/ratelimit"
)

// imapServer runs a real IMAP server (go-imap's in-memory backend) on
// 127.0.0.1 with one account and returns the account's URL and a function
// that delivers a message into its INBOX.
func imapServer(t *testing.T) (string, func(raw []byte)) {
	t.Helper()
	mem := imapmemserver.New()
	user := imapmemserver.NewUser("rechnung@musterstadt.example", "geheim")
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(user)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		InsecureAuth: true,
		Logger:       slog.NewLogLogger(slog.NewTextHandler(io.Discard, nil), slog.LevelError),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	deliver := func(raw []byte) {
		t.Helper()
		if _, err := user.Append("INBOX", literal{bytes.NewReader(raw), int64(len(raw))}, &imap.AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	return fmt.Sprintf("imap://rechnung%%40musterstadt.example:geheim@%s/INBOX?tls=none&address=rechnung@musterstadt.example", ln.Addr()), deliver
}

type literal struct {
	*bytes.Reader
	n int64
}

func (l literal) Size() int64 { return l.n }

// TestMailIntake: invoices mailed to the city's address arrive through a
// real IMAP server; a rejected one is answered to its sender with the
// reasons over real SMTP; automatic mail is never answered; a message is
// taken in once.
func TestMailIntake(t *testing.T) {
	each(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		u, deliver := imapServer(t)
		mb, err := ParseMailboxURL(u)
		if err != nil {
			t.Fatal(err)
		}
		w.s.Limits = ratelimit.New(w.db, true)
		good := SampleXML(DefaultSample("RE-MAIL-1"))
		bad := DefaultSample("RE-MAIL-2")
		bad.Leitweg = ""
		deliver(mailWith("rechnung@schmidt.example", "m1@schmidt.example", map[string][]byte{"RE-MAIL-1.xml": good}, ""))
		deliver(mailWith("rechnung@schmidt.example", "m2@schmidt.example", map[string][]byte{"RE-MAIL-2.xml": SampleXML(bad)}, ""))
		deliver(mailWith("mailer-daemon@schmidt.example", "m3@schmidt.example", map[string][]byte{"bounce.xml": []byte("<x/>")}, "Auto-Submitted: auto-replied\r\n"))
		deliver([]byte("From: someone@example.org\r\nSubject: Frage\r\n\r\nWann zahlen Sie?\r\n"))
		res, err := w.s.PollMailbox(ctx, w.t, mb)
		if err != nil {
			t.Fatal(err)
		}
		if res != (PollResult{Messages: 4, Received: 1, Refused: 2, Ignored: 1}) {
			t.Errorf("poll %+v", res)
		}
		invs, err := w.s.List(ctx, w.clerkA, w.t.ID, ListNew)
		if err != nil || len(invs) != 1 || invs[0].Channel != ChannelEmail || invs[0].Number != "RE-MAIL-1" {
			t.Fatalf("received %d %v", len(invs), err)
		}
		// The mailbox is emptied: a second poll reads nothing.
		if res, err := w.s.PollMailbox(ctx, w.t, mb); err != nil || res.Messages != 0 {
			t.Errorf("second poll %+v %v", res, err)
		}
		// The same message delivered again (a crash before flagging) is not taken twice.
		deliver(mailWith("rechnung@schmidt.example", "m1@schmidt.example", map[string][]byte{"RE-MAIL-1.xml": good}, ""))
		if res, err := w.s.PollMailbox(ctx, w.t, mb); err != nil || res.Seen != 1 {
			t.Errorf("redelivery %+v %v", res, err)
		}
		// One answer, to the human sender, with the rule and its explanation.
		smtp := mailtest.Start(t)
		q := jobs.New(w.db, slog.New(slog.NewTextHandler(io.Discard, nil)))
		q.Register(mail.JobKind, mail.JobHandler(&mail.SMTP{Host: smtp.Host, Port: smtp.Port, TLS: gomail.NoTLS}))
		for {
			if err := q.RunOnce(ctx); errors.Is(err, jobs.ErrNoJob) {
				break
			} else if err != nil {
				t.Fatal(err)
			}
		}
		got := smtp.Messages()
		if len(got) != 1 || got[0].To[0] != "rechnung@schmidt.example" || !strings.Contains(got[0].Body, "BR-DE-15") || !strings.Contains(got[0].Body, "Leitweg-ID") {
			t.Fatalf("answers %d: %+v", len(got), got)
		}
		if n := count(t, w.db, `SELECT COUNT(*) FROM einvoice_mails`); n != 4 {
			t.Errorf("%d mails recorded", n)
		}
	})
}

// TestMailPollJob: the poll is a durable job that schedules its successor
// in its finishing transaction.
func TestMailPollJob(t *testing.T) {
	each(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		u, deliver := imapServer(t)
		mb, _ := ParseMailboxURL(u)
		deliver(mailWith("rechnung@schmidt.example", "j1@schmidt.example", map[string][]byte{"a.xml": SampleXML(DefaultSample("RE-JOB-1"))}, ""))
		q := jobs.New(w.db, slog.New(slog.NewTextHandler(io.Discard, nil)))
		q.Register(MailPollJob, MailPollHandler(w.s, func(ctx context.Context, id int64) (*identityTenant, *Mailbox, error) { return w.t, mb, nil }))
		must(t, scheduleNow(w, mb))
		w.clk.Advance(2 * time.Minute)
		if err := q.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if n := count(t, w.db, `SELECT COUNT(*) FROM einvoice_invoices WHERE channel = 'email'`); n != 1 {
			t.Errorf("%d invoices by mail", n)
		}
		if n := count(t, w.db, `SELECT COUNT(*) FROM jobs WHERE kind = $1 AND status = 'queued'`, MailPollJob); n != 1 {
			t.Errorf("%d next polls queued", n)
		}
	})
}
