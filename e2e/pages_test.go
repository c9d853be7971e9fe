//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rathaus/rathaus/internal/app"
	"github.com/rathaus/rathaus/internal/identity"
)

// TestEveryPage visits every GET route of the router as a logged-out
// citizen. (Staff pages behind the login are visited logged in once the
// login pages exist; today the staff area's entry page is public.)
func TestEveryPage(t *testing.T) {
	prog := startProgram(t)
	routes, err := app.RouteTable(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	browser := newBrowser(t)
	withJS := tab(t, browser, true)
	noJS := tab(t, browser, false)

	var report []string
	visited, axeRuns := 0, 0
	violations := map[int64]int{}
	for _, r := range visitable(routes) {
		t.Run(r.pattern, func(t *testing.T) {
			visited++
			if r.api {
				checkAPI(t, prog.base, r)
				report = append(report, fmt.Sprintf("%-40s %-28s JSON API (axe skipped)", r.pattern, r.url))
				return
			}
			resp, err := http.Get(prog.base + r.url)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			ctype := resp.Header.Get("Content-Type")
			switch {
			case r.exact && resp.StatusCode != 200:
				t.Fatalf("GET %s: %d", r.url, resp.StatusCode)
			case !r.exact && resp.StatusCode != 200 && resp.StatusCode != 404:
				t.Fatalf("GET %s (guessed parameters): %d, want 200 or 404", r.url, resp.StatusCode)
			}
			if !strings.HasPrefix(ctype, "text/html") {
				report = append(report, fmt.Sprintf("%-40s %-28s %d %s (no page: axe skipped)", r.pattern, r.url, resp.StatusCode, ctype))
				return
			}
			line := fmt.Sprintf("%-40s %-28s %d", r.pattern, r.url, resp.StatusCode)
			for _, width := range Widths {
				for _, lang := range []string{"de", "en"} {
					ctx, cancel := context.WithTimeout(withJS, 60*time.Second)
					err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate(withLang(prog.base+r.url, lang)))
					if err != nil {
						cancel()
						t.Fatalf("open at %d px: %v", width, err)
					}
					if got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`)); got != lang {
						t.Errorf("%s page at %d px has lang %q", lang, width, got)
					}
					res, err := runAxe(ctx)
					if err != nil {
						cancel()
						t.Fatalf("axe at %d px: %v", width, err)
					}
					axeRuns++
					violations[width] += len(res.Violations)
					if len(res.Violations) > 0 {
						t.Errorf("axe at %d px (%s): %d violations:%s", width, lang, len(res.Violations), res)
					}
					csp, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__csp || []`))
					if err != nil || len(csp) > 0 {
						t.Errorf("CSP violations at %d px: %v %v", width, csp, err)
					}
					if width == Widths[0] && lang == "de" {
						w, err := measure(ctx, prog.base)
						if err != nil {
							t.Fatal(err)
						}
						line += fmt.Sprintf("  %6s KB (html %s, css %s, fonts %s, js %s)", kb(w.Total), kb(w.HTML), kb(w.CSS), kb(w.Fonts), kb(w.JS))
						if len(w.Foreign) > 0 {
							t.Errorf("requests to other sites: %v", w.Foreign)
						}
						if r.page && w.Total > Budget {
							t.Errorf("page weight %s KB, budget %s KB", kb(w.Total), kb(Budget))
						}
						// JavaScript may enhance a page (counted in its weight) but
						// never be needed: checkWithoutJS below proves that.
						if w.Scripts > 0 {
							line += fmt.Sprintf(" [%d scripts: enhancement only]", w.Scripts)
						}
					}
					cancel()
				}
			}
			checkWithoutJS(t, noJS, prog.base+r.url)
			report = append(report, line)
		})
	}
	t.Logf("visited %d GET routes, %d axe runs; violations: 375 px %d, 1280 px %d\n%s",
		visited, axeRuns, violations[375], violations[1280], strings.Join(report, "\n"))
	if out := os.Getenv("E2E_REPORT"); out != "" {
		os.MkdirAll(filepath.Dir(out), 0o755)
		os.WriteFile(out, []byte(fmt.Sprintf("visited %d GET routes, %d axe runs (WCAG 2.1 A/AA); violations: 375 px %d, 1280 px %d; budget %s KB\n%s\n",
			visited, axeRuns, violations[375], violations[1280], kb(Budget), strings.Join(report, "\n"))), 0o644)
	}
}

// checkWithoutJS opens the page with scripts disabled: the main content must
// be there, and every form must be submittable by a button.
func checkWithoutJS(t *testing.T, noJS context.Context, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(noJS, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(375, 900), chromedp.Navigate(url)); err != nil {
		t.Fatalf("open without JavaScript: %v", err)
	}
	main, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS("main")))
	if err != nil || len(strings.TrimSpace(main)) < 20 {
		t.Errorf("without JavaScript the main content is missing (%q, %v)", main, err)
	}
	h1, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll("h1"), chromedp.AtLeast(0)))
	if err != nil || len(h1) != 1 {
		t.Errorf("without JavaScript: %d h1 (%v)", len(h1), err)
	}
	forms, _ := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll("form"), chromedp.AtLeast(0)))
	buttons, _ := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll(`form button[type=submit], form input[type=submit]`), chromedp.AtLeast(0)))
	if len(buttons) < len(forms) {
		t.Errorf("without JavaScript: %d forms but %d submit buttons", len(forms), len(buttons))
	}
}

// checkAPI calls a JSON API route logged out (200, or a problem document
// with 401/403/404) and with the demo admin's token (200; 404 for guessed
// parameters).
func checkAPI(t *testing.T, base string, r route) {
	t.Helper()
	for _, token := range []string{"", app.DemoToken(identity.RoleAdmin)} {
		req, _ := http.NewRequest("GET", base+r.url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		ct := resp.Header.Get("Content-Type")
		ok := resp.StatusCode == 200 && strings.HasPrefix(ct, "application/json")
		switch {
		case token == "" && !ok:
			ok = (resp.StatusCode == 401 || resp.StatusCode == 403 || resp.StatusCode == 404) && strings.HasPrefix(ct, "application/problem+json")
		case token != "" && !ok && !r.exact:
			ok = resp.StatusCode == 404 && strings.HasPrefix(ct, "application/problem+json")
		}
		if !ok {
			t.Errorf("GET %s (token %v): %d %s", r.url, token != "", resp.StatusCode, ct)
		}
	}
}

// withLang asks for the page in a language (the query parameter overrides
// the browser's Accept-Language for one request).
func withLang(u, lang string) string {
	if strings.Contains(u, "?") {
		return u + "&lang=" + lang
	}
	return u + "?lang=" + lang
}
