package appointments

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// The staff pages: locations and their settings (admins), the day plan
// with blocks and cancelling a day, the counter, the figures.

func (h *Handler) staffRoutes(rt *web.Router) {
	rt.HandleFunc("GET /verwaltung/termine", h.staffIndex)
	rt.HandleFunc("POST /verwaltung/termine", h.staffCreate)
	rt.HandleFunc("GET /verwaltung/termine/standorte/{id}", h.staffLocation)
	rt.HandleFunc("POST /verwaltung/termine/standorte/{id}", h.staffLocation)
	rt.HandleFunc("GET /verwaltung/termine/standorte/{id}/tag", h.staffDay)
	rt.HandleFunc("POST /verwaltung/termine/standorte/{id}/sperren", h.staffBlock)
	rt.HandleFunc("POST /verwaltung/termine/standorte/{id}/tag-absagen", h.staffCancelDay)
	rt.HandleFunc("GET /verwaltung/termine/standorte/{id}/schalter", h.staffCounter)
	rt.HandleFunc("POST /verwaltung/termine/standorte/{id}/aufrufen", h.staffCallNext)
	rt.HandleFunc("POST /verwaltung/termine/tickets/{id}/fertig", h.staffTicketDone)
	rt.HandleFunc("POST /verwaltung/termine/tickets/{id}/nicht-erschienen", h.staffTicketNoShow)
	rt.HandleFunc("GET /verwaltung/termine/kennzahlen", h.staffFigures)
}

// staffPrincipal is the signed-in staff member; others are refused.
func (h *Handler) staffPrincipal(r *http.Request, roles ...identity.Role) (identity.Principal, *identity.Tenant, error) {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return p, t, err
	}
	if len(roles) == 0 {
		roles = StaffRoles
	}
	if err := p.Require(t.ID, roles...); err != nil {
		if r.PathValue("id") != "" {
			// An object's page: nothing reveals that it exists.
			return p, t, ErrNotFound
		}
		return p, t, err
	}
	return p, t, nil
}

// staffDenied sends visitors who are not signed in to the sign-in page
// (and back); everyone else gets the error.
func (h *Handler) staffDenied(w http.ResponseWriter, r *http.Request, err error) error {
	if errors.Is(err, fault.ErrUnauthorized) && r.Method == http.MethodGet {
		http.Redirect(w, r, "/anmelden?"+url.Values{"return_to": {web.LocalPath(r.URL)}}.Encode(), http.StatusSeeOther)
		return nil
	}
	return err
}

// StaffIndexPage lists the locations with their pages.
type StaffIndexPage struct {
	Locations []LocationView
	Admin     bool
	Form      PageForm
	Figures   string
}

func (h *Handler) staffIndex(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.staffPrincipal(r)
	if err != nil {
		return h.staffDenied(w, r, err)
	}
	return h.renderStaffIndex(w, r, p, t, http.StatusOK, PageForm{})
}

func (h *Handler) renderStaffIndex(w http.ResponseWriter, r *http.Request, p identity.Principal, t *identity.Tenant, status int, f PageForm) error {
	ls, err := h.Svc.Locations(r.Context(), t.ID, true)
	if err != nil {
		return err
	}
	v := StaffIndexPage{Admin: p.Has(identity.RoleAdmin), Form: f}
	for _, l := range ls {
		v.Locations = append(v.Locations, LocationView{Ref: l.Ref, Name: l.Name, Address: l.Address.String(), Lottery: l.Strategy == Lottery, PoW: l.Protections.PoW})
	}
	return h.renderStaff(w, r, status, "appointments_staff", v)
}

func (h *Handler) staffCreate(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.staffPrincipal(r, identity.RoleAdmin)
	if err != nil {
		return err
	}
	l, err := h.Svc.CreateLocation(r.Context(), p, t.ID, LocationInput{Name: r.FormValue("name"), Settings: DefaultSettings()})
	if err != nil {
		fv, ok := fault.AsValidation(err)
		if !ok {
			return err
		}
		f := PageForm{web.Form{Values: r.Form}}
		f.AddFault(fv, "standort-")
		return h.renderStaffIndex(w, r, p, t, http.StatusUnprocessableEntity, f)
	}
	http.Redirect(w, r, "/verwaltung/termine/standorte/"+l.Ref+"?hinweis=angelegt", http.StatusSeeOther)
	return nil
}

