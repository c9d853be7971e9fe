package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/rathaus/rathaus/internal/platform/i18n"
)

// The layout and the web shell's own pages. A domain adds its pages with
// (*Renderer).Add from its own embedded templates/ folder.
//
//go:embed templates
var templateFS embed.FS

// Shell is what the layout shows around every page; the composition root
// fills it from the request (tenant, path).
type Shell struct {
	Tenant    string // the municipality's name
	Path      string // path and query of the page, where the language switch returns to
	RequestID string
	Area      Area // which part of the site the page belongs to
	// SignedIn: the browser carries a session (the header then offers the
	// account instead of "Anmelden"); Address is the town hall's address,
	// shown in the footer of every page. Both are filled by Renderer.Fill.
	SignedIn bool
	Address  []string
	// NavAllowed, when set, leaves out navigation entries the person may
	// not open (a staff member without the role of a page).
	NavAllowed func(href string) bool
}

// Area is the part of the site a page belongs to (marked in the header).
type Area string

// The areas of the site.
const (
	AreaCitizen Area = "citizen"
	AreaStaff   Area = "staff"
)

// View is the data of every template: the shell, the page's typed model
// (Data) and the language's translator and formatters as methods, so that
// templates write {{.T "key"}}, {{.Date .Data.Due}}, {{.Money .Data.Fee "EUR"}}.
type View struct {
	Shell
	Data    any
	Status  int
	p       *i18n.Printer
	assets  *Assets
	credits []Credit
	nav     map[Area][]NavEntry
}

// Credits are the data sources credited in the footer.
func (v View) Credits() []Credit { return v.credits }

// T translates a message key of the catalogs.
func (v View) T(key string, args ...any) string { return v.p.T(key, args...) }

// TF translates a key whose sentence has named arguments ({max}); with no
// arguments it is T.
func (v View) TF(key string, args map[string]any) string {
	if len(args) == 0 {
		return v.p.T(key)
	}
	return v.p.TNamed(key, args)
}

// Lang is the page's language code ("de", "en").
func (v View) Lang() string { return string(v.p.Lang()) }

// Date formats a day in the page's language.
func (v View) Date(t time.Time) string { return v.p.Date(t) }

// DateTime formats an instant in the page's language.
func (v View) DateTime(t time.Time) string { return v.p.DateTime(t) }

// Money formats an amount in the page's language.
func (v View) Money(d decimal.Decimal, currency string) string { return v.p.Money(d, currency) }

// Asset is the cacheable URL of a static asset.
func (v View) Asset(name string) string { return v.assets.URL(name) }

// LangChoice is one entry of the language switch.
type LangChoice struct {
	Code, Name string
	Current    bool
}

// Langs lists the languages for the switch, each named in itself.
func (v View) Langs() []LangChoice {
	var out []LangChoice
	for _, l := range i18n.Langs {
		out = append(out, LangChoice{Code: string(l), Name: v.p.T("lang.name." + string(l)), Current: l == v.p.Lang()})
	}
	return out
}

// NavLink is an entry of the main navigation.
type NavLink struct {
	Href, Label string
	Current     bool
}

// NavEntry is an entry of an area's main navigation, registered by the
// composition root for a domain's start page (Renderer.Nav).
type NavEntry struct {
	Href string
	Key  string // catalog key of the label
}

// Nav is the main navigation of the page's area; the entry whose path
// starts the page's path is marked current.
func (v View) Nav() []NavLink {
	var links []NavLink
	best := -1
	for _, e := range v.nav[v.Area] {
		if v.NavAllowed != nil && !v.NavAllowed(e.Href) {
			continue
		}
		links = append(links, NavLink{Href: e.Href, Label: v.p.T(e.Key)})
		p := pathOnly(v.Path)
		if p == e.Href || (e.Href != "/" && strings.HasPrefix(p, e.Href+"/")) {
			if best < 0 || len(e.Href) > len(links[best].Href) {
				best = len(links) - 1
			}
		}
	}
	if best >= 0 {
		links[best].Current = true
	}
	return links
}

// MoneyString formats an amount given as a decimal string ("30.50").
func (v View) MoneyString(amount, currency string) string { return v.p.MoneyString(amount, currency) }

func pathOnly(p string) string {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		return p[:i]
	}
	return p
}

// Renderer executes page templates inside the layout. Templates are parsed
// once at start-up; a broken template fails NewRenderer or Add, not a request.
type Renderer struct {
	cat    *i18n.Catalog
	assets *Assets
	layout *template.Template
	pages  map[string]*template.Template
	// Credits name the sources of data shown on the site (catalog, holidays,
	// ...); the composition root adds them, the footer lists them.
	Credits []Credit
	// Nav is the main navigation of each area; the composition root appends
	// a domain's start page at start-up.
	Nav map[Area][]NavEntry
	// Fill completes every page's shell from the request (the tenant's
	// name and address, whether a session cookie is present), whichever
	// domain built it, so the header and footer are the same on every page.
	Fill func(r *http.Request, s *Shell)
}

// Credit names a data source in the footer.
type Credit struct {
	Text string // as the source asks to be credited (not translated)
	Href string // optional link to the source or its licence
}

