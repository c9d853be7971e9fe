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
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
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
	)
	if err == nil {
		press(t, ctx, `form[action="/barrierefreiheit/feedback"] button[type=submit]`, `document.readyState === "complete" && document.querySelector("#fehler") !== null`)
	}
	if err != nil {
		lctx, lcancel := context.WithTimeout(tab(t, browser, false), 5*time.Second)
		defer lcancel()
		l, _ := chromedp.Run(lctx, chromedp.Location())
		t.Fatalf("send the empty form: %v (now at %s)", err, l)
	}
	if got := text("#fehler"); !strings.Contains(got, "Bitte füllen Sie dieses Feld aus.") || !strings.Contains(got, "gültige E-Mail-Adresse") {
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
	)
	if err != nil {
		t.Fatalf("correct the form: %v", err)
	}
	press(t, ctx, `form[action="/barrierefreiheit/feedback"] button[type=submit]`, `document.readyState === "complete" && document.querySelector(".kern-alert--success") !== null`)
	if l := loc(); l != "/barrierefreiheit/danke" {
		t.Errorf("after sending at %q", l)
	}
	if got := text("h1"); got != "Vielen Dank für Ihre Nachricht" {
		t.Errorf("acknowledgement h1 %q", got)
	}

	// The language switch: a form button in the header, back to the same page.
	if err := chromedp.Do(ctx, chromedp.Navigate(prog.base+"/impressum")); err != nil {
		t.Fatal(err)
	}
	press(t, ctx, `form[action="/sprache"] button[value=en]`, `document.readyState === "complete" && document.documentElement.lang === "en"`)
	if l, h1 := loc(), text("h1"); l != "/impressum" || h1 != "Imprint" {
		t.Errorf("after switching: at %q, h1 %q", l, h1)
	}
	// The choice is kept on the next page.
	if err := chromedp.Do(ctx, chromedp.Navigate(prog.base+"/datenschutz"), chromedp.WaitReady(chromedp.CSS(`html[lang=en]`))); err != nil {
		t.Errorf("next page not in English: %v", err)
	}
	press(t, ctx, `form[action="/sprache"] button[value=de]`, `document.readyState === "complete" && document.documentElement.lang === "de"`)
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

// TestFindAServiceWithoutJavaScript: Paul asks in his own words, in a
// browser that runs no script — through the finder and through the
// assistant — and ends on the service page with the responsible office.
func TestFindAServiceWithoutJavaScript(t *testing.T) {
	prog := startProgram(t)
	browser := newBrowser(t)
	ctx, cancel := context.WithTimeout(tab(t, browser, false), 60*time.Second)
	defer cancel()

	// The finder: a colloquial query, the first result, the service page.
	err := chromedp.Do(ctx,
		chromedp.Navigate(prog.base+"/leistungen?lang=de"),
		chromedp.SendKeys(chromedp.CSS(`main form[action="/leistungen"] input[name=q]`), "Steuer für meinen Hund"),
	)
	if err != nil {
		t.Fatalf("search: %v", err)
	}
	press(t, ctx, `main form[action="/leistungen"] button[type=submit]`, `document.readyState === "complete" && location.search.indexOf("q=") >= 0 && document.querySelector('main a[href^="/leistungen/"]') !== null`)
	first, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`main a[href^="/leistungen/"]`), "href"))
	if err != nil || first.Value == "" {
		t.Fatalf("no result link: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(prog.base+first.Value)); err != nil {
		t.Fatal(err)
	}
	h1, _ := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS("main h1")))
	if !strings.Contains(h1, "Hundesteuer") {
		t.Errorf("first result for 'Steuer für meinen Hund' is %q, want Hundesteuer", strings.TrimSpace(h1))
	}

	// The assistant: a short request, answered by a question or the service.
	err = chromedp.Do(ctx,
		chromedp.Navigate(prog.base+"/assistent?lang=de"),
		chromedp.SendKeys(chromedp.CSS(`#assistent-q`), "ich habe meinen Ausweis verloren"),
	)
	if err != nil {
		t.Fatalf("assistant: %v", err)
	}
	press(t, ctx, `main form[action="/assistent"] button[type=submit]`, `document.readyState === "complete" && (location.pathname.indexOf("/leistungen/") === 0 || document.querySelector("input[name=answer]") !== null)`)
	prevState := ""
	for step := 0; step < 4; step++ {
		// Wait for the next answer page: the service page, or a question
		// whose dialogue state differs from the one just sent.
		deadline := time.Now().Add(15 * time.Second)
		var loc string
		for {
			loc, _ = chromedp.Run(ctx, chromedp.Location())
			if strings.Contains(loc, "/leistungen/") {
				h1, _ := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS("main h1")))
				if !strings.Contains(h1, "Personalausweis") && !strings.Contains(h1, "Verlust") {
					t.Errorf("the assistant ended on %q", strings.TrimSpace(h1))
				}
				return
			}
			state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector('input[name=state]')||{}).value||''`))
			radios, _ := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll(`main input[type=radio][name=answer]`), chromedp.AtLeast(0)))
			if len(radios) > 0 && state != prevState {
				prevState = state
				break
			}
			if time.Now().After(deadline) {
				main, _ := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS("main")))
				t.Fatalf("no question or service page at %s: %s", loc, strings.Join(strings.Fields(main), " "))
			}
			time.Sleep(50 * time.Millisecond) // polling the browser for the answer page
		}
		// A clarifying question: take the first option, as a person would,
		// by its label.
		press(t, ctx, `main label[for="assistent-answer-0"]`, `document.querySelector("#assistent-answer-0").checked`)
		press(t, ctx, `main form[action="/assistent"] button[type=submit]`, `document.readyState === "complete" && (location.pathname.indexOf("/leistungen/") === 0 || (document.querySelector("input[name=state]")||{}).value !== `+jsString(prevState)+`)`)
	}
	t.Fatal("the assistant did not reach a service page within four answers")
}
