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

// admin makes an admin and a case worker and signs the admin in.
func (s *site) admin(t *testing.T) (cookie string, worker *Account) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.s.CreateStaff(ctx, System(s.t.ID), s.t.ID, "admin@musterstadt.example", "Alex Admin", "admin-passwort-123", []Role{RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	worker, err := s.s.CreateStaff(ctx, System(s.t.ID), s.t.ID, "mueller@musterstadt.example", "Frau Müller", "mueller-passwort-123", []Role{RoleCaseWorker})
	if err != nil {
		t.Fatal(err)
	}
	return s.login(t, "admin@musterstadt.example", "admin-passwort-123"), worker
}

// TestAdminPagesAccess: anonymous visitors are sent to the sign-in, a
// citizen and a case worker are refused, the admin sees every page.
func TestAdminPagesAccess(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		s := newSite(t, db, clk)
		adm, _ := s.admin(t)
		worker := s.login(t, "mueller@musterstadt.example", "mueller-passwort-123")
		s.citizen(t, "paul@example.org", "lange-geheime-phrase")
		citizen := s.login(t, "paul@example.org", "lange-geheime-phrase")
		for _, path := range []string{"/verwaltung/einheiten", "/verwaltung/mitarbeitende", "/verwaltung/tokens", "/verwaltung/einstellungen"} {
			var got []int
			for _, c := range []string{"", citizen, worker, adm} {
				got = append(got, s.do(t, "GET", path, nil, c).Code)
			}
			if diff := cmp.Diff([]int{303, 403, 403, 200}, got); diff != "" {
				t.Errorf("GET %s as anonymous, citizen, case worker, admin (-want +got):\n%s", path, diff)
			}
			w := s.do(t, "GET", path+"?lang=en", nil, adm)
			checkPage(t, w.Body.Bytes(), "en")
		}
		for _, path := range []string{"/verwaltung/einheiten", "/verwaltung/mitarbeitende", "/verwaltung/tokens", "/verwaltung/einstellungen"} {
			if w := s.do(t, "POST", path, url.Values{"name": {"x"}}, worker); w.Code != 403 {
				t.Errorf("POST %s as case worker: %d, want 403", path, w.Code)
			}
		}
	})
}

