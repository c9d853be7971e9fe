package forms

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// The form managers' pages: the forms directory, a form with its versions,
// the builder (steps and fields with form controls, no JSON), the field
// editor, a preview and publishing. Everything works without JavaScript:
// each change is one POST that saves the draft and comes back.

func (h *Handler) staffRoutes(rt *web.Router) {
	rt.HandleFunc("GET /verwaltung/formulare", h.page(h.handleDirectory))
	rt.HandleFunc("POST /verwaltung/formulare", h.page(h.handleCreateForm))
	rt.HandleFunc("POST /verwaltung/formulare/import", h.page(h.handleImport), web.MaxBody(maxFIMBytes+1<<20))
	rt.HandleFunc("GET /verwaltung/formulare/{id}", h.page(h.handleFormPage))
	rt.HandleFunc("POST /verwaltung/formulare/{id}", h.page(h.handleFormUpdate))
	rt.HandleFunc("POST /verwaltung/formulare/{id}/entwurf", h.page(h.handleNewDraft))
	rt.HandleFunc("POST /verwaltung/formulare/{id}/veroeffentlichen", h.page(h.handlePublish))
	rt.HandleFunc("GET /verwaltung/formulare/{id}/bearbeiten", h.page(h.handleBuilder))
	rt.HandleFunc("POST /verwaltung/formulare/{id}/bearbeiten", h.page(h.handleBuilderEdit))
	rt.HandleFunc("GET /verwaltung/formulare/{id}/feld", h.page(h.handleFieldPage))
	rt.HandleFunc("POST /verwaltung/formulare/{id}/feld", h.page(h.handleFieldSave))
	rt.HandleFunc("GET /verwaltung/formulare/{id}/vorschau", h.page(h.handlePreview))
}

// manager requires a form manager (or admin) of the request's tenant. On
// a route naming a form, anyone else is told it does not exist.
func (h *Handler) manager(r *http.Request) (identity.Principal, *identity.Tenant, error) {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return p, t, err
	}
	if r.PathValue("id") != "" {
		return p, t, p.See(t.ID, ManagerRoles...)
	}
	return p, t, p.Require(t.ID, ManagerRoles...)
}

// DirectoryPage is the forms directory.
type DirectoryPage struct {
	Rows     []DirectoryRow
	Form     web.Form
	Channels []string
	Report   *ImportReport
}

// DirectoryRow is one form of the directory.
type DirectoryRow struct {
	Ref, Name, ServiceID, ServiceName string
	ChannelKey                        string
	Published, Latest                 int
	LatestStatusKey                   string
	Versions                          int
	Usage                             *Usage
	// Share is the online share of the service's yearly cases, when the
	// catalog knows the volume ("" otherwise).
	Share string
}

func (h *Handler) handleDirectory(w http.ResponseWriter, r *http.Request) error {
	return h.directory(w, r, http.StatusOK, web.Form{}, nil)
}

func (h *Handler) directory(w http.ResponseWriter, r *http.Request, status int, f web.Form, rep *ImportReport) error {
	p, t, err := h.manager(r)
	if err != nil {
		return err
	}
	forms, err := h.Forms.Forms(r.Context(), p, t.ID)
	if err != nil {
		return err
	}
	usage, err := h.Forms.Usage(r.Context(), p, t.ID)
	if err != nil {
		return err
	}
	pr := h.Pages.Printer(r)
	v := DirectoryPage{Form: f, Report: rep}
	for _, c := range Channels {
		v.Channels = append(v.Channels, string(c))
	}
	for _, fm := range forms {
		row := DirectoryRow{Ref: fm.Ref, Name: fm.Name, ServiceID: fm.ServiceID, ChannelKey: "forms.channel." + string(fm.Channel), Versions: len(fm.Versions), Usage: usage[fm.Ref]}
		if row.Usage == nil {
			row.Usage = h.Forms.EmptyUsage()
		}
		if pv := fm.Published(); pv != nil {
			row.Published = pv.Version
		}
		if lv := fm.Latest(); lv != nil {
			row.Latest, row.LatestStatusKey = lv.Version, "forms.version."+lv.Status
		}
		if fm.ServiceID != "" && h.Catalog != nil {
			if st, err := h.Catalog.Get(r.Context(), t.ID, fm.ServiceID); err == nil {
				row.ServiceName = st.Service.Name
				if vol := st.Service.YearlyCaseVolume; vol > 0 {
					share := decimal.NewFromInt(int64(row.Usage.Total) * 100).Div(decimal.NewFromInt(int64(vol)))
					if share.GreaterThan(decimal.NewFromInt(100)) {
						share = decimal.NewFromInt(100)
					}
					row.Share = pr.Number(share, 0) + " %"
				}
			}
		}
		v.Rows = append(v.Rows, row)
	}
	return h.renderStaff(w, r, status, "directory", v)
}

