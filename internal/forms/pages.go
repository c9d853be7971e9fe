package forms

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/i18n"
	"github.com/rathaus/rathaus/internal/platform/pow"
	"github.com/rathaus/rathaus/internal/platform/web"
)

//go:embed templates
var templateFS embed.FS

// partials is parsed together with every page of forms.
const partials = "templates/partials.html"

// PageNames are forms' page templates, added as "forms." + name.
var PageNames = []string{"start", "consent", "step", "check", "saved", "resume", "confirm", "applications", "application",
	"directory", "form", "builder", "field", "preview"}

// AddTemplates parses forms' page templates into r (at start-up).
func AddTemplates(r *web.Renderer) error {
	for _, name := range PageNames {
		if err := r.Add("forms."+name, templateFS, "templates/"+name+".html", partials); err != nil {
			return err
		}
	}
	return nil
}

// Templates are the page templates (for the template tests).
func Templates() fs.FS { return templateFS }

// DraftCookie keeps an anonymous draft's key in the browser.
const DraftCookie = "rathaus_antrag"

func (h *Handler) pageRoutes(rt *web.Router) {
	up := web.MaxBody(MaxSubmissionBytes)
	rt.HandleFunc("GET /antrag/{id}", h.page(h.handleStart))
	rt.HandleFunc("GET /antrag/rechenaufgabe", h.page(h.handleChallenge))
	rt.Handle("GET /antrag/static/pow.js", http.HandlerFunc(servePoWScript))
	rt.HandleFunc("POST /antrag/{id}", h.page(h.handleBegin))
	rt.HandleFunc("GET /antrag/entwurf/{id}", h.page(h.handleStep))
	rt.HandleFunc("POST /antrag/entwurf/{id}", h.page(h.handleStepSave), up)
	rt.HandleFunc("GET /antrag/entwurf/{id}/einwilligung", h.page(h.handleConsent))
	rt.HandleFunc("POST /antrag/entwurf/{id}/einwilligung", h.page(h.handleConsentSave))
	rt.HandleFunc("GET /antrag/entwurf/{id}/pruefen", h.page(h.handleCheck))
	rt.HandleFunc("POST /antrag/entwurf/{id}/absenden", h.page(h.handleSubmitDraft))
	rt.HandleFunc("POST /antrag/entwurf/{id}/email", h.page(h.handleEmail))
	rt.HandleFunc("GET /antrag/entwurf/{id}/gespeichert", h.page(h.handleSaved))
	rt.HandleFunc("POST /antrag/entwurf/{id}/link", h.page(h.handleSendResume))
	rt.HandleFunc("POST /antrag/entwurf/{id}/verwerfen", h.page(h.handleDiscard))
	rt.HandleFunc("GET /antrag/fortsetzen", h.page(h.handleResumeForm))
	rt.HandleFunc("POST /antrag/fortsetzen", h.page(h.handleResume))
	rt.HandleFunc("GET /antrag/bestaetigen", h.page(h.handleConfirmForm))
	rt.HandleFunc("POST /antrag/bestaetigen", h.page(h.handleConfirm))
	rt.HandleFunc("GET /antraege", h.page(h.handleApplications))
	rt.HandleFunc("GET /antraege/{id}", h.page(h.handleApplication))
	rt.HandleFunc("GET /antraege/{id}/eingangsbestaetigung.pdf", h.page(h.handleReceiptPage))
	rt.HandleFunc("POST /antraege/{id}/zurueckziehen", h.page(h.handleWithdraw))
	rt.HandleFunc("POST /konto/einwilligungen/{id}/widerrufen", h.page(h.handleConsentWithdraw))
	h.staffRoutes(rt)
}

// page sends a GET that needs a sign-in to the sign-in page and back.
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

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) error {
	w.Header().Set("Cache-Control", "no-store")
	return h.Pages.Render(w, r, status, "forms."+name, h.Shell(r), data)
}

func (h *Handler) renderStaff(w http.ResponseWriter, r *http.Request, status int, name string, data any) error {
	sh := h.Shell(r)
	sh.Area = web.AreaStaff
	w.Header().Set("Cache-Control", "no-store")
	return h.Pages.Render(w, r, status, "forms."+name, sh, data)
}

func lang(r *http.Request) string { return string(i18n.FromRequest(r)) }

func tenant(r *http.Request) (*identity.Tenant, error) {
	t := identity.TenantFrom(r.Context())
	if t == nil {
		return nil, fault.ErrNotFound
	}
	return t, nil
}

