package appointments

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/pow"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// On site: the kiosk (a terminal signed in by staff), the printable
// ticket, and the call display with its live stream.

// KioskPage is the ticket terminal.
type KioskPage struct {
	Location LocationView
	CheckIn  PageForm
	WalkIn   PageForm
}

func (h *Handler) kioskAccess(r *http.Request) (identity.Principal, *Location, error) {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return p, nil, err
	}
	if err := p.Require(t.ID, StaffRoles...); err != nil {
		return p, nil, ErrNotFound
	}
	l, err := h.Svc.Location(r.Context(), t.ID, r.PathValue("id"))
	return p, l, err
}

func (h *Handler) pageKiosk(w http.ResponseWriter, r *http.Request) error {
	_, l, err := h.kioskAccess(r)
	if err != nil {
		return h.staffDenied(w, r, err)
	}
	return h.render(w, r, http.StatusOK, "appointments_kiosk", KioskPage{Location: h.locationView(r, l, nil)})
}

func (h *Handler) pageKioskCheckIn(w http.ResponseWriter, r *http.Request) error {
	p, l, err := h.kioskAccess(r)
	if err != nil {
		return h.staffDenied(w, r, err)
	}
	tk, err := h.Svc.CheckIn(r.Context(), p, l.tenantID, l.Ref, r.FormValue("code"))
	if err != nil {
		fv, ok := fault.AsValidation(err)
		if !ok {
			return err
		}
		v := KioskPage{Location: h.locationView(r, l, nil)}
		v.CheckIn.Values = r.Form
		v.CheckIn.AddFault(fv, "kiosk-")
		return h.render(w, r, http.StatusUnprocessableEntity, "appointments_kiosk", v)
	}
	http.Redirect(w, r, "/termine/ticket/"+tk.Token, http.StatusSeeOther)
	return nil
}

func (h *Handler) pageKioskWalkIn(w http.ResponseWriter, r *http.Request) error {
	p, l, err := h.kioskAccess(r)
	if err != nil {
		return h.staffDenied(w, r, err)
	}
	var scs []ServiceCount
	if s := r.FormValue("leistung"); s != "" {
		scs = append(scs, ServiceCount{Service: strings.ToUpper(s), Count: 1})
	}
	tk, err := h.Svc.WalkIn(r.Context(), p, l.tenantID, l.Ref, scs)
	if err != nil {
		fv, ok := fault.AsValidation(err)
		if !ok {
			return err
		}
		v := KioskPage{Location: h.locationView(r, l, nil)}
		v.WalkIn.AddFault(fv, "kiosk-")
		return h.render(w, r, http.StatusUnprocessableEntity, "appointments_kiosk", v)
	}
	http.Redirect(w, r, "/termine/ticket/"+tk.Token, http.StatusSeeOther)
	return nil
}

// TicketPage is the printable waiting ticket.
type TicketPage struct {
	Ticket    *Ticket
	Location  string
	Services  string
	Issued    string
	Start     string
	StatusKey string
	Display   string
}

func (h *Handler) pageTicket(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	tk, err := h.Svc.TicketByToken(r.Context(), t.ID, r.PathValue("token"))
	if err != nil {
		return h.linkProblem(w, r, err)
	}
	p := h.printer(r)
	v := TicketPage{Ticket: tk, Issued: p.DateTime(tk.IssuedAt), StatusKey: "appointments.ticket.status." + tk.Status, Display: "/termine/aufruf/" + tk.Location}
	if l, err := h.Svc.Location(r.Context(), t.ID, tk.Location); err == nil {
		v.Location = l.Name
	}
	var names []string
	for _, bs := range tk.Services {
		names = append(names, h.Svc.ServiceName(r.Context(), t.ID, bs.Service))
	}
	v.Services = strings.Join(names, ", ")
	if tk.Start != nil {
		v.Start = tk.Start.Format("15:04")
	}
	w.Header().Set("Referrer-Policy", "no-referrer")
	return h.render(w, r, http.StatusOK, "appointments_ticket", v)
}

// DisplayPage is the call display.
type DisplayPage struct {
	Display  *Display
	Calls    []CallView
	LiveURL  string
	Script   string
	Interval int // seconds of the refresh fallback
}

