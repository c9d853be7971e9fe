package appointments

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/i18n"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// The citizen pages. Every one works without JavaScript: the slot search
// is a month table of links, booking is a plain form (without a solved
// challenge the booking is held and confirmed by e-mail), the links of the
// mails lead to pages with one button each. JavaScript only solves the
// challenge (static/pow.js) and keeps the call display live
// (static/display.js).

func (h *Handler) pageRoutes(rt *web.Router) {
	rt.HandleFunc("GET /termine", h.pageIndex)
	rt.HandleFunc("GET /termine/standorte/{id}", h.pageLocation)
	rt.HandleFunc("GET /termine/standorte/{id}/kalender", h.pageCalendar)
	rt.HandleFunc("GET /termine/standorte/{id}/buchen", h.pageBook)
	rt.HandleFunc("POST /termine/standorte/{id}/buchen", h.pageBook)
	rt.HandleFunc("GET /termine/standorte/{id}/warteliste", h.pageWaitlistForm)
	rt.HandleFunc("POST /termine/standorte/{id}/warteliste", h.pageWaitlistForm)
	rt.HandleFunc("GET /termine/leistungen/{id}", h.pageService)
	rt.HandleFunc("GET /termine/buchung/{token}", h.pageManage)
	rt.HandleFunc("GET /termine/buchung/{token}/termin.ics", h.pageICS)
	rt.HandleFunc("POST /termine/buchung/{token}/absagen", h.pageCancel)
	rt.HandleFunc("POST /termine/buchung/{token}/wiederbestaetigen", h.pageReconfirm)
	rt.HandleFunc("GET /termine/buchung/{token}/umbuchen", h.pageRebook)
	rt.HandleFunc("POST /termine/buchung/{token}/umbuchen", h.pageRebook)
	rt.HandleFunc("GET /termine/bestaetigen/{token}", h.pageConfirm)
	rt.HandleFunc("POST /termine/bestaetigen/{token}", h.pageConfirm)
	rt.HandleFunc("GET /termine/los/{token}", h.pageLottery)
	rt.HandleFunc("GET /termine/warteliste/{token}", h.pageWaitlist)
	rt.HandleFunc("POST /termine/warteliste/{token}/bestaetigen", h.pageWaitlistConfirm)
	rt.HandleFunc("POST /termine/warteliste/{token}/verlassen", h.pageWaitlistLeave)
	rt.HandleFunc("GET /termine/kiosk/{id}", h.pageKiosk)
	rt.HandleFunc("POST /termine/kiosk/{id}/anmelden", h.pageKioskCheckIn)
	rt.HandleFunc("POST /termine/kiosk/{id}/ticket", h.pageKioskWalkIn)
	rt.HandleFunc("GET /termine/ticket/{token}", h.pageTicket)
	rt.HandleFunc("GET /termine/aufruf/{id}", h.pageDisplay)
	rt.HandleFunc("GET /termine/aufruf/{id}/live", h.pageDisplayLive)
	rt.Handle("GET /termine/static/{file}", http.HandlerFunc(serveStatic))
	rt.Example("GET /termine/static/{file}", "/termine/static/pow.js")
	h.staffRoutes(rt)
}

// --- index, location, service ---

// IndexPage lists the offices.
type IndexPage struct {
	Locations []LocationView
}

func (h *Handler) pageIndex(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	ls, err := h.Svc.Locations(r.Context(), t.ID, false)
	if err != nil {
		return err
	}
	v := IndexPage{}
	for _, l := range ls {
		v.Locations = append(v.Locations, LocationView{Ref: l.Ref, Name: l.Name, Address: l.Address.String(), Lottery: l.Strategy == Lottery})
	}
	return h.render(w, r, http.StatusOK, "appointments_index", v)
}

// LocationPage shows an office and the form to choose services.
type LocationPage struct {
	Location LocationView
	Form     PageForm
}

func (h *Handler) pageLocation(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	l, err := h.Svc.Location(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "appointments_location", LocationPage{Location: h.locationView(r, l, nil)})
}

// ServicePage leads from a catalog service to its slots: the offices that
// offer it, each with its next free start.
type ServicePage struct {
	Ref, Name string
	Offices   []ServiceOffice
}