// StaffLocationPage is the settings form of a location.
type StaffLocationPage struct {
	Ref, Name string
	Form      PageForm
	Notice    string
	Admin     bool
	Services  []string // names of the offered services, for reading the references
}

func settingsValues(l *Location) url.Values {
	s := l.Settings
	v := url.Values{
		"name": {l.Name}, "street": {s.Address.Street}, "house_number": {s.Address.HouseNumber}, "postcode": {s.Address.Postcode}, "city": {s.Address.City},
		"accessibility": {s.Accessibility}, "slot_minutes": {strconv.Itoa(s.SlotMinutes)}, "horizon_days": {strconv.Itoa(s.HorizonDays)},
		"release_time": {s.ReleaseTime}, "hold_minutes": {strconv.Itoa(s.HoldMinutes)}, "release_strategy": {s.Strategy},
		"lottery_minutes": {strconv.Itoa(s.LotteryMinutes)}, "pow_difficulty": {strconv.Itoa(s.Protections.PoWDifficulty)},
		"max_bookings_per_person": {strconv.Itoa(s.MaxPerPerson)}, "reminder_hours": {strconv.Itoa(s.ReminderHours)},
		"reconfirm_days": {strconv.Itoa(s.ReconfirmDays)}, "no_show_minutes": {strconv.Itoa(s.NoShowMinutes)}, "retention_days": {strconv.Itoa(s.RetentionDays)},
		"services": {FormatServices(s.Services)}, "opening_hours": {FormatRules(s.Rules)}, "exceptions": {FormatExceptions(s.Exceptions)},
	}
	if l.Listed {
		v.Set("listed", "yes")
	}
	if s.Protections.PoW {
		v.Set("pow", "yes")
	}
	if s.Protections.RateLimits {
		v.Set("rate_limits", "yes")
	}
	return v
}

// settingsFromForm reads the form; unreadable numbers and lines are field
// errors.
func settingsFromForm(f url.Values, cur Settings) (string, bool, Settings, *fault.Validation) {
	v := &fault.Validation{}
	s := cur
	num := func(name string) int {
		n, err := strconv.Atoi(strings.TrimSpace(f.Get(name)))
		if err != nil {
			v.Add(name, "not_a_number")
		}
		return n
	}
	s.Address = Address{Street: f.Get("street"), HouseNumber: f.Get("house_number"), Postcode: f.Get("postcode"), City: f.Get("city")}
	s.Accessibility = f.Get("accessibility")
	s.SlotMinutes = num("slot_minutes")
	s.HorizonDays = num("horizon_days")
	s.ReleaseTime = strings.TrimSpace(f.Get("release_time"))
	s.HoldMinutes = num("hold_minutes")
	s.Strategy = f.Get("release_strategy")
	s.LotteryMinutes = num("lottery_minutes")
	s.Protections = Protections{PoW: f.Get("pow") == "yes", PoWDifficulty: num("pow_difficulty"), RateLimits: f.Get("rate_limits") == "yes"}
	s.MaxPerPerson = num("max_bookings_per_person")
	s.ReminderHours = num("reminder_hours")
	s.ReconfirmDays = num("reconfirm_days")
	s.NoShowMinutes = num("no_show_minutes")
	s.RetentionDays = num("retention_days")
	var err error
	if s.Services, err = ParseServices(f.Get("services")); err != nil {
		fv, _ := fault.AsValidation(err)
		v.Merge("", fv)
	}
	if s.Rules, err = ParseRules(f.Get("opening_hours")); err != nil {
		fv, _ := fault.AsValidation(err)
		v.Merge("", fv)
	}
	if s.Exceptions, err = ParseExceptions(f.Get("exceptions")); err != nil {
		fv, _ := fault.AsValidation(err)
		v.Merge("", fv)
	}
	return f.Get("name"), f.Get("listed") == "yes", s, v
}

// fieldOf maps a settings error's JSON path to the form's field.
func fieldOf(field string) string {
	for _, p := range []string{"services", "opening_hours", "exceptions", "blocks"} {
		if strings.HasPrefix(field, p+".") || field == p {
			return p
		}
	}
	if f, ok := strings.CutPrefix(field, "address."); ok {
		return f
	}
	if f, ok := strings.CutPrefix(field, "protections."); ok {
		return f
	}
	return field
}

