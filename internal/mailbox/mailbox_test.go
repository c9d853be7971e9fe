package mailbox

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/blob"
	"github.com/rathaus/rathaus/internal/platform/blobtest"
	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/jobs"
	"github.com/rathaus/rathaus/internal/platform/mail"
	"github.com/rathaus/rathaus/internal/platform/mail/mailtest"
	"github.com/rathaus/rathaus/internal/platform/ref"
)

type world struct {
	s      *Service
	t      *identity.Tenant
	paul   identity.Principal
	erika  identity.Principal
	worker identity.Principal
	q      *jobs.Queue
	smtp   *mailtest.Server
	clk    *clock.Fake
}

func citizen(t *testing.T, db *database.DB, tn int64, email, name string) identity.Principal {
	t.Helper()
	p := identity.Principal{TenantID: tn, Ref: ref.New("U"), Kind: "citizen"}
	err := database.WithTx(context.Background(), db, func(tx *database.Tx) error {
		return tx.QueryRowContext(tx.Context(), `INSERT INTO accounts (tenant_id, ref, kind, email, name, created_at, email_verified_at) VALUES ($1, $2, 'citizen', $3, $4, $5, $5) RETURNING id`,
			tn, p.Ref, email, name, tx.Now()).Scan(&p.AccountID)
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func newWorld(t *testing.T, db *database.DB, clk *clock.Fake) *world {
	t.Helper()
	ctx := context.Background()
	ids := &identity.Service{DB: db}
	tn, err := ids.CreateTenant(ctx, identity.Tenant{Slug: "musterstadt", Name: "Musterstadt", Settings: identity.Settings{FederalState: "BY", MailFrom: "rathaus@musterstadt.example"}})
	if err != nil {
		t.Fatal(err)
	}
	// The installation's store records each Put in a transaction of its own,
	// so a Put inside a use case's transaction would deadlock; tests use it.
	blobs := &blob.Tracked{Store: blobtest.Open(t), DB: db} // a bucket of a real S3 server under make test-s3
	srv := mailtest.Start(t)
	q := jobs.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	q.Register(mail.JobKind, mail.JobHandler(&mail.SMTP{Host: srv.Host, Port: srv.Port, TLS: 2}))
	w := &world{s: &Service{DB: db, Identity: ids, Blobs: blobs, BaseURL: func(context.Context, int64) string { return "https://musterstadt.example" }},
		t: tn, q: q, smtp: srv, clk: clk}
	w.paul = citizen(t, db, tn.ID, "paul@example.org", "Paul Beispiel")
	w.erika = citizen(t, db, tn.ID, "erika@example.org", "Erika Muster")
	w.worker = identity.Principal{TenantID: tn.ID, AccountID: 999, Ref: "U-WORK-ER00", Kind: "staff", Roles: []identity.Role{identity.RoleCaseWorker}}
	return w
}

func (w *world) send(t *testing.T, o Outgoing) *Sent {
	t.Helper()
	var sent *Sent
	err := database.WithTx(context.Background(), w.s.DB, func(tx *database.Tx) error {
		var err error
		sent, err = w.s.Send(tx, o)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return sent
}

func (w *world) runJobs(t *testing.T) {
	t.Helper()
	for {
		err := w.q.RunOnce(context.Background())
		if errors.Is(err, jobs.ErrNoJob) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

var linkRE = regexp.MustCompile(`/nachricht/([A-Za-z0-9_-]+)`)

func TestMailboxDeliveryConsentRepliesAndLinks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		w := newWorld(t, db, clk)
		pdf := []byte("%PDF-1.7\n% decision\n")
		key, size, err := w.s.Blobs.Put(ctx, bytes.NewReader(pdf))
		if err != nil {
			t.Fatal(err)
		}

		// A question goes electronically (no consent needed for it).
		q := w.send(t, Outgoing{TenantID: w.t.ID, AccountID: w.paul.AccountID, Kind: KindInformationRequest, SubjectRef: "C-AAAA-BBBB",
			Sender: "Steueramt", Title: "Rückfrage zu Ihrem Antrag Hundesteuer", Body: "Bitte senden Sie den Impfpass.", RepliesAllowed: true})
		if q.Delivery != DeliveryElectronic {
			t.Fatalf("question delivery %s", q.Delivery)
		}
		// The notification mail carries a link, no personal data.
		w.runJobs(t)
		msgs, err := w.smtp.Wait(1, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		body := msgs[0].Body
		for _, secret := range []string{"Paul", "Beispiel", "Hundesteuer", "Impfpass", "C-AAAA-BBBB", q.Ref} {
			if strings.Contains(body, secret) || strings.Contains(msgs[0].Msg.Header.Get("Subject"), secret) {
				t.Fatalf("notification mail reveals %q:\n%s", secret, body)
			}
		}
		m := linkRE.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no link in the mail:\n%s", body)
		}
		secret := m[1]

		// A formal decision without consent goes by post, with a print job.
		dec := w.send(t, Outgoing{TenantID: w.t.ID, AccountID: w.paul.AccountID, Kind: KindDecision, SubjectRef: "C-AAAA-BBBB", Sender: "Steueramt",
			Title: "Bescheid", Body: "Ihr Bescheid", Formal: true, Documents: []Document{{Name: "bescheid.pdf", MediaType: "application/pdf", BlobKey: key, Size: size, Sealed: true}}})
		if dec.Delivery != DeliveryPost || dec.PrintJob == "" {
			t.Fatalf("decision without consent: %+v", dec)
		}
		jobsList, err := w.s.PrintJobs(ctx, w.worker, w.t.ID)
		if err != nil || len(jobsList) != 1 || jobsList[0].Ref != dec.PrintJob || len(jobsList[0].Documents) != 1 {
			t.Fatalf("print jobs: %+v %v", jobsList, err)
		}
		if _, b, err := w.s.PrintDocument(ctx, w.worker, w.t.ID, dec.PrintJob); err != nil || !bytes.Equal(b, pdf) {
			t.Fatalf("print document: %v", err)
		}
		if _, err := w.s.PrintJobs(ctx, w.paul, w.t.ID); !errors.Is(err, fault.ErrForbidden) {
			t.Fatalf("citizen sees print jobs: %v", err)
		}
		if err := w.s.MarkPrinted(ctx, w.worker, w.t.ID, dec.PrintJob); err != nil {
			t.Fatal(err)
		}
		if err := w.s.MarkPrinted(ctx, w.worker, w.t.ID, dec.PrintJob); !errors.Is(err, fault.ErrConflict) {
			t.Fatalf("printed twice: %v", err)
		}
		inbox, _ := w.s.Inbox(ctx, w.paul, w.t.ID)
		if len(inbox) != 1 || inbox[0].Ref != q.Ref {
			t.Fatalf("a posted decision is not in the mailbox: %+v", inbox)
		}
		// With consent, the next decision is delivered electronically.
		if err := w.s.SetConsent(ctx, w.paul, w.t.ID, true, "account_page"); err != nil {
			t.Fatal(err)
		}
		if c, _ := w.s.ConsentOf(ctx, w.paul, w.t.ID); !c.Consented || c.Since == nil {
			t.Fatalf("consent: %+v", c)
		}
		dec2 := w.send(t, Outgoing{TenantID: w.t.ID, AccountID: w.paul.AccountID, Kind: KindDecision, SubjectRef: "C-AAAA-BBBB", Sender: "Steueramt",
			Title: "Bescheid", Body: "Ihr Bescheid", Formal: true, Documents: []Document{{Name: "bescheid.pdf", MediaType: "application/pdf", BlobKey: key, Size: size, Sealed: true}}})
		if dec2.Delivery != DeliveryElectronic {
			t.Fatalf("decision with consent: %+v", dec2)
		}
		d, _ := w.s.DeliveryOf(ctx, w.t.ID, dec2.Ref)
		if d.MadeAvailableAt == nil || d.FirstOpenedAt != nil {
			t.Fatalf("delivery before opening: %+v", d)
		}
		// Another citizen cannot open it; opening records the first time only.
		if _, err := w.s.Open(ctx, w.erika, w.t.ID, dec2.Ref); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("foreign open: %v", err)
		}
		clk.Advance(time.Hour)
		first := clk.Now()
		if _, rc, err := w.s.OpenDocument(ctx, w.paul, w.t.ID, dec2.Ref, dec2.Documents[0].Ref); err != nil {
			t.Fatal(err)
		} else {
			rc.Close()
		}
		clk.Advance(time.Hour)
		w.s.Open(ctx, w.paul, w.t.ID, dec2.Ref)
		d, _ = w.s.DeliveryOf(ctx, w.t.ID, dec2.Ref)
		if d.FirstOpenedAt == nil || !d.FirstOpenedAt.Equal(first) {
			t.Fatalf("first opened %v, want %v", d.FirstOpenedAt, first)
		}
		if n, _ := w.s.Unread(ctx, w.paul, w.t.ID); n != 1 {
			t.Fatalf("unread %d, want 1 (the question)", n)
		}

		// Links: a forged or foreign one is refused, a real one works once.
		if _, err := w.s.UseLink(ctx, w.paul, w.t.ID, "forged-"+secret); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("forged link: %v", err)
		}
		if _, err := w.s.UseLink(ctx, w.erika, w.t.ID, secret); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("someone else's link: %v", err)
		}
		if got, err := w.s.UseLink(ctx, w.paul, w.t.ID, secret); err != nil || got != q.Ref {
			t.Fatalf("link: %s %v", got, err)
		}
		if _, err := w.s.UseLink(ctx, w.paul, w.t.ID, secret); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("replayed link: %v", err)
		}
		// An unused link expires after 30 days.
		sentMails := len(w.smtp.Messages())
		w.send(t, Outgoing{TenantID: w.t.ID, AccountID: w.paul.AccountID, Kind: KindInformationRequest, SubjectRef: "C-AAAA-BBBB",
			Sender: "Steueramt", Title: "Noch eine Rückfrage", Body: "Bitte senden Sie die Rechnung.", RepliesAllowed: true})
		w.runJobs(t)
		later, err := w.smtp.Wait(sentMails+1, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		m = linkRE.FindStringSubmatch(later[len(later)-1].Body)
		if m == nil {
			t.Fatalf("no link in the mail:\n%s", later[len(later)-1].Body)
		}
		clk.Advance(30*24*time.Hour + time.Minute)
		if w.s.LinkValid(ctx, w.t.ID, m[1]) {
			t.Fatal("an expired link is offered as valid")
		}
		if _, err := w.s.UseLink(ctx, w.paul, w.t.ID, m[1]); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("expired link: %v", err)
		}

		// Replies: a disguised file is refused at its field, nothing stored.
		_, err = w.s.Reply(ctx, w.paul, w.t.ID, q.Ref, "Anbei", []Upload{{Name: "impfpass.pdf", Data: []byte("MZ\x90\x00 not a pdf")}})
		if !fault.HasCode(err, "files.0", "file_type") {
			t.Fatalf("disguised upload: %v", err)
		}
		if _, err := w.s.Reply(ctx, w.paul, w.t.ID, dec2.Ref, "Danke", nil); !errors.Is(err, fault.ErrConflict) {
			t.Fatalf("reply to a decision: %v", err)
		}
		if _, err := w.s.Reply(ctx, w.erika, w.t.ID, q.Ref, "Hallo", nil); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("reply to someone else's message: %v", err)
		}
		reply, err := w.s.Reply(ctx, w.paul, w.t.ID, q.Ref, "Anbei der Impfpass.", []Upload{{Name: `C:\Users\paul\impfpass.pdf`, Data: []byte("%PDF-1.4\n impfpass\n")}})
		if err != nil {
			t.Fatal(err)
		}
		if len(reply.Documents) != 1 || reply.Documents[0].Name != "impfpass.pdf" || reply.Documents[0].MediaType != "application/pdf" {
			t.Fatalf("reply documents: %+v", reply.Documents)
		}
		var payload string
		if err := db.R.QueryRow(`SELECT payload FROM jobs WHERE kind = $1 AND key = $2`, RepliedJob, reply.Ref).Scan(&payload); err != nil {
			t.Fatalf("replied job: %v", err)
		}
		if !strings.Contains(payload, q.Ref) || !strings.Contains(payload, "C-AAAA-BBBB") {
			t.Fatalf("replied job payload %s", payload)
		}
		got, err := w.s.Message(ctx, w.t.ID, reply.Ref)
		if err != nil || got.InReplyTo != q.Ref || len(got.Documents) != 1 {
			t.Fatalf("system read of the reply: %+v %v", got, err)
		}
		opened, _ := w.s.Open(ctx, w.paul, w.t.ID, q.Ref)
		if len(opened.Replies) != 1 || opened.Replies[0].Ref != reply.Ref {
			t.Fatalf("thread: %+v", opened.Replies)
		}
		// A staff member's mailbox is empty; an integration token has none.
		if ms, err := w.s.Inbox(ctx, w.worker, w.t.ID); err != nil || len(ms) != 0 {
			t.Fatalf("staff mailbox: %v %v", ms, err)
		}
		if _, err := w.s.Inbox(ctx, identity.Principal{TenantID: w.t.ID, Ref: "K-TOKEN", Kind: "token", Roles: []identity.Role{identity.RoleAdmin}}, w.t.ID); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("integration token's mailbox: %v", err)
		}
	})
}

func FuzzSniff(f *testing.F) {
	f.Add([]byte("%PDF-1.7"))
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Add([]byte("\xff\xd8\xff\xe0"))
	f.Add([]byte("MZ"))
	f.Fuzz(func(t *testing.T, b []byte) {
		mt := sniff(b)
		if mt != "" {
			if _, ok := allowedTypes[mt]; !ok {
				t.Fatalf("sniff allowed %q", mt)
			}
		}
		n := cleanName(string(b))
		if n == "" || strings.ContainsAny(n, "/\\\x00\n") {
			t.Fatalf("cleanName(%q) = %q", b, n)
		}
	})
}