// TestAdminPagesManage: units with members, staff with roles, tokens with
// their secret shown once, settings with messages at the fields.
func TestAdminPagesManage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		s := newSite(t, db, clk)
		adm, worker := s.admin(t)
		self := System(s.t.ID)

		// Units: a tree, a duplicate name refused at the field, a member added.
		if w := s.do(t, "POST", "/verwaltung/einheiten", url.Values{"name": {"Hauptamt"}}, adm); w.Code != 303 {
			t.Fatalf("create unit: %d", w.Code)
		}
		units, _ := s.s.Units(ctx, self, s.t.ID)
		w := s.do(t, "POST", "/verwaltung/einheiten", url.Values{"name": {"Steueramt"}, "parent_id": {units[0].Ref}}, adm)
		if w.Code != 303 {
			t.Fatalf("create child unit: %d", w.Code)
		}
		w = s.do(t, "POST", "/verwaltung/einheiten", url.Values{"name": {"Hauptamt"}}, adm)
		if diff := cmp.Diff([]string{"#unit-name"}, summaryLinks(doc(t, w.Body.Bytes()))); w.Code != 422 || diff != "" {
			t.Errorf("duplicate unit: %d %s", w.Code, diff)
		}
		checkPage(t, w.Body.Bytes(), "de")
		units, _ = s.s.Units(ctx, self, s.t.ID)
		var steuer Unit
		for _, u := range units {
			if u.Name == "Steueramt" {
				steuer = u
			}
		}
		if w := s.do(t, "POST", "/verwaltung/einheiten/"+steuer.Ref+"/mitglieder", url.Values{"account_id": {worker.Ref}}, adm); w.Code != 303 {
			t.Fatalf("add member: %d", w.Code)
		}
		w = s.do(t, "POST", "/verwaltung/einheiten/"+steuer.Ref+"/mitglieder", url.Values{"account_id": {"U-NONE-NONE"}}, adm)
		if diff := cmp.Diff([]string{"#member-" + steuer.Ref}, summaryLinks(doc(t, w.Body.Bytes()))); w.Code != 422 || diff != "" {
			t.Errorf("unknown member: %d %s", w.Code, diff)
		}
		w = s.do(t, "GET", "/verwaltung/einheiten", nil, adm)
		root := doc(t, w.Body.Bytes())
		nested := find(root, func(n *html.Node) bool {
			return n.Data == "li" && n.Parent != nil && n.Parent.Parent != nil && n.Parent.Parent.Data == "li" && strings.Contains(text(n), "Steueramt")
		})
		if len(nested) != 1 || !strings.Contains(text(nested[0]), "Frau Müller") {
			t.Errorf("Steueramt not shown under Hauptamt with its member")
		}

		// Staff: create with roles; roles replaced; own admin role kept.
		w = s.do(t, "POST", "/verwaltung/mitarbeitende", url.Values{"name": {"Karla Kasse"}, "email": {"kasse@musterstadt.example"}, "password": {"kurz"}, "roles": {"finance"}}, adm)
		root = doc(t, w.Body.Bytes())
		if diff := cmp.Diff([]string{"#staff-password"}, summaryLinks(root)); w.Code != 422 || diff != "" {
			t.Errorf("short staff password: %d %s", w.Code, diff)
		}
		if _, checked := attr(byID(root, "staff-role-finance"), "checked"); !checked {
			t.Error("chosen role not kept")
		}
		checkPage(t, w.Body.Bytes(), "de")
		w = s.do(t, "POST", "/verwaltung/mitarbeitende", url.Values{"name": {"Karla Kasse"}, "email": {"kasse@musterstadt.example"}, "password": {"kassen-passwort-1"}, "roles": {"finance", "nonsense"}}, adm)
		if w.Code != 303 {
			t.Fatalf("create staff: %d", w.Code)
		}
		if w := s.do(t, "POST", "/verwaltung/mitarbeitende/"+worker.Ref+"/rollen", url.Values{"roles": {"case_worker", "unit_head"}}, adm); w.Code != 303 {
			t.Fatalf("set roles: %d", w.Code)
		}
		staff, _ := s.s.Staff(ctx, self, s.t.ID)
		got := map[string][]Role{}
		var adminRef string
		for _, a := range staff {
			got[a.Name] = a.Roles
			if a.Name == "Alex Admin" {
				adminRef = a.Ref
			}
		}
		want := map[string][]Role{"Alex Admin": {RoleAdmin}, "Frau Müller": {RoleCaseWorker, RoleUnitHead}, "Karla Kasse": {RoleFinance}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("roles (-want +got):\n%s", diff)
		}
		w = s.do(t, "POST", "/verwaltung/mitarbeitende/"+adminRef+"/rollen", url.Values{"roles": {"finance"}}, adm)
		if diff := cmp.Diff([]string{"#roles-" + adminRef + "-admin"}, summaryLinks(doc(t, w.Body.Bytes()))); w.Code != 422 || diff != "" {
			t.Errorf("removing own admin role: %d %s", w.Code, diff)
		}
		checkPage(t, w.Body.Bytes(), "de")

		// Tokens: the secret is shown once, never cached, and works; revoked after.
		w = s.do(t, "POST", "/verwaltung/tokens", url.Values{"name": {"kasse"}, "role": {"finance"}}, adm)
		if w.Code != 201 || w.Header().Get("Cache-Control") != "no-store" {
			t.Fatalf("create token: %d, Cache-Control %q", w.Code, w.Header().Get("Cache-Control"))
		}
		checkPage(t, w.Body.Bytes(), "de")
		codes := find(doc(t, w.Body.Bytes()), func(n *html.Node) bool { return n.Data == "code" })
		if len(codes) != 1 {
			t.Fatal("secret not shown")
		}
		p, err := s.s.Authenticate(ctx, s.t.ID, text(codes[0]))
		if err != nil || !p.Has(RoleFinance) {
			t.Fatalf("shown secret does not authenticate: %v", err)
		}
		if w := s.do(t, "GET", "/verwaltung/tokens", nil, adm); strings.Contains(w.Body.String(), text(codes[0])) {
			t.Error("the list shows the secret")
		}
		w = s.do(t, "POST", "/verwaltung/tokens", url.Values{"name": {"kasse"}, "role": {"finance"}}, adm)
		if diff := cmp.Diff([]string{"#token-name"}, summaryLinks(doc(t, w.Body.Bytes()))); w.Code != 422 || diff != "" {
			t.Errorf("duplicate token: %d %s", w.Code, diff)
		}
		if w := s.do(t, "POST", "/verwaltung/tokens/"+p.Ref+"/widerrufen", url.Values{}, adm); w.Code != 303 {
			t.Fatalf("revoke: %d", w.Code)
		}
		if _, err := s.s.Authenticate(ctx, s.t.ID, text(codes[0])); err == nil {
			t.Error("revoked token still works")
		}

		// Settings: messages at the fields, values kept; eID providers kept on save.
		prov := []OIDCProvider{{Name: "bayernid", Label: "BayernID", Issuer: "https://login.bayernid.example", ClientID: "c"}}
		if _, err := s.s.UpdateSettings(ctx, self, s.t.ID, Settings{FederalState: "BY", OIDC: prov}); err != nil {
			t.Fatal(err)
		}
		// The Leitweg-ID is the operator's: shown read-only, a posted one is ignored.
		if _, err := s.s.SetLeitwegID(ctx, System(s.t.ID), s.t.ID, "09162000-MUSTERSTADT-10"); err != nil {
			t.Fatal(err)
		}
		form := url.Values{"federal_state": {"BY"}, "creditor.iban": {"DE89 3704 0044 0532 0130 01"}, "creditor.bic": {"COBADEFFXXX"}, "leitweg_id": {"09564000-NUERNBERG-58"},
			"address.postcode": {"9105"}, "legal.imprint": {"Stadt Musterstadt\r\n\r\n<b>Marktplatz</b>"}}
		w = s.do(t, "POST", "/verwaltung/einstellungen", form, adm)
		root = doc(t, w.Body.Bytes())
		if diff := cmp.Diff([]string{"#settings-address-postcode", "#settings-creditor-iban"}, summaryLinks(root)); w.Code != 422 || diff != "" {
			t.Errorf("invalid settings: %d %s", w.Code, diff)
		}
		if e := byID(root, "settings-creditor-iban-error"); e == nil || !strings.Contains(text(e), "IBAN") {
			t.Error("no message at the IBAN field")
		}
		if v, _ := inputValue(root, "settings-leitweg-id"); v != "09162000-MUSTERSTADT-10" {
			t.Errorf("Leitweg-ID not kept: %q", v)
		}
		if n := byID(root, "settings-leitweg-id"); n != nil {
			if _, named := attr(n, "name"); named {
				t.Error("the read-only Leitweg-ID is a form field")
			}
			if _, ro := attr(n, "readonly"); !ro {
				t.Error("the Leitweg-ID is not read-only")
			}
		}
		checkPage(t, w.Body.Bytes(), "de")
		form.Set("creditor.iban", "DE89 3704 0044 0532 0130 00")
		form.Set("address.postcode", "91052")
		form.Set("federal_state", "NW")
		if w := s.do(t, "POST", "/verwaltung/einstellungen", form, adm); w.Code != 303 {
			t.Fatalf("save settings: %d\n%s", w.Code, w.Body)
		}
		tn, _ := s.s.TenantBySlug(ctx, s.t.Slug)
		wantSettings := Settings{FederalState: "NW", Address: Address{Postcode: "91052"}, Creditor: Creditor{IBAN: "DE89370400440532013000", BIC: "COBADEFFXXX"},
			LeitwegID: "09162000-MUSTERSTADT-10", OIDC: prov, Legal: Legal{Imprint: "Stadt Musterstadt\n\n<b>Marktplatz</b>"}}
		if diff := cmp.Diff(wantSettings, tn.Settings); diff != "" {
			t.Errorf("stored settings (-want +got):\n%s", diff)
		}
	})
}