func (h *Handler) staffLocation(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.staffPrincipal(r)
	if err != nil {
		return h.staffDenied(w, r, err)
	}
	l, err := h.Svc.Location(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	v := StaffLocationPage{Ref: l.Ref, Name: l.Name, Admin: p.Has(identity.RoleAdmin), Form: PageForm{web.Form{Values: settingsValues(l)}}}
	for _, ls := range l.Services {
		v.Services = append(v.Services, ls.Service+" – "+h.Svc.ServiceName(r.Context(), t.ID, ls.Service))
	}
	if n := r.URL.Query().Get("hinweis"); n == "angelegt" || n == "gespeichert" {
		v.Notice = "appointments.staff.notice." + n
	}
	if r.Method != http.MethodPost {
		return h.renderStaff(w, r, http.StatusOK, "appointments_staff_location", v)
	}
	if !v.Admin {
		return fault.ErrForbidden
	}
	if err := r.ParseForm(); err != nil {
		return fmt.Errorf("%w: unreadable form", fault.ErrBadRequest)
	}
	name, listed, st, fv := settingsFromForm(r.PostForm, l.Settings)
	v.Form.Values = r.PostForm
	if fv.Err() == nil {
		_, err = h.Svc.UpdateLocation(r.Context(), p, t.ID, l.Ref, LocationInput{Name: name, Listed: &listed, Settings: st})
		if err == nil {
			http.Redirect(w, r, "/verwaltung/termine/standorte/"+l.Ref+"?hinweis=gespeichert", http.StatusSeeOther)
			return nil
		}
		var ok bool
		if fv, ok = fault.AsValidation(err); !ok {
			return err
		}
	}
	mapped := &fault.Validation{}
	for _, e := range fv.Errors {
		e.Field = fieldOf(e.Field)
		mapped.Errors = append(mapped.Errors, e)
	}
	v.Form.AddFault(mapped, "einstellung-")
	return h.renderStaff(w, r, http.StatusUnprocessableEntity, "appointments_staff_location", v)
}

// StaffDayPage is the day plan.
type StaffDayPage struct {
	Ref, Name string
	Date      string
	Label     string
	Day       *DayView
	Bookings  []StaffBooking
	Queue     []Ticket
	Block     PageForm
	Cancel    PageForm
	Notice    string
	PrevURL   string
	NextURL   string
}

// StaffBooking is a row of the day plan.
type StaffBooking struct {
	Ref, Time, Services, Name, StatusKey, Channel string
	Outside                                       bool
}

func (h *Handler) dayPage(r *http.Request, p identity.Principal, t *identity.Tenant, l *Location, d calendar.Date) (*StaffDayPage, error) {
	day, err := h.Svc.Day(r.Context(), p, t.ID, l.Ref, d)
	if err != nil {
		return nil, err
	}
	pr := h.printer(r)
	base := "/verwaltung/termine/standorte/" + l.Ref + "/tag?datum="
	v := &StaffDayPage{Ref: l.Ref, Name: l.Name, Date: d.String(), Label: weekday(pr, d.In(calendar.Berlin)) + ", " + pr.DateLong(d.In(calendar.Berlin)), Day: day, Queue: day.Queue,
		PrevURL: base + d.AddDays(-1).String(), NextURL: base + d.AddDays(1).String()}
	for _, b := range day.Bookings {
		var names []string
		for _, bs := range b.Services {
			n := bs.Name
			if bs.Count > 1 {
				n = fmt.Sprintf("%s (%d×)", n, bs.Count)
			}
			names = append(names, n)
		}
		v.Bookings = append(v.Bookings, StaffBooking{Ref: b.Ref, Time: b.Start.Format("15:04") + "–" + b.End.Format("15:04"), Services: strings.Join(names, ", "),
			Name: b.Name, StatusKey: "appointments.status." + b.Status, Channel: "appointments.channel." + b.Channel, Outside: b.Outside})
	}
	v.Block.Values = url.Values{"date": {d.String()}, "desks": {"1"}}
	v.Cancel.Values = url.Values{"date": {d.String()}}
	return v, nil
}

func (h *Handler) staffDay(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.staffPrincipal(r)
	if err != nil {
		return h.staffDenied(w, r, err)
	}
	l, err := h.Svc.Location(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	d := calendar.DateOf(h.Svc.now(), calendar.Berlin)
	if s := r.URL.Query().Get("datum"); s != "" {
		if d, err = calendar.ParseDate(s); err != nil {
			return fmt.Errorf("%w: datum must be YYYY-MM-DD", fault.ErrBadRequest)
		}
	}
	v, err := h.dayPage(r, p, t, l, d)
	if err != nil {
		return err
	}
	if n := r.URL.Query().Get("hinweis"); n == "gesperrt" || n == "abgesagt" {
		v.Notice = "appointments.staff.notice." + n
	}
	return h.renderStaff(w, r, http.StatusOK, "appointments_staff_day", v)
}

func (h *Handler) staffBlock(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.staffPrincipal(r)
	if err != nil {
		return err
	}
	l, err := h.Svc.Location(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	desks, derr := strconv.Atoi(r.FormValue("desks"))
	b := Block{Date: r.FormValue("date"), From: r.FormValue("from"), To: r.FormValue("to"), Desks: desks, Reason: strings.TrimSpace(r.FormValue("reason"))}
	if derr == nil {
		_, err = h.Svc.AddBlock(r.Context(), p, t.ID, l.Ref, b)
	} else {
		err = fault.Invalid("desks", "not_a_number")
	}
	if err == nil {
		http.Redirect(w, r, "/verwaltung/termine/standorte/"+l.Ref+"/tag?datum="+b.Date+"&hinweis=gesperrt", http.StatusSeeOther)
		return nil
	}
	fv, ok := fault.AsValidation(err)
	if !ok {
		return err
	}
	d, perr := calendar.ParseDate(b.Date)
	if perr != nil {
		d = calendar.DateOf(h.Svc.now(), calendar.Berlin)
	}
	v, err := h.dayPage(r, p, t, l, d)
	if err != nil {
		return err
	}
	v.Block = PageForm{web.Form{Values: r.Form}}
	v.Block.AddFault(fv, "sperre-")
	return h.renderStaff(w, r, http.StatusUnprocessableEntity, "appointments_staff_day", v)
}

func (h *Handler) staffCancelDay(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.staffPrincipal(r)
	if err != nil {
		return err
	}
	l, err := h.Svc.Location(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	fv := &fault.Validation{}
	d, perr := calendar.ParseDate(r.FormValue("date"))
	if perr != nil {
		fv.Add("date", "invalid_date")
	}
	if r.FormValue("confirm") != "yes" {
		fv.Add("confirm", "required")
	}
	if fv.Err() == nil {
		_, err := h.Svc.CancelDay(r.Context(), p, t.ID, l.Ref, d, r.FormValue("note"))
		if err == nil {
			http.Redirect(w, r, "/verwaltung/termine/standorte/"+l.Ref+"/tag?datum="+d.String()+"&hinweis=abgesagt", http.StatusSeeOther)
			return nil
		}
		var ok bool
		if fv, ok = fault.AsValidation(err); !ok {
			return err
		}
	}
	if perr != nil {
		d = calendar.DateOf(h.Svc.now(), calendar.Berlin)
	}
	v, err := h.dayPage(r, p, t, l, d)
	if err != nil {
		return err
	}
	v.Cancel = PageForm{web.Form{Values: r.Form}}
	v.Cancel.AddFault(fv, "absage-")
	return h.renderStaff(w, r, http.StatusUnprocessableEntity, "appointments_staff_day", v)
}

// StaffCounterPage is a counter's view of the queue.
type StaffCounterPage struct {
	Ref, Name string
	Counter   string
	Queue     []Ticket
	Called    *Ticket // the ticket this counter serves
	Notice    string
	Form      PageForm
	Display   string
	Kiosk     string
}

func (h *Handler) counterPage(r *http.Request, p identity.Principal, t *identity.Tenant, l *Location, counter string) (*StaffCounterPage, error) {
	day, err := h.Svc.Day(r.Context(), p, t.ID, l.Ref, calendar.DateOf(h.Svc.now(), calendar.Berlin))
	if err != nil {
		return nil, err
	}
	v := &StaffCounterPage{Ref: l.Ref, Name: l.Name, Counter: counter, Display: "/termine/aufruf/" + l.Ref, Kiosk: "/termine/kiosk/" + l.Ref}
	for i := range day.Queue {
		tk := day.Queue[i]
		if tk.Status == "called" && tk.Counter == counter && counter != "" {
			c := tk
			v.Called = &c
		}
		if tk.Status == "waiting" || tk.Status == "called" {
			v.Queue = append(v.Queue, tk)
		}
	}
	v.Form.Values = url.Values{"counter": {counter}}
	return v, nil
}

func (h *Handler) staffCounter(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.staffPrincipal(r)
	if err != nil {
		return h.staffDenied(w, r, err)
	}
	l, err := h.Svc.Location(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	counter := strings.TrimSpace(r.URL.Query().Get("schalter"))
	if len(counter) > 20 {
		counter = counter[:20]
	}
	v, err := h.counterPage(r, p, t, l, counter)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("hinweis") == "leer" {
		v.Notice = "appointments.counter.empty"
	}
	return h.renderStaff(w, r, http.StatusOK, "appointments_staff_counter", v)
}

func (h *Handler) staffCallNext(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.staffPrincipal(r)
	if err != nil {
		return err
	}
	l, err := h.Svc.Location(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	counter := r.FormValue("counter")
	tk, err := h.Svc.CallNext(r.Context(), p, t.ID, l.Ref, counter)
	if err != nil {
		fv, ok := fault.AsValidation(err)
		if !ok {
			return err
		}
		v, err := h.counterPage(r, p, t, l, "")
		if err != nil {
			return err
		}
		v.Form = PageForm{web.Form{Values: r.Form}}
		v.Form.AddFault(fv, "schalter-")
		return h.renderStaff(w, r, http.StatusUnprocessableEntity, "appointments_staff_counter", v)
	}
	q := url.Values{"schalter": {strings.TrimSpace(counter)}}
	if tk == nil {
		q.Set("hinweis", "leer")
	}
	http.Redirect(w, r, "/verwaltung/termine/standorte/"+l.Ref+"/schalter?"+q.Encode(), http.StatusSeeOther)
	return nil
}

func (h *Handler) staffTicketDone(w http.ResponseWriter, r *http.Request) error {
	return h.staffFinish(w, r, false)
}

func (h *Handler) staffTicketNoShow(w http.ResponseWriter, r *http.Request) error {
	return h.staffFinish(w, r, true)
}

func (h *Handler) staffFinish(w http.ResponseWriter, r *http.Request, noShow bool) error {
	p, t, err := h.staffPrincipal(r)
	if err != nil {
		return err
	}
	tk, err := h.Svc.FinishTicket(r.Context(), p, t.ID, strings.ToUpper(r.PathValue("id")), noShow)
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/verwaltung/termine/standorte/"+tk.Location+"/schalter?"+url.Values{"schalter": {tk.Counter}}.Encode(), http.StatusSeeOther)
	return nil
}

// StaffFiguresPage shows the figures.
type StaffFiguresPage struct {
	From, To string
	Rows     []FigureRow
	Form     PageForm
}

// FigureRow is one location and day.
type FigureRow struct {
	DayFigures
	Name, Label string
}

func (h *Handler) staffFigures(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.staffPrincipal(r)
	if err != nil {
		return h.staffDenied(w, r, err)
	}
	today := calendar.DateOf(h.Svc.now(), calendar.Berlin)
	from, to := today.AddDays(-30), today
	v := StaffFiguresPage{}
	fv := &fault.Validation{}
	if s := r.URL.Query().Get("von"); s != "" {
		if from, err = calendar.ParseDate(s); err != nil {
			fv.Add("from", "invalid_date")
		}
	}
	if s := r.URL.Query().Get("bis"); s != "" {
		if to, err = calendar.ParseDate(s); err != nil {
			fv.Add("to", "invalid_date")
		}
	}
	v.From, v.To = from.String(), to.String()
	v.Form.Values = url.Values{"von": {r.URL.Query().Get("von")}, "bis": {r.URL.Query().Get("bis")}}
	if v.Form.Value("von") == "" {
		v.Form.Values.Set("von", v.From)
	}
	if v.Form.Value("bis") == "" {
		v.Form.Values.Set("bis", v.To)
	}
	status := http.StatusOK
	var figs []DayFigures
	if fv.Err() == nil {
		figs, err = h.Svc.Figures(r.Context(), p, t.ID, "", from, to)
		if err != nil {
			var ok bool
			if fv, ok = fault.AsValidation(err); !ok {
				return err
			}
		}
	}
	if fv.Err() != nil {
		status = http.StatusUnprocessableEntity
		v.Form.AddFault(fv, "kennzahlen-")
	}
	names := map[string]string{}
	if ls, err := h.Svc.Locations(r.Context(), t.ID, true); err == nil {
		for _, l := range ls {
			names[l.Ref] = l.Name
		}
	}
	pr := h.printer(r)
	for _, f := range figs {
		d, _ := calendar.ParseDate(f.Day)
		v.Rows = append(v.Rows, FigureRow{DayFigures: f, Name: names[f.Location], Label: pr.Date(d.In(calendar.Berlin))})
	}
	return h.renderStaff(w, r, status, "appointments_staff_figures", v)
}