// ServiceOffice is an office offering the service.
type ServiceOffice struct {
	Location     LocationView
	CalendarURL  string
	NextWhen     string
	NextURL      string
	Minutes      int
	NotYetNotice bool
}

func (h *Handler) pageService(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	svcRef := strings.ToUpper(r.PathValue("id"))
	info, err := h.Svc.serviceInfo(r.Context(), t.ID, svcRef)
	if err != nil {
		return err
	}
	ls, err := h.Svc.Locations(r.Context(), t.ID, false)
	if err != nil {
		return err
	}
	p := h.printer(r)
	v := ServicePage{Ref: info.Ref, Name: info.Name}
	today := calendar.DateOf(h.Svc.now(), calendar.Berlin)
	for _, l := range ls {
		ls, ok := l.Service(info.Ref)
		if !ok {
			continue
		}
		sel := url.Values{"leistung": {info.Ref}}.Encode()
		o := ServiceOffice{Location: LocationView{Ref: l.Ref, Name: l.Name, Address: l.Address.String(), Lottery: l.Strategy == Lottery},
			CalendarURL: "/termine/standorte/" + l.Ref + "/kalender?" + sel, Minutes: ls.Minutes}
		list, err := h.Svc.Slots(r.Context(), t.ID, SlotQuery{Location: l.Ref, Services: []ServiceCount{{Service: info.Ref, Count: 1}}, From: today, To: today.AddDays(min(l.HorizonDays, MaxSearchDays-1))})
		if err != nil {
			return err
		}
	next:
		for _, d := range list.Days {
			for _, sl := range d.Slots {
				o.NextWhen = when(p, sl.Start, sl.End)
				o.NextURL = "/termine/standorte/" + l.Ref + "/buchen?" + sel + "&" + url.Values{"beginn": {sl.Start.Format(time.RFC3339)}}.Encode()
				break next
			}
		}
		v.Offices = append(v.Offices, o)
	}
	if len(v.Offices) == 0 {
		return ErrNotFound
	}
	return h.render(w, r, http.StatusOK, "appointments_service", v)
}

// --- selection and month view ---

// selection reads the chosen services of a page: "leistung=ID[:N]"
// (repeated) or the location form's "anzahl.ID=N" fields.
func (h *Handler) selection(r *http.Request, l *Location) (Selection, []ServiceCount, error) {
	q := r.URL.Query()
	if r.Method == http.MethodPost {
		q = r.Form
	}
	var scs []ServiceCount
	for _, p := range q["leistung"] {
		sc, ok := ParseServiceParam(p)
		if !ok {
			return Selection{}, nil, fault.Invalid("services", "invalid_service_param")
		}
		scs = append(scs, sc)
	}
	for key, vals := range q {
		ref, ok := strings.CutPrefix(key, "anzahl.")
		if !ok || len(vals) == 0 {
			continue
		}
		n, err := strconv.Atoi(vals[0])
		if err != nil || n < 0 {
			return Selection{}, nil, fault.Invalid("services", "invalid_service_param")
		}
		if n > 0 {
			scs = append(scs, ServiceCount{Service: strings.ToUpper(ref), Count: n})
		}
	}
	slices.SortStableFunc(scs, func(a, b ServiceCount) int { return strings.Compare(a.Service, b.Service) })
	bs, k, err := l.need(scs, "services")
	if err != nil {
		return Selection{}, scs, err
	}
	sel := Selection{Services: bs, Minutes: k * l.SlotMinutes}
	for i := range sel.Services {
		sel.Services[i].Name = h.Svc.ServiceName(r.Context(), l.tenantID, sel.Services[i].Service)
	}
	for _, sc := range scs {
		sel.Params = append(sel.Params, FormatServiceParam(sc))
	}
	return sel, scs, nil
}

// CalendarPage is the month view of free slots.
type CalendarPage struct {
	Location  LocationView
	Selection Selection
	Documents []string
	Month     string // month's name and year
	PrevURL   string
	NextURL   string
	Weekdays  []string
	Weeks     [][]CalDay
	Day       *CalDay
	Times     []TimeLink
	// NoneFree: nothing free in the whole month view; the waitlist helps.
	NoneFree    bool
	WaitlistURL string
	Rebook      *RebookInfo
	Form        PageForm
	Notice      string
}

