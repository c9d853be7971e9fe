package forms

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
	"github.com/rathaus/rathaus/internal/platform/jobs"
	"github.com/rathaus/rathaus/internal/platform/mail"
)

var linkTokenRE = regexp.MustCompile(`/antrag/(fortsetzen|bestaetigen)\?token=([A-Za-z0-9_-]+)`)

// lastLink is the token of the newest queued mail to addr, and its text.
func (w *world) lastLink(t *testing.T, addr string) (string, string) {
	t.Helper()
	js, err := jobs.List(context.Background(), w.db, "queued", 100)
	if err != nil {
		t.Fatal(err)
	}
	token, body := "", ""
	for _, j := range js {
		var m mail.Message
		if j.Kind != mail.JobKind || json.Unmarshal(j.Payload, &m) != nil || m.To != addr {
			continue
		}
		if l := linkTokenRE.FindStringSubmatch(m.Text); l != nil {
			token, body = l[2], m.Text
		}
	}
	if token == "" {
		t.Fatalf("no link mailed to %s", addr)
	}
	return token, body
}

// TestEmailedLinksExpire: a resume link works until ResumeLinkTTL and
// once; a confirmation link until ConfirmLinkTTL; the mails carry a link
// and nothing of the answers; a draft kept in an account is resumed
// there until DraftTTL after its last change, then it is gone.
func TestEmailedLinksExpire(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		w := newWorld(t, db, clk)
		ctx := context.Background()
		def, err := DemoForm("fundbuero")
		if err != nil {
			t.Fatal(err)
		}
		const lost = "L-LOST-0000"
		f, err := w.s.CreateForm(ctx, w.manager, w.tenant.ID, NewForm{ServiceID: lost, Def: def})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.s.Publish(ctx, w.manager, w.tenant.ID, f.Ref, 1); err != nil {
			t.Fatal(err)
		}
		anon := func() (*Draft, Visitor) {
			t.Helper()
			d, secret, err := w.s.StartDraft(ctx, Visitor{}, w.tenant.ID, lost, "de")
			if err != nil {
				t.Fatal(err)
			}
			v := Visitor{Secret: secret}
			if _, _, err := w.s.SaveStep(ctx, v, w.tenant.ID, d.Ref, def.Steps[0].ID, StepInput{Values: map[string]any{"description": "Rote Mütze mit Bommel"}}); err != nil {
				t.Fatal(err)
			}
			return d, v
		}

		// Resume: valid just before the end of its time, once.
		d1, v1 := anon()
		if err := w.s.SendResumeLink(ctx, v1, w.tenant.ID, d1.Ref, "eva@example.org", "https://musterstadt.example"); err != nil {
			t.Fatal(err)
		}
		token, text := w.lastLink(t, "eva@example.org")
		if strings.Contains(text, "Mütze") || strings.Contains(text, d1.Ref) {
			t.Errorf("resume mail carries the draft:\n%s", text)
		}
		clk.Advance(ResumeLinkTTL - time.Minute)
		if r, _, err := w.s.Resume(ctx, w.tenant.ID, token); err != nil || r != d1.Ref {
			t.Fatalf("resume before expiry: %q %v", r, err)
		}
		if _, _, err := w.s.Resume(ctx, w.tenant.ID, token); !errors.Is(err, ErrLinkInvalid) {
			t.Errorf("resume link used twice: %v", err)
		}
		// Expired: refused, and the draft keeps its secret.
		d2, v2 := anon()
		if err := w.s.SendResumeLink(ctx, v2, w.tenant.ID, d2.Ref, "finn@example.org", "https://musterstadt.example"); err != nil {
			t.Fatal(err)
		}
		token, _ = w.lastLink(t, "finn@example.org")
		clk.Advance(ResumeLinkTTL + time.Minute)
		if _, _, err := w.s.Resume(ctx, w.tenant.ID, token); !errors.Is(err, ErrLinkInvalid) {
			t.Errorf("expired resume link: %v", err)
		}
		if _, err := w.s.Draft(ctx, v2, w.tenant.ID, d2.Ref); err != nil {
			t.Errorf("draft after a refused link: %v", err)
		}

		// Confirmation of the address: a day.
		d3, v3 := anon()
		if err := w.s.SendConfirmation(ctx, v3, w.tenant.ID, d3.Ref, "gina@example.org", "https://musterstadt.example"); err != nil {
			t.Fatal(err)
		}
		token, _ = w.lastLink(t, "gina@example.org")
		clk.Advance(ConfirmLinkTTL + time.Minute)
		if _, err := w.s.ConfirmEmail(ctx, w.tenant.ID, token); !errors.Is(err, ErrLinkInvalid) {
			t.Errorf("expired confirmation link: %v", err)
		}

		// Through the account: the draft is listed and opens until it expires.
		dog, _, err := w.s.StartDraft(ctx, Visitor{P: w.citizen}, w.tenant.ID, dogService, "de")
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(DraftTTL - time.Hour)
		open, err := w.s.OpenDrafts(ctx, w.citizen, w.tenant.ID)
		if err != nil || len(open) != 1 || open[0].Ref != dog.Ref {
			t.Errorf("open drafts before expiry: %+v %v", open, err)
		}
		if _, err := w.s.Draft(ctx, Visitor{P: w.citizen}, w.tenant.ID, dog.Ref); err != nil {
			t.Errorf("resume through the account: %v", err)
		}
		clk.Advance(2 * time.Hour)
		if _, err := w.s.Draft(ctx, Visitor{P: w.citizen}, w.tenant.ID, dog.Ref); err == nil {
			t.Error("an expired draft opens")
		}
		if open, _ := w.s.OpenDrafts(ctx, w.citizen, w.tenant.ID); len(open) != 0 {
			t.Errorf("expired draft still listed: %+v", open)
		}
	})
}
