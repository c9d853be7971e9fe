package cases

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"time"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// Option is one choice of a select.
type Option struct {
	Value, Label string
	Selected     bool
}

// InboxPage is the case worker's inbox.
type InboxPage struct {
	Rows    []Row
	Units   []Option
	States  []Option
	Filter  Filter
	Overdue int
}

func (h *Handler) handleInbox(w http.ResponseWriter, r *http.Request) error {
	p, tid, err := h.principal(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := Filter{Unit: q.Get("einheit"), State: q.Get("stand"), Assigned: q.Get("bearbeitung"), Due: q.Get("frist"), Closed: q.Get("abgeschlossen") == "1", Sort: q.Get("sortierung")}
	rows, err := h.Svc.Inbox(r.Context(), p, tid, f)
	if err != nil {
		if _, ok := fault.AsValidation(err); ok {
			f = Filter{}
			rows, err = h.Svc.Inbox(r.Context(), p, tid, f)
		}
		if err != nil {
			return err
		}
	}
	v := InboxPage{Rows: rows, Filter: f}
	a, _ := h.Svc.actorOf(r.Context(), p, tid)
	units, _ := h.Svc.Identity.Units(r.Context(), p, tid)
	for _, u := range units {
		if slices.Contains(a.units, u.Ref) {
			v.Units = append(v.Units, Option{Value: u.Ref, Label: u.Name, Selected: u.Ref == f.Unit})
		}
	}
	for _, st := range StandardWorkflow().States {
		v.States = append(v.States, Option{Value: st.ID, Label: st.Label.In(r.URL.Query().Get("lang")), Selected: st.ID == f.State})
	}
	for _, row := range rows {
		if row.Due == DueOverdue {
			v.Overdue++
		}
	}
	return h.render(w, r, 200, "inbox", true, v)
}

// CasePage is the case page with its forms.
type CasePage struct {
	Detail
	Lang      string
	Me        string
	Answers   []Answer
	Steps     []StepForm // plain steps (a button each)
	Question  *StepForm  // the request_information step, if any
	Decide    []StepForm // the decision steps (one form, a choice of them)
	Drafts    []Decision
	Form      web.Form
	Notice    string
	Today     string
	Assignees []Option
}

// Answer is one answer of the application, flattened for display.
type Answer struct {
	Key, Value string
}

// StepForm is one declared step the person may take.
type StepForm struct {
	Transition
	Label      string
	Question   bool // request_information: a text and a time to answer
	IsDecision bool // render_decision: a reason
	NeedsDraft bool // second person: send only a signed-off draft
}

// Mine reports whether the case is assigned to the viewer.
func (p CasePage) Mine() bool { return p.AssigneeRef != "" && p.AssigneeRef == p.Me }

// Label of the state in the page's language.
func (p CasePage) StateText() string { return p.StateLabel.In(p.Lang) }

func (h *Handler) casePage(r *http.Request, p identity.Principal, tid int64, form web.Form) (*CasePage, error) {
	d, err := h.Svc.Get(r.Context(), p, tid, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	lang := h.Pages.Printer(r).Lang()
	v := &CasePage{Detail: *d, Lang: string(lang), Me: p.Ref, Form: form, Today: calendar.DateOf(h.Svc.DB.Clock.Now(), calendar.Berlin).String()}
	flat := map[string]string{}
	flatten("a", d.Answers, flat)
	for k := range d.Answers {
		v.Answers = append(v.Answers, Answer{Key: k, Value: flat["a."+k]})
	}
	sort.Slice(v.Answers, func(i, j int) bool { return v.Answers[i].Key < v.Answers[j].Key })
	for _, t := range d.Transitions {
		if t.ID == "claim" {
			continue // the claim button does it
		}
		sf := StepForm{Transition: t, Label: t.Label.In(v.Lang), Question: slices.Contains(t.Do, ActionRequestInformation), IsDecision: slices.Contains(t.Do, ActionRenderDecision)}
		sf.NeedsDraft = sf.IsDecision && d.SecondPerson
		switch {
		case sf.IsDecision:
			v.Decide = append(v.Decide, sf)
		case sf.Question:
			q := sf
			v.Question = &q
		default:
			v.Steps = append(v.Steps, sf)
		}
	}
	for _, dec := range d.Decisions {
		if dec.Status == DecisionDraft || dec.Status == DecisionSignedOff {
			v.Drafts = append(v.Drafts, dec)
		}
	}
	v.Assignees = append(v.Assignees, Option{Value: "", Label: "", Selected: d.AssigneeRef == ""})
	for _, m := range d.Colleagues {
		label := m.Name
		v.Assignees = append(v.Assignees, Option{Value: m.Ref, Label: label, Selected: m.Ref == d.AssigneeRef})
	}
	return v, nil
}

var caseNotices = []string{"claimed", "assigned", "step", "note", "follow_up", "drafted", "signed_off"}

func (h *Handler) handleCase(w http.ResponseWriter, r *http.Request) error {
	p, tid, err := h.principal(r)
	if err != nil {
		return err
	}
	v, err := h.casePage(r, p, tid, web.Form{})
	if err != nil {
		return err
	}
	if n := r.URL.Query().Get("hinweis"); slices.Contains(caseNotices, n) {
		v.Notice = "cases.notice." + n
	}
	return h.render(w, r, 200, "case", true, v)
}

// after answers a case form: back to the case page with a notice, or the
// page again with the refused fields.
func (h *Handler) after(w http.ResponseWriter, r *http.Request, p identity.Principal, tid int64, err error, notice string, values url.Values) error {
	if err == nil {
		next := "/verwaltung/vorgaenge/" + r.PathValue("id") + "?hinweis=" + notice
		if r.PostForm.Get("zurueck") == "rueckstand" {
			next = "/verwaltung/rueckstand"
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	v, ok := fault.AsValidation(err)
	if !ok {
		return err
	}
	form := web.Form{Values: values}
	form.AddFault(v, "fall-")
	page, perr := h.casePage(r, p, tid, form)
	if perr != nil {
		return perr
	}
	return h.render(w, r, http.StatusUnprocessableEntity, "case", true, page)
}

func (h *Handler) form(r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return fmt.Errorf("%w: form", fault.ErrBadRequest)
	}
	return nil
}

func (h *Handler) handleClaim(w http.ResponseWriter, r *http.Request) error {
	p, tid, err := h.principal(r)
	if err != nil {
		return err
	}
	if err := h.form(r); err != nil {
		return err
	}
	return h.after(w, r, p, tid, h.Svc.Claim(r.Context(), p, tid, r.PathValue("id")), "claimed", nil)
}

func (h *Handler) handleAssign(w http.ResponseWriter, r *http.Request) error {
	p, tid, err := h.principal(r)
	if err != nil {
		return err
	}
	if err := h.form(r); err != nil {
		return err
	}
	_, err = h.Svc.Assign(r.Context(), p, tid, r.PathValue("id"), r.PostForm.Get("assignee"))
	return h.after(w, r, p, tid, err, "assigned", r.PostForm)
}

func (h *Handler) handleStep(w http.ResponseWriter, r *http.Request) error {
	p, tid, err := h.principal(r)
	if err != nil {
		return err
	}
	if err := h.form(r); err != nil {
		return err
	}
	f := r.PostForm
	err = h.Svc.Step(r.Context(), p, tid, r.PathValue("id"), f.Get("transition"), StepInput{Text: f.Get("text"), AnswerDays: atoiOr(f.Get("answer_days"), 10), Reason: f.Get("reason")})
	return h.after(w, r, p, tid, err, "step", f)
}

func (h *Handler) handleNote(w http.ResponseWriter, r *http.Request) error {
	p, tid, err := h.principal(r)
	if err != nil {
		return err
	}
	if err := h.form(r); err != nil {
		return err
	}
	return h.after(w, r, p, tid, h.Svc.Note(r.Context(), p, tid, r.PathValue("id"), r.PostForm.Get("text")), "note", r.PostForm)
}

func (h *Handler) handleFollowUp(w http.ResponseWriter, r *http.Request) error {
	p, tid, err := h.principal(r)
	if err != nil {
		return err
	}
	if err := h.form(r); err != nil {
		return err
	}
	return h.after(w, r, p, tid, h.Svc.FollowUp(r.Context(), p, tid, r.PathValue("id"), r.PostForm.Get("follow_up_on")), "follow_up", r.PostForm)
}

func (h *Handler) handleDraft(w http.ResponseWriter, r *http.Request) error {
	p, tid, err := h.principal(r)
	if err != nil {
		return err
	}
	if err := h.form(r); err != nil {
		return err
	}
	_, err = h.Svc.DraftDecision(r.Context(), p, tid, r.PathValue("id"), r.PostForm.Get("kind"), r.PostForm.Get("reason"))
	return h.after(w, r, p, tid, err, "drafted", r.PostForm)
}

func (h *Handler) handleSignOff(w http.ResponseWriter, r *http.Request) error {
	p, tid, err := h.principal(r)
	if err != nil {
		return err
	}
	if err := h.form(r); err != nil {
		return err
	}
	return h.after(w, r, p, tid, h.Svc.SignOff(r.Context(), p, tid, r.PathValue("id"), r.PathValue("decision")), "signed_off", nil)
}

// BacklogPage is the unit head's view.
type BacklogPage struct {
	Backlogs []BacklogView
}

// BacklogView is one unit with the choice of assignees per case.
type BacklogView struct {
	Backlog
	Assignees []Option
}

func (h *Handler) handleBacklog(w http.ResponseWriter, r *http.Request) error {
	p, tid, err := h.principal(r)
	if err != nil {
		return err
	}
	bl, err := h.Svc.Backlogs(r.Context(), p, tid)
	if err != nil {
		return err
	}
	v := BacklogPage{}
	for _, b := range bl {
		bv := BacklogView{Backlog: b}
		for _, m := range b.Members {
			bv.Assignees = append(bv.Assignees, Option{Value: m.Ref, Label: m.Name})
		}
		v.Backlogs = append(v.Backlogs, bv)
	}
	return h.render(w, r, 200, "backlog", true, v)
}

// ResponsibilitiesPage maps catalog office names and services to units.
type ResponsibilitiesPage struct {
	Offices  []OfficeRow
	Services []Mapping
	Units    []Option
	Form     web.Form
	Notice   string
	CanEdit  bool
}

// OfficeRow is one free-text office name of the catalog with its unit.
type OfficeRow struct {
	Name    string
	UnitRef string
	Units   []Option
}

func (h *Handler) handleResponsibilities(w http.ResponseWriter, r *http.Request) error {
	p, tid, err := h.principal(r)
	if err != nil {
		return err
	}
	var form web.Form
	if r.Method == http.MethodPost {
		if err := h.form(r); err != nil {
			return err
		}
		f := r.PostForm
		err := h.Svc.SetMapping(r.Context(), p, tid, f.Get("kind"), f.Get("key"), f.Get("unit"))
		if err == nil {
			http.Redirect(w, r, "/verwaltung/zustaendigkeiten?hinweis=saved", http.StatusSeeOther)
			return nil
		}
		v, ok := fault.AsValidation(err)
		if !ok {
			return err
		}
		form = web.Form{Values: f}
		form.AddFault(v, "zustaendigkeit-")
	}
	ms, err := h.Svc.Mappings(r.Context(), p, tid)
	if err != nil {
		return err
	}
	units, err := h.Svc.Identity.Units(r.Context(), p, tid)
	if err != nil {
		return err
	}
	names, err := h.Svc.OfficeNames(r.Context(), tid)
	if err != nil {
		return err
	}
	byName := map[string]string{}
	v := ResponsibilitiesPage{Form: form, CanEdit: p.Has(identity.RoleAdmin)}
	for _, m := range ms {
		if m.Kind == MapOffice {
			byName[m.Key] = m.UnitRef
		} else {
			v.Services = append(v.Services, m)
		}
	}
	opts := func(sel string) []Option {
		out := []Option{{Value: "", Label: "", Selected: sel == ""}}
		for _, u := range units {
			out = append(out, Option{Value: u.Ref, Label: u.Name, Selected: u.Ref == sel})
		}
		return out
	}
	// Mapped names and those of services applied for online; any other
	// name can be typed into the form.
	for n := range byName {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		v.Offices = append(v.Offices, OfficeRow{Name: n, UnitRef: byName[n], Units: opts(byName[n])})
	}
	v.Units = opts("")
	if r.URL.Query().Get("hinweis") == "saved" {
		v.Notice = "cases.notice.saved"
	}
	status := 200
	if form.Invalid() {
		status = http.StatusUnprocessableEntity
	}
	return h.render(w, r, status, "responsibilities", true, v)
}

// WorkflowsPage lists services with their declarations.
type WorkflowsPage struct {
	Services []WorkflowRow
}

// WorkflowRow is a service with the version of its declaration.
type WorkflowRow struct {
	Ref, Name string
	Version   int
}

func (h *Handler) handleWorkflows(w http.ResponseWriter, r *http.Request) error {
	p, tid, err := h.principal(r)
	if err != nil {
		return err
	}
	if err := p.Require(tid, identity.Roles...); err != nil {
		return err
	}
	all, err := h.Svc.Catalog.All(r.Context(), tid)
	if err != nil {
		return err
	}
	versions := map[string]int{}
	rows, err := h.Svc.DB.R.QueryContext(r.Context(), `SELECT service_ref, MAX(version) FROM workflows WHERE tenant_id = $1 GROUP BY service_ref`, tid)
	if err != nil {
		return err
	}
	for rows.Next() {
		var s string
		var n int
		rows.Scan(&s, &n)
		versions[s] = n
	}
	rows.Close()
	v := WorkflowsPage{}
	for _, s := range all {
		if versions[s.ID] > 0 || s.Availability == "online_form" || s.Availability == "fully_digital" {
			v.Services = append(v.Services, WorkflowRow{Ref: s.ID, Name: s.Name, Version: versions[s.ID]})
		}
	}
	return h.render(w, r, 200, "workflows", true, v)
}

// WorkflowPage shows a declaration readably and takes a new version.
type WorkflowPage struct {
	Service  string
	Name     string
	Current  *StoredWorkflow
	Versions []StoredWorkflow
	Lang     string
	Form     web.Form
	Notice   string
	CanEdit  bool
}

func (h *Handler) handleWorkflow(w http.ResponseWriter, r *http.Request) error {
	p, tid, err := h.principal(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	var form web.Form
	if r.Method == http.MethodPost {
		if err := h.form(r); err != nil {
			return err
		}
		doc := r.PostForm.Get("document")
		_, err := h.Svc.DeclareWorkflow(r.Context(), p, tid, id, []byte(doc))
		if err == nil {
			http.Redirect(w, r, "/verwaltung/ablaeufe/"+id+"?hinweis=declared", http.StatusSeeOther)
			return nil
		}
		v, ok := fault.AsValidation(err)
		if !ok {
			return err
		}
		form = web.Form{Values: url.Values{"document": {doc}}}
		for _, fe := range v.Errors {
			form.Errors = append(form.Errors, web.FieldError{Field: "document", ID: "ablauf-document", Message: "cases.workflow.error", Args: map[string]any{"field": fe.Field, "code": fe.Code}})
		}
	}
	cur, err := h.Svc.Workflow(r.Context(), p, tid, id)
	if err != nil {
		return err
	}
	versions, err := h.Svc.WorkflowVersions(r.Context(), p, tid, id)
	if err != nil {
		return err
	}
	name := id
	if s, err := h.Svc.Catalog.Get(r.Context(), tid, id); err == nil {
		name = s.Service.Name
	}
	v := WorkflowPage{Service: cur.ServiceRef, Name: name, Current: cur, Versions: versions, Lang: string(h.Pages.Printer(r).Lang()), Form: form,
		CanEdit: p.Has(identity.RoleFormManager, identity.RoleAdmin)}
	if v.Form.Values == nil {
		v.Form.Values = url.Values{"document": {cur.Document}}
	}
	if r.URL.Query().Get("hinweis") == "declared" {
		v.Notice = "cases.notice.declared"
	}
	status := 200
	if form.Invalid() {
		status = http.StatusUnprocessableEntity
	}
	return h.render(w, r, status, "workflow", true, v)
}

// AbsencePage is the absence and substitute form.
type AbsencePage struct {
	Members []identity.Member
	Names   map[string]string
	Me      string
	CanAll  bool
	People  []Option
	Subs    []Option
	Form    web.Form
	Notice  string
}

// Name of a staff member by reference.
func (p AbsencePage) Name(ref string) string {
	if n, ok := p.Names[ref]; ok {
		return n
	}
	return ref
}

func (h *Handler) handleAbsence(w http.ResponseWriter, r *http.Request) error {
	p, tid, err := h.principal(r)
	if err != nil {
		return err
	}
	var form web.Form
	if r.Method == http.MethodPost {
		if err := h.form(r); err != nil {
			return err
		}
		f := r.PostForm
		v := &fault.Validation{}
		from, ferr := calendar.ParseDate(f.Get("from"))
		if ferr != nil {
			v.Add("starts_at", "invalid_date")
		}
		until, uerr := calendar.ParseDate(f.Get("until"))
		if uerr != nil {
			v.Add("ends_at", "invalid_date")
		}
		if v.Err() == nil {
			start := from.In(calendar.Berlin)
			end := until.AddDays(1).In(calendar.Berlin)
			_, err := h.Svc.Identity.SetAbsence(r.Context(), p, tid, f.Get("account"), start, end, f.Get("substitute"))
			if err == nil {
				http.Redirect(w, r, "/verwaltung/abwesenheit?hinweis=saved", http.StatusSeeOther)
				return nil
			}
			fv, ok := fault.AsValidation(err)
			if !ok {
				return err
			}
			v = fv
		}
		form = web.Form{Values: f}
		form.AddFault(v, "abwesenheit-")
	}
	ms, err := h.Svc.Identity.Members(r.Context(), p, tid)
	if err != nil {
		return err
	}
	v := AbsencePage{Members: ms, Names: map[string]string{}, Me: p.Ref, CanAll: p.Has(identity.RoleAdmin, identity.RoleUnitHead), Form: form}
	sel := p.Ref
	if form.Values != nil {
		sel = form.Value("account")
	}
	v.Subs = append(v.Subs, Option{Value: "", Label: ""})
	for _, m := range ms {
		v.Names[m.Ref] = m.Name
		if v.CanAll || m.Ref == p.Ref {
			v.People = append(v.People, Option{Value: m.Ref, Label: m.Name, Selected: m.Ref == sel})
		}
		v.Subs = append(v.Subs, Option{Value: m.Ref, Label: m.Name, Selected: form.Values != nil && form.Value("substitute") == m.Ref})
	}
	if !v.CanAll {
		var mine []identity.Member
		for _, m := range ms {
			if m.Ref == p.Ref {
				mine = append(mine, m)
			}
		}
		v.Members = mine
	}
	if r.URL.Query().Get("hinweis") == "saved" {
		v.Notice = "cases.notice.absence_saved"
	}
	status := 200
	if form.Invalid() {
		status = http.StatusUnprocessableEntity
	}
	return h.render(w, r, status, "absence", true, v)
}

func (h *Handler) handleAbsenceEnd(w http.ResponseWriter, r *http.Request) error {
	p, tid, err := h.principal(r)
	if err != nil {
		return err
	}
	if err := h.Svc.Identity.CancelAbsence(r.Context(), p, tid, r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/verwaltung/abwesenheit?hinweis=saved", http.StatusSeeOther)
	return nil
}

// ProgressPage is the applicant's status page.
type ProgressPage struct {
	Progress
	Lang string
}

// StateText is the state in the page's language.
func (p ProgressPage) StateText() string { return p.State.In(p.Lang) }

// NextText is the next step in the page's language.
func (p ProgressPage) NextText() string { return p.Next.In(p.Lang) }

// Expected is the processing deadline as a time for the date formatter.
func (p ProgressPage) Expected() time.Time {
	d, err := calendar.ParseDate(p.ExpectedBy)
	if err != nil {
		return time.Time{}
	}
	return d.In(calendar.Berlin).Add(12 * time.Hour)
}

// AnswerByTime is the answer's due date as a time.
func (p ProgressPage) AnswerByTime() time.Time {
	d, err := calendar.ParseDate(p.AnswerBy)
	if err != nil {
		return time.Time{}
	}
	return d.In(calendar.Berlin).Add(12 * time.Hour)
}

func (h *Handler) handleProgress(w http.ResponseWriter, r *http.Request) error {
	p, tid, err := h.principal(r)
	if err != nil {
		return err
	}
	pr, err := h.Svc.Progress(r.Context(), p, tid, r.PathValue("id"))
	if err != nil {
		return err
	}
	return h.render(w, r, 200, "progress", false, ProgressPage{Progress: *pr, Lang: string(h.Pages.Printer(r).Lang())})
}