// CallView is one call as the display shows it.
type CallView struct {
	Number, Counter, At string
}

// DisplayRefresh is the refresh fallback of the call display (also for
// browsers without JavaScript); with JavaScript, Server-Sent Events update
// it at once.
const DisplayRefresh = 20

func (h *Handler) pageDisplay(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	d, err := h.Svc.DisplayOf(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	v := DisplayPage{Display: d, LiveURL: "/termine/aufruf/" + d.Location + "/live", Script: "/termine/static/display.js", Interval: DisplayRefresh}
	for _, c := range d.Calls {
		v.Calls = append(v.Calls, CallView{Number: c.Number, Counter: c.Counter, At: c.At.Format("15:04")})
	}
	w.Header().Set("Refresh", fmt.Sprint(DisplayRefresh))
	return h.render(w, r, http.StatusOK, "appointments_display", v)
}

// displayJSON is the live stream's event data.
type displayJSON struct {
	Revision int64      `json:"revision"`
	Waiting  int        `json:"waiting"`
	Wait     int        `json:"estimated_wait_minutes"`
	Calls    []CallView `json:"calls"`
}

func toDisplayJSON(d *Display) displayJSON {
	out := displayJSON{Revision: d.Revision, Waiting: d.Waiting, Wait: d.Wait, Calls: []CallView{}}
	for _, c := range d.Calls {
		out.Calls = append(out.Calls, CallView{Number: c.Number, Counter: c.Counter, At: c.At.Format("15:04")})
	}
	return out
}

// LivePoll is how often the live stream looks at the queue revision (one
// primary-key read; the display learns of calls made on any process).
var LivePoll = time.Second

// pageDisplayLive streams the display's state as Server-Sent Events when
// the client asks for them (EventSource sends Accept: text/event-stream);
// anything else gets one JSON snapshot. A stream ends after ten minutes
// (the browser reconnects).
func (h *Handler) pageDisplayLive(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	l, err := h.Svc.Location(ctx, t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	d, err := h.Svc.DisplayOf(ctx, t.ID, l.Ref)
	if err != nil {
		return err
	}
	if !strings.Contains(r.Header.Get("Accept"), "text/event-stream") || !h.acquireLive() {
		web.WriteJSON(w, http.StatusOK, toDisplayJSON(d))
		return nil
	}
	defer h.releaseLive()
	fl, ok := w.(http.Flusher)
	if !ok {
		rc := http.NewResponseController(w)
		if err := rc.Flush(); err != nil {
			web.WriteJSON(w, http.StatusOK, toDisplayJSON(d))
			return nil
		}
	}
	flush := func() {
		if fl != nil {
			fl.Flush()
		} else {
			http.NewResponseController(w).Flush()
		}
	}
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(11 * time.Minute))
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(d *Display) error {
		b, _ := json.Marshal(toDisplayJSON(d))
		if _, err := fmt.Fprintf(w, "event: display\ndata: %s\n\n", b); err != nil {
			return err
		}
		flush()
		return nil
	}
	if err := send(d); err != nil {
		return nil
	}
	rev := d.Revision
	tick := time.NewTicker(LivePoll)
	defer tick.Stop()
	end := time.NewTimer(10 * time.Minute)
	defer end.Stop()
	beat := 0
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-end.C:
			return nil
		case <-tick.C:
		}
		cur, err := h.Svc.QueueRevision(ctx, l)
		if err != nil {
			return nil // the client went away, or the database: it reconnects
		}
		beat++
		if cur != rev {
			d, err := h.Svc.DisplayOf(ctx, t.ID, l.Ref)
			if err != nil {
				return nil
			}
			rev = d.Revision
			if err := send(d); err != nil {
				return nil
			}
			beat = 0
			continue
		}
		if beat >= 15 {
			beat = 0
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil {
				return nil
			}
			flush()
		}
	}
}

func serveStatic(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	b, err := fs.ReadFile(staticFS, "static/"+name)
	if name == "pow.js" {
		b, err = pow.Script, nil
	}
	if err != nil || strings.Contains(name, "/") {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(b)
}
