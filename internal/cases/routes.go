package cases

import (
	"embed"
	"errors"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/web"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed messages/*.json
var messageFS embed.FS

// Messages are the catalog files of cases (keys "cases.", "fault.").
func Messages() fs.FS {
	sub, err := fs.Sub(messageFS, "messages")
	if err != nil {
		panic(err)
	}
	return sub
}

var pageNames = []string{"inbox", "case", "backlog", "responsibilities", "workflows", "workflow", "absence", "progress"}

// AddTemplates parses the pages of cases into r.
func AddTemplates(r *web.Renderer) error {
	for _, p := range pageNames {
		if err := r.Add("cases."+p, templateFS, "templates/"+p+".html", "templates/partials.html"); err != nil {
			return err
		}
	}
	return nil
}

// Handler is the HTTP surface of cases.
type Handler struct {
	Svc      *Service
	Identity *identity.Handler
	Pages    *web.Renderer
	Shell    func(*http.Request) web.Shell
}

// Routes lists every URL of cases.
func (h *Handler) Routes(rt *web.Router) {
	row := Row{Case: Case{Ref: "C-7K3M-Q9TX", ApplicationRef: "A-7K3M-Q9TX", ServiceRef: "L-7K3M-Q9TX", ServiceName: "Hundesteuer", WorkflowVersion: 1, State: "received"}, Due: DueOK}
	staff := []string{"case_worker", "unit_head"}
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/cases", ID: "listCases", Tag: "cases", Auth: staff,
		Summary: "The inbox of the caller's units: open cases with deadline warnings (no personal data)",
		Query: []web.Param{{Name: "unit", Description: "one of the caller's units", Type: "string"}, {Name: "state", Description: "a workflow state", Type: "string"},
			{Name: "assigned", Description: "me or none", Type: "string"}, {Name: "due", Description: "overdue or soon", Type: "string"},
			{Name: "closed", Description: "closed cases instead of open ones", Type: "boolean"}, {Name: "sort", Description: "due (default), submitted or state", Type: "string"}},
		Response: []Row{row}}, h.handleListAPI)
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/cases/{id}", ID: "getCase", Tag: "cases", Auth: staff,
		Summary: "A case with the application's answers, documents, timeline, decisions and the steps the caller may take; the read is audited", Response: Detail{Row: row}}, h.handleGetAPI)
	rt.API(web.Operation{Method: "POST", Path: "/api/v1/cases/{id}/claim", ID: "claimCase", Tag: "cases", Auth: staff, Status: 204,
		Summary: "Take the case (and its declared claim step)"}, h.handleClaimAPI)
	rt.API(web.Operation{Method: "POST", Path: "/api/v1/cases/{id}/assignment", ID: "assignCase", Tag: "cases", Auth: []string{"unit_head"},
		Summary: "Give the case to a member of its unit (an absent one's substitute gets it) or back to the unit (\"\")", Request: assignRequest{Assignee: "U-7K3M-Q9TX"}, Response: assignRequest{Assignee: "U-7K3M-Q9TX"}}, h.handleAssignAPI)
	rt.API(web.Operation{Method: "POST", Path: "/api/v1/cases/{id}/steps", ID: "stepCase", Tag: "cases", Auth: staff, Status: 204,
		Summary: "Take a declared step (refused when the state or the caller's role does not allow it)", Request: stepRequest{Transition: "request_information", Text: "Bitte senden Sie den Impfpass.", AnswerDays: 10}}, h.handleStepAPI)
	rt.API(web.Operation{Method: "POST", Path: "/api/v1/cases/{id}/notes", ID: "noteCase", Tag: "cases", Auth: staff, Status: 204,
		Summary: "Add a note (never shown to the applicant)", Request: noteRequest{Text: "Rückruf vereinbart"}}, h.handleNoteAPI)
	rt.API(web.Operation{Method: "PUT", Path: "/api/v1/cases/{id}/follow-up", ID: "followUpCase", Tag: "cases", Auth: staff, Status: 204,
		Summary: "Set the follow-up date (Wiedervorlage), YYYY-MM-DD, or clear it with \"\"", Request: followUpRequest{Date: "2026-03-09"}}, h.handleFollowUpAPI)
	rt.API(web.Operation{Method: "POST", Path: "/api/v1/cases/{id}/decisions", ID: "draftDecision", Tag: "cases", Auth: staff, Status: 201,
		Summary: "Draft a decision from the service's template (approval or rejection)", Request: draftRequest{Kind: "approval", Reason: "…"}, Response: Decision{Ref: "B-7K3M-Q9TX", Kind: "approval", Status: DecisionDraft}}, h.handleDraftAPI)
	rt.API(web.Operation{Method: "POST", Path: "/api/v1/cases/{id}/decisions/{decision}/sign-off", ID: "signOffDecision", Tag: "cases", Auth: staff, Status: 204,
		Summary: "Second person's sign-off of a drafted decision (not by the person who drafted it)"}, h.handleSignOffAPI)
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/applications/{id}/progress", ID: "getApplicationProgress", Tag: "cases", Auth: []string{"citizen", "business"},
		Summary: "Where the caller's own application is, what happens next and by when", Response: Progress{Application: "A-7K3M-Q9TX", Status: "in_progress", Decisions: []SentDecision{}}}, h.handleProgressAPI)
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/workflows/{id}", ID: "getWorkflow", Tag: "cases", Auth: []string{"staff"},
		Summary: "The current workflow declaration of a service (version 0: the standard one, not yet stored)", Response: StoredWorkflow{ServiceRef: "L-7K3M-Q9TX", Version: 1}}, h.handleWorkflowAPI)
	rt.API(web.Operation{Method: "PUT", Path: "/api/v1/workflows/{id}", ID: "declareWorkflow", Tag: "cases", Auth: []string{"form_manager", "admin"},
		Summary: "Store a new version of a service's workflow declaration (docs/cases.md); running cases keep theirs", Request: map[string]any{"format": "rathaus-workflow"},
		Response: StoredWorkflow{ServiceRef: "L-7K3M-Q9TX", Version: 2}}, h.handleDeclareAPI)
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/responsibilities", ID: "listResponsibilities", Tag: "cases", Auth: []string{"staff"},
		Summary: "Which unit handles which service or catalog office name", Response: []Mapping{{Kind: MapOffice, Key: "Stadtkasse", UnitRef: "E-7K3M-Q9TX"}}}, h.handleMappingsAPI)
	rt.API(web.Operation{Method: "PUT", Path: "/api/v1/responsibilities", ID: "putResponsibility", Tag: "cases", Auth: []string{"admin"}, Status: 204,
		Summary: "Map a service or a catalog office name to a unit (unit \"\" removes it)", Request: Mapping{Kind: MapOffice, Key: "Stadtkasse", UnitRef: "E-7K3M-Q9TX"}}, h.handlePutMappingAPI)
	rt.API(web.Operation{Method: "POST", Path: "/api/v1/absences", ID: "createAbsence", Tag: "cases", Auth: []string{"staff"}, Status: 201,
		Summary:  "Mark a staff member absent (oneself; unit heads and admins: anyone) with an optional substitute; their open cases move when it starts",
		Request:  absenceRequest{Account: "U-7K3M-Q9TX", StartsAt: time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC), EndsAt: time.Date(2026, 3, 6, 16, 0, 0, 0, time.UTC), Substitute: "U-8K3M-Q9TX"},
		Response: identity.Absence{Ref: "V-7K3M-Q9TX"}}, h.handleAbsenceAPI)
	if h.Pages == nil {
		return
	}
	rt.HandleFunc("GET /verwaltung/vorgaenge", h.page(h.handleInbox))
	rt.HandleFunc("GET /verwaltung/vorgaenge/{id}", h.page(h.handleCase))
	rt.HandleFunc("POST /verwaltung/vorgaenge/{id}/uebernehmen", h.page(h.handleClaim))
	rt.HandleFunc("POST /verwaltung/vorgaenge/{id}/zuweisen", h.page(h.handleAssign))
	rt.HandleFunc("POST /verwaltung/vorgaenge/{id}/schritt", h.page(h.handleStep))
	rt.HandleFunc("POST /verwaltung/vorgaenge/{id}/notiz", h.page(h.handleNote))
	rt.HandleFunc("POST /verwaltung/vorgaenge/{id}/wiedervorlage", h.page(h.handleFollowUp))
	rt.HandleFunc("POST /verwaltung/vorgaenge/{id}/bescheid", h.page(h.handleDraft))
	rt.HandleFunc("POST /verwaltung/vorgaenge/{id}/bescheid/{decision}/freigabe", h.page(h.handleSignOff))
	rt.HandleFunc("GET /verwaltung/vorgaenge/{id}/dokumente/{doc}", h.page(h.handleDocument))
	rt.HandleFunc("GET /verwaltung/rueckstand", h.page(h.handleBacklog))
	rt.HandleFunc("GET /verwaltung/zustaendigkeiten", h.page(h.handleResponsibilities))
	rt.HandleFunc("POST /verwaltung/zustaendigkeiten", h.page(h.handleResponsibilities))
	rt.HandleFunc("GET /verwaltung/ablaeufe", h.page(h.handleWorkflows))
	rt.HandleFunc("GET /verwaltung/ablaeufe/{id}", h.page(h.handleWorkflow))
	rt.HandleFunc("POST /verwaltung/ablaeufe/{id}", h.page(h.handleWorkflow))
	rt.HandleFunc("GET /verwaltung/abwesenheit", h.page(h.handleAbsence))
	rt.HandleFunc("POST /verwaltung/abwesenheit", h.page(h.handleAbsence))
	rt.HandleFunc("POST /verwaltung/abwesenheit/{id}/beenden", h.page(h.handleAbsenceEnd))
	rt.HandleFunc("GET /antraege/{id}/stand", h.page(h.handleProgress))
}

