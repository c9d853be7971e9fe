package identity

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"

	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
	"github.com/rathaus/rathaus/internal/platform/i18n"
	"github.com/rathaus/rathaus/internal/platform/web"
)

const testBase = "https://musterstadt.example"

// newRenderer builds the web shell's renderer with identity's catalog and
// pages, as the composition root does.
func newRenderer(t testing.TB) (*web.Renderer, *i18n.Catalog) {
	t.Helper()
	cat, err := i18n.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	if err := cat.Load(Messages); err != nil {
		t.Fatal(err)
	}
	if err := cat.Check(); err != nil {
		t.Fatal(err)
	}
	r, err := web.NewRenderer(cat, web.NewAssets())
	if err != nil {
		t.Fatal(err)
	}
	if err := AddPages(r); err != nil {
		t.Fatal(err)
	}
	return r, cat
}

// site is the world (tenant, service, SMTP) behind identity's routes with
// the real middleware (CSRF protection included).
type site struct {
	*world
	h   *Handler
	srv http.Handler
}

func newSite(t *testing.T, db *database.DB, clk *clock.Fake) *site {
	t.Helper()
	w := newWorld(t, db, clk)
	r, _ := newRenderer(t)
	h := &Handler{Svc: w.s, Pages: r, BaseURL: func(*http.Request) string { return testBase }}
	rt := web.NewRouter(nil)
	h.Routes(rt)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	// httptest's peer (192.0.2.1) plays the TLS-terminating proxy.
	proxy := []netip.Prefix{netip.MustParsePrefix("192.0.2.1/32")}
	return &site{world: w, h: h, srv: web.Middleware(h.TenantMiddleware(rt), web.Options{Log: log, MaxBodyBytes: 1 << 20, TrustedProxies: proxy})}
}

