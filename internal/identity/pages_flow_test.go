package identity

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"

	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
)

// TestRegisterVerifyLoginLogoutPages walks a citizen through the pages as a
// browser without JavaScript: registration with mistakes, the mail, the
// confirmation, sign-in failures that all look the same, sign-in, logout.
func TestRegisterVerifyLoginLogoutPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		s := newSite(t, db, clk)

		w := s.do(t, "GET", "/registrieren", nil, "")
		if w.Code != 200 {
			t.Fatalf("GET /registrieren: %d", w.Code)
		}
		checkPage(t, w.Body.Bytes(), "de")

		// Mistakes: 422, summary in page order, input kept, passwords never.
		bad := url.Values{"kind": {"citizen"}, "name": {"<Paul>"}, "email": {"paul@"}, "password": {"kurz"}, "password2": {"anders"}}
		w = s.do(t, "POST", "/registrieren", bad, "")
		if w.Code != 422 {
			t.Fatalf("invalid registration: %d", w.Code)
		}
		root := doc(t, w.Body.Bytes())
		if diff := cmp.Diff([]string{"#register-email", "#register-password", "#register-password2"}, summaryLinks(root)); diff != "" {
			t.Errorf("error summary (-want +got):\n%s", diff)
		}
		for id, want := range map[string]string{"register-name": "<Paul>", "register-email": "paul@", "register-password": ""} {
			if got, _ := inputValue(root, id); got != want {
				t.Errorf("%s value %q, want %q", id, got, want)
			}
		}
		if strings.Contains(w.Body.String(), "kurz") {
			t.Error("the password was sent back")
		}
		checkPage(t, w.Body.Bytes(), "de")

		good := url.Values{"kind": {"citizen"}, "name": {"Paul Beispiel"}, "email": {"paul@example.org"}, "password": {"lange-geheime-phrase"}, "password2": {"lange-geheime-phrase"}}
		w = s.do(t, "POST", "/registrieren", good, "")
		if w.Code != 303 || w.Header().Get("Location") != "/registrieren/gesendet" {
			t.Fatalf("registration: %d to %q", w.Code, w.Header().Get("Location"))
		}
		tok := linkToken(t, s.deliver(t, 1))

		// The link's page changes nothing (GET); the button confirms.
		w = s.do(t, "GET", "/konto/bestaetigen?token="+tok, nil, "")
		landing := find(doc(t, w.Body.Bytes()), func(n *html.Node) bool { v, _ := attr(n, "name"); return v == "token" })
		if w.Code != 200 || len(landing) != 1 {
			t.Fatalf("landing page: %d", w.Code)
		}
		if v, _ := attr(landing[0], "value"); v != tok {
			t.Errorf("landing page carries token %q", v)
		}
		checkPage(t, w.Body.Bytes(), "de")
		w = s.do(t, "POST", "/anmelden", url.Values{"email": {"paul@example.org"}, "password": {"lange-geheime-phrase"}}, "")
		if w.Code != 422 || !strings.Contains(w.Body.String(), "bestätigen Sie zuerst") {
			t.Errorf("login before confirmation: %d", w.Code)
		}
		w = s.do(t, "POST", "/konto/bestaetigen", url.Values{"token": {tok}}, "")
		if w.Code != 303 || w.Header().Get("Location") != "/anmelden?hinweis=verified" {
			t.Fatalf("confirm: %d to %q", w.Code, w.Header().Get("Location"))
		}
		w = s.do(t, "POST", "/konto/bestaetigen", url.Values{"token": {tok}}, "")
		if w.Code != 404 {
			t.Errorf("second confirmation: %d, want 404", w.Code)
		}
		checkPage(t, w.Body.Bytes(), "de")

		// Wrong password and unknown address: the same page, one message.
		failed := func(form url.Values) string {
			w := s.do(t, "POST", "/anmelden", form, "")
			if w.Code != 422 || sessionCookie(w) != nil {
				t.Fatalf("failed login: %d, cookie %v", w.Code, sessionCookie(w))
			}
			root := doc(t, w.Body.Bytes())
			if v, _ := inputValue(root, "login-email"); v != form.Get("email") {
				t.Errorf("email not kept: %q", v)
			}
			if _, has := attr(byID(root, "login-password"), "value"); has {
				t.Error("password field has a value")
			}
			checkPage(t, w.Body.Bytes(), "de")
			return text(find(root, func(n *html.Node) bool { return n.Data == "main" })[0])
		}
		wrong := failed(url.Values{"email": {"paul@example.org"}, "password": {"falsches-passwort"}})
		unknown := failed(url.Values{"email": {"niemand@example.org"}, "password": {"falsches-passwort"}})
		unknown = strings.ReplaceAll(unknown, "niemand@example.org", "paul@example.org")
		if diff := cmp.Diff(wrong, unknown); diff != "" {
			t.Errorf("wrong password and unknown address differ (-wrong +unknown):\n%s", diff)
		}

		// Sign-in over a TLS proxy: the cookie is secure and goes back.
		w = s.do(t, "POST", "/anmelden", url.Values{"email": {"paul@example.org"}, "password": {"lange-geheime-phrase"}, "return_to": {"/konto?x=1"}}, "", "X-Forwarded-Proto", "https")
		c := sessionCookie(w)
		if w.Code != 303 || w.Header().Get("Location") != "/konto?x=1" || c == nil {
			t.Fatalf("login: %d to %q", w.Code, w.Header().Get("Location"))
		}
		got := struct {
			HttpOnly, Secure bool
			SameSite         http.SameSite
			Path             string
		}{c.HttpOnly, c.Secure, c.SameSite, c.Path}
		if diff := cmp.Diff(struct {
			HttpOnly, Secure bool
			SameSite         http.SameSite
			Path             string
		}{true, true, http.SameSiteLaxMode, "/"}, got); diff != "" {
			t.Errorf("session cookie (-want +got):\n%s", diff)
		}
		w = s.do(t, "GET", "/konto", nil, c.Value)
		if w.Code != 200 || !strings.Contains(w.Body.String(), "Paul Beispiel") {
			t.Fatalf("account page: %d", w.Code)
		}
		checkPage(t, w.Body.Bytes(), "de")

		// A foreign return_to is ignored.
		w = s.do(t, "POST", "/anmelden", url.Values{"email": {"paul@example.org"}, "password": {"lange-geheime-phrase"}, "return_to": {"//evil.example/"}}, "")
		if loc := w.Header().Get("Location"); w.Code != 303 || loc != "/konto" || sessionCookie(w).Secure {
			t.Errorf("login with foreign return_to: %d to %q", w.Code, loc)
		}

		// Logout ends the session and clears the cookie.
		w = s.do(t, "POST", "/abmelden", url.Values{}, c.Value)
		if cl := sessionCookie(w); w.Code != 303 || cl == nil || cl.MaxAge >= 0 {
			t.Fatalf("logout: %d, cookie %v", w.Code, cl)
		}
		w = s.do(t, "GET", "/konto", nil, c.Value)
		if w.Code != 303 || w.Header().Get("Location") != "/anmelden?return_to=%2Fkonto" {
			t.Errorf("account after logout: %d to %q", w.Code, w.Header().Get("Location"))
		}

		// A cross-site form post is refused by the CSRF protection.
		w = s.do(t, "POST", "/anmelden", url.Values{"email": {"paul@example.org"}, "password": {"lange-geheime-phrase"}}, "", "Sec-Fetch-Site", "cross-site")
		if w.Code != 403 || sessionCookie(w) != nil {
			t.Errorf("cross-site login post: %d", w.Code)
		}
	})
}

