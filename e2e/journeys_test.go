//go:build e2e

package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestJourneysWithoutJavaScript: a citizen whose browser runs no script
// reports a barrier (first with a mistake, then correctly) and switches the
// language.
func TestJourneysWithoutJavaScript(t *testing.T) {
	prog := startProgram(t)
	browser := newBrowser(t)
	ctx := tab(t, browser, false)
	ctx, cancel := context.WithTimeout(ctx, 120*time.Second)
	defer cancel()

	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return strings.Join(strings.Fields(s), " ")
	}
	loc := func() string {
		t.Helper()
		l, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimPrefix(l, prog.base)
	}

	// The feedback form, sent with an invalid email: refused, input kept.
	err := chromedp.Do(ctx,
		chromedp.Navigate(prog.base+"/barrierefreiheit"),
		chromedp.SendKeys(chromedp.CSS("#feedback-email"), "paul@"),
		chromedp.SendKeys(chromedp.CSS("#feedback-name"), "Paul"),
		chromedp.Click(chromedp.CSS(`form[action="/barrierefreiheit/feedback"] button[type=submit]`)),
		chromedp.WaitReady(chromedp.CSS("#fehler")),
	)
	if err != nil {
		t.Fatalf("send the empty form: %v", err)
	}
	if got := text("#fehler"); !strings.Contains(got, "Bitte schreiben Sie eine Nachricht.") || !strings.Contains(got, "gültige E-Mail-Adresse") {
		t.Errorf("error summary: %q", got)
	}
	if name, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#feedback-name"))); name != "Paul" {
		t.Errorf("name after the refusal: %q, want it kept", name)
	}

	// Corrected and sent: the acknowledgement, with nothing personal in the URL.
	err = chromedp.Do(ctx,
		// The page is fresh from the server, so the value attribute is the value.
		chromedp.SetAttributeValue(chromedp.CSS("#feedback-email"), "value", ""),
		chromedp.SendKeys(chromedp.CSS("#feedback-email"), "paul@example.org"),
		chromedp.SendKeys(chromedp.CSS("#feedback-message"), "Die Tabelle auf der Gebührenseite hat keine Überschriften."),
		chromedp.Click(chromedp.CSS(`form[action="/barrierefreiheit/feedback"] button[type=submit]`)),
		chromedp.WaitReady(chromedp.CSS(".kern-alert--success")),
	)
	if err != nil {
		t.Fatalf("send the corrected form: %v", err)
	}
	if l := loc(); l != "/barrierefreiheit/danke" {
		t.Errorf("after sending at %q", l)
	}
	if got := text("h1"); got != "Vielen Dank für Ihre Nachricht" {
		t.Errorf("acknowledgement h1 %q", got)
	}

	// The language switch: a form button in the header, back to the same page.
	err = chromedp.Do(ctx,
		chromedp.Navigate(prog.base+"/impressum"),
		chromedp.Click(chromedp.CSS(`form[action="/sprache"] button[value=en]`)),
		chromedp.WaitReady(chromedp.CSS(`html[lang=en]`)),
	)
	if err != nil {
		t.Fatalf("switch to English: %v", err)
	}
	if l, h1 := loc(), text("h1"); l != "/impressum" || h1 != "Imprint" {
		t.Errorf("after switching: at %q, h1 %q", l, h1)
	}
	// The choice is kept on the next page.
	if err := chromedp.Do(ctx, chromedp.Navigate(prog.base+"/datenschutz"), chromedp.WaitReady(chromedp.CSS(`html[lang=en]`))); err != nil {
		t.Errorf("next page not in English: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`form[action="/sprache"] button[value=de]`)), chromedp.WaitReady(chromedp.CSS(`html[lang=de]`))); err != nil {
		t.Errorf("switch back to German: %v", err)
	}
}

// TestAxeFindsViolations is the harness's control: a page with known
// barriers must fail, so a broken injection cannot pass silently.
func TestAxeFindsViolations(t *testing.T) {
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><html><head><title>x</title></head><body><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input type="text"><a href="/"></a></body></html>`))
	}))
	defer bad.Close()
	browser := newBrowser(t)
	ctx := tab(t, browser, true)
	if err := chromedp.Do(ctx, chromedp.Navigate(bad.URL)); err != nil {
		t.Fatal(err)
	}
	res, err := runAxe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, v := range res.Violations {
		found[v.ID] = true
	}
	for _, want := range []string{"html-has-lang", "image-alt", "label", "link-name"} {
		if !found[want] {
			t.Errorf("axe did not report %s on a page that has it (found %v)", want, found)
		}
	}
}
