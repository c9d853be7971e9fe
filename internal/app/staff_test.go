package app

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rathaus/rathaus/internal/identity"
)

// signIn signs in through the sign-in form and returns the session cookie.
func signIn(t *testing.T, s *server, email, password string) string {
	t.Helper()
	resp, body := get(t, s, "POST", "/anmelden", url.Values{"email": {email}, "password": {password}}.Encode())
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in of %s: %d %s", email, resp.StatusCode, body)
	}
	for _, c := range resp.Cookies() {
		if c.Name == identity.SessionCookie {
			return c.Value
		}
	}
	t.Fatalf("sign-in of %s set no session cookie", email)
	return ""
}

var taskLink = regexp.MustCompile(`<li class="rh-task"><a class="kern-link" href="([^"]+)">`)

// TestStaffLandingShowsEachRoleWhatItCanDo: visitors who are not signed in
// are sent to the sign-in page and back; citizens are refused; every demo
// person sees their tasks, and every task's page answers them 200 — no
// link that would answer 403 to that role.
func TestStaffLandingShowsEachRoleWhatItCanDo(t *testing.T) {
	in := installation{dir: t.TempDir()}
	s := in.start(t, "demo")

	resp, _ := get(t, s, "GET", "/verwaltung", "")
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/anmelden?return_to=%2Fverwaltung" {
		t.Errorf("visitor: %d to %q, want 303 to the sign-in page", resp.StatusCode, loc)
	}
	citizen := signIn(t, s, DemoCitizen.Email, DemoPassword)
	if resp, _ := get(t, s, "GET", "/verwaltung", "", "Cookie", identity.SessionCookie+"="+citizen); resp.StatusCode != http.StatusForbidden {
		t.Errorf("citizen: %d, want 403", resp.StatusCode)
	}

	seen := map[string]bool{}
	for _, person := range DemoStaff {
		t.Run(string(person.Role), func(t *testing.T) {
			cookie := identity.SessionCookie + "=" + signIn(t, s, person.Email, DemoPassword)
			resp, body := get(t, s, "GET", "/verwaltung", "", "Cookie", cookie)
			if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" {
				t.Fatalf("landing page: %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
			}
			checkPage(t, []byte(body), "de")
			if strings.Contains(body, "eingerichtet") || !strings.Contains(body, person.Name) {
				t.Errorf("landing page does not greet %s or has a placeholder", person.Name)
			}
			var hrefs []string
			for _, m := range taskLink.FindAllStringSubmatch(body, -1) {
				hrefs = append(hrefs, m[1])
			}
			want := tasksFor(identity.Principal{Roles: []identity.Role{person.Role}})
			if len(hrefs) != len(want) || !slices.Contains(hrefs, "/konto") {
				t.Errorf("%d tasks shown (%v), want %d, among them the account", len(hrefs), hrefs, len(want))
			}
			// The staff navigation links only what the person may open: on
			// the landing page and on every task's page (each page's
			// handler authenticates on its own; the layout hides what the
			// person it found may not open).
			navLinks := map[string]string{} // link -> page it was found on
			addNav := func(page, body string) {
				i := strings.Index(body, `<nav class="rh-nav"`)
				if i < 0 {
					return // a page of the citizen area (the account)
				}
				nav := body[i:]
				nav = nav[:strings.Index(nav, "</nav>")]
				for _, m := range regexp.MustCompile(`href="(/verwaltung[^"]*)"`).FindAllStringSubmatch(nav, -1) {
					if _, ok := navLinks[m[1]]; !ok {
						navLinks[m[1]] = page
					}
				}
			}
			addNav("/verwaltung", body)
			if len(navLinks) == 0 {
				t.Errorf("no staff navigation")
			}
			for _, h := range hrefs {
				seen[h] = true
				resp, page := get(t, s, "GET", h, "", "Cookie", cookie)
				if resp.StatusCode != 200 {
					t.Errorf("task %s answers %s with %d", h, person.Role, resp.StatusCode)
				}
				if strings.HasPrefix(h, "/verwaltung") {
					addNav(h, page)
				}
			}
			for link, page := range navLinks {
				if resp, _ := get(t, s, "GET", link, "", "Cookie", cookie); resp.StatusCode != 200 {
					t.Errorf("navigation link %s (on %s) answers %s with %d", link, page, person.Role, resp.StatusCode)
				}
			}
			if admin := slices.Contains(hrefs, "/verwaltung/mitarbeitende"); admin != (person.Role == identity.RoleAdmin) {
				t.Errorf("staff administration offered: %v", admin)
			}
		})
	}
	// Every registered task is offered to somebody in the demo.
	for _, task := range staffTasks() {
		if !seen[task.Href] {
			t.Errorf("task %s is offered to no demo person", task.Href)
		}
	}
}