// TestTOTPStepAndLogoutEverywhere: a staff member with TOTP first gets the
// code field (email kept, password not), then signs in with the code;
// logging out everywhere ends every session.
func TestTOTPStepAndLogoutEverywhere(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		s := newSite(t, db, clk)
		ctx := context.Background()
		if _, err := s.s.CreateStaff(ctx, System(s.t.ID), s.t.ID, "mueller@musterstadt.example", "Frau Müller", "richtiges-passwort", []Role{RoleCaseWorker}); err != nil {
			t.Fatal(err)
		}
		first := s.login(t, "mueller@musterstadt.example", "richtiges-passwort")
		w := s.do(t, "POST", "/konto/totp", url.Values{}, first)
		if w.Code != 200 || w.Header().Get("Cache-Control") != "no-store" {
			t.Fatalf("TOTP enrolment: %d, Cache-Control %q", w.Code, w.Header().Get("Cache-Control"))
		}
		checkPage(t, w.Body.Bytes(), "de")
		codes := find(doc(t, w.Body.Bytes()), func(n *html.Node) bool { return n.Data == "code" })
		if len(codes) != 2 || !strings.HasPrefix(text(codes[1]), "otpauth://") {
			t.Fatalf("secret and URL not shown")
		}
		secret := text(codes[0])

		form := url.Values{"email": {"mueller@musterstadt.example"}, "password": {"richtiges-passwort"}}
		w = s.do(t, "POST", "/anmelden", form, "")
		root := doc(t, w.Body.Bytes())
		if w.Code != 200 || byID(root, "login-totp") == nil || sessionCookie(w) != nil {
			t.Fatalf("first step: %d, code field %v", w.Code, byID(root, "login-totp") != nil)
		}
		if v, _ := inputValue(root, "login-email"); v != form.Get("email") {
			t.Errorf("email not kept: %q", v)
		}
		if strings.Contains(w.Body.String(), "richtiges-passwort") {
			t.Error("password in the page")
		}
		checkPage(t, w.Body.Bytes(), "de")

		form.Set("totp_step", "1")
		form.Set("totp", "000000")
		if code, _ := TOTPCode(secret, clk.Now()); code == "000000" {
			form.Set("totp", "111111")
		}
		w = s.do(t, "POST", "/anmelden", form, "")
		if w.Code != 422 || byID(doc(t, w.Body.Bytes()), "login-totp") == nil {
			t.Errorf("wrong code: %d", w.Code)
		}
		code, _ := TOTPCode(secret, clk.Now())
		form.Set("totp", code)
		w = s.do(t, "POST", "/anmelden", form, "")
		if w.Code != 303 || w.Header().Get("Location") != "/verwaltung" || sessionCookie(w) == nil {
			t.Fatalf("login with code: %d to %q", w.Code, w.Header().Get("Location"))
		}
		second := sessionCookie(w).Value

		w = s.do(t, "POST", "/konto/ueberall-abmelden", url.Values{}, second)
		if w.Code != 303 {
			t.Fatalf("logout everywhere: %d", w.Code)
		}
		for _, c := range []string{first, second} {
			if w := s.do(t, "GET", "/konto", nil, c); w.Code != 303 {
				t.Errorf("session still alive after logout everywhere: %d", w.Code)
			}
		}
	})
}

