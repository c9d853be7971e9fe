package inbox

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rathaus/rathaus/internal/einvoice"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/i18n"
	"github.com/rathaus/rathaus/internal/platform/web"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed messages/*.json
var messageFS embed.FS

// PageNames are the inbox's page templates.
var PageNames = []string{"worklist", "invoice", "upload", "paper", "runs", "disposal"}

// AddTemplates parses the pages into r (at start-up).
func AddTemplates(r *web.Renderer) error {
	for _, n := range PageNames {
		if err := r.Add("einvoice."+n, templateFS, "templates/"+n+".html", "templates/partials.html"); err != nil {
			return err
		}
	}
	return nil
}

// Messages are the inbox's message files (de.json, en.json).
func Messages() fs.FS {
	sub, err := fs.Sub(messageFS, "messages")
	if err != nil {
		panic(err)
	}
	return sub
}

// WorklistPath is the finance start page.
const WorklistPath = "/verwaltung/rechnungen"

func (h *Handler) pageRoutes(rt *web.Router) {
	rt.HandleFunc("GET "+WorklistPath, h.page(h.handleWorklist))
	rt.HandleFunc("GET /verwaltung/rechnungen/hochladen", h.page(h.handleUploadForm))
	upload := web.MaxBody(maxUpload + 1<<20)
	rt.HandleFunc("POST /verwaltung/rechnungen/hochladen", h.page(h.handleUpload), upload)
	rt.HandleFunc("GET /verwaltung/rechnungen/papier", h.page(h.handlePaperForm))
	rt.HandleFunc("POST /verwaltung/rechnungen/papier", h.page(h.handlePaper), upload)
	rt.HandleFunc("GET /verwaltung/rechnungen/export.csv", h.page(h.handleExport))
	rt.HandleFunc("GET /verwaltung/rechnungen/aufbewahrung", h.page(h.handleDisposalPage))
	rt.HandleFunc("GET /verwaltung/rechnungen/{id}", h.page(h.handleInvoicePage))
	rt.HandleFunc("POST /verwaltung/rechnungen/{id}/freigabe", h.page(h.handleApprovePage))
	rt.HandleFunc("POST /verwaltung/rechnungen/{id}/ablehnung", h.page(h.handleRejectPage))
	rt.HandleFunc("POST /verwaltung/rechnungen/{id}/zuordnung", h.page(h.handleAssignPage))
	rt.HandleFunc("GET /verwaltung/rechnungen/{id}/original", h.page(h.handleOriginal))
	rt.HandleFunc("GET /verwaltung/rechnungen/{id}/ansicht.pdf", h.page(h.handlePDF))
	rt.HandleFunc("GET /verwaltung/zahlungslaeufe", h.page(h.handleRunsPage))
	rt.HandleFunc("POST /verwaltung/zahlungslaeufe", h.page(h.handleRunCreate))
	rt.HandleFunc("GET /rechnungen/einreichen", h.page(h.handleUploadForm))
	rt.HandleFunc("POST /rechnungen/einreichen", h.page(h.handleUpload), upload)
}

// page sends a browser that is not signed in to the login (GET only).
func (h *Handler) page(fn web.HandlerFunc) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		err := fn(w, r)
		if err != nil && r.Method == http.MethodGet && errors.Is(err, fault.ErrUnauthorized) {
			to := url.Values{"return_to": {web.LocalPath(r.URL)}}
			if l := r.URL.Query().Get("lang"); l != "" {
				to.Set("lang", l)
			}
			http.Redirect(w, r, "/anmelden?"+to.Encode(), http.StatusSeeOther)
			return nil
		}
		return err
	}
}

func (h *Handler) shell(r *http.Request, area web.Area) web.Shell {
	var s web.Shell
	if h.Shell != nil {
		s = h.Shell(r)
	}
	s.Area = area
	return s
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, area web.Area, data any) error {
	return h.Pages.Render(w, r, status, "einvoice."+name, h.shell(r, area), data)
}

// Tab is one worklist link.
type Tab struct {
	List    Worklist
	Key     string
	Href    string
	Count   int
	Current bool
}

// Row is one invoice in a worklist.
type Row struct {
	Ref, Supplier, Number, Amount, Currency, Unit, StatusKey, KindKey string
	Due, DiscountUntil                                                string // YYYY-MM-DD
	DueState, DiscountState                                           string // overdue, soon, ""
	DiscountPercent                                                   string
	Channel                                                           string
}

// WorklistPage is the finance start page.
type WorklistPage struct {
	List     Worklist
	TitleKey string
	Tabs     []Tab
	Rows     []Row
	Finance  bool
	Records  bool
	Today    string
}

// DateOf turns YYYY-MM-DD into a time for the View's date formatting.
func (WorklistPage) DateOf(s string) time.Time { return dateOf(s) }

func dateOf(s string) time.Time {
	d, ok := civilString(s)
	if !ok {
		return time.Time{}
	}
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC)
}

func dueState(date string, today time.Time) string {
	d, ok := civilString(date)
	if !ok {
		return ""
	}
	t := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
	td := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	switch {
	case t.Before(td):
		return "overdue"
	case t.Sub(td) <= 5*24*time.Hour:
		return "soon"
	}
	return ""
}

func rowOf(inv *Invoice, now time.Time) Row {
	r := Row{Ref: inv.Ref, Supplier: inv.Supplier, Number: inv.Number, Amount: inv.Amount, Currency: inv.Currency, Unit: inv.UnitName,
		StatusKey: "einvoice.status." + string(inv.Status), KindKey: "einvoice.kind." + inv.Kind, Due: inv.DueDate, Channel: string(inv.Channel)}
	if inv.Open() && inv.Status != StatusInPayment {
		r.DueState = dueState(inv.DueDate, now)
		if st := dueState(inv.DiscountUntil, now); st != "overdue" && inv.DiscountUntil != "" {
			r.DiscountUntil, r.DiscountPercent, r.DiscountState = inv.DiscountUntil, inv.DiscountPercent, st
		}
	}
	return r
}

func (h *Handler) handleWorklist(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.principal(r)
	if err != nil {
		return err
	}
	l := Worklist(r.URL.Query().Get("liste"))
	if l == "" {
		l = ListMine
		if p.Has(identity.RoleAdmin, identity.RoleRecordsOfficer) && !p.Has(identity.RoleFinance) {
			l = ListNew
		}
	}
	if !ValidWorklist(l) {
		return fault.Invalid("liste", "invalid_list")
	}
	invs, err := h.Svc.List(r.Context(), p, t.ID, l)
	if err != nil {
		return err
	}
	counts, err := h.Svc.Counts(r.Context(), p, t.ID)
	if err != nil {
		return err
	}
	now := h.Svc.DB.Clock.Now().In(berlin)
	v := WorklistPage{List: l, TitleKey: "einvoice.list." + string(l), Finance: p.Has(identity.RoleFinance),
		Records: p.Has(identity.RoleFinance, identity.RoleAdmin, identity.RoleRecordsOfficer), Today: now.Format(time.DateOnly)}
	for _, wl := range Worklists {
		v.Tabs = append(v.Tabs, Tab{List: wl, Key: "einvoice.list." + string(wl), Href: WorklistPath + "?liste=" + string(wl), Count: counts[wl], Current: wl == l})
	}
	for _, inv := range invs {
		v.Rows = append(v.Rows, rowOf(inv, now))
	}
	return h.render(w, r, http.StatusOK, "worklist", web.AreaStaff, v)
}

// UploadPage is the form to hand in an e-invoice file.
type UploadPage struct {
	Action   string
	Supplier bool // a business account's page
	// Allowed: the person may hand in invoices here (else the page says who may).
	Allowed   bool
	Received  string // the reference of the invoice just handed in
	Address   string
	Form      web.Form
	Rejected  []RuleRow
	Reason    string
	Duplicate string
}

// RuleRow is one refused rule with its explanation.
type RuleRow struct{ ID, Text, Location string }

func (h *Handler) uploadArea(r *http.Request) (web.Area, string, bool) {
	if strings.HasPrefix(r.URL.Path, "/rechnungen/") {
		return web.AreaCitizen, "/rechnungen/einreichen", true
	}
	return web.AreaStaff, "/verwaltung/rechnungen/hochladen", false
}

func (h *Handler) handleUploadForm(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.principal(r)
	if err != nil {
		return err
	}
	if err := p.Require(t.ID); err != nil {
		return err
	}
	area, action, supplier := h.uploadArea(r)
	v := UploadPage{Action: action, Supplier: supplier, Allowed: mayReceive(p, t.ID, ChannelUpload) == nil && supplier == (p.Kind == "business")}
	if ref := r.URL.Query().Get("eingegangen"); supplier && v.Allowed && ref != "" && len(ref) < 20 {
		if inv, err := h.Svc.Get(r.Context(), p, t.ID, ref); err == nil {
			v.Received = inv.Ref
		}
	}
	if h.MailAddress != nil {
		v.Address = h.MailAddress(t)
	}
	return h.render(w, r, http.StatusOK, "upload", area, v)
}

// maxUpload bounds an upload request: the validator's limit and room for
// the form.
const maxUpload = einvoice.MaxSize + 64<<10

// ReadUpload reads the single file of a multipart/form-data body (field
// name); other fields go into values (at most 50, each at most 4 KiB).
// Anything malformed, a second file, or a file over the limit is refused:
// nothing is kept of a refused body.
func ReadUpload(body io.Reader, contentType, field string, limit int64) (name, ctype string, data []byte, values url.Values, err error) {
	mt, params, perr := mime.ParseMediaType(contentType)
	if perr != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return "", "", nil, nil, fault.Invalid(field, "not_multipart")
	}
	mr := multipart.NewReader(io.LimitReader(body, limit+1), params["boundary"])
	values = url.Values{}
	files := 0
	for parts := 0; ; parts++ {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil || parts > 50 {
			return "", "", nil, nil, fault.Invalid(field, "not_multipart")
		}
		fn := part.FormName()
		if part.FileName() != "" || fn == field {
			files++
			if fn != field || files > 1 {
				return "", "", nil, nil, fault.Invalid(field, "one_file")
			}
			b, err := io.ReadAll(io.LimitReader(part, limit+1))
			if err != nil {
				return "", "", nil, nil, fault.Invalid(field, "not_multipart")
			}
			if int64(len(b)) > limit {
				return "", "", nil, nil, fault.Invalid(field, "file_too_large", "max", "20 MB")
			}
			name, ctype, data = safeName(part.FileName()), part.Header.Get("Content-Type"), b
			continue
		}
		b, err := io.ReadAll(io.LimitReader(part, 4<<10+1))
		if err != nil || len(b) > 4<<10 {
			return "", "", nil, nil, fault.Invalid(fn, "too_long", "max", 4096)
		}
		values.Add(fn, strings.ToValidUTF8(string(b), ""))
	}
	return name, ctype, data, values, nil
}

func (h *Handler) handleUpload(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.principal(r)
	if err != nil {
		return err
	}
	area, action, supplier := h.uploadArea(r)
	if supplier != (p.Kind == "business") {
		return fault.ErrForbidden
	}
	v := UploadPage{Action: action, Supplier: supplier}
	if h.MailAddress != nil {
		v.Address = h.MailAddress(t)
	}
	name, ctype, data, _, err := ReadUpload(http.MaxBytesReader(w, r.Body, maxUpload+1<<20), r.Header.Get("Content-Type"), "invoice", einvoice.MaxSize)
	if err == nil && len(data) == 0 {
		err = fault.Invalid("invoice", "required")
	}
	if err == nil {
		var inv *Invoice
		inv, err = h.Svc.Submit(r.Context(), p, t.ID, Submission{Channel: ChannelUpload, Data: data, ContentType: ctype, Name: name})
		if err == nil {
			to := "/verwaltung/rechnungen/" + inv.Ref
			if supplier {
				to = "/rechnungen/einreichen?eingegangen=" + inv.Ref
			}
			http.Redirect(w, r, to, http.StatusSeeOther)
			return nil
		}
	}
	var rej *Rejection
	var dup *Duplicate
	lang := i18n.FromRequest(r)
	status := web.StatusOf(err)
	switch {
	case errors.As(err, &rej):
		for _, m := range rej.Errors() {
			v.Rejected = append(v.Rejected, RuleRow{ID: m.ID, Text: explain(m, lang), Location: m.Location})
		}
		v.Form.Fail("invoice", "upload-invoice", "einvoice.upload.rejected")
	case errors.As(err, &dup):
		v.Duplicate = dup.Existing
		v.Form.Fail("invoice", "upload-invoice", "einvoice.upload.duplicate")
	case ProblemCode(err) != "":
		v.Form.Fail("invoice", "upload-invoice", "einvoice.problem."+ProblemCode(err))
	default:
		fv, ok := fault.AsValidation(err)
		if !ok {
			if status >= 500 || status == http.StatusForbidden || status == http.StatusNotFound {
				return err
			}
			v.Form.Fail("invoice", "upload-invoice", "einvoice.upload.unreadable")
			break
		}
		fv.Errors = fv.Errors[:1]
		fv.Errors[0].Field = "invoice"
		v.Form.AddFault(fv, "upload-")
	}
	if status < 400 || status == http.StatusBadRequest {
		status = http.StatusUnprocessableEntity
	}
	return h.render(w, r, status, "upload", area, v)
}

// InvoicePage is the readable view of one invoice with its workflow.
type InvoicePage struct {
	Inv       *Invoice
	Groups    []TermGroup
	Messages  []RuleRow
	Steps     []StepRecord
	Next      []Step
	Finance   bool
	CanReject bool
	CanAssign bool
	Units     []UnitOption
	Failed    string // message key of a refused action
	Notice    string
	Form      web.Form
	Row       Row
}

// UnitOption is a unit to route to.
type UnitOption struct{ Ref, Name string }

// StepKey is the message key of a step.
func (InvoicePage) StepKey(s Step) string { return "einvoice.step." + string(s) }

// DateOf turns YYYY-MM-DD into a time for the View's date formatting.
func (InvoicePage) DateOf(s string) time.Time { return dateOf(s) }

func (h *Handler) invoicePage(r *http.Request, p identity.Principal, t *identity.Tenant, ref string) (InvoicePage, error) {
	if p.Kind == "business" || p.Kind == "citizen" {
		return InvoicePage{}, fmt.Errorf("invoice page %s: %w", ref, fault.ErrNotFound) // staff pages
	}
	inv, err := h.Svc.Get(r.Context(), p, t.ID, ref)
	if err != nil {
		return InvoicePage{}, err
	}
	lang := i18n.FromRequest(r)
	v := InvoicePage{Inv: inv, Groups: Terms(inv.Document), Steps: inv.Steps, Next: h.Svc.NextSteps(r.Context(), p, inv), Finance: p.Has(identity.RoleFinance),
		Row: rowOf(inv, h.Svc.DB.Clock.Now().In(berlin))}
	for _, m := range inv.Validation.Messages {
		v.Messages = append(v.Messages, RuleRow{ID: m.ID, Text: explain(m, lang), Location: m.Level})
	}
	switch inv.Status {
	case StatusClarification, StatusNew, StatusInApproval, StatusApproved:
		if p.IsPerson() {
			if p.Has(identity.RoleFinance) {
				v.CanReject = true
			} else if _, ok, _ := h.Svc.unitStaff(r.Context(), p, inv); ok {
				v.CanReject = true
			}
		}
	}
	if v.Finance && (inv.Status == StatusClarification || inv.Status == StatusNew && len(inv.Steps) <= 2) {
		v.CanAssign = true
		names, err := h.Svc.Identity.UnitNames(r.Context(), t.ID)
		if err != nil {
			return v, err
		}
		for ref, n := range names {
			v.Units = append(v.Units, UnitOption{Ref: ref, Name: n})
		}
		sortUnits(v.Units)
	}
	v.Form = web.Form{Values: url.Values{"cost_centre": {inv.CostCentre}, "budget_line": {inv.BudgetLine}}}
	if v.Form.Value("budget_line") == "" && inv.Document != nil {
		v.Form.Values.Set("budget_line", inv.Document.BuyerAccountingReference)
	}
	return v, nil
}

func sortUnits(u []UnitOption) {
	for i := 1; i < len(u); i++ {
		for j := i; j > 0 && u[j].Name < u[j-1].Name; j-- {
			u[j], u[j-1] = u[j-1], u[j]
		}
	}
}

func (h *Handler) handleInvoicePage(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.principal(r)
	if err != nil {
		return err
	}
	v, err := h.invoicePage(r, p, t, r.PathValue("id"))
	if err != nil {
		return err
	}
	if d := r.URL.Query().Get("erledigt"); d != "" {
		switch d {
		case "sachlich", "rechnerisch", "anordnung", "abgelehnt", "zugeordnet":
			v.Notice = "einvoice.done." + d
		}
	}
	return h.render(w, r, http.StatusOK, "invoice", web.AreaStaff, v)
}

// actionFailed shows the invoice again with the reason an action was
// refused (403, 409 or 422 as the API answers).
func (h *Handler) actionFailed(w http.ResponseWriter, r *http.Request, p identity.Principal, t *identity.Tenant, ref string, err error, form url.Values) error {
	v, gerr := h.invoicePage(r, p, t, ref)
	if gerr != nil {
		return gerr
	}
	status := web.StatusOf(err)
	switch {
	case ProblemCode(err) != "":
		v.Failed = "einvoice.problem." + ProblemCode(err)
	default:
		fv, ok := fault.AsValidation(err)
		if !ok {
			return err
		}
		v.Form = web.Form{Values: form}
		prefix := "action-"
		v.Form.AddFault(fv, prefix)
		v.Failed = "einvoice.action.invalid"
	}
	if form != nil && v.Form.Values == nil {
		v.Form.Values = form
	}
	return h.render(w, r, status, "invoice", web.AreaStaff, v)
}

func (h *Handler) handleApprovePage(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.principal(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	ref := r.PathValue("id")
	version, _ := strconv.Atoi(r.PostForm.Get("version"))
	step := Step(r.PostForm.Get("step"))
	_, err = h.Svc.Approve(r.Context(), p, t.ID, ref, StepInput{Step: step, Version: version,
		CostCentre: r.PostForm.Get("cost_centre"), BudgetLine: r.PostForm.Get("budget_line"), Note: r.PostForm.Get("note")})
	if err != nil {
		return h.actionFailed(w, r, p, t, ref, err, r.PostForm)
	}
	http.Redirect(w, r, "/verwaltung/rechnungen/"+ref+"?erledigt="+string(step), http.StatusSeeOther)
	return nil
}

func (h *Handler) handleRejectPage(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.principal(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	ref := r.PathValue("id")
	version, _ := strconv.Atoi(r.PostForm.Get("version"))
	if _, err := h.Svc.Reject(r.Context(), p, t, ref, version, r.PostForm.Get("reason")); err != nil {
		return h.actionFailed(w, r, p, t, ref, err, r.PostForm)
	}
	http.Redirect(w, r, "/verwaltung/rechnungen/"+ref+"?erledigt=abgelehnt", http.StatusSeeOther)
	return nil
}

func (h *Handler) handleAssignPage(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.principal(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	ref := r.PathValue("id")
	version, _ := strconv.Atoi(r.PostForm.Get("version"))
	if _, err := h.Svc.Assign(r.Context(), p, t.ID, ref, version, r.PostForm.Get("unit")); err != nil {
		return h.actionFailed(w, r, p, t, ref, err, r.PostForm)
	}
	http.Redirect(w, r, "/verwaltung/rechnungen/"+ref+"?erledigt=zugeordnet", http.StatusSeeOther)
	return nil
}

func (h *Handler) handleOriginal(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.principal(r)
	if err != nil {
		return err
	}
	if p.Kind == "business" || p.Kind == "citizen" {
		return fault.ErrNotFound
	}
	inv, data, err := h.Svc.Original(r.Context(), p, t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	ext := ".xml"
	if inv.Original.Type == TypePDF {
		ext = ".pdf"
	}
	download(w, inv.Original.Type, inv.Ref+"-original"+ext, data)
	return nil
}

func (h *Handler) handlePDF(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.principal(r)
	if err != nil {
		return err
	}
	if p.Kind == "business" || p.Kind == "citizen" {
		return fault.ErrNotFound
	}
	inv, err := h.Svc.Get(r.Context(), p, t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	pdf, err := ViewPDF(inv, t.Name)
	if err != nil {
		return err
	}
	download(w, TypePDF, inv.Ref+"-ansicht.pdf", pdf)
	return nil
}

func (h *Handler) handleExport(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.principal(r)
	if err != nil {
		return err
	}
	statuses := []Status{StatusApproved}
	if r.URL.Query().Get("alle") == "1" {
		statuses = []Status{StatusApproved, StatusInPayment, StatusPaid}
	}
	csv, err := h.Svc.ExportCSV(r.Context(), p, t.ID, statuses)
	if err != nil {
		return err
	}
	download(w, "text/csv; charset=utf-8", "rechnungen-"+h.Svc.DB.Clock.Now().In(berlin).Format(time.DateOnly)+".csv", csv)
	return nil
}

// RunsPage lists the payment runs.
type RunsPage struct {
	Runs     []PaymentRun
	Finance  bool
	Created  *PaymentRun
	Failed   string
	Approved int
}

func (h *Handler) runsPage(r *http.Request, p identity.Principal, t *identity.Tenant) (RunsPage, error) {
	runs, err := h.Svc.PaymentRuns(r.Context(), p, t.ID)
	if err != nil {
		return RunsPage{}, err
	}
	approved, err := h.Svc.List(r.Context(), p, t.ID, ListApproved)
	if err != nil {
		return RunsPage{}, err
	}
	return RunsPage{Runs: runs, Finance: p.Has(identity.RoleFinance), Approved: len(approved)}, nil
}

func (h *Handler) handleRunsPage(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.principal(r)
	if err != nil {
		return err
	}
	v, err := h.runsPage(r, p, t)
	if err != nil {
		return err
	}
	if id := r.URL.Query().Get("lauf"); id != "" {
		for i := range v.Runs {
			if v.Runs[i].Ref == id {
				v.Created = &v.Runs[i]
			}
		}
	}
	return h.render(w, r, http.StatusOK, "runs", web.AreaStaff, v)
}

func (h *Handler) handleRunCreate(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.principal(r)
	if err != nil {
		return err
	}
	run, err := h.Svc.CreatePaymentRun(r.Context(), p, t)
	if err != nil {
		v, verr := h.runsPage(r, p, t)
		if verr != nil {
			return verr
		}
		switch {
		case fault.HasCode(err, "invoices", "nothing_to_pay"):
			v.Failed = "fault.nothing_to_pay"
		case fault.HasCode(err, "creditor.iban", "debtor_account_missing"):
			v.Failed = "fault.debtor_account_missing"
		case ProblemCode(err) != "":
			v.Failed = "einvoice.problem." + ProblemCode(err)
		default:
			return err
		}
		return h.render(w, r, web.StatusOf(err), "runs", web.AreaStaff, v)
	}
	http.Redirect(w, r, "/verwaltung/zahlungslaeufe?lauf="+run.Ref, http.StatusSeeOther)
	return nil
}

// DisposalPage lists invoices past their retention.
type DisposalPage struct {
	Rows []Row
	Invs []*Invoice
}

func (h *Handler) handleDisposalPage(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.principal(r)
	if err != nil {
		return err
	}
	invs, err := h.Svc.Disposal(r.Context(), p, t.ID)
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "disposal", web.AreaStaff, DisposalPage{Invs: invs})
}