func (h *Handler) page(fn web.HandlerFunc) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		err := fn(w, r)
		if err != nil && r.Method == http.MethodGet && errors.Is(err, fault.ErrUnauthorized) {
			http.Redirect(w, r, "/anmelden?"+url.Values{"return_to": {web.LocalPath(r.URL)}}.Encode(), http.StatusSeeOther)
			return nil
		}
		return err
	}
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, staff bool, data any) error {
	sh := h.Shell(r)
	if staff {
		sh.Area = web.AreaStaff
	}
	w.Header().Set("Cache-Control", "no-store")
	return h.Pages.Render(w, r, status, "cases."+name, sh, data)
}

type assignRequest struct {
	Assignee string `json:"assignee"`
}

type stepRequest struct {
	Transition string `json:"transition"`
	Text       string `json:"text,omitempty"`
	AnswerDays int    `json:"answer_days,omitempty"`
	Reason     string `json:"reason,omitempty"`
}

type noteRequest struct {
	Text string `json:"text"`
}

type followUpRequest struct {
	Date string `json:"date"`
}

type draftRequest struct {
	Kind   string `json:"kind"`
	Reason string `json:"reason"`
}

type absenceRequest struct {
	Account    string    `json:"account_id"`
	StartsAt   time.Time `json:"starts_at"`
	EndsAt     time.Time `json:"ends_at"`
	Substitute string    `json:"substitute_id"`
}