// TestPersonalTokensInTheDemo: each demo person's token acts as that
// person; the integration token is no person; the operator makes a personal
// token with `rathaus token create --account`.
func TestPersonalTokensInTheDemo(t *testing.T) {
	eachInstallation(t, func(t *testing.T, in installation) {
		s := in.start(t, "demo")
		me := func(token string) (int, identity.Me) {
			resp, body := s.do(t, "GET", "/api/v1/me", token, "")
			var m identity.Me
			json.Unmarshal(body, &m)
			return resp.StatusCode, m
		}
		refs := map[string]bool{}
		for _, person := range DemoStaff {
			status, m := me(DemoToken(person.Role))
			if status != 200 || !m.Person || m.Kind != "staff" || !slices.Contains(m.Roles, person.Role) || m.Token == "" {
				t.Errorf("%s's token: %d %+v", person.Role, status, m)
			}
			refs[m.ID] = true
		}
		if len(refs) != len(DemoStaff) {
			t.Errorf("the demo tokens act as %d different people, want %d", len(refs), len(DemoStaff))
		}
		if status, m := me(DemoToken("citizen")); status != 200 || !m.Person || m.Kind != "citizen" || len(m.Roles) != 0 {
			t.Errorf("citizen's token: %d %+v", status, m)
		}
		if status, m := me(DemoIntegrationToken); status != 200 || m.Person || m.Kind != "token" {
			t.Errorf("integration token: %d %+v", status, m)
		}
		// A person's token has that person's rights only.
		if resp, _ := s.do(t, "GET", "/api/v1/tokens", DemoToken("finance"), ""); resp.StatusCode != 403 {
			t.Errorf("finance clerk listed all tokens: %d", resp.StatusCode)
		}
		// A token cannot make tokens; a session can.
		if resp, _ := s.do(t, "POST", "/api/v1/account/tokens", DemoToken("finance"), `{"name":"more"}`); resp.StatusCode != 403 {
			t.Errorf("a token made a token: %d", resp.StatusCode)
		}

		// The operator's CLI.
		out, errOut, code := in.run(t, "token", "create", "--account", "kasse@musterstadt.example", "--name", "buchhaltung")
		secret := strings.TrimSpace(out)
		if code != 0 || !strings.HasPrefix(secret, "rh_") || !strings.Contains(errOut, "personal token") {
			t.Fatalf("token create --account: %d %q %q", code, out, errOut)
		}
		status, m := me(secret)
		if _, karla := me(DemoToken("finance")); status != 200 || m.ID != karla.ID {
			t.Errorf("CLI token acts as %+v, want Karla Kasse %s", m, karla.ID)
		}
		if _, _, code := in.run(t, "token", "create", "--account", "niemand@musterstadt.example"); code != 1 {
			t.Errorf("token for an unknown account: exit %d, want 1", code)
		}
		if _, _, code := in.run(t, "token", "create", "--account", "kasse@musterstadt.example", "--role", "admin"); code != 2 {
			t.Errorf("--account with --role: exit %d, want 2", code)
		}
		list, _, _ := in.run(t, "token", "list")
		if !strings.Contains(list, "buchhaltung") || !strings.Contains(list, "Karla Kasse") {
			t.Errorf("token list:\n%s", list)
		}

		// The demo names each token's role on its line.
		s.stop()
		for _, person := range DemoStaff {
			found := false
			for _, l := range s.lines {
				found = found || strings.Contains(l, DemoToken(person.Role)) && strings.Contains(l, string(person.Role)) && strings.Contains(l, person.Name)
			}
			if !found {
				t.Errorf("no demo line names %s's token with the role: %v", person.Role, s.lines)
			}
		}
	})
}

// TestPersonalAnswersAreNeverStored: every page and API answer for a
// signed-in person or a token is Cache-Control no-store; so are pages
// holding a link's secret; public pages and the public catalog API are not.
func TestPersonalAnswersAreNeverStored(t *testing.T) {
	in := installation{dir: t.TempDir()}
	s := in.start(t, "demo")
	session := identity.SessionCookie + "=" + signIn(t, s, DemoCitizen.Email, DemoPassword)
	staff := identity.SessionCookie + "=" + signIn(t, s, "admin@musterstadt.example", DemoPassword)
	for _, tt := range []struct {
		path, cookie, token string
		noStore             bool
	}{
		{"/", "", "", false},
		{"/leistungen", "", "", false},
		{"/api/v1/services?q=hund", "", "", false},
		{"/konto/passwort-neu?token=abc", "", "", true},
		{"/konto/bestaetigen?token=abc", "", "", true},
		{"/", session, "", true},
		{"/konto", session, "", true},
		{"/konto/daten.json", session, "", true},
		{"/leistungen/" + DemoServiceRef, session, "", true},
		{"/verwaltung", staff, "", true},
		{"/verwaltung/mitarbeitende", staff, "", true},
		{"/api/v1/me", "", DemoToken("citizen"), true},
		{"/api/v1/tenant/settings", "", DemoToken(identity.RoleAdmin), true},
		{"/api/v1/services?q=hund", "", DemoToken(identity.RoleAdmin), true},
		{"/api/v1/tokens", "", "", true}, // a 401 problem
	} {
		hdr := []string{}
		if tt.token != "" {
			hdr = append(hdr, "Authorization", "Bearer "+tt.token)
		}
		resp, _ := s.request(t, "GET", "", tt.path, nil, tt.cookie, hdr...)
		if got := resp.Header.Get("Cache-Control") == "no-store"; got != tt.noStore {
			t.Errorf("GET %s (cookie %v, token %v): %d, Cache-Control %q, want no-store %v", tt.path, tt.cookie != "", tt.token != "", resp.StatusCode, resp.Header.Get("Cache-Control"), tt.noStore)
		}
	}
	// Static assets stay cacheable for everybody.
	resp, _ := s.request(t, "GET", "", site().assets.URL("kern.css"), nil, session)
	if !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("kern.css with a session: Cache-Control %q", resp.Header.Get("Cache-Control"))
	}
}