// TestPasswordResetPages: the request answers the same for any address;
// the link's form keeps the token in a hidden field; a used link is refused.
func TestPasswordResetPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		s := newSite(t, db, clk)
		s.citizen(t, "paul@example.org", "altes-langes-passwort")
		for _, email := range []string{"niemand@example.org", "paul@example.org"} {
			w := s.do(t, "POST", "/konto/passwort-vergessen", url.Values{"email": {email}}, "")
			if w.Code != 303 || w.Header().Get("Location") != "/konto/passwort-vergessen/gesendet" {
				t.Fatalf("reset request for %s: %d to %q", email, w.Code, w.Header().Get("Location"))
			}
		}
		w := s.do(t, "POST", "/konto/passwort-vergessen", url.Values{"email": {""}}, "")
		if w.Code != 422 {
			t.Errorf("empty address: %d", w.Code)
		}
		tok := linkToken(t, s.deliver(t, 2))

		w = s.do(t, "GET", "/konto/passwort-neu?token="+tok, nil, "")
		root := doc(t, w.Body.Bytes())
		hidden := find(root, func(n *html.Node) bool { v, _ := attr(n, "name"); return v == "token" })
		if w.Code != 200 || len(hidden) != 1 {
			t.Fatalf("reset form: %d", w.Code)
		}
		if v, _ := attr(hidden[0], "value"); v != tok {
			t.Errorf("hidden token %q", v)
		}
		checkPage(t, w.Body.Bytes(), "de")

		w = s.do(t, "POST", "/konto/passwort-neu", url.Values{"token": {tok}, "password": {"neues-langes-passwort"}, "password2": {"anderes"}}, "")
		if diff := cmp.Diff([]string{"#reset-password2"}, summaryLinks(doc(t, w.Body.Bytes()))); w.Code != 422 || diff != "" {
			t.Errorf("mismatch: %d %s", w.Code, diff)
		}
		w = s.do(t, "POST", "/konto/passwort-neu", url.Values{"token": {tok}, "password": {"neues-langes-passwort"}, "password2": {"neues-langes-passwort"}}, "")
		if w.Code != 303 || w.Header().Get("Location") != "/anmelden?hinweis=password_reset" {
			t.Fatalf("reset: %d to %q", w.Code, w.Header().Get("Location"))
		}
		w = s.do(t, "POST", "/konto/passwort-neu", url.Values{"token": {tok}, "password": {"drittes-langes-passwort"}, "password2": {"drittes-langes-passwort"}}, "")
		if w.Code != 404 {
			t.Errorf("used link: %d", w.Code)
		}
		s.login(t, "paul@example.org", "neues-langes-passwort")
	})
}