func (h *Handler) handleCreateForm(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.manager(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	ch := Channel(r.PostForm.Get("channel"))
	var def *Definition
	if ch == ChannelOnline || ch == ChannelFullyDigital {
		def = NewDefinition(name)
	}
	f, err := h.Forms.CreateForm(r.Context(), p, t.ID, NewForm{ServiceID: r.PostForm.Get("service"), Name: name, Channel: ch, Def: def})
	if fv, ok := fault.AsValidation(err); ok {
		form := web.Form{Values: r.PostForm}
		form.AddFault(fv, "new-")
		return h.directory(w, r, http.StatusUnprocessableEntity, form, nil)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/verwaltung/formulare/"+f.Ref, http.StatusSeeOther)
	return nil
}

func (h *Handler) handleImport(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.manager(r)
	if err != nil {
		return err
	}
	if err := r.ParseMultipartForm(maxMemory); err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return err
		}
		return fmt.Errorf("%w: unreadable upload", fault.ErrBadRequest)
	}
	defer r.MultipartForm.RemoveAll()
	fail := func(code string) error {
		form := web.Form{Values: r.PostForm, Errors: []web.FieldError{{Field: "file", ID: "import-file", Message: code}}}
		return h.directory(w, r, http.StatusUnprocessableEntity, form, nil)
	}
	fh := r.MultipartForm.File["file"]
	if len(fh) == 0 {
		return fail("fault.required")
	}
	file, err := fh[0].Open()
	if err != nil {
		return err
	}
	data, err := io.ReadAll(io.LimitReader(file, maxFIMBytes+1))
	file.Close()
	if err != nil {
		return err
	}
	var aud []string
	for _, a := range r.PostForm["audience"] {
		if a == "citizen" || a == "business" {
			aud = append(aud, a)
		}
	}
	rep, err := h.Forms.ImportFIMDraft(r.Context(), p, t.ID, data, FIMImport{ServiceID: strings.TrimSpace(r.PostForm.Get("service")), Audience: aud})
	if errors.Is(err, fault.ErrBadRequest) {
		return fail("forms.import.unreadable")
	}
	if fv, ok := fault.AsValidation(err); ok {
		form := web.Form{Values: r.PostForm}
		form.AddFault(fv, "import-")
		return h.directory(w, r, http.StatusUnprocessableEntity, form, nil)
	}
	if err != nil {
		return err
	}
	return h.directory(w, r, http.StatusOK, web.Form{}, rep)
}

// FormPage is one form with its versions.
type FormPage struct {
	Form       Form
	Versions   []VersionRow
	Edit       web.Form
	Channels   []string
	NoticeKey  string
	ServiceURL string
	Problems   web.Form
}

// VersionRow is a version as listed.
type VersionRow struct {
	VersionInfo
	StatusKey          string
	CanEdit, CanPublish bool
}

func (h *Handler) handleFormPage(w http.ResponseWriter, r *http.Request) error {
	notice := ""
	switch r.URL.Query().Get("hinweis") {
	case "gespeichert":
		notice = "forms.notice.saved"
	case "veroeffentlicht":
		notice = "forms.notice.published"
	}
	return h.formPage(w, r, http.StatusOK, web.Form{}, notice, web.Form{})
}

