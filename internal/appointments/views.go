package appointments

import (
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/i18n"
	"github.com/rathaus/rathaus/internal/platform/web"
)

//go:embed messages/*.json
var messageFS embed.FS

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/*.js
var staticFS embed.FS

// Messages are the module's message files (de.json, en.json) for
// i18n.Catalog.Load; every key starts with "appointments.".
func Messages() fs.FS {
	sub, err := fs.Sub(messageFS, "messages")
	if err != nil {
		panic(err)
	}
	return sub
}

// Pages are the module's page templates (templates/NAME.html, each parsed
// with templates/partials.html).
var Pages = []string{
	"appointments_index", "appointments_location", "appointments_calendar", "appointments_book", "appointments_manage",
	"appointments_confirm", "appointments_lottery", "appointments_waitlist_form", "appointments_waitlist", "appointments_service",
	"appointments_kiosk", "appointments_ticket", "appointments_display", "appointments_problem",
	"appointments_staff", "appointments_staff_location", "appointments_staff_day", "appointments_staff_counter", "appointments_staff_figures",
}

// AddTemplates parses the module's pages into the renderer.
func AddTemplates(r *web.Renderer) error {
	for _, name := range Pages {
		if err := r.Add(name, templateFS, "templates/"+name+".html", "templates/partials.html"); err != nil {
			return err
		}
	}
	return nil
}

func (h *Handler) shell(r *http.Request, area web.Area) web.Shell {
	var s web.Shell
	if h.Shell != nil {
		s = h.Shell(r)
	}
	s.Area = area
	return s
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) error {
	w.Header().Set("Cache-Control", "no-store")
	return h.Pages.Render(w, r, status, name, h.shell(r, web.AreaCitizen), data)
}

func (h *Handler) renderStaff(w http.ResponseWriter, r *http.Request, status int, name string, data any) error {
	w.Header().Set("Cache-Control", "no-store")
	return h.Pages.Render(w, r, status, name, h.shell(r, web.AreaStaff), data)
}

func (h *Handler) printer(r *http.Request) *i18n.Printer { return h.Pages.Printer(r) }

// when formats an appointment's time: "Dienstag, 3. März 2026, 09:00–09:30 Uhr".
func when(p *i18n.Printer, start, end time.Time) string {
	start, end = start.In(calendar.Berlin), end.In(calendar.Berlin)
	return p.T("appointments.when", weekday(p, start), p.DateLong(start), start.Format("15:04"), end.Format("15:04"))
}

func weekday(p *i18n.Printer, t time.Time) string {
	wd := int(t.Weekday())
	if wd == 0 {
		wd = 7
	}
	return p.T(fmt.Sprintf("appointments.weekday.%d", wd))
}

func monthName(p *i18n.Printer, y int, m time.Month) string {
	return p.T(fmt.Sprintf("appointments.month.%d", int(m))) + " " + fmt.Sprint(y)
}

// PageForm is a web.Form with a helper describing one field for the
// module's partial templates.
type PageForm struct {
	web.Form
}

// Field is one input as the partial "ap-input" renders it.
type Field struct {
	Name, ID, Label, Hint, Type, Autocomplete, Value, Error string
	Args                                                    map[string]any
	Optional                                                bool
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

// Input describes a field of the form.
func (f PageForm) Input(name, id, label, hint, typ, autocomplete string) Field {
	fd := Field{Name: name, ID: id, Label: label, Hint: hint, Type: typ, Autocomplete: autocomplete, Value: f.Value(name)}
	for _, e := range f.Errors {
		if e.Field == name {
			fd.Error, fd.Args = e.Message, e.Args
			break
		}
	}
	return fd
}

// ErrorArgs are the named values of a field's error sentence.
func (f PageForm) ErrorArgs(name string) map[string]any {
	for _, e := range f.Errors {
		if e.Field == name {
			return e.Args
		}
	}
	return nil
}

// collapse moves the errors of nested fields onto their parent
// ("services.0.count" → "services"), for pages that show the parent only.
func collapse(v *fault.Validation, parents ...string) *fault.Validation {
	out := &fault.Validation{}
	seen := map[string]bool{}
	for _, e := range v.Errors {
		for _, p := range parents {
			if strings.HasPrefix(e.Field, p+".") {
				e.Field = p
			}
		}
		if seen[e.Field+"|"+e.Code] {
			continue
		}
		seen[e.Field+"|"+e.Code] = true
		out.Errors = append(out.Errors, e)
	}
	return out
}

// Selection is a chosen combination of services as pages show it.
type Selection struct {
	Services []BookedService
	Minutes  int
	Params   []string // "L-…:2" values of the leistung parameter
}

// Query is the selection as URL parameters (leistung=…&leistung=…).
func (s Selection) Query() string {
	q := url.Values{}
	for _, p := range s.Params {
		q.Add("leistung", p)
	}
	return q.Encode()
}

// Names lists the services with their counts ("Reisepass (2×)").
func (s Selection) Names() string {
	var out []string
	for _, bs := range s.Services {
		n := bs.Name
		if bs.Count > 1 {
			n = fmt.Sprintf("%s (%d×)", n, bs.Count)
		}
		out = append(out, n)
	}
	return strings.Join(out, ", ")
}

// LocationView is a location as citizen pages show it.
type LocationView struct {
	Ref, Name, Address string
	Accessibility      []string // paragraphs
	Lottery            bool
	LotteryMinutes     int
	PoW                bool
	Services           []ServiceOption
}

// ServiceOption is a service offered at a location (the selection form).
type ServiceOption struct {
	Ref, Name string
	Minutes   int
	MaxCount  int
	Counts    []int
	Chosen    int
}

func paragraphs(s string) []string {
	var out []string
	for _, p := range strings.Split(s, "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (h *Handler) locationView(r *http.Request, l *Location, chosen map[string]int) LocationView {
	v := LocationView{Ref: l.Ref, Name: l.Name, Address: l.Address.String(), Accessibility: paragraphs(l.Accessibility),
		Lottery: l.Strategy == Lottery, LotteryMinutes: l.LotteryMinutes, PoW: l.Protections.PoW}
	for _, ls := range l.Services {
		o := ServiceOption{Ref: ls.Service, Name: h.Svc.ServiceName(r.Context(), l.tenantID, ls.Service), Minutes: ls.Minutes, MaxCount: ls.MaxCount, Chosen: chosen[ls.Service]}
		for i := 0; i <= ls.MaxCount; i++ {
			o.Counts = append(o.Counts, i)
		}
		v.Services = append(v.Services, o)
	}
	return v
}
