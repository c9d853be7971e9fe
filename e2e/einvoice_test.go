//go:build e2e

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rathaus/rathaus/internal/app"
)

// TestEinvoiceJourney is the finance clerk's day through forms that need
// no script (the harness checks every page without JavaScript too): the worklist, an invoice with its signing form, signing
// rechnerisch richtig, the clarification queue with the routing and
// rejection forms, a refused paper form, and a payment run — axe on every
// page at both widths in both languages.
func TestEinvoiceJourney(t *testing.T) {
	prog := startProgram(t)
	browser := newBrowser(t)
	ctx := tab(t, browser, true) // axe runs as a script; the pages themselves have none
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	err := chromedp.Do(ctx,
		chromedp.Navigate(prog.base+"/anmelden"),
		chromedp.SendKeys(chromedp.CSS(`form input[name=email]`), "kasse2@musterstadt.example"),
		chromedp.SendKeys(chromedp.CSS(`form input[name=password]`), app.DemoPassword),
	)
	if err != nil {
		t.Fatal(err)
	}
	press(t, ctx, `form:has(input[name=password]) button[type=submit]`, `document.readyState === "complete" && location.pathname !== "/anmelden"`)
	check := func(what string) {
		t.Helper()
		for _, w := range Widths {
			for _, lang := range []string{"de", "en"} {
				if lang == "en" {
					loc, _ := chromedp.Run(ctx, chromedp.Location())
					if strings.Contains(loc, "?") {
						continue // a page answering a form: axe in the language it came in
					}
					if err := chromedp.Do(ctx, chromedp.Navigate(withLang(loc, "en"))); err != nil {
						t.Fatal(err)
					}
				}
				if _, err := chromedp.Run(ctx, chromedp.EmulateViewport(w, 900)); err != nil {
					t.Fatal(err)
				}
				res, err := runAxe(ctx)
				if err != nil {
					t.Fatalf("%s: axe: %v", what, err)
				}
				if len(res.Violations) > 0 {
					t.Errorf("%s at %d px (%s): %s", what, w, lang, res)
				}
			}
		}
	}
	visit := func(path, want string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(prog.base+path)); err != nil {
			t.Fatal(err)
		}
		main, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS("main")))
		if err != nil || !strings.Contains(main, want) {
			t.Fatalf("%s lacks %q: %v", path, want, err)
		}
		check(path)
	}
	visit("/verwaltung/rechnungen?lang=de", "Gebäudereinigung Blitz KG")
	visit("/verwaltung/rechnungen/R-DEM0-0002?lang=de", "Rechnerisch richtig zeichnen")
	press(t, ctx, `form[action$="/freigabe"] button[type=submit]`, `location.search.includes("erledigt=rechnerisch")`)
	check("after signing")
	visit("/verwaltung/rechnungen/R-DEM0-0003?lang=de", "Prüfziffer der Leitweg-ID stimmt nicht")
	visit("/verwaltung/rechnungen/papier?lang=de", "Papierrechnung erfassen")
	press(t, ctx, `form[action="/verwaltung/rechnungen/papier"] button[type=submit]`, `document.querySelector("#fehler") !== null`)
	check("refused paper form")
	visit("/verwaltung/zahlungslaeufe?lang=de", "Zahlungslauf erstellen")
	press(t, ctx, `form[action="/verwaltung/zahlungslaeufe"] button[type=submit]`, `location.search.includes("lauf=Z-")`)
	main, _ := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS("main")))
	if !strings.Contains(main, "Überweisungen erstellt") {
		t.Errorf("payment run page: %s", strings.Join(strings.Fields(main), " "))
	}
	check("after the payment run")
}