// TestAccountPages: profile with validation, data download, deletion with
// confirmation.
func TestAccountPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		s := newSite(t, db, clk)
		s.citizen(t, "paul@example.org", "lange-geheime-phrase")
		c := s.login(t, "paul@example.org", "lange-geheime-phrase")

		bad := url.Values{"given_name": {"Paul"}, "postcode": {"123"}, "birth_date": {"23.04.1980"}}
		w := s.do(t, "POST", "/konto/profil", bad, c)
		root := doc(t, w.Body.Bytes())
		if diff := cmp.Diff([]string{"#profile-postcode", "#profile-birth-date"}, summaryLinks(root)); w.Code != 422 || diff != "" {
			t.Errorf("invalid profile: %d %s", w.Code, diff)
		}
		if v, _ := inputValue(root, "profile-postcode"); v != "123" {
			t.Errorf("postcode not kept: %q", v)
		}
		if byID(root, "profile-prefill") != nil {
			t.Error("a profile-wide prefill consent is offered (consent is per service, recorded by forms)")
		}
		checkPage(t, w.Body.Bytes(), "de")

		good := url.Values{"given_name": {"Paul"}, "family_name": {"Beispiel"}, "street": {"Marktplatz 2"}, "postcode": {"91052"}, "city": {"Musterstadt"}, "birth_date": {"1980-04-23"}}
		w = s.do(t, "POST", "/konto/profil", good, c)
		if w.Code != 303 || w.Header().Get("Location") != "/konto?hinweis=profile_saved" {
			t.Fatalf("profile: %d", w.Code)
		}
		w = s.do(t, "GET", "/konto/daten.json", nil, c)
		if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Disposition"), "attachment") {
			t.Fatalf("export: %d %q", w.Code, w.Header().Get("Content-Disposition"))
		}
		var data AccountData
		if err := json.Unmarshal(w.Body.Bytes(), &data); err != nil {
			t.Fatal(err)
		}
		want := Profile{GivenName: "Paul", FamilyName: "Beispiel", Street: "Marktplatz 2", Postcode: "91052", City: "Musterstadt", BirthDate: "1980-04-23"}
		if diff := cmp.Diff(want, data.Profile); diff != "" || data.Account.Email != "paul@example.org" {
			t.Errorf("exported profile (-want +got):\n%s", diff)
		}

		w = s.do(t, "POST", "/konto/loeschen", url.Values{}, c)
		if diff := cmp.Diff([]string{"#delete-confirm"}, summaryLinks(doc(t, w.Body.Bytes()))); w.Code != 422 || diff != "" {
			t.Fatalf("deletion without confirmation: %d %s", w.Code, diff)
		}
		w = s.do(t, "POST", "/konto/loeschen", url.Values{"confirm": {"yes"}}, c)
		if w.Code != 303 || w.Header().Get("Location") != "/konto/geloescht" || sessionCookie(w) == nil || sessionCookie(w).MaxAge >= 0 {
			t.Fatalf("deletion: %d", w.Code)
		}
		if w := s.do(t, "POST", "/anmelden", url.Values{"email": {"paul@example.org"}, "password": {"lange-geheime-phrase"}}, ""); w.Code != 422 {
			t.Errorf("login after deletion: %d", w.Code)
		}
		// Without a session the account's actions are refused.
		for _, path := range []string{"/konto/profil", "/konto/loeschen", "/konto/totp", "/konto/ueberall-abmelden"} {
			if w := s.do(t, "POST", path, url.Values{}, c); w.Code != 401 {
				t.Errorf("POST %s without session: %d, want 401", path, w.Code)
			}
		}
	})
}