// visitor is who asks: the signed-in person (if any) and the draft cookie.
func (h *Handler) visitor(r *http.Request) (Visitor, *identity.Tenant, error) {
	t, err := tenant(r)
	if err != nil {
		return Visitor{}, nil, err
	}
	v := Visitor{Addr: web.ClientFrom(r).Addr}
	if p, _, err := h.Identity.PrincipalFrom(r); err == nil {
		v.P = p
	} else if !errors.Is(err, fault.ErrUnauthorized) {
		return v, t, err
	}
	if c, err := r.Cookie(DraftCookie); err == nil {
		if ref, secret, ok := strings.Cut(c.Value, "."); ok && ref == r.PathValue("id") {
			v.Secret = secret
		} else if ok && r.PathValue("id") == "" {
			v.Secret = secret
		}
	}
	return v, t, nil
}

// person requires a signed-in person.
func (h *Handler) person(r *http.Request) (identity.Principal, *identity.Tenant, error) {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return p, t, err
	}
	if !p.IsPerson() {
		return p, t, fault.ErrUnauthorized
	}
	return p, t, nil
}

func setDraftCookie(w http.ResponseWriter, r *http.Request, draftRef, secret string) {
	http.SetCookie(w, &http.Cookie{Name: DraftCookie, Value: draftRef + "." + secret, Path: "/antrag", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https", MaxAge: int(DraftTTL / time.Second)})
}

func (h *Handler) tr(r *http.Request) func(string) string {
	p := h.Pages.Printer(r)
	return func(k string) string { return p.T(k) }
}

// trArgs translates a key with named arguments ({max}).
func (h *Handler) trArgs(r *http.Request) func(string, map[string]any) string {
	p := h.Pages.Printer(r)
	return func(k string, args map[string]any) string {
		if len(args) == 0 {
			return p.T(k)
		}
		return p.TNamed(k, args)
	}
}

// StartPage is the view model of GET /antrag/{id}: what the form asks,
// what it costs, who may apply, and the visitor's open drafts.
type StartPage struct {
	ServiceID, Title, Intro, Fee string
	Steps                        []string
	SignedIn, WrongKind          bool
	Anonymous                    bool
	LoginURL                     string
	Drafts                       []DraftSummary
	// PoW: an anonymous start needs a solved challenge now (pow.go); the
	// page names the challenge's address and the script that solves it.
	// PoWError is why the last start was refused ("" none).
	PoW                               bool
	PoWChallenge, PoWScript, PoWError string
}

func (h *Handler) handleStart(w http.ResponseWriter, r *http.Request) error {
	v, err := h.startPage(r, "")
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "start", v)
}

// startPage builds the start page; powError is why a start was refused
// for want of a (right) solution.
func (h *Handler) startPage(r *http.Request, powError string) (StartPage, error) {
	t, err := tenant(r)
	if err != nil {
		return StartPage{}, err
	}
	sid := r.PathValue("id")
	d, _, _, err := h.Forms.CurrentForm(r.Context(), t.ID, sid)
	if fault.HasCode(err, "service", "form_not_published") {
		return StartPage{}, fmt.Errorf("no form for %s: %w", sid, fault.ErrNotFound)
	}
	if err != nil {
		return StartPage{}, err
	}
	l := lang(r)
	v := StartPage{ServiceID: sid, Title: d.Title.In(l), Intro: d.Intro.In(l), Anonymous: d.Anonymous,
		LoginURL: "/anmelden?" + url.Values{"return_to": {"/antrag/" + sid}}.Encode()}
	if d.Fee != nil {
		v.Fee = FeeText(d.Fee, l)
	}
	for _, s := range d.Steps {
		v.Steps = append(v.Steps, s.Title.In(l))
	}
	if p, _, err := h.Identity.PrincipalFrom(r); err == nil && p.IsPerson() {
		v.SignedIn = true
		v.WrongKind = !d.AllowsKind(p.Kind)
		ds, err := h.Forms.OpenDrafts(r.Context(), p, t.ID)
		if err != nil {
			return StartPage{}, err
		}
		for _, x := range ds {
			x.UpdatedAt = x.UpdatedAt.In(berlin)
			if x.ServiceID == sid {
				v.Drafts = append(v.Drafts, x)
			}
		}
	}
	if d.Anonymous && !v.SignedIn {
		costs, err := h.Forms.AnonymousStartCosts(r.Context(), t.ID)
		if err != nil {
			return StartPage{}, err
		}
		v.PoW = costs || powError != ""
		v.PoWChallenge, v.PoWScript, v.PoWError = "/antrag/rechenaufgabe", "/antrag/static/pow.js", powError
	}
	return v, nil
}

// handleChallenge issues a proof-of-work challenge for an anonymous start
// (JSON, fetched by pow.js).
func (h *Handler) handleChallenge(w http.ResponseWriter, r *http.Request) error {
	t, err := tenant(r)
	if err != nil {
		return err
	}
	c, err := h.Forms.Challenge(r.Context(), t.ID)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, c)
	return nil
}