// RebookInfo is set when the month view moves an existing booking.
type RebookInfo struct {
	Token, When string
}

// CalDay is one cell of the month table.
type CalDay struct {
	Date     string
	Day      int
	Label    string // the date written out, for screen readers
	InMonth  bool
	Status   string // open, full, closed, not_released, past
	Free     int
	URL      string
	Selected bool
	Release  string // when it is released
	Lottery  bool
}

// TimeLink is one free start of the selected day.
type TimeLink struct {
	Label, URL, Value string
}

func (h *Handler) monthView(r *http.Request, l *Location, sel Selection, scs []ServiceCount, base string, rebook *RebookInfo) (*CalendarPage, error) {
	p := h.printer(r)
	now := h.Svc.now()
	today := calendar.DateOf(now, calendar.Berlin)
	q := r.URL.Query()
	month := time.Date(today.Year, today.Month, 1, 12, 0, 0, 0, calendar.Berlin)
	if m := q.Get("monat"); m != "" {
		if t, err := time.ParseInLocation("2006-01", m, calendar.Berlin); err == nil {
			month = t.Add(12 * time.Hour)
		}
	}
	last := l.LastReleasedDay(now)
	if ld := today.AddDays(l.HorizonDays + 1); last.Before(ld) {
		last = ld
	}
	minMonth := time.Date(today.Year, today.Month, 1, 12, 0, 0, 0, calendar.Berlin)
	maxMonth := time.Date(last.Year, last.Month, 1, 12, 0, 0, 0, calendar.Berlin)
	if month.Before(minMonth) {
		month = minMonth
	}
	if month.After(maxMonth) {
		month = maxMonth
	}
	first := calendar.Date{Year: month.Year(), Month: month.Month(), Day: 1}
	end := calendar.Date{Year: month.Year(), Month: month.Month() + 1, Day: 1}.AddDays(-1)
	from := first
	if from.Before(today) {
		from = today
	}
	v := &CalendarPage{Location: h.locationView(r, l, nil), Selection: sel, Month: monthName(p, month.Year(), month.Month()), Rebook: rebook}
	docs := map[string]bool{}
	for _, bs := range sel.Services {
		if info, err := h.Svc.serviceInfo(r.Context(), l.tenantID, bs.Service); err == nil {
			for _, d := range info.Documents {
				if !docs[d] {
					docs[d] = true
					v.Documents = append(v.Documents, d)
				}
			}
		}
	}
	for i := 1; i <= 7; i++ {
		v.Weekdays = append(v.Weekdays, p.T(fmt.Sprintf("appointments.weekday.short.%d", i)))
	}
	monthURL := func(t time.Time) string {
		return base + "?" + sel.Query() + "&monat=" + t.Format("2006-01")
	}
	if month.After(minMonth) {
		v.PrevURL = monthURL(month.AddDate(0, -1, 0))
	}
	if month.Before(maxMonth) {
		v.NextURL = monthURL(month.AddDate(0, 1, 0))
	}
	days := map[string]SlotDay{}
	if !end.Before(from) {
		list, err := h.Svc.Slots(r.Context(), l.tenantID, SlotQuery{Location: l.Ref, Services: scs, From: from, To: end})
		if err != nil {
			return nil, err
		}
		for _, d := range list.Days {
			days[d.Date] = d
		}
	}
	selected := q.Get("tag")
	// Weeks from the Monday on or before the first.
	wd := int(first.Weekday())
	if wd == 0 {
		wd = 7
	}
	start := first.AddDays(-(wd - 1))
	var week []CalDay
	anyFree := false
	for d := start; ; d = d.AddDays(1) {
		cd := CalDay{Date: d.String(), Day: d.Day, InMonth: d.Month == first.Month, Label: weekday(p, d.In(calendar.Berlin)) + ", " + p.DateLong(d.In(calendar.Berlin))}
		if cd.InMonth {
			sd, ok := days[d.String()]
			switch {
			case d.Before(today):
				cd.Status = "past"
			case !ok:
				cd.Status = "closed"
			default:
				cd.Status, cd.Free, cd.Lottery = sd.Status, len(sd.Slots), sd.Lottery
				if sd.ReleaseAt != nil {
					cd.Release = p.DateTime(*sd.ReleaseAt)
				}
			}
			if cd.Status == "open" {
				anyFree = true
				cd.URL = base + "?" + sel.Query() + "&monat=" + month.Format("2006-01") + "&tag=" + d.String() + "#zeiten"
				if selected == "" {
					selected = d.String()
				}
			}
			cd.Selected = selected == d.String() && cd.Status == "open"
			if cd.Selected {
				c := cd
				v.Day = &c
				for _, sl := range sd.Slots {
					tl := TimeLink{Label: sl.Start.Format("15:04"), Value: sl.Start.Format(time.RFC3339)}
					if rebook == nil {
						tl.URL = "/termine/standorte/" + l.Ref + "/buchen?" + sel.Query() + "&" + url.Values{"beginn": {tl.Value}}.Encode()
					}
					v.Times = append(v.Times, tl)
				}
				v.Day.Label = weekday(p, d.In(calendar.Berlin)) + ", " + p.DateLong(d.In(calendar.Berlin))
			}
		}
		week = append(week, cd)
		if len(week) == 7 {
			v.Weeks = append(v.Weeks, week)
			week = nil
			if end.Before(d.AddDays(1)) {
				break
			}
		}
	}
	v.NoneFree = !anyFree
	v.WaitlistURL = "/termine/standorte/" + l.Ref + "/warteliste?" + sel.Query()
	return v, nil
}

