package appointments

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/i18n"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// Handler is the HTTP surface of appointments: the JSON API, the citizen
// pages (booking, links, kiosk, call display) and the staff pages.
type Handler struct {
	Svc      *Service
	Identity *identity.Handler
	// Pages renders the HTML pages; nil mounts the JSON API only.
	Pages *web.Renderer
	// Shell fills the layout of a page from the request (tenant name).
	Shell func(*http.Request) web.Shell
	// BaseURL is the public address of the request's tenant, for links in
	// mails.
	BaseURL func(*http.Request) string
	// LiveStreams bounds the call-display event streams this process keeps
	// open at once (0: DefaultLiveStreams). The endpoint is public and each
	// stream reads the database every LivePoll for ten minutes; a request
	// beyond the bound gets the JSON snapshot, and the display page falls
	// back to its refresh.
	LiveStreams int

	liveOnce sync.Once
	live     chan struct{}
}

// DefaultLiveStreams is enough for every call display of a city many
// times over.
const DefaultLiveStreams = 200

// acquireLive takes a stream slot if one is free.
func (h *Handler) acquireLive() bool {
	h.liveOnce.Do(func() {
		n := h.LiveStreams
		if n <= 0 {
			n = DefaultLiveStreams
		}
		h.live = make(chan struct{}, n)
	})
	select {
	case h.live <- struct{}{}:
		return true
	default:
		return false
	}
}

func (h *Handler) releaseLive() { <-h.live }

func tenantOf(r *http.Request) (*identity.Tenant, error) {
	t := identity.TenantFrom(r.Context())
	if t == nil {
		return nil, fault.ErrNotFound
	}
	return t, nil
}

