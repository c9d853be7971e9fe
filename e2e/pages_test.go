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
	"github.com/rathaus/rathaus/internal/platform/web"
)

// TestEveryPage visits every GET route of the router three times: logged
// out, as a citizen who signed up through the pages (registration, the
// confirmation mail, login), and as the demo city's admin.
func TestEveryPage(t *testing.T) {
	prog := startProgram(t)
	routes, err := app.RouteTable(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var sum summary
	t.Run("anonymous", func(t *testing.T) {
		browser := newBrowser(t)
		visitAll(t, prog, routes, tab(t, browser, true), tab(t, browser, false), &sum, "anonymous")
	})
	t.Run("citizen", func(t *testing.T) {
		browser := newBrowser(t)
		withJS := tab(t, browser, true)
		signUpCitizen(t, withJS, prog)
		visitAll(t, prog, routes, withJS, tab(t, browser, false), &sum, "citizen")
	})
	t.Run("staff", func(t *testing.T) {
		browser := newBrowser(t)
		withJS := tab(t, browser, true)
		loginAsStaff(t, withJS, prog.base)
		// The tabs of one browser share its cookies, so both are signed in.
		visitAll(t, prog, routes, withJS, tab(t, browser, false), &sum, "staff")
	})
	report := sum.String()
	t.Log(report)
	if out := os.Getenv("E2E_REPORT"); out != "" {
		os.MkdirAll(filepath.Dir(out), 0o755)
		os.WriteFile(out, []byte(report), 0o644)
	}
}

func hasRoute(routes []web.Route, method, path string) bool {
	for _, r := range routes {
		if r.Method == method && r.Path == path {
			return true
		}
	}
	return false
}

// summary collects the figures of all passes for the report.
type summary struct {
	visited, axeRuns int
	violations       map[int64]int
	lines            []string
}

func (s *summary) String() string {
	return fmt.Sprintf("visited %d GET routes, %d axe runs (WCAG 2.1 A/AA, de and en); violations: 375 px %d, 1280 px %d; budget %s KB\n%s\n",
		s.visited, s.axeRuns, s.violations[375], s.violations[1280], kb(Budget), strings.Join(s.lines, "\n"))
}

// loginAsStaff signs in as the demo city's admin with the login form.
func loginAsStaff(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/anmelden"),
		chromedp.SendKeys(chromedp.CSS(`form input[name=email]`), app.DemoStaff[0].Email),
		chromedp.SendKeys(chromedp.CSS(`form input[name=password]`), app.DemoPassword),
	)
	if err != nil {
		t.Fatalf("sign in as staff: %v", err)
	}
	press(t, ctx, `form:has(input[name=password]) button[type=submit]`, `document.readyState === "complete" && location.pathname !== "/anmelden"`)
}

// waitAway waits until the browser has left a page whose path contains
// from (a form was sent and answered with a redirect elsewhere).
func waitAway(t *testing.T, ctx context.Context, from string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err == nil && !strings.Contains(loc, from) {
			if _, err := chromedp.Run(ctx, chromedp.WaitReady(chromedp.CSS("main"))); err == nil {
				return
			}
		}
		if time.Now().After(deadline) {
			main, _ := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS("main")))
			t.Fatalf("still at %s after sending its form: %s", loc, strings.Join(strings.Fields(main), " "))
		}
		time.Sleep(50 * time.Millisecond) // polling the browser for the navigation
	}
}