func (h *Handler) pageCalendar(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	l, err := h.Svc.Location(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	sel, scs, err := h.selection(r, l)
	if err != nil {
		if v, ok := fault.AsValidation(err); ok {
			// Back to the choice of services, with the problem at the form.
			lp := LocationPage{Location: h.locationView(r, l, countsOf(scs))}
			lp.Form.AddFault(v, "waehlen-")
			return h.render(w, r, http.StatusUnprocessableEntity, "appointments_location", lp)
		}
		return err
	}
	v, err := h.monthView(r, l, sel, scs, "/termine/standorte/"+l.Ref+"/kalender", nil)
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "appointments_calendar", v)
}

func countsOf(scs []ServiceCount) map[string]int {
	m := map[string]int{}
	for _, sc := range scs {
		m[sc.Service] = sc.Count
	}
	return m
}

// --- booking ---

// BookPage is the booking form for one start.
type BookPage struct {
	Location    LocationView
	Selection   Selection
	Documents   []string
	When        string
	Start       string // RFC 3339, the form's hidden value
	SignedIn    bool
	Email       string // of the signed-in account
	PoW         bool
	PoWScript   string
	Challenge   string // URL of the challenge
	Form        PageForm
	Gone        bool   // the slot was taken meanwhile
	CalendarURL string // back to the month view
	Limited     bool   // rate-limited
}