func (h *Handler) principal(r *http.Request) (identity.Principal, int64, error) {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return p, 0, err
	}
	return p, t.ID, nil
}

func (h *Handler) handleListAPI(w http.ResponseWriter, r *http.Request) error {
	p, tid, err := h.principal(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	rows, err := h.Svc.Inbox(r.Context(), p, tid, Filter{Unit: q.Get("unit"), State: q.Get("state"), Assigned: q.Get("assigned"), Due: q.Get("due"), Closed: q.Get("closed") == "true", Sort: q.Get("sort")})
	if err != nil {
		return err
	}
	web.WriteJSON(w, 200, rows)
	return nil
}

func (h *Handler) handleGetAPI(w http.ResponseWriter, r *http.Request) error {
	p, tid, err := h.principal(r)
	if err != nil {
		return err
	}
	d, err := h.Svc.Get(r.Context(), p, tid, r.PathValue("id"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, 200, d)
	return nil
}

func (h *Handler) handleClaimAPI(w http.ResponseWriter, r *http.Request) error {
	p, tid, err := h.principal(r)
	if err != nil {
		return err
	}
	if err := h.Svc.Claim(r.Context(), p, tid, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) handleAssignAPI(w http.ResponseWriter, r *http.Request) error {
	p, tid, err := h.principal(r)
	if err != nil {
		return err
	}
	var req assignRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	to, err := h.Svc.Assign(r.Context(), p, tid, r.PathValue("id"), req.Assignee)
	if err != nil {
		return err
	}
	web.WriteJSON(w, 200, assignRequest{Assignee: to})
	return nil
}

func (h *Handler) handleStepAPI(w http.ResponseWriter, r *http.Request) error {
	p, tid, err := h.principal(r)
	if err != nil {
		return err
	}
	var req stepRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	if err := h.Svc.Step(r.Context(), p, tid, r.PathValue("id"), req.Transition, StepInput{Text: req.Text, AnswerDays: req.AnswerDays, Reason: req.Reason}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) handleNoteAPI(w http.ResponseWriter, r *http.Request) error {
	p, tid, err := h.principal(r)
	if err != nil {
		return err
	}
	var req noteRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	if err := h.Svc.Note(r.Context(), p, tid, r.PathValue("id"), req.Text); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) handleFollowUpAPI(w http.ResponseWriter, r *http.Request) error {
	p, tid, err := h.principal(r)
	if err != nil {
		return err
	}
	var req followUpRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	if err := h.Svc.FollowUp(r.Context(), p, tid, r.PathValue("id"), req.Date); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) handleDraftAPI(w http.ResponseWriter, r *http.Request) error {
	p, tid, err := h.principal(r)
	if err != nil {
		return err
	}
	var req draftRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	d, err := h.Svc.DraftDecision(r.Context(), p, tid, r.PathValue("id"), req.Kind, req.Reason)
	if err != nil {
		return err
	}
	web.WriteJSON(w, 201, d)
	return nil
}

func (h *Handler) handleSignOffAPI(w http.ResponseWriter, r *http.Request) error {
	p, tid, err := h.principal(r)
	if err != nil {
		return err
	}
	if err := h.Svc.SignOff(r.Context(), p, tid, r.PathValue("id"), r.PathValue("decision")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) handleProgressAPI(w http.ResponseWriter, r *http.Request) error {
	p, tid, err := h.principal(r)
	if err != nil {
		return err
	}
	pr, err := h.Svc.Progress(r.Context(), p, tid, r.PathValue("id"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, 200, pr)
	return nil
}

func (h *Handler) handleWorkflowAPI(w http.ResponseWriter, r *http.Request) error {
	p, tid, err := h.principal(r)
	if err != nil {
		return err
	}
	if err := p.See(tid, identity.Roles...); err != nil {
		return err
	}
	wf, err := h.Svc.Workflow(r.Context(), p, tid, r.PathValue("id"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, 200, wf)
	return nil
}

func (h *Handler) handleDeclareAPI(w http.ResponseWriter, r *http.Request) error {
	p, tid, err := h.principal(r)
	if err != nil {
		return err
	}
	if err := p.See(tid, identity.RoleFormManager, identity.RoleAdmin); err != nil {
		return err
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, MaxWorkflowBytes+1))
	if err != nil {
		return err
	}
	if len(b) <= MaxWorkflowBytes { // a longer one is refused as too long
		// Duplicate keys, invalid UTF-8 and control characters: 400, as
		// on every JSON API route.
		if err := web.CheckJSON(b); err != nil {
			return err
		}
	}
	wf, err := h.Svc.DeclareWorkflow(r.Context(), p, tid, r.PathValue("id"), b)
	if err != nil {
		return err
	}
	web.WriteJSON(w, 200, wf)
	return nil
}

func (h *Handler) handleMappingsAPI(w http.ResponseWriter, r *http.Request) error {
	p, tid, err := h.principal(r)
	if err != nil {
		return err
	}
	ms, err := h.Svc.Mappings(r.Context(), p, tid)
	if err != nil {
		return err
	}
	web.WriteJSON(w, 200, ms)
	return nil
}

func (h *Handler) handlePutMappingAPI(w http.ResponseWriter, r *http.Request) error {
	p, tid, err := h.principal(r)
	if err != nil {
		return err
	}
	var req Mapping
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	if err := h.Svc.SetMapping(r.Context(), p, tid, req.Kind, req.Key, req.UnitRef); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) handleAbsenceAPI(w http.ResponseWriter, r *http.Request) error {
	p, tid, err := h.principal(r)
	if err != nil {
		return err
	}
	var req absenceRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	a, err := h.Svc.Identity.SetAbsence(r.Context(), p, tid, req.Account, req.StartsAt, req.EndsAt, req.Substitute)
	if err != nil {
		return err
	}
	web.WriteJSON(w, 201, a)
	return nil
}

func (h *Handler) handleDocument(w http.ResponseWriter, r *http.Request) error {
	p, tid, err := h.principal(r)
	if err != nil {
		return err
	}
	d, rc, err := h.Svc.OpenDocument(r.Context(), p, tid, r.PathValue("id"), r.PathValue("doc"))
	if err != nil {
		return err
	}
	defer rc.Close()
	hd := w.Header()
	hd.Set("Content-Type", d.MediaType)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "private, no-store")
	hd.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": d.Name}))
	http.ServeContent(w, r, "", time.Time{}, rc)
	return nil
}

func atoiOr(s string, d int) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return d
	}
	return n
}
