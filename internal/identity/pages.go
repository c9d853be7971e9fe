package identity

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"io/fs"
	"net/http"
	"net/url"
	"strings"

	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// The HTML pages of identity: sign-in, registration, password reset, the
// account page and the admin pages. They are server-rendered and work
// without JavaScript; only passkeys need the small static/passkey.js.

//go:embed templates
var templateFS embed.FS

//go:embed messages/*.json
var messageFS embed.FS

//go:embed static/passkey.js
var passkeyJS []byte

// Messages are identity's catalog files (de.json, en.json) for
// i18n.Catalog.Load; every key starts with "identity.".
var Messages fs.FS = mustSub(messageFS, "messages")

// Templates are identity's page templates (templates/NAME.html, plus the
// shared partials every page is parsed with).
var Templates fs.FS = pageFS{}

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err)
	}
	return sub
}

// partialsFile is parsed together with every page of identity.
const partialsFile = "templates/partials.html"

// pageFS serves a page template with identity's partials appended, because
// web.Renderer.Add parses one file per page.
type pageFS struct{}

func (pageFS) Open(name string) (fs.File, error) { return templateFS.Open(name) }

func (pageFS) ReadFile(name string) ([]byte, error) {
	b, err := templateFS.ReadFile(name)
	if err != nil {
		return nil, err
	}
	p, err := templateFS.ReadFile(partialsFile)
	if err != nil {
		return nil, err
	}
	return append(append(b, '\n'), p...), nil
}

// PageNames are identity's page templates; each is added to the renderer
// as "identity." + name.
var PageNames = []string{
	"login", "register", "register_sent", "verify", "forgot", "forgot_sent", "reset",
	"account", "account_deleted", "totp", "account_token_created",
	"admin_units", "admin_staff", "admin_tokens", "admin_token_created", "admin_settings",
	"unknown_tenant", "setup", "totp_setup",
}

// AddPages parses identity's page templates into r (at start-up).
func AddPages(r *web.Renderer) error {
	for _, name := range PageNames {
		if err := r.Add("identity."+name, Templates, "templates/"+name+".html"); err != nil {
			return err
		}
	}
	return nil
}

// PasskeyScriptPath is the URL of the passkey script: the content hash in
// the name lets browsers cache it for a year.
var PasskeyScriptPath = func() string {
	h := sha256.Sum256(passkeyJS)
	return "/konto/passkey-" + hex.EncodeToString(h[:6]) + ".js"
}()