// ShellPages are the web shell's own page templates (templates/NAME.html).
var ShellPages = []string{"home", "error", "legal", "staff"}

// NewRenderer parses the layout and the shell's pages.
func NewRenderer(cat *i18n.Catalog, assets *Assets) (*Renderer, error) {
	layout, err := template.New("layout.html").Option("missingkey=error").ParseFS(templateFS, "templates/layout.html", "templates/partials.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse layout: %w", err)
	}
	rr := &Renderer{cat: cat, assets: assets, layout: layout, pages: map[string]*template.Template{},
		Nav: map[Area][]NavEntry{
			AreaCitizen: {{Href: "/", Key: "nav.home"}},
			AreaStaff:   {{Href: "/verwaltung", Key: "nav.staff_home"}},
		}}
	for _, name := range ShellPages {
		if err := rr.Add(name, templateFS, "templates/"+name+".html"); err != nil {
			return nil, err
		}
	}
	return rr, nil
}

// Add parses a page template from fsys: the page's file, which defines
// "title" (the <title> and usually the <h1>) and "content" (inside <main>),
// and any partial files it uses (a domain's shared templates).
func (rr *Renderer) Add(name string, fsys fs.FS, files ...string) error {
	if _, dup := rr.pages[name]; dup {
		return fmt.Errorf("web: page template %q added twice", name)
	}
	if len(files) == 0 {
		return fmt.Errorf("web: page %s has no template file", name)
	}
	t, err := template.Must(rr.layout.Clone()).ParseFS(fsys, files...)
	if err != nil {
		return fmt.Errorf("web: parse page %s: %w", name, err)
	}
	for _, block := range []string{"title", "content"} {
		if t.Lookup(block) == nil {
			return fmt.Errorf("web: page %s defines no %q block", name, block)
		}
	}
	rr.pages[name] = t
	return nil
}

// Pages lists the names of the parsed page templates.
func (rr *Renderer) Pages() []string {
	out := make([]string, 0, len(rr.pages))
	for n := range rr.pages {
		out = append(out, n)
	}
	return out
}

// Printer is the translator of the request's language.
func (rr *Renderer) Printer(r *http.Request) *i18n.Printer {
	return rr.cat.Printer(i18n.FromRequest(r))
}

// View builds the data of a page for the request.
func (rr *Renderer) View(r *http.Request, status int, shell Shell, data any) View {
	if shell.Path == "" {
		shell.Path = LocalPath(r.URL)
	}
	if shell.RequestID == "" {
		shell.RequestID = RequestID(r.Context())
	}
	if shell.Area == "" {
		shell.Area = AreaCitizen
	}
	if rr.Fill != nil {
		rr.Fill(r, &shell)
	}
	return View{Shell: shell, Data: data, Status: status, p: rr.Printer(r), assets: rr.assets, credits: rr.Credits, nav: rr.Nav}
}

// Execute writes page name with the view into a buffer.
func (rr *Renderer) Execute(buf *bytes.Buffer, name string, v View) error {
	t, ok := rr.pages[name]
	if !ok {
		return fmt.Errorf("web: no page template %q", name)
	}
	return t.ExecuteTemplate(buf, "layout.html", v)
}

// Render writes page name with status. Nothing is written when the
// template fails, so the error adapter can still answer with an error page.
func (rr *Renderer) Render(w http.ResponseWriter, r *http.Request, status int, name string, shell Shell, data any) error {
	v := rr.View(r, status, shell, data)
	var buf bytes.Buffer
	if err := rr.Execute(&buf, name, v); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", v.Lang())
	// Pages are per language and may show the visitor's input (a refused
	// form): revalidated always, never stored when not a plain 200. A
	// handler that set Cache-Control itself (no-store on a personal page)
	// keeps it.
	switch {
	case h.Get("Cache-Control") != "":
	case status == http.StatusOK:
		h.Set("Cache-Control", "no-cache")
	default:
		h.Set("Cache-Control", "no-store")
	}
	h.Add("Vary", "Accept-Language, Cookie")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// LocalPath is the path and query of u, without the lang parameter (the
// language switch sets it anew).
func LocalPath(u *url.URL) string {
	q := u.Query()
	q.Del("lang")
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	return p
}

// SafeRedirectPath returns p when it is a path on this site ("/…", not
// "//host" or "/\host"), otherwise "/": the way back after a form must not
// become an open redirect.
func SafeRedirectPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") || strings.ContainsAny(p, "\r\n") {
		return "/"
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return p
}

// Scoped passes a value to a partial template together with the view:
// {{template "error-summary" .With .Data.Form}}; the partial reads .X.
type Scoped struct {
	View
	X any
}

// With returns the view with x for a partial template.
func (v View) With(x any) Scoped { return Scoped{View: v, X: x} }

// Paragraphs splits a plain text at blank lines into paragraphs and each
// paragraph into its lines; the template escapes every line.
func Paragraphs(s string) [][]string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var out [][]string
	for _, block := range strings.Split(s, "\n\n") {
		var lines []string
		for _, l := range strings.Split(block, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				lines = append(lines, l)
			}
		}
		if len(lines) > 0 {
			out = append(out, lines)
		}
	}
	return out
}