// optionalPrincipal is the caller when they sent credentials, the
// anonymous principal otherwise; wrong credentials are an error.
func (h *Handler) optionalPrincipal(r *http.Request) (identity.Principal, *identity.Tenant, error) {
	p, t, err := h.Identity.PrincipalFrom(r)
	if errors.Is(err, fault.ErrUnauthorized) && r.Header.Get("Authorization") == "" {
		if t == nil {
			t, err = tenantOf(r)
			return identity.Principal{}, t, err
		}
		return identity.Principal{}, t, nil
	}
	return p, t, err
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (h *Handler) baseURL(r *http.Request) string {
	if h.BaseURL != nil {
		return h.BaseURL(r)
	}
	return "http://" + r.Host
}

// LocationDocument is a location in the API, with the protections in
// force (rate limits need the installation's limiter too).
type LocationDocument struct {
	*Location
	Effective Protections `json:"effective_protections"`
}

func (h *Handler) doc(l *Location) LocationDocument {
	eff := l.Protections
	eff.RateLimits = eff.RateLimits && h.Svc.Limits.Enabled()
	return LocationDocument{Location: l, Effective: eff}
}

// apiRoutes registers the JSON API.
func (h *Handler) apiRoutes(rt *web.Router) {
	exLoc := &Location{Ref: "S-7K3M-Q9TX", Name: "Bürgerbüro Mitte", Listed: true, Settings: DefaultSettings(), Revision: 1}
	exLoc.Services = []LocationService{{Service: "L-7K3M-Q9TX", Minutes: 15, MaxCount: 4}}
	exLoc.Rules = []Rule{{Weekdays: []int{1, 2, 3, 4, 5}, Opens: "08:00", Closes: "12:00", Desks: 3}}
	exStart := time.Date(2026, 3, 3, 9, 0, 0, 0, calendar.Berlin)
	exBooking := &Booking{Ref: "T-7K3M-Q9TX", Status: StatusHeld, Location: exLoc.Ref, LocationName: exLoc.Name, Services: []BookedService{{Service: "L-7K3M-Q9TX", Name: "Personalausweis", Count: 2, Minutes: 30}},
		Start: exStart, End: exStart.Add(30 * time.Minute), Channel: "online", Token: "T-7K3M-Q9TX.signature"}
	exHold := exStart.Add(-20 * time.Hour)
	exBooking.HoldExpiresAt = &exHold
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/appointments/locations", ID: "listAppointmentLocations", Tag: "appointments", Public: true,
		Summary: "The citizen offices where appointments can be booked", Response: []LocationDocument{{Location: exLoc}}}, h.apiLocations)
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/appointments/locations/{id}", ID: "getAppointmentLocation", Tag: "appointments", Public: true,
		Summary: "One location with its services, opening hours, release rules and protections", Response: LocationDocument{Location: exLoc}}, h.apiLocation)
	rt.API(web.Operation{Method: "POST", Path: "/api/v1/appointments/locations", ID: "createAppointmentLocation", Tag: "appointments", Auth: []string{"admin"}, Status: 201,
		Summary: "Create a location (its seats are planned up to the horizon at once); protections are its settings",
		Request: LocationInput{Name: exLoc.Name, Settings: exLoc.Settings}, Response: LocationDocument{Location: exLoc}}, h.apiCreateLocation)
	rt.API(web.Operation{Method: "PUT", Path: "/api/v1/appointments/locations/{id}", ID: "putAppointmentLocation", Tag: "appointments", Auth: []string{"admin"},
		Summary: "Replace a location's settings (booked seats stay)", Request: LocationInput{Name: exLoc.Name, Settings: exLoc.Settings}, Response: LocationDocument{Location: exLoc}}, h.apiPutLocation)
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/appointments/slots", ID: "findAppointmentSlots", Tag: "appointments", Public: true,
		Summary: "Free starts for one or several services (service=ID or ID:COUNT, repeated) between two dates (at most 62 days)",
		Query: []web.Param{
			{Name: "location", Description: "location id (S-…)", Type: "string", Required: true},
			{Name: "service", Description: "service id (L-…), optionally with a count: L-…:2; repeat for several services", Type: "string", Required: true},
			{Name: "from", Description: "first day, YYYY-MM-DD (not in the past)", Type: "string", Required: true},
			{Name: "to", Description: "last day, YYYY-MM-DD", Type: "string", Required: true},
		},
		Response: SlotList{Location: exLoc.Ref, Services: exBooking.Services, Minutes: 30, From: "2026-03-03", To: "2026-03-03",
			Days: []SlotDay{{Date: "2026-03-03", Status: "open", Slots: []Slot{{Start: exStart, End: exStart.Add(30 * time.Minute)}}}}}}, h.apiSlots)
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/appointments/challenge", ID: "getAppointmentChallenge", Tag: "appointments", Public: true,
		Summary:  "A proof-of-work challenge for booking at a location (ALTCHA-style: find number with SHA-256(salt+number) = challenge)",
		Query:    []web.Param{{Name: "location", Description: "location id", Type: "string", Required: true}},
		Response: Challenge{Algorithm: "SHA-256", Challenge: "9f86d0…", MaxNumber: 50000, Salt: "4f2a…?expires=1772445600&l=S-7K3M-Q9TX", Signature: "1c3e…"}}, h.apiChallenge)
	rt.API(web.Operation{Method: "POST", Path: "/api/v1/appointments", ID: "bookAppointment", Tag: "appointments", Public: true, Status: 201,
		Summary:  "Book: 201 with the booking (confirmed for a signed-in person, else held until the e-mail confirmation), 202 with a ticket in a lottery window, 409 when the slot is gone, 422 for bad input, 429 when rate-limited",
		Request:  BookingRequest{Location: exLoc.Ref, Services: []ServiceCount{{Service: "L-7K3M-Q9TX", Count: 2}}, Start: exStart, Email: "paul@example.org", PoW: "eyJhbGdvcml0aG0iOi…"},
		Response: exBooking}, h.apiBook)
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/appointments/{id}", ID: "getAppointment", Tag: "appointments",
		Summary: "A booking, for the account that booked it and for staff", Response: exBooking}, h.apiGet)
	rt.API(web.Operation{Method: "POST", Path: "/api/v1/appointments/{id}/cancel", ID: "cancelAppointment", Tag: "appointments", Public: true,
		Summary: "Cancel with the token of the booking (from the booking answer or the confirmation mail), or as its account or staff",
		Request: tokenRequest{Token: "T-7K3M-Q9TX.signature"}, Response: exBooking}, h.apiCancel)
	rt.API(web.Operation{Method: "POST", Path: "/api/v1/appointments/{id}/confirm", ID: "confirmAppointment", Tag: "appointments", Public: true,
		Summary: "Confirm a held booking with the token of its confirmation mail", Request: tokenRequest{Token: "T-7K3M-Q9TX.signature"}, Response: exBooking}, h.apiConfirm)
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/appointments/locations/{id}/day", ID: "getAppointmentDay", Tag: "appointments", Auth: []string{"admin", "unit_head", "case_worker"},
		Summary: "The day plan of a location: opening, bookings, queue", Query: []web.Param{{Name: "date", Description: "YYYY-MM-DD (default today)", Type: "string"}},
		Response: DayView{Date: "2026-03-03", Bookings: []DayBooking{}}}, h.apiDay)
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/appointments/figures", ID: "getAppointmentFigures", Tag: "appointments", Auth: []string{"admin", "unit_head", "case_worker"},
		Summary: "Bookings, cancellations, no-shows and waiting times per location and day",
		Query: []web.Param{{Name: "location", Description: "location id (default: all)", Type: "string"},
			{Name: "from", Description: "first day YYYY-MM-DD", Type: "string", Required: true}, {Name: "to", Description: "last day YYYY-MM-DD", Type: "string", Required: true}},
		Response: []DayFigures{{Location: exLoc.Ref, Day: "2026-03-03", Bookings: 120, Cancellations: 9, NoShows: 14, WalkIns: 31, Served: 128, AvgWaitMinutes: 7.5, MaxWaitMinutes: 31}}}, h.apiFigures)
}

