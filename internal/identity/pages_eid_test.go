package identity

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// TestEIDLoginThroughPages: the eID button on the sign-in page leads to a
// real OpenID Provider and back to the callback page, which signs the
// browser in with the provider's trust level; a forged callback shows the
// sign-in page with one message.
func TestEIDLoginThroughPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		clk.Set(time.Now()) // the OP signs with its own real clock
		ctx := context.Background()
		var handler http.Handler
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
		t.Cleanup(srv.Close)
		issuer := startOP(t, "http://eidas.europa.eu/LoA/substantial", srv.URL+"/anmelden/eid/bayernid/callback")
		svc := &Service{DB: db}
		if _, err := svc.CreateTenant(ctx, Tenant{Slug: "musterstadt", Name: "Musterstadt", IsDefault: true, Hosts: []string{"127.0.0.1"}, Settings: Settings{FederalState: "BY",
			OIDC: []OIDCProvider{{Name: "bayernid", Label: "BayernID", Issuer: issuer, ClientID: "rathaus-test"}}}}); err != nil {
			t.Fatal(err)
		}
		pages, _ := newRenderer(t)
		h := &Handler{Svc: svc, Pages: pages, OIDC: &OIDC{Svc: svc, Secret: func(string, string) string { return "client-secret" }},
			BaseURL: func(*http.Request) string { return srv.URL }}
		rt := web.NewRouter(nil)
		h.Routes(rt)
		handler = web.Middleware(h.TenantMiddleware(rt), web.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxBodyBytes: 1 << 20})

		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, Timeout: 20 * time.Second}
		resp, err := c.Get(srv.URL + "/anmelden?return_to=%2Fkonto")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		links := find(doc(t, body), func(n *html.Node) bool { h, _ := attr(n, "href"); return strings.HasPrefix(h, "/anmelden/eid/") })
		if len(links) != 1 || !strings.Contains(text(links[0]), "BayernID") {
			t.Fatalf("sign-in page shows %d eID buttons", len(links))
		}
		checkPage(t, body, "de")
		href, _ := attr(links[0], "href")

		resp, err = c.Get(srv.URL + href)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		id := resp.Request.URL.Query().Get("authRequestID")
		if id == "" {
			t.Fatalf("the button did not lead to the provider's login: %s", resp.Request.URL)
		}
		host := strings.Split(strings.TrimPrefix(issuer, "http://"), ":")[0]
		resp, err = c.PostForm(issuer+"/login/username", url.Values{"id": {id}, "username": {"test-user@" + host}, "password": {"verysecure"}})
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Request.URL.Path != "/konto" {
			t.Fatalf("after the provider: %d at %s", resp.StatusCode, resp.Request.URL)
		}
		if !strings.Contains(string(body), "substanziell") || !strings.Contains(string(body), "Online-Ausweis über BayernID") {
			t.Error("account page does not show the eID sign-in and its trust level")
		}
		checkPage(t, body, "de")

		// A forged or replayed callback: the sign-in page with one message, no session.
		resp, err = http.Get(srv.URL + "/anmelden/eid/bayernid/callback?state=forged&code=x")
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 401 || !strings.Contains(string(body), "Online-Ausweis hat nicht geklappt") {
			t.Errorf("forged callback: %d", resp.StatusCode)
		}
		for _, ck := range resp.Cookies() {
			if ck.Name == SessionCookie {
				t.Error("forged callback set a session cookie")
			}
		}
		checkPage(t, body, "de")
		if resp, err := c.Get(srv.URL + "/anmelden/eid/unbekannt"); err != nil || resp.StatusCode != 404 {
			t.Errorf("unknown provider: %v %v", resp.StatusCode, err)
		}
	})
}

// TestEIDProviderDown: when the provider cannot be reached, the sign-in
// page says so (503) instead of an internal error.
func TestEIDProviderDown(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		down := httptest.NewServer(http.NotFoundHandler())
		down.Close()
		svc := &Service{DB: db}
		if _, err := svc.CreateTenant(ctx, Tenant{Slug: "musterstadt", Name: "Musterstadt", IsDefault: true, Hosts: []string{"127.0.0.1"}, Settings: Settings{FederalState: "BY",
			OIDC: []OIDCProvider{{Name: "bayernid", Label: "BayernID", Issuer: "http://127.0.0.1" + strings.TrimPrefix(down.URL, "http://127.0.0.1"), ClientID: "c"}}}}); err != nil {
			t.Fatal(err)
		}
		pages, _ := newRenderer(t)
		h := &Handler{Svc: svc, Pages: pages, OIDC: &OIDC{Svc: svc}, BaseURL: func(*http.Request) string { return testBase }}
		rt := web.NewRouter(nil)
		h.Routes(rt)
		w := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/anmelden/eid/bayernid", nil)
		req.Host = "127.0.0.1"
		h.TenantMiddleware(rt).ServeHTTP(w, req)
		if w.Code != 503 || !strings.Contains(w.Body.String(), "nicht erreichbar") {
			t.Errorf("provider down: %d", w.Code)
		}
		checkPage(t, w.Body.Bytes(), "de")
	})
}
