package app

import (
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rathaus/rathaus/internal/appointments"
	"github.com/rathaus/rathaus/internal/cases"
	"github.com/rathaus/rathaus/internal/catalog"
	"github.com/rathaus/rathaus/internal/einvoice/inbox"
	"github.com/rathaus/rathaus/internal/feedback"
	"github.com/rathaus/rathaus/internal/forms"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/mailbox"
	"github.com/rathaus/rathaus/internal/payments"
	"github.com/rathaus/rathaus/internal/platform/i18n"
	"github.com/rathaus/rathaus/internal/platform/web"
	"github.com/rathaus/rathaus/internal/records"
)

// site is the web shell: catalogs, assets and templates, parsed once — when
// the HTTP handler is built, so a broken template or catalog stops `serve`
// at start-up — and read-only after that. It is built on first use, not at
// program start, so that commands without pages (einvoice validate, audit
// verify) do not pay for it. renderError, which serve.go hands to the router
// and the middleware as a plain function, needs it without an env.
var site = sync.OnceValue(mustSite)

type shellSite struct {
	cat    *i18n.Catalog
	assets *web.Assets
	r      *web.Renderer
}

// mustSite builds the web shell with every domain's catalog and page
// templates; the domains' handlers get site().r as their Pages.
func mustSite() *shellSite {
	cat, err := i18n.NewCatalog()
	if err != nil {
		panic(err)
	}
	for _, domain := range []fs.FS{
		identity.Messages,
		catalog.Messages(),
		feedback.Messages(),
		forms.Messages(),
		cases.Messages(),
		mailbox.Messages(),
		records.Messages(),
		payments.Messages(),
		inbox.Messages(),
		appointments.Messages(),
	} {
		if err := cat.Load(domain); err != nil {
			panic(err)
		}
	}
	if err := cat.Check(); err != nil {
		panic(err)
	}
	assets := web.NewAssets()
	r, err := web.NewRenderer(cat, assets)
	if err != nil {
		panic(err)
	}
	for _, add := range []func(*web.Renderer) error{
		identity.AddPages,
		catalog.AddTemplates,
		feedback.AddTemplates,
		forms.AddTemplates,
		cases.AddTemplates,
		mailbox.AddTemplates,
		records.AddTemplates,
		payments.AddTemplates,
		inbox.AddTemplates,
		appointments.AddTemplates,
	} {
		if err := add(r); err != nil {
			panic(err)
		}
	}
	r.Fill = fillShell
	r.Credits = append(r.Credits,
		web.Credit{Text: "Leistungsbeschreibungen: © Landeshauptstadt München (EUPL-1.2, via it-at-m/eappointment)"},
		web.Credit{Text: "Lebenslagen und LeiKa-Schlüssel: OZG-Datenbank NRW (MIT)"})
	r.Nav[web.AreaCitizen] = append(r.Nav[web.AreaCitizen],
		web.NavEntry{Href: "/leistungen", Key: "catalog.finder.title"},
		web.NavEntry{Href: "/assistent", Key: "catalog.assistant.title"},
		web.NavEntry{Href: "/termine", Key: "appointments.index.title"},
		web.NavEntry{Href: "/antraege", Key: "forms.applications.title"},
		web.NavEntry{Href: "/postfach", Key: "mailbox.nav"},
		web.NavEntry{Href: "/konto", Key: "identity.account.title"})
	r.Nav[web.AreaStaff] = append(r.Nav[web.AreaStaff],
		web.NavEntry{Href: "/verwaltung/vorgaenge", Key: "cases.nav"}, web.NavEntry{Href: "/verwaltung/akten", Key: "records.nav"},
		web.NavEntry{Href: "/verwaltung/digitalisierung", Key: "catalog.digitisation.title"},
		web.NavEntry{Href: "/verwaltung/formulare", Key: "forms.directory.title"},
		web.NavEntry{Href: "/verwaltung/termine", Key: "appointments.staff.title"},
		web.NavEntry{Href: "/verwaltung/zahlungen", Key: "payments.nav.finance"},
		web.NavEntry{Href: inbox.WorklistPath, Key: "einvoice.worklist.title"},
		web.NavEntry{Href: "/verwaltung/einheiten", Key: "identity.units.title"},
		web.NavEntry{Href: "/verwaltung/mitarbeitende", Key: "identity.staff.title"},
		web.NavEntry{Href: "/verwaltung/tokens", Key: "identity.tokens.title"},
		web.NavEntry{Href: "/verwaltung/einstellungen", Key: "identity.settings.title"})
	return &shellSite{cat: cat, assets: assets, r: r}
}

// pages are the HTML pages of the web shell.
type pages struct {
	site *shellSite
	env  *env
	id   *identity.Handler
}

// mountPages registers the HTML pages of the web shell: home, the legal
// pages with the accessibility feedback form, the staff area's entry, the
// language switch and the static assets.
func mountPages(rt *web.Router, e *env, idh *identity.Handler) {
	p := &pages{site: site(), env: e, id: idh}
	rt.Handle(web.StaticPattern, site().assets)
	rt.Example(web.StaticPattern, site().assets.URL("rathaus.css"))
	rt.HandleFunc("GET /{$}", p.handleHome)
	rt.HandleFunc("GET /impressum", p.handleLegal("legal.imprint.title", func(l identity.Legal) string { return l.Imprint }))
	rt.HandleFunc("GET /datenschutz", p.handleLegal("legal.privacy.title", func(l identity.Legal) string { return l.Privacy }))
	rt.HandleFunc("GET /verwaltung", p.handleStaff)
	rt.HandleFunc("POST /sprache", handleLanguage)
}