type tokenRequest struct {
	Token string `json:"token"`
}

func (h *Handler) apiLocations(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	ls, err := h.Svc.Locations(r.Context(), t.ID, false)
	if err != nil {
		return err
	}
	out := make([]LocationDocument, 0, len(ls))
	for _, l := range ls {
		out = append(out, h.doc(l))
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) apiLocation(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	l, err := h.Svc.Location(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, h.doc(l))
	return nil
}

func (h *Handler) admin(r *http.Request) (identity.Principal, *identity.Tenant, error) {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return p, t, err
	}
	return p, t, p.Require(t.ID, identity.RoleAdmin)
}

func (h *Handler) apiCreateLocation(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.admin(r)
	if err != nil {
		return err
	}
	in := LocationInput{Settings: DefaultSettings()}
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	l, err := h.Svc.CreateLocation(r.Context(), p, t.ID, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/appointments/locations/"+l.Ref)
	web.WriteJSON(w, http.StatusCreated, h.doc(l))
	return nil
}

func (h *Handler) apiPutLocation(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return err
	}
	if err := p.Require(t.ID, identity.RoleAdmin); err != nil {
		return fault.ErrNotFound
	}
	if _, err := h.Svc.Location(r.Context(), t.ID, r.PathValue("id")); err != nil {
		return err
	}
	in := LocationInput{Settings: DefaultSettings()}
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	l, err := h.Svc.UpdateLocation(r.Context(), p, t.ID, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, h.doc(l))
	return nil
}

// parseSlotQuery reads the slot search's parameters (API and pages).
func parseSlotQuery(r *http.Request) (SlotQuery, error) {
	q := r.URL.Query()
	v := &fault.Validation{}
	sq := SlotQuery{Location: q.Get("location")}
	if sq.Location == "" {
		v.Add("location", "required")
	}
	for i, s := range q["service"] {
		sc, ok := ParseServiceParam(s)
		if !ok {
			v.Add("service."+itoa(i), "invalid_service_param")
			continue
		}
		sq.Services = append(sq.Services, sc)
	}
	if len(q["service"]) == 0 {
		v.Add("service", "required")
	}
	var err error
	if sq.From, err = calendar.ParseDate(q.Get("from")); err != nil {
		v.Add("from", "invalid_date")
	}
	if sq.To, err = calendar.ParseDate(q.Get("to")); err != nil {
		v.Add("to", "invalid_date")
	}
	return sq, v.Err()
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

func (h *Handler) apiSlots(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	q, err := parseSlotQuery(r)
	if err != nil {
		return err
	}
	list, err := h.Svc.Slots(r.Context(), t.ID, q)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, list)
	return nil
}