// TestObjectPagesHideOtherTenantsAndNonAdmins is the page version of the
// isolation test: for every page route with an id, an admin of tenant A
// naming tenant B's object and a citizen of A naming A's object get 404.
func TestObjectPagesHideOtherTenantsAndNonAdmins(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		s := newSite(t, db, clk)
		adm, worker := s.admin(t)
		s.citizen(t, "paul@example.org", "lange-geheime-phrase")
		citizen := s.login(t, "paul@example.org", "lange-geheime-phrase")
		b, err := s.s.CreateTenant(ctx, Tenant{Slug: "nachbarstadt", Name: "Nachbarstadt", Hosts: []string{"nachbarstadt.example"}, Settings: Settings{FederalState: "BY"}})
		if err != nil {
			t.Fatal(err)
		}
		fixtures := map[string]func(tn *Tenant) string{
			"/verwaltung/einheiten/{id}/mitglieder": func(tn *Tenant) string {
				u, err := s.s.CreateUnit(ctx, System(tn.ID), tn.ID, "Fixture", "")
				if err != nil {
					t.Fatal(err)
				}
				return u.Ref
			},
			"/verwaltung/mitarbeitende/{id}/rollen": func(tn *Tenant) string {
				a, err := s.s.CreateStaff(ctx, System(tn.ID), tn.ID, "fixture-"+tn.Slug+"@example.org", "Fixture", "fixture-passwort-1", []Role{RoleCaseWorker})
				if err != nil {
					t.Fatal(err)
				}
				return a.Ref
			},
			"/verwaltung/tokens/{id}/widerrufen": func(tn *Tenant) string {
				_, tok, err := s.s.CreateToken(ctx, System(tn.ID), tn.ID, RoleFinance, "fixture", "")
				if err != nil {
					t.Fatal(err)
				}
				return tok.Ref
			},
		}
		form := url.Values{"account_id": {worker.Ref}, "roles": {"admin"}}
		for pattern, fix := range fixtures {
			other, own := fix(b), fix(s.t)
			if w := s.do(t, "POST", strings.Replace(pattern, "{id}", other, 1), form, adm); w.Code != 404 {
				t.Errorf("%s with tenant B's object as A's admin: %d, want 404", pattern, w.Code)
			}
			if w := s.do(t, "POST", strings.Replace(pattern, "{id}", own, 1), form, citizen); w.Code != 404 {
				t.Errorf("%s with A's object as a citizen: %d, want 404", pattern, w.Code)
			}
		}
		// Nothing changed in either tenant.
		staff, _ := s.s.Staff(ctx, System(s.t.ID), s.t.ID)
		for _, a := range staff {
			if a.Name == "Fixture" && len(a.Roles) != 1 {
				t.Errorf("fixture's roles changed: %v", a.Roles)
			}
		}
		toks, _ := s.s.Tokens(ctx, System(b.ID), b.ID)
		if len(toks) != 1 || toks[0].RevokedAt != nil {
			t.Errorf("B's token touched: %+v", toks)
		}
	})
}