// shellFor fills the layout's data from the request's tenant.
func shellFor(r *http.Request) web.Shell {
	name := "Rathaus"
	if t := identity.TenantFrom(r.Context()); t != nil {
		name = t.Name
	}
	return web.Shell{Tenant: name}
}

// fillShell completes every page's shell (web.Renderer.Fill): the tenant's
// name and the town hall's address from its settings — the same on every
// page — and whether the browser carries a session cookie (the header then
// links the account instead of the sign-in; a stale cookie is sent to the
// sign-in by the account page).
func fillShell(r *http.Request, s *web.Shell) {
	if t := identity.TenantFrom(r.Context()); t != nil {
		s.Tenant = t.Name
		a := t.Settings.Address
		lines := []string{t.Name}
		if a.Street != "" {
			lines = append(lines, a.Street)
		}
		if pc := strings.TrimSpace(a.Postcode + " " + a.City); pc != "" {
			lines = append(lines, pc)
		}
		if len(lines) > 1 {
			s.Address = lines
		}
	}
	if c, err := r.Cookie(identity.SessionCookie); err == nil && c.Value != "" {
		s.SignedIn = true
	}
	if s.Area == web.AreaStaff {
		p, known := identity.PrincipalOf(r.Context())
		s.NavAllowed = func(href string) bool { return staffLinkAllowed(href, p, known) }
	}
}

// staffLinkAllowed: a link of the staff navigation is shown when a staff
// task with that address is offered to the person (staff.go), or when no
// task names the address; a role-bound page is hidden while the person is
// unknown.
func staffLinkAllowed(href string, p identity.Principal, known bool) bool {
	bound := false
	for _, t := range staffTasks() {
		if t.Href != href {
			continue
		}
		if len(t.Roles) == 0 || known && p.Has(t.Roles...) {
			return true
		}
		bound = true
	}
	return !bound
}

// HomePage is the view model of the home page: the question first (the
// finder's search box), then what the catalog and the modules offer.
type HomePage struct {
	Street, Postcode, City string
	Today                  time.Time
	Catalog                catalog.Home
	Links                  []HomeLink // from homeLinkSets (home.go)
}

func (p *pages) handleHome(w http.ResponseWriter, r *http.Request) error {
	v := HomePage{Today: p.env.db.Clock.Now(), Links: homeLinks()}
	if err := homeCatalog(r, p.env, &v.Catalog); err != nil {
		return err
	}
	if t := identity.TenantFrom(r.Context()); t != nil {
		a := t.Settings.Address
		v.Street, v.Postcode, v.City = a.Street, a.Postcode, a.City
	}
	return p.site.r.Render(w, r, http.StatusOK, "home", shellFor(r), v)
}

// LegalPage is the view model of the imprint and the privacy notice: the
// tenant's text as paragraphs of lines. The texts are kept in German only
// (tenant settings), so the page marks them lang="de".
type LegalPage struct {
	TitleKey   string
	TextLang   string
	Paragraphs [][]string
}

func (p *pages) handleLegal(titleKey string, text func(identity.Legal) string) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var body string
		if t := identity.TenantFrom(r.Context()); t != nil {
			body = text(t.Settings.Legal)
		}
		return p.site.r.Render(w, r, http.StatusOK, "legal", shellFor(r),
			LegalPage{TitleKey: titleKey, TextLang: string(i18n.De), Paragraphs: web.Paragraphs(body)})
	}
}

// handleLanguage keeps the visitor's language choice in a cookie and sends
// them back to the page they came from (POST, so no state changes on GET;
// the form works without JavaScript). Signed-in users will keep it in their
// session once sessions exist.
func handleLanguage(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	next := web.SafeRedirectPath(r.PostForm.Get("next"))
	if l, ok := i18n.Parse(r.PostForm.Get("lang")); ok {
		http.SetCookie(w, &http.Cookie{Name: i18n.CookieName, Value: string(l), Path: "/",
			MaxAge: 365 * 24 * 3600, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: web.ClientFrom(r).HTTPS})
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// ErrorPage is the view model of an error page. It never carries internal
// error text: the status picks a title and a text from the catalog, and the
// request id lets staff find the log line.
type ErrorPage struct {
	Code              int
	TitleKey, TextKey string
}

func errorPage(status int) ErrorPage {
	k := status
	if !site().cat.Has(i18n.De, "error."+strconv.Itoa(k)+".title") {
		k = 500
		if status < 500 {
			k = 400
		}
	}
	return ErrorPage{Code: status, TitleKey: "error." + strconv.Itoa(k) + ".title", TextKey: "error." + strconv.Itoa(k) + ".text"}
}

// renderError writes the HTML error page in the layout; it never shows
// internal error text.
func renderError(w http.ResponseWriter, r *http.Request, status int) {
	if err := site().r.Render(w, r, status, "error", shellFor(r), errorPage(status)); err != nil {
		web.Logger(r.Context()).Error("render error page", "err", err, "status", status)
		http.Error(w, http.StatusText(status)+" ("+web.RequestID(r.Context())+")", status)
	}
}