// TestHeaderAndFooterOnEveryPage: visitors find "Anmelden" in the header,
// signed-in people their account; the town hall's address is in the footer
// of pages of every module, the same everywhere.
func TestHeaderAndFooterOnEveryPage(t *testing.T) {
	in := installation{dir: t.TempDir()}
	s := in.start(t, "demo")
	session := identity.SessionCookie + "=" + signIn(t, s, DemoCitizen.Email, DemoPassword)
	const address = "<address class=\"kern-body rh-address\">Musterstadt<br>Marktplatz 1<br>91052 Musterstadt</address>"
	for _, path := range []string{"/", "/impressum", "/barrierefreiheit", "/leistungen", "/leistungen/" + DemoServiceRef, "/anmelden", "/registrieren", "/gibt-es-nicht"} {
		_, body := s.request(t, "GET", "", path, nil, "")
		if !strings.Contains(body, `<a class="kern-link" href="/anmelden">Anmelden</a>`) || !strings.Contains(body, address) {
			t.Errorf("%s for a visitor: sign-in link %v, address %v", path, strings.Contains(body, `href="/anmelden">Anmelden`), strings.Contains(body, address))
		}
		_, body = s.request(t, "GET", "", path, nil, session)
		if strings.Contains(body, `href="/anmelden">Anmelden`) || !strings.Contains(body, `href="/konto">Mein Konto</a>`) || !strings.Contains(body, address) {
			t.Errorf("%s signed in: the header still offers the sign-in, or the address is missing", path)
		}
	}
}

// TestPersonalTokensOnTheAccountPage: a citizen signed in creates a token
// on /konto, sees the secret once (no-store), uses it as themselves, and
// revokes it there; nobody else's token can be revoked through the page.
func TestPersonalTokensOnTheAccountPage(t *testing.T) {
	in := installation{dir: t.TempDir()}
	s := in.start(t, "demo")
	session := identity.SessionCookie + "=" + signIn(t, s, DemoCitizen.Email, DemoPassword)
	resp, body := s.request(t, "POST", "", "/konto/tokens", url.Values{"name": {""}}, session)
	if resp.StatusCode != 422 || !strings.Contains(body, `href="#token-name"`) {
		t.Errorf("token without a name: %d", resp.StatusCode)
	}
	resp, body = s.request(t, "POST", "", "/konto/tokens", url.Values{"name": {"Steuer-App"}}, session)
	secret := regexpFind(t, `<code>(rh_[a-z2-7]+)</code>`, body)
	if resp.StatusCode != 201 || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create: %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	_, me := s.do(t, "GET", "/api/v1/me", secret, "")
	_, paul := s.do(t, "GET", "/api/v1/me", DemoToken("citizen"), "")
	var a, b identity.Me
	json.Unmarshal(me, &a)
	json.Unmarshal(paul, &b)
	if a.ID == "" || a.ID != b.ID || a.Kind != "citizen" {
		t.Errorf("the new token acts as %+v, want Paul %+v", a, b)
	}
	_, page := s.request(t, "GET", "", "/konto", nil, session)
	ref := regexpFind(t, `action="/konto/tokens/(K-[0-9A-Z-]+)/widerrufen"><button[^>]*><span class="kern-label">Token Steuer-App`, page)
	// Karla's token is not Paul's to revoke.
	var karla []identity.Token
	_, kb := s.do(t, "GET", "/api/v1/tokens", DemoToken(identity.RoleAdmin), "")
	json.Unmarshal(kb, &karla)
	for _, k := range karla {
		if k.AccountName == "Karla Kasse" {
			if resp, _ := s.request(t, "POST", "", "/konto/tokens/"+k.Ref+"/widerrufen", url.Values{}, session); resp.StatusCode != 404 {
				t.Errorf("Paul revoking Karla's token: %d, want 404", resp.StatusCode)
			}
		}
	}
	if resp, _ := s.request(t, "POST", "", "/konto/tokens/"+ref+"/widerrufen", url.Values{}, session); resp.StatusCode != 303 {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	if resp, _ := s.do(t, "GET", "/api/v1/me", secret, ""); resp.StatusCode != 401 {
		t.Errorf("revoked token: %d, want 401", resp.StatusCode)
	}
}