// pageRoutes registers the HTML pages (only when a renderer is configured).
func (h *Handler) pageRoutes(rt *web.Router) {
	if h.Pages == nil {
		return
	}
	// Sign-in and sign-out.
	rt.HandleFunc("GET /anmelden", h.page(h.handleLoginForm))
	rt.HandleFunc("POST /anmelden", h.page(h.handleLogin))
	rt.HandleFunc("GET /anmelden/eid/{provider}", h.page(h.handleEIDStart))
	rt.HandleFunc("GET /anmelden/eid/{provider}/callback", h.page(h.handleEIDCallback))
	rt.HandleFunc("POST /anmelden/passkey/optionen", h.page(h.handlePasskeyLoginOptions))
	rt.HandleFunc("POST /anmelden/passkey", h.page(h.handlePasskeyLogin))
	rt.HandleFunc("POST /abmelden", h.page(h.handleLogout))
	rt.HandleFunc("POST /konto/ueberall-abmelden", h.page(h.handleLogoutEverywhere))
	// Registration and password reset.
	rt.HandleFunc("GET /registrieren", h.page(h.handleRegisterForm))
	rt.HandleFunc("POST /registrieren", h.page(h.handleRegister))
	rt.HandleFunc("GET /registrieren/gesendet", h.page(h.handleRegisterSent))
	rt.HandleFunc("GET /konto/bestaetigen", h.page(h.handleVerifyForm))
	rt.HandleFunc("POST /konto/bestaetigen", h.page(h.handleVerify))
	rt.HandleFunc("GET /konto/passwort-vergessen", h.page(h.handleForgotForm))
	rt.HandleFunc("POST /konto/passwort-vergessen", h.page(h.handleForgot))
	rt.HandleFunc("GET /konto/passwort-vergessen/gesendet", h.page(h.handleForgotSent))
	rt.HandleFunc("GET /konto/passwort-neu", h.page(h.handleResetForm))
	rt.HandleFunc("POST /konto/passwort-neu", h.page(h.handleReset))
	// The account.
	rt.HandleFunc("GET /konto", h.page(h.handleAccount))
	rt.HandleFunc("POST /konto/profil", h.page(h.handleProfile))
	rt.HandleFunc("GET /konto/daten.json", h.page(h.handleExport))
	rt.HandleFunc("POST /konto/loeschen", h.page(h.handleDelete))
	rt.HandleFunc("GET /konto/geloescht", h.page(h.handleDeleted))
	rt.HandleFunc("POST /konto/totp", h.page(h.handleTOTP))
	rt.HandleFunc("POST /konto/passkeys/optionen", h.page(h.handlePasskeyOptions))
	rt.HandleFunc("POST /konto/passkeys", h.page(h.handlePasskeyRegister))
	rt.Handle("GET "+PasskeyScriptPath, http.HandlerFunc(servePasskeyScript))
	h.tokenPageRoutes(rt)
	for pattern, fn := range h.setupPageRoutes() {
		rt.HandleFunc(pattern, h.page(fn))
	}
	// Admin pages.
	rt.HandleFunc("GET /verwaltung/einheiten", h.page(h.handleUnitsPage))
	rt.HandleFunc("POST /verwaltung/einheiten", h.page(h.handleUnitCreate))
	rt.HandleFunc("POST /verwaltung/einheiten/{id}/mitglieder", h.page(h.handleUnitMemberAdd))
	rt.HandleFunc("GET /verwaltung/mitarbeitende", h.page(h.handleStaffPage))
	rt.HandleFunc("POST /verwaltung/mitarbeitende", h.page(h.handleStaffCreate))
	rt.HandleFunc("POST /verwaltung/mitarbeitende/{id}/rollen", h.page(h.handleStaffRoles))
	rt.HandleFunc("GET /verwaltung/tokens", h.page(h.handleTokensPage))
	rt.HandleFunc("POST /verwaltung/tokens", h.page(h.handleTokenCreate))
	rt.HandleFunc("POST /verwaltung/tokens/{id}/widerrufen", h.page(h.handleTokenRevoke))
	rt.HandleFunc("GET /verwaltung/einstellungen", h.page(h.handleSettingsPage))
	rt.HandleFunc("POST /verwaltung/einstellungen", h.page(h.handleSettingsSave))
}

// page adapts a page handler: a GET that needs a sign-in sends the browser
// to the sign-in page and back afterwards; everything else goes to the
// router's error adapter.
func (h *Handler) page(fn web.HandlerFunc) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		err := fn(w, r)
		if errors.Is(err, ErrTOTPSetupPending) {
			// Signed in, but TOTP must be set up before anything else.
			http.Redirect(w, r, TOTPSetupPath, http.StatusSeeOther)
			return nil
		}
		if err != nil && r.Method == http.MethodGet && errors.Is(err, web.ErrUnauthorized) {
			http.Redirect(w, r, "/anmelden?"+url.Values{"return_to": {web.LocalPath(r.URL)}}.Encode(), http.StatusSeeOther)
			return nil
		}
		return err
	}
}

func servePasskeyScript(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Type", "text/javascript; charset=utf-8")
	hdr.Set("Cache-Control", "public, max-age=31536000, immutable")
	hdr.Set("X-Content-Type-Options", "nosniff")
	w.Write(passkeyJS)
}

// tenant returns the request's tenant or not found.
func tenantOf(r *http.Request) (*Tenant, error) {
	t := TenantFrom(r.Context())
	if t == nil {
		return nil, web.ErrNotFound
	}
	return t, nil
}