func (h *Handler) pageBook(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	l, err := h.Svc.Location(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			return fmt.Errorf("%w: unreadable form", fault.ErrBadRequest)
		}
	}
	sel, scs, err := h.selection(r, l)
	if err != nil {
		return err
	}
	raw := r.FormValue("beginn")
	start, err := time.Parse(time.RFC3339, raw)
	if err != nil {
		return fmt.Errorf("%w: beginn must be an RFC 3339 time", fault.ErrBadRequest)
	}
	p, _, perr := h.optionalPrincipal(r)
	if perr != nil {
		p = identity.Principal{}
	}
	v := BookPage{Location: h.locationView(r, l, nil), Selection: sel, When: when(h.printer(r), start, start.Add(time.Duration(sel.Minutes)*time.Minute)),
		Start: start.Format(time.RFC3339), SignedIn: p.IsPerson(), PoW: l.Protections.PoW, PoWScript: "/termine/static/pow.js",
		Challenge: "/api/v1/appointments/challenge?location=" + l.Ref, CalendarURL: "/termine/standorte/" + l.Ref + "/kalender?" + sel.Query() + "&tag=" + calendar.DateOf(start, calendar.Berlin).String()}
	v.Form.Values = r.Form
	if v.SignedIn {
		v.Email, _ = h.Svc.Identity.ContactEmail(r.Context(), p)
	}
	seen := map[string]bool{}
	for _, bs := range sel.Services {
		if info, err := h.Svc.serviceInfo(r.Context(), l.tenantID, bs.Service); err == nil {
			for _, d := range info.Documents {
				if !seen[d] {
					seen[d] = true
					v.Documents = append(v.Documents, d)
				}
			}
		}
	}
	if r.Method != http.MethodPost {
		return h.render(w, r, http.StatusOK, "appointments_book", v)
	}
	out, err := h.Svc.Book(r.Context(), p, t.ID, BookingRequest{Location: l.Ref, Services: scs, Start: start, Email: r.FormValue("email"), Name: r.FormValue("name"),
		PoW: r.FormValue("altcha"), Lang: string(i18n.FromRequest(r)), BaseURL: h.baseURL(r), ClientAddr: clientAddr(r), NoScript: r.FormValue("altcha") == ""})
	var rl *fault.RateLimited
	switch {
	case err == nil:
	case errors.Is(err, ErrSlotTaken):
		v.Gone = true
		return h.render(w, r, http.StatusConflict, "appointments_book", v)
	case errors.As(err, &rl):
		v.Limited = true
		w.Header().Set("Retry-After", strconv.Itoa(rl.RetryAfterSeconds()))
		return h.render(w, r, http.StatusTooManyRequests, "appointments_book", v)
	default:
		fv, ok := fault.AsValidation(err)
		if !ok {
			return err
		}
		v.Form.AddFault(fv, "buchen-")
		return h.render(w, r, http.StatusUnprocessableEntity, "appointments_book", v)
	}
	if out.Entry != nil {
		http.Redirect(w, r, "/termine/los/"+out.Entry.Token, http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/termine/buchung/"+out.Booking.Token+"?hinweis=gebucht", http.StatusSeeOther)
	return nil
}

// --- manage, confirm, rebook ---

// ManagePage shows one booking behind its signed link.
type ManagePage struct {
	Booking   *Booking
	When      string
	Location  LocationView
	Services  string
	Documents []string
	Token     string
	Active    bool // can be cancelled and rebooked
	Notice    string
	StatusKey string
	HoldUntil string
	Reconfirm bool
}

func (h *Handler) manageView(r *http.Request, b *Booking) (ManagePage, error) {
	l, err := h.Svc.Location(r.Context(), b.tenantID, b.Location)
	if err != nil {
		return ManagePage{}, err
	}
	p := h.printer(r)
	v := ManagePage{Booking: b, When: when(p, b.Start, b.End), Location: h.locationView(r, l, nil), Token: b.Token,
		StatusKey: "appointments.status." + b.Status, Reconfirm: b.Reconfirm}
	var names []string
	seen := map[string]bool{}
	for _, bs := range b.Services {
		n := bs.Name
		if bs.Count > 1 {
			n = fmt.Sprintf("%s (%d×)", n, bs.Count)
		}
		names = append(names, n)
		if info, err := h.Svc.serviceInfo(r.Context(), b.tenantID, bs.Service); err == nil {
			for _, d := range info.Documents {
				if !seen[d] {
					seen[d] = true
					v.Documents = append(v.Documents, d)
				}
			}
		}
	}
	v.Services = strings.Join(names, ", ")
	v.Active = (b.Status == StatusHeld || b.Status == StatusConfirmed) && b.Start.After(h.Svc.now())
	if b.HoldExpiresAt != nil {
		v.HoldUntil = p.DateTime(*b.HoldExpiresAt)
	}
	return v, nil
}

var notices = []string{"gebucht", "bestaetigt", "abgesagt", "umgebucht", "wiederbestaetigt"}

func notice(r *http.Request) string {
	n := r.URL.Query().Get("hinweis")
	if slices.Contains(notices, n) {
		return "appointments.notice." + n
	}
	return ""
}

func (h *Handler) pageManage(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	b, err := h.Svc.BookingByToken(r.Context(), t.ID, r.PathValue("token"))
	if err != nil {
		return h.linkProblem(w, r, err)
	}
	v, err := h.manageView(r, b)
	if err != nil {
		return err
	}
	v.Notice = notice(r)
	w.Header().Set("Referrer-Policy", "no-referrer")
	return h.render(w, r, http.StatusOK, "appointments_manage", v)
}

// ProblemPage explains a link that does not work or an action refused.
type ProblemPage struct {
	TitleKey, TextKey string
	Back              string
}

// linkProblem answers a refused link with a page that says what happened
// (404 for a tampered or unknown link).
func (h *Handler) linkProblem(w http.ResponseWriter, r *http.Request, err error) error {
	switch {
	case errors.Is(err, ErrBadLink), errors.Is(err, ErrNotFound):
		return h.render(w, r, http.StatusNotFound, "appointments_problem", ProblemPage{TitleKey: "appointments.problem.link.title", TextKey: "appointments.problem.link.text", Back: "/termine"})
	case errors.Is(err, ErrHoldExpired):
		return h.render(w, r, http.StatusConflict, "appointments_problem", ProblemPage{TitleKey: "appointments.problem.expired.title", TextKey: "appointments.problem.expired.text", Back: "/termine"})
	case errors.Is(err, ErrNotActive):
		return h.render(w, r, http.StatusConflict, "appointments_problem", ProblemPage{TitleKey: "appointments.problem.inactive.title", TextKey: "appointments.problem.inactive.text", Back: "/termine"})
	case fault.HasCode(err, "start", "date_in_past"):
		return h.render(w, r, http.StatusUnprocessableEntity, "appointments_problem", ProblemPage{TitleKey: "appointments.problem.past.title", TextKey: "appointments.problem.past.text", Back: "/termine"})
	}
	return err
}

func (h *Handler) pageICS(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	b, err := h.Svc.BookingByToken(r.Context(), t.ID, r.PathValue("token"))
	if err != nil {
		return h.linkProblem(w, r, err)
	}
	if b.Status != StatusConfirmed {
		return h.linkProblem(w, r, ErrNotActive)
	}
	l, err := h.Svc.Location(r.Context(), t.ID, b.Location)
	if err != nil {
		return err
	}
	var names []string
	for _, bs := range b.Services {
		names = append(names, bs.Name)
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="termin.ics"`)
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write([]byte(ICS(b, l, strings.Join(names, ", "), h.Svc.now())))
	return err
}

func (h *Handler) pageCancel(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	b, err := h.Svc.CancelByToken(r.Context(), t.ID, r.PathValue("token"))
	if err != nil {
		return h.linkProblem(w, r, err)
	}
	http.Redirect(w, r, "/termine/buchung/"+b.Token+"?hinweis=abgesagt", http.StatusSeeOther)
	return nil
}

func (h *Handler) pageReconfirm(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	b, err := h.Svc.Reconfirm(r.Context(), t.ID, r.PathValue("token"))
	if err != nil {
		return h.linkProblem(w, r, err)
	}
	http.Redirect(w, r, "/termine/buchung/"+b.Token+"?hinweis=wiederbestaetigt", http.StatusSeeOther)
	return nil
}

func (h *Handler) pageRebook(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	token := r.PathValue("token")
	b, err := h.Svc.BookingByToken(r.Context(), t.ID, token)
	if err != nil {
		return h.linkProblem(w, r, err)
	}
	if b.Status != StatusHeld && b.Status != StatusConfirmed {
		return h.linkProblem(w, r, ErrNotActive)
	}
	l, err := h.Svc.Location(r.Context(), t.ID, b.Location)
	if err != nil {
		return err
	}
	var scs []ServiceCount
	for _, bs := range b.Services {
		scs = append(scs, ServiceCount{Service: bs.Service, Count: bs.Count})
	}
	bs, k, err := l.need(scs, "services")
	if err != nil {
		return err
	}
	sel := Selection{Services: bs, Minutes: k * l.SlotMinutes}
	for i := range sel.Services {
		sel.Services[i].Name = h.Svc.ServiceName(r.Context(), t.ID, sel.Services[i].Service)
	}
	for _, sc := range scs {
		sel.Params = append(sel.Params, FormatServiceParam(sc))
	}
	info := &RebookInfo{Token: token, When: when(h.printer(r), b.Start, b.End)}
	status := http.StatusOK
	var form PageForm
	if r.Method == http.MethodPost {
		start, perr := time.Parse(time.RFC3339, r.FormValue("beginn"))
		if perr != nil {
			return fmt.Errorf("%w: beginn must be an RFC 3339 time", fault.ErrBadRequest)
		}
		nb, err := h.Svc.RebookByToken(r.Context(), t.ID, token, start)
		switch {
		case err == nil:
			http.Redirect(w, r, "/termine/buchung/"+nb.Token+"?hinweis=umgebucht", http.StatusSeeOther)
			return nil
		case errors.Is(err, ErrSlotTaken):
			status = http.StatusConflict
			form.Fail("beginn", "zeiten", "appointments.book.gone")
		default:
			fv, ok := fault.AsValidation(err)
			if !ok {
				return h.linkProblem(w, r, err)
			}
			status = http.StatusUnprocessableEntity
			form.AddFault(fv, "umbuchen-")
		}
	}
	v, err := h.monthView(r, l, sel, scs, "/termine/buchung/"+token+"/umbuchen", info)
	if err != nil {
		return err
	}
	v.Form = form
	w.Header().Set("Referrer-Policy", "no-referrer")
	return h.render(w, r, status, "appointments_calendar", v)
}

func (h *Handler) pageConfirm(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	token := r.PathValue("token")
	if r.Method == http.MethodPost {
		b, err := h.Svc.Confirm(r.Context(), t.ID, token)
		if err != nil {
			return h.linkProblem(w, r, err)
		}
		k, err := h.Svc.keys(r.Context(), t.ID)
		if err != nil {
			return err
		}
		http.Redirect(w, r, "/termine/buchung/"+makeToken(k.link, purposeManage, b.Ref)+"?hinweis=bestaetigt", http.StatusSeeOther)
		return nil
	}
	b, err := h.Svc.BookingForConfirmation(r.Context(), t.ID, token)
	if err != nil {
		return h.linkProblem(w, r, err)
	}
	v, err := h.manageView(r, b)
	if err != nil {
		return err
	}
	v.Token = token
	w.Header().Set("Referrer-Policy", "no-referrer")
	return h.render(w, r, http.StatusOK, "appointments_confirm", v)
}

// --- lottery, waitlist ---

// LotteryPage shows a lottery entry.
type LotteryPage struct {
	Entry      *LotteryEntry
	DrawAt     string
	Wish       string
	Location   string
	BookingURL string
}

func (h *Handler) pageLottery(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	e, err := h.Svc.Entry(r.Context(), t.ID, r.PathValue("token"))
	if err != nil {
		return h.linkProblem(w, r, err)
	}
	p := h.printer(r)
	v := LotteryPage{Entry: e, DrawAt: p.DateTime(e.DrawAt), Wish: weekday(p, e.Start) + ", " + p.DateTime(e.Start)}
	if l, err := h.Svc.Location(r.Context(), t.ID, e.Location); err == nil {
		v.Location = l.Name
	}
	if e.Booking != "" {
		k, err := h.Svc.keys(r.Context(), t.ID)
		if err != nil {
			return err
		}
		v.BookingURL = "/termine/buchung/" + makeToken(k.link, purposeManage, e.Booking)
	}
	w.Header().Set("Referrer-Policy", "no-referrer")
	return h.render(w, r, http.StatusOK, "appointments_lottery", v)
}

// WaitlistFormPage registers a wish.
type WaitlistFormPage struct {
	Location  LocationView
	Selection Selection
	Form      PageForm
	SignedIn  bool
	Limited   bool
}

func (h *Handler) pageWaitlistForm(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	l, err := h.Svc.Location(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			return fmt.Errorf("%w: unreadable form", fault.ErrBadRequest)
		}
	}
	sel, scs, err := h.selection(r, l)
	if err != nil {
		return err
	}
	p, _, perr := h.optionalPrincipal(r)
	if perr != nil {
		p = identity.Principal{}
	}
	today := calendar.DateOf(h.Svc.now(), calendar.Berlin)
	v := WaitlistFormPage{Location: h.locationView(r, l, nil), Selection: sel, SignedIn: p.IsPerson()}
	v.Form.Values = url.Values{"von": {today.AddDays(1).String()}, "bis": {today.AddDays(14).String()}}
	if r.Method != http.MethodPost {
		return h.render(w, r, http.StatusOK, "appointments_waitlist_form", v)
	}
	v.Form.Values = r.Form
	fv := &fault.Validation{}
	from, err1 := calendar.ParseDate(r.FormValue("von"))
	to, err2 := calendar.ParseDate(r.FormValue("bis"))
	if err1 != nil {
		fv.Add("from", "invalid_date")
	}
	if err2 != nil {
		fv.Add("to", "invalid_date")
	}
	var e *WaitlistEntry
	if err = fv.Err(); err == nil {
		e, err = h.Svc.JoinWaitlist(r.Context(), p, t.ID, WaitlistRequest{Location: l.Ref, Services: scs, From: from, To: to, Email: r.FormValue("email"),
			Lang: string(i18n.FromRequest(r)), BaseURL: h.baseURL(r), ClientAddr: clientAddr(r)})
	}
	var rl *fault.RateLimited
	switch {
	case err == nil:
		http.Redirect(w, r, "/termine/warteliste/"+e.Token, http.StatusSeeOther)
		return nil
	case errors.As(err, &rl):
		v.Limited = true
		return h.render(w, r, http.StatusTooManyRequests, "appointments_waitlist_form", v)
	}
	fvv, ok := fault.AsValidation(err)
	if !ok {
		return err
	}
	v.Form.AddFault(fvv, "warteliste-")
	return h.render(w, r, http.StatusUnprocessableEntity, "appointments_waitlist_form", v)
}

// WaitlistPage shows a waitlist entry behind its link.
type WaitlistPage struct {
	Entry      *WaitlistEntry
	Location   string
	Services   string
	From, To   string
	Token      string
	BookingURL string
}

func (h *Handler) waitlistView(r *http.Request, e *WaitlistEntry) WaitlistPage {
	p := h.printer(r)
	v := WaitlistPage{Entry: e, Token: e.Token}
	if l, err := h.Svc.Location(r.Context(), e.tenantID, e.Location); err == nil {
		v.Location = l.Name
	}
	var names []string
	for _, bs := range e.Services {
		names = append(names, bs.Name)
	}
	v.Services = strings.Join(names, ", ")
	if d, err := calendar.ParseDate(e.From); err == nil {
		v.From = p.Date(d.In(calendar.Berlin))
	}
	if d, err := calendar.ParseDate(e.To); err == nil {
		v.To = p.Date(d.In(calendar.Berlin))
	}
	if e.Booking != "" {
		if k, err := h.Svc.keys(r.Context(), e.tenantID); err == nil {
			purpose := purposeManage
			if e.Status == "offered" {
				purpose = purposeConfirm
			}
			v.BookingURL = map[string]string{purposeManage: "/termine/buchung/", purposeConfirm: "/termine/bestaetigen/"}[purpose] + makeToken(k.link, purpose, e.Booking)
		}
	}
	return v
}

func (h *Handler) pageWaitlist(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	e, err := h.Svc.WaitlistByToken(r.Context(), t.ID, r.PathValue("token"))
	if err != nil {
		return h.linkProblem(w, r, err)
	}
	w.Header().Set("Referrer-Policy", "no-referrer")
	return h.render(w, r, http.StatusOK, "appointments_waitlist", h.waitlistView(r, e))
}

func (h *Handler) pageWaitlistConfirm(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	e, err := h.Svc.ConfirmWaitlist(r.Context(), t.ID, r.PathValue("token"))
	if err != nil {
		return h.linkProblem(w, r, err)
	}
	http.Redirect(w, r, "/termine/warteliste/"+e.Token, http.StatusSeeOther)
	return nil
}

func (h *Handler) pageWaitlistLeave(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	e, err := h.Svc.LeaveWaitlist(r.Context(), t.ID, r.PathValue("token"))
	if err != nil {
		return h.linkProblem(w, r, err)
	}
	http.Redirect(w, r, "/termine/warteliste/"+e.Token, http.StatusSeeOther)
	return nil
}
