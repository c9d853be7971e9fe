//go:build e2e

package e2e

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rathaus/rathaus/internal/catalog"
)

// TestAppointmentJourneys books through the real pages in Chromium: with
// JavaScript the booking form solves the proof-of-work challenge (its time
// is logged: the cost per solve in a browser) and the booking is held for
// the e-mail confirmation; without JavaScript the same form books too —
// held, and confirmed by e-mail — and the month view leads there by links.
func TestAppointmentJourneys(t *testing.T) {
	prog := startProgram(t)
	browser := newBrowser(t)
	service := catalog.Ref(catalog.SourceMunich, "1063441") // Personalausweis
	calendar := prog.base + "/termine/standorte/S-DEM0-0002/kalender?" + url.Values{"leistung": {service}}.Encode()

	book := func(t *testing.T, js bool, email string) (string, int) {
		ctx, cancel := context.WithTimeout(tab(t, browser, js), 90*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, chromedp.Navigate(calendar)); err != nil {
			t.Fatalf("month view: %v", err)
		}
		// The first free time of the day the month view selected.
		press(t, ctx, `#zeiten ~ ul a, .rh-times a`, `location.pathname.endsWith("/buchen")`)
		ms := 0
		if js {
			waitJS(t, ctx, "the solved challenge", `document.querySelector("form[data-pow-ms]") !== null`)
			v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("form[data-pow]").getAttribute("data-pow-ms")`))
			if err != nil {
				t.Fatal(err)
			}
			ms, _ = strconv.Atoi(v)
			if solved, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector("input[name=altcha]").value !== ""`)); !solved {
				t.Fatal("challenge solved but not put into the form")
			}
		}
		if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#buchen-email"), email)); err != nil {
			t.Fatal(err)
		}
		press(t, ctx, `form[data-pow] button[type=submit], form[action$="/buchen"] button[type=submit]`, `location.pathname.startsWith("/termine/buchung/")`)
		main, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS("main")))
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(strings.Fields(main), " "), ms
	}

	t.Run("with JavaScript", func(t *testing.T) {
		page, ms := book(t, true, "js-journey@example.org")
		if !strings.Contains(page, "Ihre Anfrage ist angekommen") || !strings.Contains(page, "reserviert") {
			t.Fatalf("after booking: %s", page)
		}
		t.Logf("proof of work (difficulty 50000) solved in Chromium in %d ms", ms)
		if ms <= 0 {
			t.Error("no solve time recorded")
		}
	})
	t.Run("without JavaScript", func(t *testing.T) {
		page, _ := book(t, false, "nojs-journey@example.org")
		if !strings.Contains(page, "reserviert") || !strings.Contains(page, "Bürgerbüro Leonrodstraße") {
			t.Fatalf("after booking without JavaScript: %s", page)
		}
	})
}
