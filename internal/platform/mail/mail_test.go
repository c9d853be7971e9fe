package mail_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/platform/mail"
	"github.com/rathaus/rathaus/internal/platform/mail/mailtest"
)

func TestSMTPDelivers(t *testing.T) {
	srv := mailtest.Start(t)
	s, err := mail.ParseURL("smtp://" + srv.Host + ":" + strconv.Itoa(srv.Port) + "?tls=none")
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(context.Background(), mail.Message{From: "rathaus@musterstadt.example", To: "paul@example.org",
		Subject: "Neue Nachricht in Ihrem Postfach", Text: "Guten Tag,\nin Ihrem Postfach liegt eine neue Nachricht.", ID: "job-1@rathaus"})
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := srv.Wait(1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	m := msgs[0]
	if m.From != "rathaus@musterstadt.example" || len(m.To) != 1 || m.To[0] != "paul@example.org" {
		t.Errorf("envelope %s → %v", m.From, m.To)
	}
	if got := m.Msg.Header.Get("Message-Id"); got != "<job-1@rathaus>" {
		t.Errorf("Message-ID = %q", got)
	}
	if !strings.Contains(m.Body, "neue Nachricht") {
		t.Errorf("body = %q", m.Body)
	}
}

func TestParseURL(t *testing.T) {
	for _, bad := range []string{"http://x", "smtp://", "smtp://h:port", "smtp://h?tls=maybe"} {
		if _, err := mail.ParseURL(bad); err == nil {
			t.Errorf("ParseURL(%q) accepted", bad)
		}
	}
	s, err := mail.ParseURL("smtp://u:p%40ss@mail.example:2525?tls=opportunistic")
	if err != nil || s.Port != 2525 || s.User != "u" || s.Password != "p@ss" {
		t.Errorf("got %+v %v", s, err)
	}
}

func TestDirWritesEML(t *testing.T) {
	dir := t.TempDir()
	if err := (mail.Dir{Path: dir}).Send(context.Background(), mail.Message{From: "a@b.example", To: "c@d.example", Subject: "Hallo", Text: "x", ID: "k1@rathaus"}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "k1_rathaus.eml"))
	if err != nil || !strings.Contains(string(b), "Subject: Hallo") {
		t.Errorf("eml: %v %s", err, b)
	}
}

func TestSMTPDeliversAttachments(t *testing.T) {
	srv := mailtest.Start(t)
	s, err := mail.ParseURL("smtp://" + srv.Host + ":" + strconv.Itoa(srv.Port) + "?tls=none")
	if err != nil {
		t.Fatal(err)
	}
	ics := []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n")
	err = s.Send(context.Background(), mail.Message{From: "rathaus@musterstadt.example", To: "paul@example.org",
		Subject: "Ihr Termin", Text: "Guten Tag,\nIhr Termin ist gebucht.", ID: "job-2@rathaus",
		Attachments: []mail.Attachment{{Name: "termin.ics", ContentType: "text/calendar", Data: ics}}})
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := srv.Wait(1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	m := msgs[0]
	if !strings.Contains(m.Body, "Termin ist gebucht") {
		t.Errorf("body = %q", m.Body)
	}
	if len(m.Attachments) != 1 || m.Attachments[0].Filename != "termin.ics" || m.Attachments[0].ContentType != "text/calendar" || string(m.Attachments[0].Data) != string(ics) {
		t.Errorf("attachments = %+v", m.Attachments)
	}
}