// visitAll checks every GET route: JSON API routes by status and type, every
// page in the browser (axe at both widths in both languages, CSP, foreign
// requests, weight on the citizen pass) and without JavaScript.
func visitAll(t *testing.T, prog *program, routes []web.Route, withJS, noJS context.Context, sum *summary, who string) {
	if sum.violations == nil {
		sum.violations = map[int64]int{}
	}
	staff, anonymous := who == "staff", who == "anonymous"
	for _, r := range visitable(routes) {
		t.Run(r.pattern, func(t *testing.T) {
			sum.visited++
			if r.api {
				if anonymous {
					checkAPI(t, prog.base, r)
					sum.lines = append(sum.lines, fmt.Sprintf("%-9s %-40s %-30s JSON API (axe skipped)", who, r.pattern, r.url))
				}
				return
			}
			line := fmt.Sprintf("%-9s %-40s %-30s", who, r.pattern, r.url)
			for _, width := range Widths {
				for _, lang := range []string{"de", "en"} {
					ctx, cancel := context.WithTimeout(withJS, 60*time.Second)
					defer cancel()
					if _, err := chromedp.Run(ctx, chromedp.EmulateViewport(width, 900)); err != nil {
						t.Fatal(err)
					}
					resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(withLang(prog.base+r.url, lang)))
					if err != nil && strings.Contains(err.Error(), "net::ERR_ABORTED") {
						// A download (Content-Disposition: attachment), not a page.
						sum.lines = append(sum.lines, line+" download (no page: axe skipped)")
						return
					}
					if err != nil {
						t.Fatalf("open at %d px: %v", width, err)
					}
					status, mime := int(resp.Status), resp.MimeType
					switch {
					case status >= 500:
						t.Fatalf("GET %s: %d", r.url, status)
					case !r.exact && status != 200 && status != 404:
						t.Fatalf("GET %s (guessed parameters): %d, want 200 or 404", r.url, status)
					case r.exact && staff && status != 200:
						t.Fatalf("GET %s as staff: %d", r.url, status)
					case who == "citizen" && r.exact && status == 404 && strings.Contains(r.pattern, "{"):
						// A signed-in citizen asking for a staff object is told it does not exist.
					case r.exact && status != 200 && status != 401 && status != 403:
						// Logged out or as a citizen, a staff page may refuse (an error page, checked below).
						t.Fatalf("GET %s: %d", r.url, status)
					}
					if mime != "text/html" {
						line += fmt.Sprintf(" %d %s (no page: axe skipped)", status, mime)
						sum.lines = append(sum.lines, line)
						return
					}
					// A page that sent the browser elsewhere (to the login) answers in
					// the browser's language; the lang parameter was for the first URL.
					here, _ := chromedp.Run(ctx, chromedp.Location())
					redirected := !strings.HasPrefix(strings.TrimPrefix(here, prog.base), strings.SplitN(r.url, "?", 2)[0])
					if got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`)); got != lang && !redirected {
						t.Errorf("%s page at %d px has lang %q", lang, width, got)
					}
					res, err := runAxe(ctx)
					if err != nil {
						t.Fatalf("axe at %d px: %v", width, err)
					}
					sum.axeRuns++
					sum.violations[width] += len(res.Violations)
					if len(res.Violations) > 0 {
						t.Errorf("axe at %d px (%s): %d violations:%s", width, lang, len(res.Violations), res)
					}
					csp, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__csp || []`))
					if err != nil || len(csp) > 0 {
						t.Errorf("CSP violations at %d px: %v %v", width, csp, err)
					}
					if width != Widths[0] || lang != "de" {
						continue
					}
					line += fmt.Sprintf(" %d", status)
					if redirected {
						line += " → " + strings.TrimPrefix(here, prog.base)
					}
					w, err := measure(ctx, prog.base)
					if err != nil {
						t.Fatal(err)
					}
					line += fmt.Sprintf(" %6s KB (html %s, css %s, fonts %s, js %s)", kb(w.Total), kb(w.HTML), kb(w.CSS), kb(w.Fonts), kb(w.JS))
					if len(w.Foreign) > 0 {
						t.Errorf("requests to other sites: %v", w.Foreign)
					}
					if !staff && r.page && w.Total > Budget {
						t.Errorf("page weight %s KB, budget %s KB", kb(w.Total), kb(Budget))
					}
					// JavaScript may enhance a page (counted in its weight) but
					// never be needed: checkWithoutJS below proves that.
					if w.Scripts > 0 {
						line += fmt.Sprintf(" [%d scripts: enhancement only]", w.Scripts)
					}
				}
			}
			checkWithoutJS(t, noJS, prog.base+r.url)
			sum.lines = append(sum.lines, line)
		})
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