// do sends a request like a browser without JavaScript (same-origin form
// posts); hdr are extra header pairs.
func (s *site) do(t *testing.T, method, path string, form url.Values, cookie string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, path, body)
	r.Host = "musterstadt.example"
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if method == http.MethodPost {
		r.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	if cookie != "" {
		r.AddCookie(&http.Cookie{Name: SessionCookie, Value: cookie})
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	s.srv.ServeHTTP(w, r)
	return w
}

// postJSON sends what passkey.js sends.
func (s *site) postJSON(t *testing.T, path string, v any, cookie string) *httptest.ResponseRecorder {
	t.Helper()
	b, _ := json.Marshal(v)
	r := httptest.NewRequest("POST", path, bytes.NewReader(b))
	r.Host = "musterstadt.example"
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	if cookie != "" {
		r.AddCookie(&http.Cookie{Name: SessionCookie, Value: cookie})
	}
	w := httptest.NewRecorder()
	s.srv.ServeHTTP(w, r)
	return w
}

func sessionCookie(w *httptest.ResponseRecorder) *http.Cookie {
	for _, c := range w.Result().Cookies() {
		if c.Name == SessionCookie {
			return c
		}
	}
	return nil
}

// citizen registers and verifies a citizen directly in the domain.
func (s *site) citizen(t *testing.T, email, password string) {
	t.Helper()
	ctx := context.Background()
	before := len(s.smtp.Messages())
	if err := s.s.Register(ctx, s.t, RegisterInput{Kind: "citizen", Email: email, Name: "Paul Beispiel", Password: password}, testBase); err != nil {
		t.Fatal(err)
	}
	if err := s.s.VerifyEmail(ctx, s.t.ID, linkToken(t, s.deliver(t, before+1)), "198.51.100.1"); err != nil {
		t.Fatal(err)
	}
}

// login signs in through the page and returns the session cookie value.
func (s *site) login(t *testing.T, email, password string) string {
	t.Helper()
	w := s.do(t, "POST", "/anmelden", url.Values{"email": {email}, "password": {password}}, "")
	c := sessionCookie(w)
	if w.Code != http.StatusSeeOther || c == nil {
		t.Fatalf("login %s: %d\n%s", email, w.Code, w.Body)
	}
	return c.Value
}

// doc parses an HTML page.
func doc(t *testing.T, body []byte) *html.Node {
	t.Helper()
	n, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// find returns the elements for which match is true, in document order.
func find(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func byID(root *html.Node, id string) *html.Node {
	els := find(root, func(n *html.Node) bool { v, _ := attr(n, "id"); return v == id })
	if len(els) == 0 {
		return nil
	}
	return els[0]
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// summaryLinks are the targets of the error summary's links, in order.
func summaryLinks(root *html.Node) []string {
	var out []string
	for _, box := range find(root, func(n *html.Node) bool { r, _ := attr(n, "role"); return r == "alert" }) {
		for _, a := range find(box, func(n *html.Node) bool { return n.Data == "a" }) {
			href, _ := attr(a, "href")
			out = append(out, href)
		}
	}
	return out
}

// inputValue is the value attribute of the element with id ("" if none).
func inputValue(root *html.Node, id string) (string, bool) {
	n := byID(root, id)
	if n == nil {
		return "", false
	}
	if n.Data == "textarea" {
		return text(n), true
	}
	return attr(n, "value")
}

// checkPage checks what every page of identity must have: the language, one
// h1, a main landmark, a label for every field, unique ids, existing
// aria-describedby targets, no inline script or style, scripts only from
// this site, no untranslated keys.
func checkPage(t *testing.T, body []byte, lang string) {
	t.Helper()
	root := doc(t, body)
	var problems []string
	if h := find(root, func(n *html.Node) bool { return n.Data == "html" }); len(h) != 1 {
		problems = append(problems, "no html element")
	} else if l, _ := attr(h[0], "lang"); l != lang {
		problems = append(problems, "html lang="+l)
	}
	if n := len(find(root, func(n *html.Node) bool { return n.Data == "h1" })); n != 1 {
		problems = append(problems, strconv.Itoa(n)+" h1 elements")
	}
	if n := len(find(root, func(n *html.Node) bool { return n.Data == "main" })); n != 1 {
		problems = append(problems, strconv.Itoa(n)+" main elements")
	}
	ids := map[string]int{}
	labels := map[string]bool{}
	var described []string
	for _, n := range find(root, func(*html.Node) bool { return true }) {
		if id, ok := attr(n, "id"); ok {
			ids[id]++
		}
		if _, ok := attr(n, "style"); ok {
			problems = append(problems, "style attribute on <"+n.Data+">")
		}
		for _, a := range n.Attr {
			if strings.HasPrefix(a.Key, "on") {
				problems = append(problems, "event handler "+a.Key)
			}
			if (a.Key == "href" || a.Key == "action" || a.Key == "src") && !strings.HasPrefix(a.Val, "/") && !strings.HasPrefix(a.Val, "#") {
				problems = append(problems, a.Key+" not on this site: "+a.Val)
			}
		}
		if d, ok := attr(n, "aria-describedby"); ok {
			described = append(described, strings.Fields(d)...)
		}
		switch n.Data {
		case "label":
			f, _ := attr(n, "for")
			labels[f] = true
		case "style":
			problems = append(problems, "<style> element")
		case "script":
			if src, _ := attr(n, "src"); !strings.HasPrefix(src, "/") || n.FirstChild != nil {
				problems = append(problems, "inline or foreign script")
			}
		case "button":
			if _, ok := attr(n, "type"); !ok {
				problems = append(problems, "button without type")
			}
		}
	}
	for _, n := range find(root, func(n *html.Node) bool { return n.Data == "input" || n.Data == "select" || n.Data == "textarea" }) {
		if typ, _ := attr(n, "type"); typ == "hidden" {
			continue
		}
		if id, _ := attr(n, "id"); id == "" || !labels[id] {
			problems = append(problems, "field without label: "+id)
		}
	}
	for id, n := range ids {
		if n > 1 {
			problems = append(problems, "duplicate id "+id)
		}
	}
	for _, d := range described {
		if ids[d] == 0 {
			problems = append(problems, "aria-describedby names missing id "+d)
		}
	}
	if s := text(root); strings.Contains(s, "[identity.") || strings.Contains(s, "%!") {
		problems = append(problems, "untranslated key or bad format in text")
	}
	if len(problems) > 0 {
		t.Errorf("page problems:\n  %s", strings.Join(problems, "\n  "))
	}
}

// viewModels are typed view models of every page, reaching the branches
// worth rendering (errors at fields, notices, empty and full lists).
func viewModels() map[string][]any {
	invalid := func(field, id, key string, v url.Values) PageForm {
		f := newForm(v)
		f.Fail(field, id, key)
		return f
	}
	used := dbtest.Epoch.Add(time.Hour)
	revoked := dbtest.Epoch
	staff := []Account{{Ref: "U-AAAA-AAAA", Name: "Alex Admin", Roles: []Role{RoleAdmin}}, {Ref: "U-BBBB-BBBB", Name: "Frau <Müller>", Roles: []Role{RoleCaseWorker}}}
	units := []Unit{{Ref: "E-AAAA-AAAA", Name: "Hauptamt", Members: []string{"U-AAAA-AAAA"}}, {Ref: "E-BBBB-BBBB", Name: "Steueramt", ParentRef: "E-AAAA-AAAA", Members: []string{"U-BBBB-BBBB"}}}
	staffPage := StaffPage{Roles: Roles, Form: invalid("password", "staff-password", "fault.too_short", url.Values{"name": {"Neu"}, "roles": {"finance"}}),
		Staff: []StaffRow{{Ref: "U-AAAA-AAAA", Name: "Alex Admin", Email: "admin@x.example", Roles: []Role{RoleAdmin}}, {Ref: "U-BBBB-BBBB", Name: "Frau Müller", Email: "m@x.example"}}}
	staffRoles := staffPage
	staffRoles.Form = newForm(nil)
	staffRoles.RolesFor, staffRoles.RolesForm = "U-AAAA-AAAA", invalid("roles", "roles-U-AAAA-AAAA-admin", "fault.own_admin_role", nil)
	settingsErr := newForm(settingsValues(Settings{FederalState: "BY", Creditor: Creditor{IBAN: "DE00"}, Legal: Legal{Imprint: "Zeile 1\n\n<b>Zeile 2</b>"}}))
	settingsErr.Fail("creditor.iban", "settings-creditor-iban", "fault.invalid_iban")
	settingsErr.Fail("oidc_providers.0", "fehler", "identity.form.error.other")
	return map[string][]any{
		"login": {
			LoginPage{Form: newForm(nil), Notice: "identity.notice.verified", PasskeyScript: PasskeyScriptPath},
			LoginPage{Form: invalid("password", "login-password", "identity.login.error.password", url.Values{"email": {"a@b.example"}}), ReturnTo: "/konto", PasskeyScript: PasskeyScriptPath,
				EIDs: []EIDButton{{Href: "/anmelden/eid/bayernid", Label: "BayernID"}}},
			LoginPage{Form: newForm(url.Values{"email": {"a@b.example"}}), TOTP: true, Failed: "identity.login.error.failed", PasskeyScript: PasskeyScriptPath},
		},
		"register": {
			RegisterPage{Form: newForm(url.Values{"kind": {"citizen"}})},
			RegisterPage{Form: invalid("kind", "register-kind-citizen", "fault.invalid_choice", url.Values{"name": {"<Paul>"}})},
		},
		"register_sent": {SentPage{}},
		"forgot_sent":   {SentPage{}},
		"verify":        {VerifyPage{Token: "abc"}, VerifyPage{Invalid: true}},
		"forgot":        {ForgotPage{Form: newForm(nil)}, ForgotPage{Form: invalid("email", "forgot-email", "identity.forgot.error.email", nil)}},
		"reset":         {ResetPage{Form: newForm(nil), Token: "abc"}, ResetPage{Form: invalid("password2", "reset-password2", "identity.register.error.password2", nil), Token: "abc"}, ResetPage{Invalid: true}},
		"account": {
			AccountPage{Name: "Paul", Email: "paul@example.org", Kind: "citizen", Trust: TrustNone, Provider: "password", Profile: newForm(profileValues(Profile{GivenName: "Paul"})),
				Notice: "identity.notice.profile_saved", PasskeyScript: PasskeyScriptPath,
				Sections: []AccountSection{{ID: "antraege", Title: "Meine Anträge", Items: []AccountItem{{Text: "Hundesteuer", Href: "/antraege/A-1", Detail: "eingegangen"}}, Link: "/antraege", LinkText: "Alle"},
					{ID: "einwilligungen", Title: "Einwilligungen", Empty: "Keine", Items: []AccountItem{{Text: "Hundesteuer", Action: "/konto/einwilligungen/C-1/widerrufen", ActionText: "Widerrufen"}}}}},
			AccountPage{Name: "Firma", Kind: "business", Trust: TrustSubstantial, Provider: "bayernid", EIDs: []string{"bayernid"},
				Profile: invalid("postcode", "profile-postcode", "fault.invalid_postcode", url.Values{"postcode": {"12"}}),
				Delete:  invalid("confirm", "delete-confirm", "identity.delete.error.confirm", nil), PasskeyScript: PasskeyScriptPath,
				Passkeys:  []PasskeyRow{{CreatedAt: dbtest.Epoch}, {CreatedAt: dbtest.Epoch, LastUsed: &used}},
				Tokens:    []Token{{Ref: "K-AAAA-AAAA", Name: "<laptop>", Account: "U-AAAA-AAAA", CreatedAt: dbtest.Epoch}, {Ref: "K-BBBB-BBBB", Name: "alt", Account: "U-AAAA-AAAA", CreatedAt: dbtest.Epoch, RevokedAt: &revoked}},
				TokenForm: invalid("name", "token-name", "fault.too_long", nil)},
			AccountPage{Name: "Alex", Kind: "staff", Staff: true, Trust: TrustNone, Provider: "passkey", PasskeyScript: PasskeyScriptPath},
		},
		"account_deleted": {DeletedPage{}},
		"totp":            {TOTPPage{Secret: "JBSWY3DPEHPK3PXP", URL: "otpauth://totp/Musterstadt:U-AAAA-AAAA?secret=JBSWY3DPEHPK3PXP"}},
		"admin_units": {
			UnitsPage{Form: newForm(nil), Member: newForm(nil)},
			UnitsPage{Tree: unitTree(units, staff), Units: units, Staff: staff, Form: invalid("name", "unit-name", "fault.duplicate", url.Values{"parent_id": {"E-AAAA-AAAA"}}),
				Member: invalid("account_id", "member-E-BBBB-BBBB", "fault.unknown", nil), MemberUnit: "E-BBBB-BBBB", Notice: "identity.notice.unit_created"},
		},
		"admin_staff": {staffPage, staffRoles, StaffPage{Roles: Roles, Form: newForm(nil)}},
		"admin_tokens": {
			TokensPage{Roles: Roles, Form: newForm(nil)},
			TokensPage{Roles: Roles, Tokens: []Token{{Ref: "K-AAAA-AAAA", Name: "kasse", Role: RoleFinance, CreatedAt: dbtest.Epoch}, {Ref: "K-BBBB-BBBB", Name: "alt", Role: RoleAdmin, CreatedAt: dbtest.Epoch, RevokedAt: &revoked},
				{Ref: "K-CCCC-CCCC", Name: "laptop", Account: "U-BBBB-BBBB", AccountName: "Frau <Müller>", CreatedAt: dbtest.Epoch}},
				Form: invalid("name", "token-name", "fault.required", url.Values{"role": {"finance"}}), Notice: "identity.notice.token_revoked"},
		},
		"admin_token_created":   {TokenCreatedPage{Token: Token{Name: "kasse", Role: RoleFinance}, Secret: "rh_secret"}},
		"account_token_created": {AccountTokenCreatedPage{Token: Token{Name: "laptop", Account: "U-AAAA-AAAA"}, Secret: "rh_secret"}},
		"unknown_tenant":        {UnknownTenantPage{Status: 404}},
		"setup":                 {SetupPage{Form: newForm(nil), Token: "abc"}, SetupPage{Form: invalid("password", "setup-password", "fault.too_short", nil), Token: "abc"}, SetupPage{Invalid: true}},
		"totp_setup":            {TOTPSetupPage{Secret: "JBSWY3DPEHPK3PXP", URL: "otpauth://totp/x", Form: newForm(nil)}, TOTPSetupPage{Secret: "JBSWY3DPEHPK3PXP", URL: "otpauth://totp/x", Form: invalid("totp", "setup-totp", "fault.invalid_totp", nil)}},
		"admin_settings": {
			SettingsPage{Form: newForm(settingsValues(Settings{FederalState: "NW"})), States: federalStates(), Notice: "identity.notice.settings_saved"},
			SettingsPage{Form: settingsErr, States: federalStates()},
		},
	}
}

// TestPageTemplatesRenderTheirViewModels executes every page against its
// view models in both languages and checks the HTML's structure.
func TestPageTemplatesRenderTheirViewModels(t *testing.T) {
	r, _ := newRenderer(t)
	models := viewModels()
	for _, name := range PageNames {
		if len(models[name]) == 0 {
			t.Errorf("page %s has no view model in viewModels", name)
		}
	}
	for name, vms := range models {
		for i, vm := range vms {
			for _, lang := range i18n.Langs {
				t.Run(name+"/"+strconv.Itoa(i)+"/"+string(lang), func(t *testing.T) {
					req := httptest.NewRequest("GET", "/seite?lang="+string(lang), nil)
					var buf bytes.Buffer
					if err := r.Execute(&buf, "identity."+name, r.View(req, 200, web.Shell{Tenant: "Musterstadt", RequestID: "req-1"}, vm)); err != nil {
						t.Fatal(err)
					}
					checkPage(t, buf.Bytes(), string(lang))
				})
			}
		}
	}
}

// TestMessageKeysInBothCatalogs: every key the Go code picks at run time
// (field errors, notices, roles, trust levels, kinds) exists in both languages.
func TestMessageKeysInBothCatalogs(t *testing.T) {
	_, cat := newRenderer(t)
	var keys []string
	// Every code identity's use cases return has its sentence.
	for _, c := range FaultCodes {
		keys = append(keys, "fault."+c)
	}
	for _, r := range Roles {
		keys = append(keys, "identity.role."+string(r))
	}
	for _, tl := range []TrustLevel{TrustNone, TrustLow, TrustSubstantial, TrustHigh} {
		keys = append(keys, "identity.trust."+string(tl))
	}
	for _, k := range []string{"citizen", "business", "staff"} {
		keys = append(keys, "identity.kind."+k)
	}
	for _, n := range []string{"verified", "password_reset", "logged_out", "logged_out_everywhere", "profile_saved", "passkey_added", "unit_created", "member_added", "staff_created", "roles_saved", "token_revoked", "settings_saved"} {
		keys = append(keys, "identity.notice."+n)
	}
	for _, k := range keys {
		for _, l := range i18n.Langs {
			if !cat.Has(l, k) {
				t.Errorf("key %s missing in %s", k, l)
			}
		}
	}
	// Every code the settings validation returns is one of FaultCodes.
	bad := Settings{FederalState: "XX", Address: Address{Postcode: "1"}, Creditor: Creditor{IBAN: "DE00", BIC: "x"}, LeitwegID: "x", MailFrom: "x",
		OIDC: []OIDCProvider{{Name: "x"}}}.Validate()
	for _, e := range bad.Errors {
		if !slices.Contains(FaultCodes, e.Code) {
			t.Errorf("settings field %s: code %s is not in FaultCodes", e.Field, e.Code)
		}
	}
}

func TestValidateProfile(t *testing.T) {
	now := dbtest.Epoch
	long := strings.Repeat("ä", 201)
	tests := []struct {
		name   string
		values url.Values
		want   []string // fields with errors, in page order
	}{
		{"empty", url.Values{}, nil},
		{"complete", url.Values{"given_name": {"Paul"}, "postcode": {"91052"}, "phone": {"+49 (0)911 / 123-45"}, "birth_date": {"1980-04-23"}}, nil},
		{"postcode letters", url.Values{"postcode": {"9105A"}}, []string{"postcode"}},
		{"postcode short", url.Values{"postcode": {"9105"}}, []string{"postcode"}},
		{"phone letters", url.Values{"phone": {"call me"}}, []string{"phone"}},
		{"birth date German style", url.Values{"birth_date": {"23.04.1980"}}, []string{"birth_date"}},
		{"birth date in the future", url.Values{"birth_date": {"2027-01-01"}}, []string{"birth_date"}},
		{"birth date impossible", url.Values{"birth_date": {"1980-02-30"}}, []string{"birth_date"}},
		{"too long", url.Values{"given_name": {long}, "street": {long}, "city": {long}}, []string{"given_name", "street", "city"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, f := validateProfile(newForm(tt.values), now)
			var got []string
			for _, e := range f.Errors {
				got = append(got, e.Field)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("invalid fields (-want +got):\n%s", diff)
			}
			if tt.want == nil && p.GivenName != tt.values.Get("given_name") {
				t.Errorf("profile %+v", p)
			}
		})
	}
}

func TestReturnToIsLocal(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "/konto": "/konto", "/konto?x=1": "/konto?x=1", "//evil.example/": "", "https://evil.example/": "", "/\\evil.example": "", "konto": "",
	} {
		if got := returnTo(in); got != want {
			t.Errorf("returnTo(%q) = %q, want %q", in, got, want)
		}
	}
}
