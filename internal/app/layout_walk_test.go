package app

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/identity"
)

// TestEveryPageHasTheHeaderAndTheAddress walks every GET page of the demo
// (each route's example URL, or "beispiel" for its path parameters) as a
// visitor and as a signed-in citizen: every HTML answer — the page itself,
// or the error page it gives — offers "Anmelden" to the visitor and the
// account to the citizen in its header, and shows the town hall's address,
// the same on every page, in its footer.
func TestEveryPageHasTheHeaderAndTheAddress(t *testing.T) {
	in := installation{dir: t.TempDir()}
	s := in.start(t, "demo")
	e := openEnv(t, in, nil)
	_, rt := e.handler(nil)
	citizen := identity.SessionCookie + "=" + signIn(t, s, DemoCitizen.Email, DemoPassword)
	const address = `<address class="kern-body rh-address">Musterstadt<br>Marktplatz 1<br>91052 Musterstadt</address>`
	const signIn, account = `<a class="kern-link" href="/anmelden">Anmelden</a>`, `<a class="kern-link" href="/konto">Mein Konto</a>`
	// Pages not meant for a person at a browser with the site around
	// them: the waiting-room display and the kiosk (full screen, no
	// navigation).
	own := map[string]bool{"/termine/aufruf/{id}": true, "/termine/kiosk/{id}": true, "/termine/aufruf/{id}/live": true}
	client := &http.Client{Timeout: 30 * time.Second, CheckRedirect: noRedirect.CheckRedirect}
	param := regexp.MustCompile(`\{[^}]+\}`)
	pages := 0
	for _, r := range rt.Routes() {
		if r.Method != "GET" || !r.Page || own[r.Path] {
			continue
		}
		url := r.Example
		if url == "" {
			url = param.ReplaceAllString(strings.ReplaceAll(r.Path, "{$}", ""), "beispiel")
		}
		for _, who := range []struct{ name, cookie, want, notWant string }{
			{"visitor", "", signIn, account},
			{"citizen", citizen, account, signIn},
		} {
			req, _ := http.NewRequest("GET", s.base+url, nil)
			if who.cookie != "" {
				req.Header.Set("Cookie", who.cookie)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("GET %s: %v", url, err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || resp.StatusCode/100 == 3 {
				continue // a redirect, a PDF, a calendar file
			}
			pages++
			body := string(b)
			// The header's own links, before the area's navigation (which
			// lists the account page for everybody).
			header := ""
			if i := strings.Index(body, "<header"); i >= 0 {
				header = body[i:]
				if j := strings.Index(header, `<nav class="rh-nav"`); j >= 0 {
					header = header[:j]
				}
			}
			if !strings.Contains(header, who.want) || strings.Contains(header, who.notWant) || !strings.Contains(body, address) {
				t.Errorf("GET %s (%s) as %s: %d; header link %v, the other one %v, address %v", url, r.Path, who.name, resp.StatusCode,
					strings.Contains(header, who.want), strings.Contains(header, who.notWant), strings.Contains(body, address))
			}
		}
	}
	t.Logf("%d HTML answers checked", pages)
	if pages < 100 {
		t.Errorf("only %d HTML answers: the route table is not what this test expects", pages)
	}
}