// shell fills the layout's data.
func shell(r *http.Request, area web.Area) web.Shell {
	name := "Rathaus"
	if t := TenantFrom(r.Context()); t != nil {
		name = t.Name
	}
	return web.Shell{Tenant: name, Area: area}
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) error {
	return h.Pages.Render(w, r, status, "identity."+name, shell(r, web.AreaCitizen), data)
}

func (h *Handler) renderStaff(w http.ResponseWriter, r *http.Request, status int, name string, data any) error {
	return h.Pages.Render(w, r, status, "identity."+name, shell(r, web.AreaStaff), data)
}

// SessionFrom returns the browser session of the request (cookie only):
// fault.ErrUnauthorized when there is none.
func (h *Handler) SessionFrom(r *http.Request) (*Session, *Tenant, error) { return h.session(r) }

// session returns the browser session of the request (cookie only).
func (h *Handler) session(r *http.Request) (*Session, *Tenant, error) {
	t, err := tenantOf(r)
	if err != nil {
		return nil, nil, err
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return nil, t, web.ErrUnauthorized
	}
	sess, err := h.Svc.SessionByToken(r.Context(), t.ID, c.Value)
	if err == nil {
		notePrincipal(r.Context(), sess.Principal())
	}
	return sess, t, err
}

// isHTTPS reports whether the browser reached us over TLS: directly, or
// through a trusted proxy that says so (web.ClientFrom).
func isHTTPS(r *http.Request) bool { return web.ClientFrom(r).HTTPS }

func setSessionCookie(w http.ResponseWriter, r *http.Request, value string) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: value, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: isHTTPS(r)})
}

func clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: isHTTPS(r)})
}

// DeviceCookie names the browser to the login delays: a browser that signed
// in to an account before is not slowed by strangers' failures at it.
const DeviceCookie = "rathaus_device"

func (h *Handler) setDeviceCookie(w http.ResponseWriter, r *http.Request, value string) {
	if value == "" {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: DeviceCookie, Value: value, Path: "/anmelden", MaxAge: 365 * 24 * 3600, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: isHTTPS(r)})
}

// baseURL is the scheme and host of links in mails and of the eID
// callback: from configuration only (the composition root's BaseURL: the
// tenant's public URL, its first host, RATHAUS_PUBLIC_URL, the demo's
// listening address), never from the request's Host or X-Forwarded-Host.
// Without a configured BaseURL (tests of this package): https:// and the
// tenant's first host.
func (h *Handler) baseURL(r *http.Request) string {
	if h.BaseURL != nil {
		return strings.TrimSuffix(h.BaseURL(r), "/")
	}
	if t := TenantFrom(r.Context()); t != nil {
		if t.PublicURL != "" {
			return t.PublicURL
		}
		if len(t.Hosts) > 0 {
			return "https://" + t.Hosts[0]
		}
	}
	return ""
}

// relyingParty is the passkey relying party of the request: the host the
// browser used, which the tenant middleware has matched to this tenant (a
// forged name reaches no tenant), so a passkey works on every name of it;
// the browser binds the credential to exactly this origin.
func (h *Handler) relyingParty(r *http.Request, t *Tenant) RelyingParty {
	host := NormalizeHost(r.Host)
	if u, err := url.Parse(h.baseURL(r)); err == nil && u.Host != "" && NormalizeHost(u.Host) == host {
		// The configured address of this name: its scheme holds behind a
		// proxy that terminates TLS.
		return RelyingParty{ID: host, Origin: u.Scheme + "://" + u.Host, Name: t.Name}
	}
	scheme := "http"
	if isHTTPS(r) {
		scheme = "https"
	}
	origin := scheme + "://" + r.Host
	return RelyingParty{ID: host, Origin: origin, Name: t.Name}
}