func (h *Handler) formPage(w http.ResponseWriter, r *http.Request, status int, edit web.Form, notice string, problems web.Form) error {
	p, t, err := h.manager(r)
	if err != nil {
		return err
	}
	f, err := h.Forms.Form(r.Context(), p, t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	v := FormPage{Form: *f, NoticeKey: notice, Problems: problems}
	if edit.Values == nil {
		edit.Values = url.Values{"name": {f.Name}, "service": {f.ServiceID}, "channel": {string(f.Channel)}}
	}
	v.Edit = edit
	for _, c := range Channels {
		v.Channels = append(v.Channels, string(c))
	}
	if f.ServiceID != "" {
		v.ServiceURL = "/leistungen/" + f.ServiceID
	}
	latest := f.Latest()
	for i := len(f.Versions) - 1; i >= 0; i-- {
		vi := f.Versions[i]
		v.Versions = append(v.Versions, VersionRow{VersionInfo: vi, StatusKey: "forms.version." + vi.Status,
			CanEdit: vi.Status == VersionDraft && latest != nil && vi.Version == latest.Version, CanPublish: vi.Status == VersionDraft})
	}
	return h.renderStaff(w, r, status, "form", v)
}

func (h *Handler) handleFormUpdate(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.manager(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	ref := r.PathValue("id")
	err = h.Forms.UpdateForm(r.Context(), p, t.ID, ref, r.PostForm.Get("service"), Channel(r.PostForm.Get("channel")), r.PostForm.Get("name"))
	if fv, ok := fault.AsValidation(err); ok {
		form := web.Form{Values: r.PostForm}
		form.AddFault(fv, "form-")
		return h.formPage(w, r, http.StatusUnprocessableEntity, form, "", web.Form{})
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/verwaltung/formulare/"+ref+"?hinweis=gespeichert", http.StatusSeeOther)
	return nil
}

// handleNewDraft starts a draft from the newest version (or an empty form
// for a directory entry without any).
func (h *Handler) handleNewDraft(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.manager(r)
	if err != nil {
		return err
	}
	ref := r.PathValue("id")
	f, err := h.Forms.Form(r.Context(), p, t.ID, ref)
	if err != nil {
		return err
	}
	def := NewDefinition(f.Name)
	if lv := f.Latest(); lv != nil {
		if lv.Status == VersionDraft {
			http.Redirect(w, r, "/verwaltung/formulare/"+ref+"/bearbeiten", http.StatusSeeOther)
			return nil
		}
		if def, _, err = h.Forms.Version(r.Context(), p, t.ID, ref, lv.Version); err != nil {
			return err
		}
	}
	if _, err := h.Forms.NewVersion(r.Context(), p, t.ID, ref, def); err != nil {
		return err
	}
	http.Redirect(w, r, "/verwaltung/formulare/"+ref+"/bearbeiten", http.StatusSeeOther)
	return nil
}

func (h *Handler) handlePublish(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.manager(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	ref := r.PathValue("id")
	n, err := strconv.Atoi(r.PostForm.Get("version"))
	if err != nil {
		return fmt.Errorf("%w: version", fault.ErrBadRequest)
	}
	err = h.Forms.Publish(r.Context(), p, t.ID, ref, n)
	if fv, ok := fault.AsValidation(err); ok {
		var pf web.Form
		pf.AddFault(fv, "form-")
		return h.formPage(w, r, http.StatusUnprocessableEntity, web.Form{}, "", pf)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/verwaltung/formulare/"+ref+"?hinweis=veroeffentlicht", http.StatusSeeOther)
	return nil
}

// draft returns the form's current draft (the newest version, which must
// be a draft) with its number.
func (h *Handler) draft(r *http.Request, p identity.Principal, t *identity.Tenant) (*Form, *Definition, int, error) {
	ref := r.PathValue("id")
	f, err := h.Forms.Form(r.Context(), p, t.ID, ref)
	if err != nil {
		return nil, nil, 0, err
	}
	lv := f.Latest()
	if lv == nil || lv.Status != VersionDraft {
		return f, nil, 0, fmt.Errorf("form %s has no draft: %w", ref, fault.ErrConflict)
	}
	d, _, err := h.Forms.Version(r.Context(), p, t.ID, ref, lv.Version)
	return f, d, lv.Version, err
}

// BuilderPage is the builder of a draft.
type BuilderPage struct {
	Ref, Name     string
	Version       int
	Def           *Definition
	Steps         []BuilderStep
	Types         []string
	Meta          web.Form
	Problems      web.Form
	NoticeKey     string
	AudienceKinds []string
}

// BuilderStep is a step with its fields as the builder lists them.
type BuilderStep struct {
	Index, No   int
	ID, Title   string
	Fields      []BuilderField
	First, Last bool
	Groups      []string // paths of its groups (where a field may be added)
	Buttons     []BuilderButton
}

// BuilderField is one field in the builder's list.
type BuilderField struct {
	Path, Label, Type string
	Indent            string
	Required          bool
	Conditional       bool
	Buttons           []BuilderButton
}

// BuilderButton is one small POST form of the builder (move, remove).
type BuilderButton struct {
	Ref            string
	Version, Step  int
	Action, Field  string
	Label, Context string
}

func builderFields(b func(action, label, field, context string) BuilderButton, tr func(string) string, prefix string, fs []Field, depth int, out *[]BuilderField, groups *[]string) {
	for i, f := range fs {
		bf := BuilderField{Path: prefix + f.ID, Label: f.Label.In("de"), Type: string(f.Type), Indent: strings.Repeat("– ", depth),
			Required: f.Required || f.RequiredIf != nil, Conditional: f.VisibleIf != nil || f.RequiredIf != nil}
		ctx := f.Label.In("de")
		if i > 0 {
			bf.Buttons = append(bf.Buttons, b("field_up", tr("forms.builder.up"), bf.Path, ctx))
		}
		if i < len(fs)-1 {
			bf.Buttons = append(bf.Buttons, b("field_down", tr("forms.builder.down"), bf.Path, ctx))
		}
		bf.Buttons = append(bf.Buttons, b("field_remove", tr("forms.builder.remove"), bf.Path, ctx))
		*out = append(*out, bf)
		if f.Type == TypeGroup {
			*groups = append(*groups, prefix+f.ID)
			builderFields(b, tr, prefix+f.ID+".", f.Fields, depth+1, out, groups)
		}
	}
}

func (h *Handler) handleBuilder(w http.ResponseWriter, r *http.Request) error {
	notice := ""
	if r.URL.Query().Get("hinweis") == "gespeichert" {
		notice = "forms.notice.saved"
	}
	return h.builderPage(w, r, http.StatusOK, nil, web.Form{}, notice)
}

func (h *Handler) builderPage(w http.ResponseWriter, r *http.Request, status int, def *Definition, problems web.Form, notice string) error {
	p, t, err := h.manager(r)
	if err != nil {
		return err
	}
	f, stored, n, err := h.draft(r, p, t)
	if errors.Is(err, fault.ErrConflict) {
		http.Redirect(w, r, "/verwaltung/formulare/"+r.PathValue("id"), http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return err
	}
	if def == nil {
		def = stored
	}
	v := BuilderPage{Ref: f.Ref, Name: f.Name, Version: n, Def: def, Problems: problems, NoticeKey: notice, AudienceKinds: AccountKinds}
	for _, t := range FieldTypes {
		v.Types = append(v.Types, string(t))
	}
	fee := ""
	feeText := Text{}
	if def.Fee != nil {
		fee, feeText = def.Fee.Amount, def.Fee.Text
	}
	v.Meta.Values = url.Values{"title_de": {def.Title["de"]}, "title_en": {def.Title["en"]}, "intro_de": {def.Intro["de"]}, "intro_en": {def.Intro["en"]},
		"fee": {fee}, "fee_de": {feeText["de"]}, "fee_en": {feeText["en"]}, "audience": def.Audience}
	if def.Anonymous {
		v.Meta.Values.Set("anonymous", "yes")
	}
	tr := h.tr(r)
	for i, s := range def.Steps {
		bs := BuilderStep{Index: i, No: i + 1, ID: s.ID, Title: s.Title.In("de"), First: i == 0, Last: i == len(def.Steps)-1}
		button := func(action, label, field, context string) BuilderButton {
			return BuilderButton{Ref: f.Ref, Version: n, Step: i, Action: action, Field: field, Label: label, Context: context}
		}
		if !bs.First {
			bs.Buttons = append(bs.Buttons, button("step_up", tr("forms.builder.up"), "", bs.Title))
		}
		if !bs.Last {
			bs.Buttons = append(bs.Buttons, button("step_down", tr("forms.builder.down"), "", bs.Title))
		}
		if len(def.Steps) > 1 {
			bs.Buttons = append(bs.Buttons, button("step_remove", tr("forms.builder.remove_step"), "", bs.Title))
		}
		builderFields(button, tr, "", s.Fields, 0, &bs.Fields, &bs.Groups)
		v.Steps = append(v.Steps, bs)
	}
	return h.renderStaff(w, r, status, "builder", v)
}

// checkForm turns a definition's problems into the builder's summary.
func checkForm(err error, pr func(string, map[string]any) string) web.Form {
	var f web.Form
	if fv, ok := fault.AsValidation(err); ok {
		for _, e := range fv.Errors {
			f.Errors = append(f.Errors, web.FieldError{Field: e.Field, ID: "aufbau", Message: "forms.builder.problem", Args: map[string]any{"path": e.Field, "problem": pr("fault."+e.Code, e.Args)}})
		}
	}
	return f
}

func (h *Handler) handleBuilderEdit(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.manager(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	f, def, n, err := h.draft(r, p, t)
	if err != nil {
		return err
	}
	if base, _ := strconv.Atoi(r.PostForm.Get("version")); base != n {
		return h.builderPage(w, r, http.StatusConflict, nil, web.Form{Errors: []web.FieldError{{Field: "version", ID: "aufbau", Message: "fault.stale"}}}, "")
	}
	form := r.PostForm
	step, _ := strconv.Atoi(form.Get("step"))
	path := form.Get("field")
	ok := true
	switch form.Get("action") {
	case "meta":
		def.Title = text(form, "title")
		def.Intro = text(form, "intro")
		def.Anonymous = form.Get("anonymous") == "yes"
		def.Audience = nil
		for _, a := range form["audience"] {
			if a == "citizen" || a == "business" {
				def.Audience = append(def.Audience, a)
			}
		}
		def.Fee = nil
		if amt, ft := strings.TrimSpace(form.Get("fee")), text(form, "fee"); amt != "" || !ft.Empty() {
			if d, ok := ParseAmount(amt); ok {
				amt = d.StringFixed(2)
			}
			def.Fee = &Fee{Amount: amt, Text: ft}
		}
	case "add_step":
		def.AddStep(strings.TrimSpace(form.Get("title")))
	case "step_title":
		if step >= 0 && step < len(def.Steps) {
			def.Steps[step].Title = text(form, "step_title")
		}
	case "step_up":
		ok = def.MoveStep(step, -1)
	case "step_down":
		ok = def.MoveStep(step, 1)
	case "step_remove":
		ok = def.RemoveStep(step)
	case "add_field":
		newPath, err := def.AddField(step, form.Get("parent"), FieldType(form.Get("type")), form.Get("label"))
		if err != nil {
			ok = false
			break
		}
		if _, err := h.Forms.SaveDraft(r.Context(), p, t.ID, f.Ref, n, def); err != nil {
			return h.builderPage(w, r, http.StatusUnprocessableEntity, def, checkForm(err, h.trArgs(r)), "")
		}
		http.Redirect(w, r, fmt.Sprintf("/verwaltung/formulare/%s/feld?schritt=%d&feld=%s", f.Ref, step, url.QueryEscape(newPath)), http.StatusSeeOther)
		return nil
	case "field_up":
		ok = def.MoveField(step, path, -1)
	case "field_down":
		ok = def.MoveField(step, path, 1)
	case "field_remove":
		ok = def.RemoveField(step, path)
	default:
		return fmt.Errorf("%w: unknown action", fault.ErrBadRequest)
	}
	if !ok {
		return h.builderPage(w, r, http.StatusUnprocessableEntity, nil, web.Form{Errors: []web.FieldError{{Field: "action", ID: "aufbau", Message: "forms.builder.not_possible"}}}, "")
	}
	if _, err := h.Forms.SaveDraft(r.Context(), p, t.ID, f.Ref, n, def); err != nil {
		if _, ok := fault.AsValidation(err); ok {
			return h.builderPage(w, r, http.StatusUnprocessableEntity, def, checkForm(err, h.trArgs(r)), "")
		}
		return err
	}
	http.Redirect(w, r, "/verwaltung/formulare/"+f.Ref+"/bearbeiten?hinweis=gespeichert", http.StatusSeeOther)
	return nil
}

func text(form url.Values, name string) Text {
	t := Text{}
	if s := strings.TrimSpace(form.Get(name + "_de")); s != "" {
		t["de"] = s
	}
	if s := strings.TrimSpace(form.Get(name + "_en")); s != "" {
		t["en"] = s
	}
	return t
}

// FieldPage edits one field.
type FieldPage struct {
	Ref, Path     string
	Step, Version int
	Type          string
	Form          web.Form
	Types         []string
	Prefills      []string
	Targets       [][2]string // fields a condition may name
	ComplexVis    bool        // the visibility condition is combined: kept unless replaced
	ComplexReq    bool
	Problems      web.Form
	Preview       []FieldView
	RuleInputs    []RuleInput
	MediaTypes    []string
	Conditions    []ConditionInput
	Ops           []string
}

// RuleInput is one rule's text input in the field editor.
type RuleInput struct {
	Name, ID, Label string
	Short           bool
}

// ConditionInput is the editor of one condition (visibility or
// requiredness).
type ConditionInput struct {
	Prefix, Legend string
	Complex        bool
}

var ruleInputs = []RuleInput{
	{"min_length", "feld-min-length", "forms.rule.min_length", true}, {"max_length", "feld-max-length", "forms.rule.max_length", true},
	{"pattern", "feld-pattern", "forms.rule.pattern", false}, {"pattern_hint", "feld-pattern-hint", "forms.rule.pattern_hint", false},
	{"min", "feld-min", "forms.rule.min", true}, {"max", "feld-max", "forms.rule.max", true}, {"decimals", "feld-decimals", "forms.rule.decimals", true},
	{"min_date", "feld-min-date", "forms.rule.min_date", false}, {"max_date", "feld-max-date", "forms.rule.max_date", false},
	{"min_items", "feld-min-items", "forms.rule.min_items", true}, {"max_items", "feld-max-items", "forms.rule.max_items", true},
	{"max_size", "feld-max-size", "forms.rule.max_size", true},
}

func (h *Handler) handleFieldPage(w http.ResponseWriter, r *http.Request) error {
	return h.fieldPage(w, r, http.StatusOK, nil, web.Form{})
}

func (h *Handler) fieldPage(w http.ResponseWriter, r *http.Request, status int, values url.Values, problems web.Form) error {
	p, t, err := h.manager(r)
	if err != nil {
		return err
	}
	f, def, n, err := h.draft(r, p, t)
	if err != nil {
		return err
	}
	step, _ := strconv.Atoi(r.URL.Query().Get("schritt"))
	path := r.URL.Query().Get("feld")
	fd := def.FieldAt(step, path)
	if fd == nil {
		return fmt.Errorf("field %q: %w", path, fault.ErrNotFound)
	}
	v := FieldPage{Ref: f.Ref, Path: path, Step: step, Version: n, Type: string(fd.Type), Prefills: Prefills, Targets: def.FieldPaths("de"), Problems: problems}
	for _, t := range FieldTypes {
		v.Types = append(v.Types, string(t))
	}
	vis, okVis := fd.VisibleIf.Simple()
	req, okReq := fd.RequiredIf.Simple()
	v.ComplexVis, v.ComplexReq = !okVis, !okReq
	v.RuleInputs, v.MediaTypes = ruleInputs, MediaTypes
	v.Conditions = []ConditionInput{{Prefix: "vis", Legend: "forms.field.visible_if", Complex: !okVis}, {Prefix: "req", Legend: "forms.field.required_if", Complex: !okReq}}
	v.Ops = []string{"equals", "not_equals", "in", "filled", "empty"}
	if values == nil {
		values = url.Values{"type": {string(fd.Type)}, "label_de": {fd.Label["de"]}, "label_en": {fd.Label["en"]}, "help_de": {fd.Help["de"]}, "help_en": {fd.Help["en"]},
			"options": {FormatOptions(fd.Options)}, "prefill": {fd.Prefill},
			"vis_field": {vis.Field}, "vis_op": {vis.Op}, "vis_value": {vis.Value}, "req_field": {req.Field}, "req_op": {req.Op}, "req_value": {req.Value},
			"min_length": {intStr(fd.Rules.MinLength)}, "max_length": {intStr(fd.Rules.MaxLength)}, "pattern": {fd.Rules.Pattern}, "pattern_hint": {fd.Rules.PatternHint["de"]},
			"min": {fd.Rules.Min}, "max": {fd.Rules.Max}, "decimals": {intStr(fd.Rules.Decimals)}, "min_date": {fd.Rules.MinDate}, "max_date": {fd.Rules.MaxDate},
			"min_items": {intStr(fd.Rules.MinItems)}, "max_items": {intStr(fd.Rules.MaxItems)}, "accept": fd.Rules.Accept}
		if fd.Rules.MaxSize > 0 {
			values.Set("max_size", strconv.FormatInt(fd.Rules.MaxSize>>10, 10))
		}
		if fd.Required {
			values.Set("required", "yes")
		}
		if fd.Repeat {
			values.Set("repeat", "yes")
		}
	}
	v.Form.Values = values
	b := &viewBuilder{lang: lang(r), errs: map[string]fault.FieldError{}, files: map[string][]File{}, canon: Answers{}, d: def, render: h.tr(r)}
	preview := *fd
	preview.VisibleIf = nil
	v.Preview = []FieldView{b.field("vorschau.", preview, map[string]any{}, Answers{}, nil, 0)}
	return h.renderStaff(w, r, status, "field", v)
}

func intStr(n *int) string {
	if n == nil {
		return ""
	}
	return strconv.Itoa(*n)
}

func intPtr(s string) (*int, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, true
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return nil, false
	}
	return &n, true
}

func (h *Handler) handleFieldSave(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.manager(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	f, def, n, err := h.draft(r, p, t)
	if err != nil {
		return err
	}
	form := r.PostForm
	if base, _ := strconv.Atoi(form.Get("version")); base != n {
		return h.fieldPage(w, r, http.StatusConflict, form, web.Form{Errors: []web.FieldError{{Field: "version", ID: "feld-label-de", Message: "fault.stale"}}})
	}
	step, _ := strconv.Atoi(r.URL.Query().Get("schritt"))
	path := r.URL.Query().Get("feld")
	fd := def.FieldAt(step, path)
	if fd == nil {
		return fmt.Errorf("field %q: %w", path, fault.ErrNotFound)
	}
	var bad web.Form
	fail := func(field, id, key string) { bad.Errors = append(bad.Errors, web.FieldError{Field: field, ID: id, Message: key}) }
	fd.Type = FieldType(form.Get("type"))
	fd.Label, fd.Help = text(form, "label"), text(form, "help")
	fd.Required = form.Get("required") == "yes"
	fd.Prefill = form.Get("prefill")
	if fd.Type == TypeGroup {
		fd.Repeat = form.Get("repeat") == "yes"
		if len(fd.Fields) == 0 {
			fd.Fields = []Field{{ID: "angabe", Type: TypeText, Label: Text{"de": "Angabe"}}}
		}
	} else {
		fd.Repeat, fd.Fields = false, nil
	}
	if fd.Type.hasOptions() {
		fd.Options = ParseOptions(form.Get("options"))
	} else {
		fd.Options = nil
	}
	var rules Rules
	for _, x := range []struct {
		name, id string
		dst      **int
	}{{"min_length", "feld-min-length", &rules.MinLength}, {"max_length", "feld-max-length", &rules.MaxLength}, {"decimals", "feld-decimals", &rules.Decimals},
		{"min_items", "feld-min-items", &rules.MinItems}, {"max_items", "feld-max-items", &rules.MaxItems}} {
		v, ok := intPtr(form.Get(x.name))
		if !ok {
			fail(x.name, x.id, "fault.not_integer")
		}
		*x.dst = v
	}
	rules.Pattern = strings.TrimSpace(form.Get("pattern"))
	if hint := strings.TrimSpace(form.Get("pattern_hint")); hint != "" {
		rules.PatternHint = Text{"de": hint}
	}
	rules.Min, rules.Max = strings.TrimSpace(form.Get("min")), strings.TrimSpace(form.Get("max"))
	rules.MinDate, rules.MaxDate = strings.TrimSpace(form.Get("min_date")), strings.TrimSpace(form.Get("max_date"))
	if kb := strings.TrimSpace(form.Get("max_size")); kb != "" {
		n, err := strconv.ParseInt(kb, 10, 64)
		if err != nil || n <= 0 {
			fail("max_size", "feld-max-size", "fault.not_integer")
		} else {
			rules.MaxSize = n << 10
		}
	}
	rules.Accept = form["accept"]
	fd.Rules = rules
	if form.Get("vis_keep") != "yes" {
		fd.VisibleIf = SimpleCondition{Field: form.Get("vis_field"), Op: form.Get("vis_op"), Value: form.Get("vis_value")}.Condition(def)
	}
	if form.Get("req_keep") != "yes" {
		fd.RequiredIf = SimpleCondition{Field: form.Get("req_field"), Op: form.Get("req_op"), Value: form.Get("req_value")}.Condition(def)
	}
	if bad.Invalid() {
		return h.fieldPage(w, r, http.StatusUnprocessableEntity, form, bad)
	}
	if _, err := h.Forms.SaveDraft(r.Context(), p, t.ID, f.Ref, n, def); err != nil {
		if _, ok := fault.AsValidation(err); ok {
			return h.fieldPage(w, r, http.StatusUnprocessableEntity, form, checkForm(err, h.trArgs(r)))
		}
		return err
	}
	http.Redirect(w, r, "/verwaltung/formulare/"+f.Ref+"/bearbeiten?hinweis=gespeichert", http.StatusSeeOther)
	return nil
}

// PreviewPage shows a version's steps as citizens would see them.
type PreviewPage struct {
	Ref, Title string
	Version    int
	StatusKey  string
	Steps      []PreviewStep
}

// PreviewStep is one step of a preview.
type PreviewStep struct {
	Title, Intro string
	Fields       []FieldView
	Conditional  bool
}

func (h *Handler) handlePreview(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.manager(r)
	if err != nil {
		return err
	}
	ref := r.PathValue("id")
	f, err := h.Forms.Form(r.Context(), p, t.ID, ref)
	if err != nil {
		return err
	}
	n, _ := strconv.Atoi(r.URL.Query().Get("version"))
	if n == 0 {
		if lv := f.Latest(); lv != nil {
			n = lv.Version
		}
	}
	def, vi, err := h.Forms.Version(r.Context(), p, t.ID, ref, n)
	if err != nil {
		return err
	}
	l := lang(r)
	b := &viewBuilder{lang: l, errs: map[string]fault.FieldError{}, files: map[string][]File{}, canon: Answers{}, d: def, render: h.tr(r)}
	v := PreviewPage{Ref: ref, Title: def.Title.In(l), Version: n, StatusKey: "forms.version." + vi.Status}
	for _, s := range def.Steps {
		// Every question is shown, the conditional ones too (marked).
		var fs []FieldView
		for _, fd := range s.Fields {
			x := fd
			x.VisibleIf = nil
			fs = append(fs, b.field("vorschau.", x, map[string]any{}, Answers{}, s.Fields, 0))
		}
		v.Steps = append(v.Steps, PreviewStep{Title: s.Title.In(l), Intro: s.Intro.In(l), Fields: fs, Conditional: s.VisibleIf != nil})
	}
	return h.renderStaff(w, r, http.StatusOK, "preview", v)
}