// TestPasskeyThroughPages registers a passkey and signs in with it through
// the JSON endpoints passkey.js calls, with a software authenticator.
func TestPasskeyThroughPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		s := newSite(t, db, clk)
		s.citizen(t, "paul@example.org", "lange-geheime-phrase")
		c := s.login(t, "paul@example.org", "lange-geheime-phrase")
		u, _ := url.Parse(testBase)
		key := newSoftKey(t)

		w := s.postJSON(t, "/konto/passkeys/optionen", map[string]string{}, c)
		var opts passkeyOptions
		if err := json.Unmarshal(w.Body.Bytes(), &opts); w.Code != 200 || err != nil || opts.Handle == "" {
			t.Fatalf("registration options: %d %v", w.Code, err)
		}
		w = s.postJSON(t, "/konto/passkeys", passkeyResult{Handle: opts.Handle, Credential: key.create(t, opts.Options, testBase)}, c)
		if w.Code != 200 || !strings.Contains(w.Body.String(), "/konto?hinweis=passkey_added") {
			t.Fatalf("registration: %d %s", w.Code, w.Body)
		}
		if w := s.postJSON(t, "/konto/passkeys/optionen", map[string]string{}, ""); w.Code != 401 {
			t.Errorf("registration options without session: %d", w.Code)
		}
		w = s.do(t, "GET", "/konto", nil, c)
		if items := find(doc(t, w.Body.Bytes()), func(n *html.Node) bool { return n.Data == "li" && strings.Contains(text(n), "Eingerichtet am") }); len(items) != 1 {
			t.Errorf("account page lists %d passkeys, want 1", len(items))
		}

		login := func(origin string) *http.Response {
			w := s.postJSON(t, "/anmelden/passkey/optionen", map[string]string{}, "")
			var opts passkeyOptions
			if err := json.Unmarshal(w.Body.Bytes(), &opts); w.Code != 200 || err != nil {
				t.Fatalf("login options: %d %v", w.Code, err)
			}
			return s.postJSON(t, "/anmelden/passkey", passkeyResult{Handle: opts.Handle, Credential: key.get(t, opts.Options, origin, u.Hostname()), ReturnTo: "/konto?von=passkey"}, "").Result()
		}
		resp := login(testBase)
		var res map[string]string
		json.NewDecoder(resp.Body).Decode(&res)
		if resp.StatusCode != 200 || res["redirect"] != "/konto?von=passkey" {
			t.Fatalf("passkey login: %d %v", resp.StatusCode, res)
		}
		var cookie *http.Cookie
		for _, c := range resp.Cookies() {
			if c.Name == SessionCookie {
				cookie = c
			}
		}
		if cookie == nil || !cookie.HttpOnly {
			t.Fatal("no session cookie after passkey login")
		}
		if w := s.do(t, "GET", "/konto", nil, cookie.Value); w.Code != 200 || !strings.Contains(w.Body.String(), "Passkey") {
			t.Errorf("account after passkey login: %d", w.Code)
		}
		if resp := login("https://evil.example"); resp.StatusCode != 401 {
			t.Errorf("assertion for another origin: %d, want 401", resp.StatusCode)
		}

		// The script is served from a hashed, cacheable URL.
		w = s.do(t, "GET", PasskeyScriptPath, nil, "")
		if w.Code != 200 || !strings.Contains(w.Header().Get("Cache-Control"), "immutable") || !strings.Contains(w.Body.String(), "navigator.credentials") {
			t.Errorf("script: %d %q", w.Code, w.Header().Get("Cache-Control"))
		}
	})
}
