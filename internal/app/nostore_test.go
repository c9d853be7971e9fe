package app

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// TestEveryRouteAnswersPersonsNoStore walks every GET route of the demo
// (each route's example URL, or "beispiel" for its path parameters) as a
// signed-in citizen, a signed-in admin and with the admin's token: every
// answer is Cache-Control no-store, whatever module wrote it, except
// static files. Without credentials, every route whose URL carries a
// link's secret (a {token} in the path, ?token= in the query) is no-store
// too.
func TestEveryRouteAnswersPersonsNoStore(t *testing.T) {
	in := installation{dir: t.TempDir()}
	s := in.start(t, "demo")
	e := openEnv(t, in, nil)
	_, rt := e.handler(nil) // the running demo's routes, with examples from its data
	citizen := identity.SessionCookie + "=" + signIn(t, s, DemoCitizen.Email, DemoPassword)
	staff := identity.SessionCookie + "=" + signIn(t, s, "admin@musterstadt.example", DemoPassword)
	client := &http.Client{Timeout: 30 * time.Second, CheckRedirect: noRedirect.CheckRedirect}
	fetch := func(url string, hdr ...string) (*http.Response, error) {
		req, _ := http.NewRequest("GET", s.base+url, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp, nil
	}
	param := regexp.MustCompile(`\{[^}]+\}`)
	skip := map[string]bool{
		web.StaticPattern:                   true, // immutable assets, the same for everybody
		"/termine/static/{file}":            true, // the booking page's script
		"/antrag/static/pow.js":             true, // the anonymous start page's script
		"/termine/aufruf/{id}/live":         true, // an event stream that does not end
		"/healthz":                          true, // the operator's probes
		"/readyz":                           true,
		"/metrics":                          true,
		"/anmelden/eid/{provider}":          true, // sends the browser to the identity provider
		"/anmelden/eid/{provider}/callback": true,
	}
	// Anonymous pages that take a secret from the query.
	secretQuery := map[string]bool{"/konto/passwort-neu": true, "/konto/bestaetigen": true, identity.SetupPath: true}
	walked, secret := 0, 0
	statuses := map[int]int{} // of the signed-in walks, to show how many pages really answered
	for _, r := range rt.Routes() {
		if r.Method != "GET" || skip[r.Path] || skip[r.Method+" "+r.Path] || strings.HasPrefix(r.Path, "/konto/passkey-") { // the passkey script: a static file
			continue
		}
		url := r.Example
		if url == "" {
			url = param.ReplaceAllString(strings.ReplaceAll(r.Path, "{$}", ""), "beispiel")
		}
		walked++
		for _, who := range []struct {
			name string
			hdr  []string
		}{
			{"citizen", []string{"Cookie", citizen}},
			{"admin", []string{"Cookie", staff}},
			{"admin token", []string{"Authorization", "Bearer " + DemoToken(identity.RoleAdmin)}},
		} {
			resp, err := fetch(url, who.hdr...)
			if err != nil {
				t.Errorf("GET %s as %s: %v", url, who.name, err)
				continue
			}
			statuses[resp.StatusCode]++
			if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
				t.Errorf("GET %s (%s) as %s: %d, Cache-Control %q, want no-store", url, r.Path, who.name, resp.StatusCode, cc)
			}
		}
		if strings.Contains(r.Path, "{token}") || secretQuery[r.Path] {
			secret++
			if secretQuery[r.Path] {
				url += "?token=beispiel"
			}
			resp, err := fetch(url)
			if err != nil {
				t.Errorf("GET %s: %v", url, err)
				continue
			}
			if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
				t.Errorf("GET %s (%s) without credentials: %d, Cache-Control %q, want no-store (the URL holds a secret)", url, r.Path, resp.StatusCode, cc)
			}
		}
	}
	t.Logf("walked %d GET routes as 3 people (answers %v); %d secret links without credentials", walked, statuses, secret)
	if walked < 100 || secret < 8 {
		t.Errorf("walked %d routes, %d secret links: the route table is not what this test expects", walked, secret)
	}
}
