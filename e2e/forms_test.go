//go:build e2e

package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rathaus/rathaus/internal/app"
)

// axeHere runs axe-core on the page open in ctx at both widths and fails
// on any violation; it also checks the page's language attribute.
func axeHere(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	for _, width := range Widths {
		if _, err := chromedp.Run(ctx, chromedp.EmulateViewport(width, 900)); err != nil {
			t.Fatal(err)
		}
		res, err := runAxe(ctx)
		if err != nil {
			t.Fatalf("axe on %s at %d px: %v", what, width, err)
		}
		if len(res.Violations) > 0 {
			t.Errorf("%s at %d px: %d violations:%s", what, width, len(res.Violations), res)
		}
		csp, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__csp || []`))
		if err != nil || len(csp) > 0 {
			t.Errorf("%s: CSP violations %v %v", what, csp, err)
		}
	}
}

func here(t *testing.T, ctx context.Context, base string) string {
	t.Helper()
	l, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(l, base)
}

// TestFormsInTheBrowser: Paul applies for the dog tax in Chromium — the
// start page, the prefill consent, every step (one with errors and the
// summary linked to the fields, one revealing an upload), the check page
// and the application page — with axe-core at 375 and 1280 px on each
// (0 violations) and the same steps once more without JavaScript; then
// the form manager's directory, form page, builder, field editor and
// preview pass axe too.
func TestFormsInTheBrowser(t *testing.T) {
	prog := startProgram(t)
	browser := newBrowser(t)
	for _, js := range []bool{true, false} {
		name := "with JavaScript"
		if !js {
			name = "without JavaScript"
		}
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(tab(t, browser, js), 3*time.Minute)
			defer cancel()
			axeHere := func(t *testing.T, ctx context.Context, what string) {
				t.Helper()
				if js {
					axeHere(t, ctx, what)
					return
				}
				// Without JavaScript axe cannot run: the page must still be whole.
				h1, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll("main h1"), chromedp.AtLeast(0)))
				if err != nil || len(h1) != 1 {
					t.Errorf("%s without JavaScript: %d h1 (%v)", what, len(h1), err)
				}
			}
			signIn(t, ctx, prog.base, app.DemoCitizen.Email)
			if err := chromedp.Do(ctx, chromedp.Navigate(prog.base+"/antrag/"+app.DemoServiceRef)); err != nil {
				t.Fatal(err)
			}
			axeHere(t, ctx, "start page")
			press(t, ctx, `form[action="/antrag/`+app.DemoServiceRef+`"] button[type=submit]`, `location.pathname.indexOf("/antrag/entwurf/") === 0`)
			if strings.HasSuffix(here(t, ctx, prog.base), "/einwilligung") {
				axeHere(t, ctx, "consent page")
				press(t, ctx, `form[action$="/einwilligung"] button[type=submit]`, `document.querySelector("#fehler") !== null`) // no choice: error summary
				axeHere(t, ctx, "consent page with error")
				if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#f-prefill`))); err != nil {
					t.Fatal(err)
				}
				press(t, ctx, `form[action$="/einwilligung"] button[type=submit]`, `document.querySelector("#f-given-name") !== null`)
			}
			axeHere(t, ctx, "step 1 prefilled")
			if v, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`#f-given-name`))); v != "Paul" {
				t.Errorf("step 1 not prefilled: %q", v)
			}
			press(t, ctx, `form button[value=next]:not([tabindex])`, `document.querySelector("#f-dog-name") !== null`)
			axeHere(t, ctx, "step 2")
			// Continue with nothing filled in: errors at the fields, summary linked.
			press(t, ctx, `form button[value=next]:not([tabindex])`, `document.querySelector("#fehler a[href='#f-dog-name']") !== null`)
			axeHere(t, ctx, "step 2 with errors")
			err := chromedp.Do(ctx,
				chromedp.SendKeys(chromedp.CSS(`#f-dog-name`), "Bello"),
				chromedp.SendKeys(chromedp.CSS(`#f-breed`), "Dackel"),
				chromedp.SendKeys(chromedp.CSS(`#f-dog-birth-date`), "01.05.2022"),
				chromedp.SendKeys(chromedp.CSS(`#f-kept-since`), "01.11.2026"),
				chromedp.Click(chromedp.CSS(`#f-dangerous-2`)),
				chromedp.Click(chromedp.CSS(`#f-other-dogs-2`)),
			)
			if err != nil {
				t.Fatal(err)
			}
			press(t, ctx, `form button[value=next]:not([tabindex])`, `document.querySelector("#f-reduction") !== null`)
			axeHere(t, ctx, "step 3")
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#f-reduction-4`))); err != nil { // the animal shelter
				t.Fatal(err)
			}
			press(t, ctx, `form button[value=next]:not([tabindex])`, `document.querySelector("input[type=file]#f-proof") !== null`)
			axeHere(t, ctx, "step 3 with the upload")
			proof := filepath.Join(t.TempDir(), "vertrag.pdf")
			if err := os.WriteFile(proof, []byte("%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS(`#f-proof`), []string{proof})); err != nil {
				t.Fatal(err)
			}
			press(t, ctx, `form button[value=next]:not([tabindex])`, `document.querySelector("#f-direct-debit") !== null`)
			axeHere(t, ctx, "step 4")
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#f-direct-debit-2`))); err != nil {
				t.Fatal(err)
			}
			press(t, ctx, `form button[value=next]:not([tabindex])`, `location.pathname.endsWith("/pruefen")`)
			axeHere(t, ctx, "check your answers")
			page, _ := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS("main")))
			if !strings.Contains(page, "vertrag.pdf") || !strings.Contains(page, "Dackel") {
				t.Errorf("check page: %s", page)
			}
			press(t, ctx, `form[action$="/absenden"] button[type=submit]`, `location.pathname.indexOf("/antraege/A-") === 0`)
			axeHere(t, ctx, "application page")
			if err := chromedp.Do(ctx, chromedp.Navigate(prog.base+"/antraege")); err != nil {
				t.Fatal(err)
			}
			axeHere(t, ctx, "my applications")
			if err := chromedp.Do(ctx, chromedp.Navigate(prog.base+"/konto")); err != nil {
				t.Fatal(err)
			}
			axeHere(t, ctx, "account page with applications and consents")
			press(t, ctx, `form[action="/abmelden"] button[type=submit]`, `location.pathname !== "/konto"`)
		})
	}

	t.Run("form manager", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(tab(t, browser, true), 3*time.Minute)
		defer cancel()
		signIn(t, ctx, prog.base, "formulare@musterstadt.example")
		if err := chromedp.Do(ctx, chromedp.Navigate(prog.base+"/verwaltung/formulare")); err != nil {
			t.Fatal(err)
		}
		axeHere(t, ctx, "forms directory")
		err := chromedp.Do(ctx,
			chromedp.SendKeys(chromedp.CSS(`#new-name`), "Testformular"),
		)
		if err != nil {
			t.Fatal(err)
		}
		press(t, ctx, `form[action="/verwaltung/formulare"] button[type=submit]`, `location.pathname.indexOf("/verwaltung/formulare/F-") === 0`)
		axeHere(t, ctx, "form page")
		press(t, ctx, `form[action$="/entwurf"] button[type=submit]`, `location.pathname.endsWith("/bearbeiten")`)
		axeHere(t, ctx, "builder")
		if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`#add-0-label`), "Ihr Anliegen")); err != nil {
			t.Fatal(err)
		}
		press(t, ctx, `form:has(#add-0-label) button[type=submit]`, `location.pathname.endsWith("/feld")`)
		axeHere(t, ctx, "field editor")
		press(t, ctx, `form[action*="/feld"] button[type=submit]`, `location.pathname.endsWith("/bearbeiten")`)
		axeHere(t, ctx, "builder with a question")
		base := strings.TrimSuffix(here(t, ctx, prog.base), "/bearbeiten")
		if i := strings.IndexByte(base, '?'); i >= 0 {
			base = base[:i]
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(prog.base+base+"/vorschau")); err != nil {
			t.Fatal(err)
		}
		axeHere(t, ctx, "preview")
	})
}