func servePoWScript(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(pow.Script)
}

func (h *Handler) handleBegin(w http.ResponseWriter, r *http.Request) error {
	v, t, err := h.visitor(r)
	if err != nil {
		return err
	}
	sid := r.PathValue("id")
	v.PoW = r.FormValue("altcha")
	d, secret, err := h.Forms.StartDraft(r.Context(), v, t.ID, sid, lang(r))
	for _, code := range []string{"challenge_required", "challenge_invalid", "challenge_expired", "challenge_replayed"} {
		if fault.HasCode(err, "pow", code) {
			page, err := h.startPage(r, code)
			if err != nil {
				return err
			}
			return h.render(w, r, http.StatusUnprocessableEntity, "start", page)
		}
	}
	if fault.HasCode(err, "service", "form_not_published") {
		return fmt.Errorf("no form for %s: %w", sid, fault.ErrNotFound)
	}
	if errors.Is(err, fault.ErrUnauthorized) {
		http.Redirect(w, r, "/anmelden?"+url.Values{"return_to": {"/antrag/" + sid}}.Encode(), http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return err
	}
	if secret != "" {
		setDraftCookie(w, r, d.Ref, secret)
	}
	next := "/antrag/entwurf/" + d.Ref
	if v.P.IsPerson() {
		filled, err := h.Forms.applyConsent(r.Context(), v.P, t.ID, d)
		if err != nil {
			return err
		}
		if !filled {
			items, err := h.Forms.PrefillOffer(r.Context(), v.P, t.ID, d, lang(r))
			if err != nil {
				return err
			}
			if len(items) > 0 {
				next += "/einwilligung"
			}
		} else {
			next += "?hinweis=prefilled"
		}
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// ConsentPage is the view model of the prefill question.
type ConsentPage struct {
	DraftRef, Title, ServiceID string
	Items                      []PrefillItem
	Form                       web.Form
}

func (h *Handler) handleConsent(w http.ResponseWriter, r *http.Request) error {
	return h.consentPage(w, r, http.StatusOK, web.Form{})
}

func (h *Handler) consentPage(w http.ResponseWriter, r *http.Request, status int, f web.Form) error {
	p, t, err := h.person(r)
	if err != nil {
		return err
	}
	d, err := h.Forms.Draft(r.Context(), Visitor{P: p}, t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	items, err := h.Forms.PrefillOffer(r.Context(), p, t.ID, d, lang(r))
	if err != nil {
		return err
	}
	if len(items) == 0 {
		http.Redirect(w, r, "/antrag/entwurf/"+d.Ref, http.StatusSeeOther)
		return nil
	}
	return h.render(w, r, status, "consent", ConsentPage{DraftRef: d.Ref, Title: d.Def.Title.In(lang(r)), ServiceID: d.ServiceID, Items: items, Form: f})
}

func (h *Handler) handleConsentSave(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.person(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	answer := r.PostForm.Get("prefill")
	if answer != "yes" && answer != "no" {
		var f web.Form
		f.Values = r.PostForm
		f.Errors = []web.FieldError{{Field: "prefill", ID: "f-prefill", Message: "forms.consent.error"}}
		return h.consentPage(w, r, http.StatusUnprocessableEntity, f)
	}
	ref := r.PathValue("id")
	if err := h.Forms.DecidePrefill(r.Context(), p, t.ID, ref, answer == "yes"); err != nil {
		return err
	}
	next := "/antrag/entwurf/" + ref
	if answer == "yes" {
		next += "?hinweis=prefilled"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// StepPage is the view model of one step of a form.
type StepPage struct {
	DraftRef, ServiceID, Title string
	StepID, StepTitle, Intro   string
	StepNo, StepCount          int
	Fields                     []FieldView
	Form                       web.Form
	Multipart                  bool
	BackURL                    string
	Anonymous                  bool
	NoticeKey                  string
	// InlineButtons: the page has buttons besides "continue" (add or
	// remove an entry, remove a file), so a hidden default button comes
	// first and Enter in a text field still means "continue".
	InlineButtons bool
}

// visibleSteps are the steps shown for the canonical answers.
func visibleSteps(d *Definition, a Answers) []Step {
	var out []Step
	for _, s := range d.Steps {
		if d.StepVisible(s, a) {
			out = append(out, s)
		}
	}
	return out
}

// withoutRevealed drops the problems of a step's fields that were hidden
// before the page was sent and are visible now, as long as they have no
// answer; nil when nothing else is wrong.
func withoutRevealed(v *fault.Validation, step *Step, before, after Answers) *fault.Validation {
	shown := func(a Answers) map[string]bool {
		m := map[string]bool{}
		for _, f := range step.Fields {
			if f.VisibleIf == nil || evalCondition(*f.VisibleIf, a, step.Fields, a) {
				m[f.ID] = true
			}
		}
		return m
	}
	was, is := shown(before), shown(after)
	out := &fault.Validation{}
	for _, e := range v.Errors {
		top, _, _ := strings.Cut(e.Field, ".")
		if is[top] && !was[top] && e.Code == "required" {
			continue
		}
		out.Errors = append(out.Errors, e)
	}
	if len(out.Errors) == 0 {
		return nil
	}
	return out
}

func inlineButtons(fs []FieldView) bool {
	for _, f := range fs {
		if f.CanAdd || len(f.Files) > 0 || inlineButtons(f.Children) {
			return true
		}
		for _, e := range f.Entries {
			if e.Remove != "" || inlineButtons(e.Fields) {
				return true
			}
		}
	}
	return false
}

func hasFile(fs []Field) bool {
	for _, f := range fs {
		if f.Type == TypeFile || f.Type == TypeGroup && hasFile(f.Fields) {
			return true
		}
	}
	return false
}

func (h *Handler) handleStep(w http.ResponseWriter, r *http.Request) error {
	v, t, err := h.visitor(r)
	if err != nil {
		return err
	}
	d, err := h.Forms.Draft(r.Context(), v, t.ID, r.PathValue("id"))
	if errors.Is(err, ErrDraftNotFound) && !v.P.IsPerson() && v.Secret == "" {
		return fault.ErrUnauthorized // perhaps a signed-out owner: sign in and come back
	}
	if err != nil {
		return err
	}
	if d.Prefill == "" && v.P.IsPerson() && r.URL.Query().Get("schritt") == "" {
		if items, err := h.Forms.PrefillOffer(r.Context(), v.P, t.ID, d, lang(r)); err != nil {
			return err
		} else if len(items) > 0 {
			http.Redirect(w, r, "/antrag/entwurf/"+d.Ref+"/einwilligung", http.StatusSeeOther)
			return nil
		}
	}
	notice := ""
	switch r.URL.Query().Get("hinweis") {
	case "prefilled":
		notice = "forms.notice.prefilled"
	case "saved":
		notice = "forms.notice.saved"
	}
	if d.VersionChanged {
		notice = "forms.notice.version_changed"
		if err := h.Forms.MarkVersionSeen(r.Context(), v, t.ID, d.Ref); err != nil {
			return err
		}
	}
	return h.stepPage(w, r, http.StatusOK, d, r.URL.Query().Get("schritt"), nil, notice)
}

func (h *Handler) stepPage(w http.ResponseWriter, r *http.Request, status int, d *Draft, stepID string, problems *fault.Validation, notice string) error {
	l := lang(r)
	canon := h.Forms.Canonical(d)
	steps := visibleSteps(d.Def, canon)
	if len(steps) == 0 {
		return fmt.Errorf("form of %s shows no step: %w", d.ServiceID, fault.ErrNotFound)
	}
	idx := 0
	if stepID != "" {
		idx = -1
		for i, s := range steps {
			if s.ID == stepID {
				idx = i
			}
		}
		if idx < 0 {
			return fmt.Errorf("step %q: %w", stepID, fault.ErrNotFound)
		}
	}
	step := steps[idx]
	b := &viewBuilder{lang: l, errs: errorMap(problems), files: filesByField(d.Files), canon: canon, d: d.Def, render: h.tr(r)}
	p := StepPage{DraftRef: d.Ref, ServiceID: d.ServiceID, Title: d.Def.Title.In(l), StepID: step.ID, StepTitle: step.Title.In(l), Intro: step.Intro.In(l),
		StepNo: idx + 1, StepCount: len(steps), Fields: b.fields("", step.Fields, d.Answers, canon, 0), Form: errorForm(problems, d.Def, l, h.trArgs(r)),
		Multipart: hasFile(step.Fields), Anonymous: d.AccountID == 0, NoticeKey: notice}
	p.InlineButtons = inlineButtons(p.Fields)
	if idx > 0 {
		p.BackURL = "/antrag/entwurf/" + d.Ref + "?schritt=" + steps[idx-1].ID
	} else {
		p.BackURL = "/antrag/" + d.ServiceID
	}
	return h.render(w, r, status, "step", p)
}

// maxMemory is how much of a page's multipart body is held in memory
// (the rest goes to temporary files, removed after the request).
const maxMemory = 8 << 20

func (h *Handler) handleStepSave(w http.ResponseWriter, r *http.Request) error {
	v, t, err := h.visitor(r)
	if err != nil {
		return err
	}
	ref := r.PathValue("id")
	d, err := h.Forms.Draft(r.Context(), v, t.ID, ref)
	if err != nil {
		return err
	}
	stepID := r.URL.Query().Get("schritt")
	if stepID == "" {
		stepID = r.FormValue("step")
	}
	canon := h.Forms.Canonical(d)
	steps := visibleSteps(d.Def, canon)
	if stepID == "" && len(steps) > 0 {
		stepID = steps[0].ID
	}
	step := d.Def.Step(stepID)
	if step == nil {
		return fmt.Errorf("step %q: %w", stepID, fault.ErrNotFound)
	}
	var in StepInput
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(maxMemory); err != nil {
			var mb *http.MaxBytesError
			if errors.As(err, &mb) {
				return err
			}
			return fmt.Errorf("%w: unreadable upload", fault.ErrBadRequest)
		}
		defer r.MultipartForm.RemoveAll()
		for name, fhs := range r.MultipartForm.File {
			for _, fh := range fhs {
				if fh.Size == 0 && fh.Filename == "" {
					continue // the browser's empty file input
				}
				f, err := fh.Open()
				if err != nil {
					return err
				}
				data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
				f.Close()
				if err != nil {
					return err
				}
				in.Uploads = append(in.Uploads, Upload{Field: name, Name: fh.Filename, Data: data})
			}
		}
	} else if err := r.ParseForm(); err != nil {
		return err
	}
	form := r.PostForm
	in.Values = stepValues(step.Fields, form, "", d.Answers)
	for _, rm := range form["remove_file"] {
		if path, sha, ok := strings.Cut(rm, "|"); ok {
			in.Remove = append(in.Remove, File{Field: path, SHA256: sha})
		}
	}
	if a := form.Get("add"); a != "" {
		in.AddItem = a
	}
	if rm := form.Get("remove_entry"); rm != "" {
		if path, i, ok := strings.Cut(rm, "|"); ok {
			in.RemoveItem = path
			in.RemoveAt, _ = strconv.Atoi(i)
		}
	}
	saved, problems, err := h.Forms.SaveStep(r.Context(), v, t.ID, ref, stepID, in)
	if fv, ok := fault.AsValidation(err); ok {
		return h.stepPage(w, r, http.StatusUnprocessableEntity, d, stepID, fv, "")
	}
	if err != nil {
		return err
	}
	base := "/antrag/entwurf/" + ref
	switch {
	case in.AddItem != "" || in.RemoveItem != "" || len(in.Remove) > 0:
		http.Redirect(w, r, base+"?schritt="+stepID, http.StatusSeeOther)
		return nil
	case form.Get("action") == "save":
		http.Redirect(w, r, base+"/gespeichert", http.StatusSeeOther)
		return nil
	case problems != nil:
		// Questions that the answers on this page just revealed are asked
		// first, not reported as missing (without JavaScript they appear
		// only now).
		problems = withoutRevealed(problems, step, canon, h.Forms.Canonical(saved))
		if problems == nil {
			return h.stepPage(w, r, http.StatusOK, saved, stepID, nil, "")
		}
		return h.stepPage(w, r, http.StatusUnprocessableEntity, saved, stepID, problems, "")
	}
	next := base + "/pruefen"
	canon = h.Forms.Canonical(saved)
	vs := visibleSteps(saved.Def, canon)
	for i, s := range vs {
		if s.ID == stepID && i+1 < len(vs) && form.Get("return") != "check" {
			next = base + "?schritt=" + vs[i+1].ID
		}
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// CheckPage is the view model of check-your-answers.
type CheckPage struct {
	DraftRef, ServiceID, Title, Fee string
	Sections                        []CheckSection
	Form                            web.Form
	Anonymous                       bool
	Email                           string
	EmailConfirmed                  bool
	EmailSent                       bool
	EmailForm                       web.Form
	CanSubmit                       bool
	NoticeKey                       string
}

// Summary is the page's one error summary: the answers' problems, then the
// e-mail address's.
func (p CheckPage) Summary() web.Form {
	return web.Form{Errors: append(append([]web.FieldError{}, p.Form.Errors...), p.EmailForm.Errors...)}
}

// CheckSection is one step's answers.
type CheckSection struct {
	StepID, Title, ChangeURL string
	Lines                    []Line
}

func (h *Handler) handleCheck(w http.ResponseWriter, r *http.Request) error {
	v, t, err := h.visitor(r)
	if err != nil {
		return err
	}
	d, err := h.Forms.Draft(r.Context(), v, t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if d.VersionChanged {
		http.Redirect(w, r, "/antrag/entwurf/"+d.Ref, http.StatusSeeOther)
		return nil
	}
	notice := ""
	if r.URL.Query().Get("hinweis") == "confirmed" {
		notice = "forms.notice.email_confirmed"
	}
	return h.checkPage(w, r, http.StatusOK, d, nil, web.Form{}, r.URL.Query().Get("hinweis") == "gesendet", notice)
}

func (h *Handler) checkPage(w http.ResponseWriter, r *http.Request, status int, d *Draft, problems *fault.Validation, emailForm web.Form, sent bool, notice string) error {
	l := lang(r)
	if problems == nil {
		problems = h.Forms.Problems(d)
	}
	canon := h.Forms.Canonical(d)
	p := CheckPage{DraftRef: d.Ref, ServiceID: d.ServiceID, Title: d.Def.Title.In(l), Anonymous: d.AccountID == 0, Email: d.Email,
		EmailConfirmed: d.EmailConfirmed, EmailSent: sent, EmailForm: emailForm, NoticeKey: notice}
	if d.Def.Fee != nil {
		p.Fee = FeeText(d.Def.Fee, l)
	}
	for _, s := range visibleSteps(d.Def, canon) {
		p.Sections = append(p.Sections, CheckSection{StepID: s.ID, Title: s.Title.In(l), ChangeURL: "/antrag/entwurf/" + d.Ref + "?schritt=" + s.ID,
			Lines: d.Def.StepLines(s, canon, l)})
	}
	// Problems link to the step where they can be fixed.
	if problems != nil {
		for _, e := range problems.Errors {
			stepID := ""
			for _, s := range d.Def.Steps {
				if topID(e.Field, &s) != "" {
					stepID = s.ID
				}
			}
			tr := h.trArgs(r)
			p.Form.Errors = append(p.Form.Errors, web.FieldError{Field: e.Field, ID: "schritt-" + stepID, Message: "forms.error.summary",
				Args: map[string]any{"label": labelOf(d.Def, e.Field, l, tr), "problem": tr("fault."+e.Code, e.Args)}})
		}
	}
	p.CanSubmit = len(p.Form.Errors) == 0 && (!p.Anonymous || d.EmailConfirmed)
	if len(p.Form.Errors) > 0 && status == http.StatusOK {
		status = http.StatusUnprocessableEntity
	}
	return h.render(w, r, status, "check", p)
}

func (h *Handler) handleSubmitDraft(w http.ResponseWriter, r *http.Request) error {
	v, t, err := h.visitor(r)
	if err != nil {
		return err
	}
	ref := r.PathValue("id")
	app, err := h.Forms.SubmitDraft(r.Context(), v, t.ID, ref)
	if held, ok := AsHeld(err); ok {
		http.Redirect(w, r, held.Next, http.StatusSeeOther)
		return nil
	}
	if fv, ok := fault.AsValidation(err); ok {
		d, derr := h.Forms.Draft(r.Context(), v, t.ID, ref)
		if derr != nil {
			return derr
		}
		return h.checkPage(w, r, http.StatusUnprocessableEntity, d, fv, web.Form{}, false, "")
	}
	if errors.Is(err, fault.ErrConflict) {
		http.Redirect(w, r, "/antrag/entwurf/"+ref, http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return err
	}
	if app.AccountID == 0 {
		// Anonymous: there is no account to come back to; the reference is
		// shown once, here (mails carry no personal data, so no receipt is
		// mailed), and the draft cookie goes.
		http.SetCookie(w, &http.Cookie{Name: DraftCookie, Value: "", Path: "/antrag", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
		return h.render(w, r, http.StatusOK, "application", ApplicationPage{Ref: app.Ref, Title: app.FormTitle, Status: app.Status, StatusKey: "forms.status." + string(app.Status),
			SubmittedAt: app.SubmittedAt.In(berlin), NoticeKey: "forms.notice.submitted", Anonymous: true, Email: app.Email})
	}
	http.Redirect(w, r, "/antraege/"+app.Ref+"?hinweis=eingegangen", http.StatusSeeOther)
	return nil
}

func (h *Handler) handleEmail(w http.ResponseWriter, r *http.Request) error {
	v, t, err := h.visitor(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	ref := r.PathValue("id")
	err = h.Forms.SendConfirmation(r.Context(), v, t.ID, ref, r.PostForm.Get("email"), h.BaseURL(r))
	if fv, ok := fault.AsValidation(err); ok {
		d, derr := h.Forms.Draft(r.Context(), v, t.ID, ref)
		if derr != nil {
			return derr
		}
		f := web.Form{Values: r.PostForm}
		f.AddFault(fv, "f-")
		return h.checkPage(w, r, http.StatusUnprocessableEntity, d, nil, f, false, "")
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/antrag/entwurf/"+ref+"/pruefen?hinweis=gesendet", http.StatusSeeOther)
	return nil
}

// SavedPage is shown after "save and continue later".
type SavedPage struct {
	DraftRef, Title string
	Anonymous, Sent bool
	ExpiresAt       time.Time
	Form            web.Form
}

func (h *Handler) handleSaved(w http.ResponseWriter, r *http.Request) error {
	v, t, err := h.visitor(r)
	if err != nil {
		return err
	}
	d, err := h.Forms.Draft(r.Context(), v, t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "saved", SavedPage{DraftRef: d.Ref, Title: d.Def.Title.In(lang(r)), Anonymous: d.AccountID == 0,
		Sent: r.URL.Query().Get("hinweis") == "gesendet", ExpiresAt: d.ExpiresAt})
}

func (h *Handler) handleSendResume(w http.ResponseWriter, r *http.Request) error {
	v, t, err := h.visitor(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	ref := r.PathValue("id")
	err = h.Forms.SendResumeLink(r.Context(), v, t.ID, ref, r.PostForm.Get("email"), h.BaseURL(r))
	if fv, ok := fault.AsValidation(err); ok {
		d, derr := h.Forms.Draft(r.Context(), v, t.ID, ref)
		if derr != nil {
			return derr
		}
		f := web.Form{Values: r.PostForm}
		f.AddFault(fv, "f-")
		return h.render(w, r, http.StatusUnprocessableEntity, "saved", SavedPage{DraftRef: d.Ref, Title: d.Def.Title.In(lang(r)), Anonymous: true, ExpiresAt: d.ExpiresAt, Form: f})
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/antrag/entwurf/"+ref+"/gespeichert?hinweis=gesendet", http.StatusSeeOther)
	return nil
}

func (h *Handler) handleDiscard(w http.ResponseWriter, r *http.Request) error {
	v, t, err := h.visitor(r)
	if err != nil {
		return err
	}
	d, err := h.Forms.Draft(r.Context(), v, t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := h.Forms.DiscardDraft(r.Context(), v, t.ID, d.Ref); err != nil {
		return err
	}
	http.Redirect(w, r, "/antrag/"+d.ServiceID, http.StatusSeeOther)
	return nil
}

// TokenPage shows a button that follows an emailed link (a GET never
// changes anything; the link's token goes on in the form).
type TokenPage struct {
	Token string
}

func (h *Handler) handleResumeForm(w http.ResponseWriter, r *http.Request) error {
	return h.render(w, r, http.StatusOK, "resume", TokenPage{Token: r.URL.Query().Get("token")})
}

func (h *Handler) handleResume(w http.ResponseWriter, r *http.Request) error {
	t, err := tenant(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	ref, secret, err := h.Forms.Resume(r.Context(), t.ID, r.PostForm.Get("token"))
	if err != nil {
		return err
	}
	setDraftCookie(w, r, ref, secret)
	http.Redirect(w, r, "/antrag/entwurf/"+ref, http.StatusSeeOther)
	return nil
}

func (h *Handler) handleConfirmForm(w http.ResponseWriter, r *http.Request) error {
	return h.render(w, r, http.StatusOK, "confirm", TokenPage{Token: r.URL.Query().Get("token")})
}

func (h *Handler) handleConfirm(w http.ResponseWriter, r *http.Request) error {
	t, err := tenant(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	ref, err := h.Forms.ConfirmEmail(r.Context(), t.ID, r.PostForm.Get("token"))
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/antrag/entwurf/"+ref+"/pruefen?hinweis=confirmed", http.StatusSeeOther)
	return nil
}

// ApplicationsPage lists the person's applications and open drafts.
type ApplicationsPage struct {
	Applications []ApplicationRow
	Drafts       []DraftSummary
}

// ApplicationRow is an application in the list.
type ApplicationRow struct {
	Summary
	StatusKey string
}

func (h *Handler) handleApplications(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.person(r)
	if err != nil {
		return err
	}
	list, err := h.Forms.Applications(r.Context(), p, t.ID)
	if err != nil {
		return err
	}
	ds, err := h.Forms.OpenDrafts(r.Context(), p, t.ID)
	if err != nil {
		return err
	}
	v := ApplicationsPage{Drafts: ds}
	for _, a := range list {
		a.SubmittedAt = a.SubmittedAt.In(berlin)
		v.Applications = append(v.Applications, ApplicationRow{Summary: a, StatusKey: "forms.status." + string(a.Status)})
	}
	return h.render(w, r, http.StatusOK, "applications", v)
}

// ApplicationPage is one application as its applicant sees it.
type ApplicationPage struct {
	Ref, Title   string
	Status       Status
	StatusKey    string
	SubmittedAt  time.Time
	Lines        []Line
	Files        []File
	Withdrawable bool
	NoticeKey    string
	Form         web.Form
	Anonymous    bool
	Email        string
}

func (h *Handler) handleApplication(w http.ResponseWriter, r *http.Request) error {
	notice := ""
	switch r.URL.Query().Get("hinweis") {
	case "eingegangen":
		notice = "forms.notice.submitted"
	case "zurueckgezogen":
		notice = "forms.notice.withdrawn"
	}
	return h.applicationPage(w, r, http.StatusOK, notice, web.Form{})
}

func (h *Handler) applicationPage(w http.ResponseWriter, r *http.Request, status int, notice string, f web.Form) error {
	p, t, err := h.person(r)
	if err != nil {
		return err
	}
	a, err := h.Forms.Own(r.Context(), p, t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	d, err := h.Forms.DefinitionOf(r.Context(), t.ID, a.Ref)
	if err != nil {
		return err
	}
	l := lang(r)
	return h.render(w, r, status, "application", ApplicationPage{Ref: a.Ref, Title: d.Title.In(l), Status: a.Status, StatusKey: "forms.status." + string(a.Status),
		SubmittedAt: a.SubmittedAt.In(berlin), Lines: d.Lines(a.Answers, l), Files: a.Files, Withdrawable: a.Status.Withdrawable(), NoticeKey: notice, Form: f})
}

func (h *Handler) handleReceiptPage(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.person(r)
	if err != nil {
		return err
	}
	return h.serveReceipt(w, r, p, t)
}

func (h *Handler) handleWithdraw(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.person(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	if r.PostForm.Get("confirm") != "yes" {
		f := web.Form{Values: r.PostForm, Errors: []web.FieldError{{Field: "confirm", ID: "f-confirm", Message: "forms.withdraw.error"}}}
		return h.applicationPage(w, r, http.StatusUnprocessableEntity, "", f)
	}
	ref := r.PathValue("id")
	if err := h.Forms.Withdraw(r.Context(), p, t.ID, ref); err != nil {
		return err
	}
	http.Redirect(w, r, "/antraege/"+ref+"?hinweis=zurueckgezogen", http.StatusSeeOther)
	return nil
}

func (h *Handler) handleConsentWithdraw(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.person(r)
	if err != nil {
		return err
	}
	if err := h.Forms.WithdrawConsent(r.Context(), p, t.ID, r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/konto?hinweis=consent_withdrawn#einwilligungen", http.StatusSeeOther)
	return nil
}