// clientAddr is the address login delays count failures for: the peer,
// or what a trusted proxy says (web.ClientFrom).
func (h *Handler) clientAddr(r *http.Request) string { return web.ClientFrom(r).Addr }

// PageForm is a web.Form with helpers that describe one field for
// identity's partial templates.
type PageForm struct {
	web.Form
}

// Field is one form field as the partials "id-input" and "id-textarea"
// render it.
type Field struct {
	Name, ID, Label, Hint, Type, Autocomplete, Value, Error string
	// ErrorArgs are the named values of the error's sentence ({max}).
	ErrorArgs map[string]any
	Optional  bool
}

// DescribedBy is the field's aria-describedby (hint and error).
func (f Field) DescribedBy() string {
	var ids []string
	if f.Hint != "" {
		ids = append(ids, f.ID+"-hint")
	}
	if f.Error != "" {
		ids = append(ids, f.ID+"-error")
	}
	return strings.Join(ids, " ")
}

// Opt marks the field optional.
func (f Field) Opt() Field { f.Optional = true; return f }

// Input describes a field. Passwords are never sent back to the browser.
func (f PageForm) Input(name, id, label, hint, typ, autocomplete string) Field {
	fd := Field{Name: name, ID: id, Label: label, Hint: hint, Type: typ, Autocomplete: autocomplete, Error: f.Error(name), ErrorArgs: f.ErrorArgs(name)}
	if typ != "password" && f.Values != nil {
		fd.Value = f.Value(name)
	}
	return fd
}

// Checked reports whether a checkbox or radio of the form had value v.
func (f PageForm) Checked(name, v string) bool {
	if f.Values == nil {
		return false
	}
	for _, x := range f.Values[name] {
		if x == v {
			return true
		}
	}
	return false
}

// newForm returns a form with the submitted values.
func newForm(v url.Values) PageForm { return PageForm{web.Form{Values: v}} }

// fromValidation adds the fields of a use case's validation failure to f:
// the message key is "fault.CODE" (with the code's named values), the HTML
// id comes from order (field name → id), in the order of order, so the
// error summary follows the page. It returns false when err is not a
// validation failure.
func (f *PageForm) fromValidation(err error, order [][2]string) bool {
	v, ok := fault.AsValidation(err)
	if !ok {
		return false
	}
	seen := make([]bool, len(v.Errors))
	for _, o := range order {
		for i, e := range v.Errors {
			if e.Field == o[0] && !seen[i] {
				f.Errors = append(f.Errors, web.FieldError{Field: e.Field, ID: o[1], Message: "fault." + e.Code, Args: e.Args})
				seen[i] = true
			}
		}
	}
	for i, e := range v.Errors {
		if !seen[i] {
			// A field this page does not show (should not happen): a general message.
			f.Fail(e.Field, "fehler", "identity.form.error.other")
		}
	}
	return true
}

// Notice is a success message shown on the next page, chosen by the hinweis
// query parameter from a fixed set (nothing personal in the URL).
func notice(r *http.Request, allowed ...string) string {
	n := r.URL.Query().Get("hinweis")
	for _, a := range allowed {
		if n == a {
			return "identity.notice." + n
		}
	}
	return ""
}

// noStore keeps a page with a secret out of every cache.
func noStore(w http.ResponseWriter) { w.Header().Set("Cache-Control", "no-store") }

// summary joins the errors of the forms of one page for its one error summary.
func summary(forms ...PageForm) web.Form {
	var f web.Form
	for _, x := range forms {
		f.Errors = append(f.Errors, x.Errors...)
	}
	return f
}

// Summary is the page's error summary (profile and deletion forms).
func (p AccountPage) Summary() web.Form { return summary(p.Profile, p.TokenForm, p.Delete) }

// Summary is the page's error summary (unit and member forms).
func (p UnitsPage) Summary() web.Form { return summary(p.Form, p.Member) }

// Summary is the page's error summary (create and roles forms).
func (p StaffPage) Summary() web.Form { return summary(p.Form, p.RolesForm) }