func (h *Handler) apiChallenge(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	c, err := h.Svc.Challenge(r.Context(), t.ID, r.URL.Query().Get("location"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, c)
	return nil
}

func (h *Handler) apiBook(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.optionalPrincipal(r)
	if err != nil {
		return err
	}
	var in BookingRequest
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	in.Lang = string(i18n.FromRequest(r))
	in.BaseURL = h.baseURL(r)
	in.ClientAddr = clientAddr(r)
	out, err := h.Svc.Book(r.Context(), p, t.ID, in)
	if err != nil {
		return err
	}
	if out.Entry != nil {
		w.Header().Set("Location", "/termine/los/"+out.Entry.Token)
		web.WriteJSON(w, http.StatusAccepted, out.Entry)
		return nil
	}
	w.Header().Set("Location", "/api/v1/appointments/"+out.Booking.Ref)
	web.WriteJSON(w, http.StatusCreated, out.Booking)
	return nil
}

func (h *Handler) apiGet(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return err
	}
	b, err := h.Svc.Get(r.Context(), p, t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, b)
	return nil
}

// tokenFor reads the body's token and checks it names the path's booking.
func tokenFor(r *http.Request) (string, error) {
	var in tokenRequest
	if r.ContentLength != 0 {
		if err := web.DecodeJSON(r, &in); err != nil {
			return "", err
		}
	}
	ref, _, _ := strings.Cut(in.Token, ".")
	if in.Token != "" && !strings.EqualFold(ref, r.PathValue("id")) {
		return "", ErrBadLink
	}
	return in.Token, nil
}

func (h *Handler) apiCancel(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.optionalPrincipal(r)
	if err != nil {
		return err
	}
	tok, err := tokenFor(r)
	if err != nil {
		return err
	}
	var b *Booking
	if tok != "" {
		b, err = h.Svc.CancelByToken(r.Context(), t.ID, tok)
	} else if p.TenantID != 0 {
		b, err = h.Svc.Cancel(r.Context(), p, t.ID, r.PathValue("id"))
	} else {
		err = ErrNotFound
	}
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, b)
	return nil
}

func (h *Handler) apiConfirm(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	tok, err := tokenFor(r)
	if err != nil {
		return err
	}
	if tok == "" {
		return ErrNotFound
	}
	b, err := h.Svc.Confirm(r.Context(), t.ID, tok)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, b)
	return nil
}

func (h *Handler) staff(r *http.Request) (identity.Principal, *identity.Tenant, error) {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return p, t, err
	}
	return p, t, p.Require(t.ID, StaffRoles...)
}

func (h *Handler) apiDay(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return err
	}
	d := calendar.DateOf(h.Svc.now(), calendar.Berlin)
	if s := r.URL.Query().Get("date"); s != "" {
		if d, err = calendar.ParseDate(s); err != nil {
			return fault.Invalid("date", "invalid_date")
		}
	}
	v, err := h.Svc.Day(r.Context(), p, t.ID, r.PathValue("id"), d)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, v)
	return nil
}

func (h *Handler) apiFigures(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.staff(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	v := &fault.Validation{}
	from, err1 := calendar.ParseDate(q.Get("from"))
	to, err2 := calendar.ParseDate(q.Get("to"))
	if err1 != nil {
		v.Add("from", "invalid_date")
	}
	if err2 != nil {
		v.Add("to", "invalid_date")
	}
	if err := v.Err(); err != nil {
		return err
	}
	figs, err := h.Svc.Figures(r.Context(), p, t.ID, q.Get("location"), from, to)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, figs)
	return nil
}
