package payments

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/payments/epc"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/i18n"
	"github.com/rathaus/rathaus/internal/platform/ratelimit"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// RequestDocument is a request as the API shows it.
type RequestDocument struct {
	Request
	Outstanding string `json:"outstanding"`
	URL         string `json:"url"`
}

func requestDocument(r *Request) RequestDocument {
	return RequestDocument{Request: *r, Outstanding: r.Outstanding().StringFixed(2), URL: r.URL()}
}

type createRequestBody struct {
	Subject    string `json:"subject"`
	ServiceID  string `json:"service_id"`
	Amount     string `json:"amount"`
	Purpose    string `json:"purpose"`
	DueDate    string `json:"due_date"`
	PayerName  string `json:"payer_name"`
	PayerEmail string `json:"payer_email"`
	Unit       string `json:"unit"`
	CostCentre string `json:"cost_centre"`
}

type resolveBody struct {
	Action  string `json:"action"`
	Request string `json:"request"`
	Note    string `json:"note"`
}

type mandateBody struct {
	DebtorName string `json:"debtor_name"`
	IBAN       string `json:"iban"`
	BIC        string `json:"bic"`
	Purpose    string `json:"purpose"`
	Amount     string `json:"amount"`
	SignedOn   string `json:"signed_on"`
}

type collectBody struct {
	CreditorID     string `json:"creditor_id"`
	CollectionDate string `json:"collection_date"`
}

// parseMoney reads an amount in euros for a field ("30.50" or "30,50").
func parseMoney(field, s string, v *fault.Validation) decimal.Decimal {
	d, err := epc.ParseAmount(s)
	if err != nil {
		v.Add(field, "invalid_amount", "min", "0.01", "max", "999999999.99")
	}
	return d
}

func (h *Handler) principal(r *http.Request) (identity.Principal, *identity.Tenant, error) {
	return h.Identity.PrincipalFrom(r)
}

func (h *Handler) apiList(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.principal(r)
	if err != nil {
		return err
	}
	var reqs []Request
	if s := r.URL.Query().Get("subject"); s != "" {
		reqs, err = h.Svc.RequestsFor(r.Context(), p, t.ID, s)
	} else {
		reqs, err = h.Svc.FinanceView(r.Context(), p, t.ID, r.URL.Query().Get("view"), 0)
	}
	if err != nil {
		return err
	}
	out := make([]RequestDocument, 0, len(reqs))
	for i := range reqs {
		out = append(out, requestDocument(&reqs[i]))
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) apiCreate(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.principal(r)
	if err != nil {
		return err
	}
	if err := p.Require(t.ID, creatorRoles...); err != nil {
		return err
	}
	var in createRequestBody
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	v := &fault.Validation{}
	amount := parseMoney("amount", in.Amount, v)
	if err := v.Err(); err != nil {
		return err
	}
	c, err := h.Svc.Create(r.Context(), p, NewRequest{TenantID: t.ID, Subject: in.Subject, ServiceID: in.ServiceID, Amount: amount, Purpose: in.Purpose,
		DueDate: in.DueDate, PayerName: in.PayerName, PayerEmail: in.PayerEmail, Unit: in.Unit, CostCentre: in.CostCentre})
	if err != nil {
		return err
	}
	req, err := h.Svc.Request(r.Context(), p, t.ID, c.Ref)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, requestDocument(req))
	return nil
}

func (h *Handler) staffRequest(r *http.Request) (identity.Principal, *identity.Tenant, *Request, error) {
	p, t, err := h.principal(r)
	if err != nil {
		return p, t, nil, err
	}
	if err := p.See(t.ID, viewerRoles...); err != nil {
		return p, t, nil, err
	}
	req, err := h.Svc.Request(r.Context(), p, t.ID, r.PathValue("id"))
	return p, t, req, err
}

func (h *Handler) apiGet(w http.ResponseWriter, r *http.Request) error {
	_, _, req, err := h.staffRequest(r)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, requestDocument(req))
	return nil
}

func (h *Handler) apiCancel(w http.ResponseWriter, r *http.Request) error {
	p, t, req, err := h.staffRequest(r)
	if err != nil {
		return err
	}
	if err := h.Svc.CancelRequest(r.Context(), p, t.ID, req.Ref); err != nil {
		return err
	}
	req, err = h.Svc.Request(r.Context(), p, t.ID, req.Ref)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, requestDocument(req))
	return nil
}

func (h *Handler) apiReceipts(w http.ResponseWriter, r *http.Request) error {
	p, t, req, err := h.staffRequest(r)
	if err != nil {
		return err
	}
	ps, err := h.Svc.Payments(r.Context(), p, t.ID, req.Ref)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, ps)
	return nil
}

// MaxStatementBytes is the largest statement accepted over HTTP.
const MaxStatementBytes = 64 << 20

func (h *Handler) apiImport(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.principal(r)
	if err != nil {
		return err
	}
	if err := p.Require(t.ID, financeRoles...); err != nil {
		return err
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxStatementBytes))
	if err != nil {
		return err
	}
	res, err := h.Svc.ImportStatement(r.Context(), p, t.ID, SourceAPI, r.URL.Query().Get("name"), data)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, res)
	return nil
}

func (h *Handler) apiStatements(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.principal(r)
	if err != nil {
		return err
	}
	sts, err := h.Svc.Statements(r.Context(), p, t.ID, 0)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, sts)
	return nil
}

func (h *Handler) apiTasks(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.principal(r)
	if err != nil {
		return err
	}
	ts, err := h.Svc.Tasks(r.Context(), p, t.ID, r.URL.Query().Get("status"), 0)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, ts)
	return nil
}

func (h *Handler) apiResolve(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.principal(r)
	if err != nil {
		return err
	}
	if _, err := h.Svc.TaskByRef(r.Context(), p, t.ID, r.PathValue("id")); err != nil {
		return err
	}
	var in resolveBody
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	if err := h.Svc.Resolve(r.Context(), p, t.ID, r.PathValue("id"), in.Action, in.Request, in.Note); err != nil {
		return err
	}
	tk, err := h.Svc.TaskByRef(r.Context(), p, t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, tk)
	return nil
}

func (h *Handler) apiGetSettings(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.principal(r)
	if err != nil {
		return err
	}
	if err := p.See(t.ID, viewerRoles...); err != nil {
		return err
	}
	st, err := h.Svc.SettingsFor(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, st)
	return nil
}

func (h *Handler) apiPutSettings(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.principal(r)
	if err != nil {
		return err
	}
	if err := p.See(t.ID, financeRoles...); err != nil {
		return err
	}
	if h.Svc.ServiceExists != nil {
		if ok, err := h.Svc.ServiceExists(r.Context(), t.ID, r.PathValue("id")); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("service %s: %w", r.PathValue("id"), fault.ErrNotFound)
		}
	}
	var in Settings
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	in.ServiceID = r.PathValue("id")
	st, err := h.Svc.PutSettings(r.Context(), p, t.ID, in)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, st)
	return nil
}

func (h *Handler) apiMandates(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.principal(r)
	if err != nil {
		return err
	}
	ms, err := h.Svc.Mandates(r.Context(), p, t.ID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, ms)
	return nil
}

func (in mandateBody) mandate() (Mandate, error) {
	v := &fault.Validation{}
	amount := parseMoney("amount", in.Amount, v)
	m := Mandate{DebtorName: in.DebtorName, IBAN: in.IBAN, BIC: in.BIC, Purpose: in.Purpose, Amount: amount, SignedOn: in.SignedOn}
	return m, v.Err()
}

func (h *Handler) apiCreateMandate(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.principal(r)
	if err != nil {
		return err
	}
	if err := p.Require(t.ID, financeRoles...); err != nil {
		return err
	}
	var in mandateBody
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	m, err := in.mandate()
	if err != nil {
		return err
	}
	out, err := h.Svc.CreateMandate(r.Context(), p, t.ID, m)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, out)
	return nil
}

// CreditorOf is the tenant's account for payments (tenant settings).
func CreditorOf(t *identity.Tenant) Creditor {
	c := t.Settings.Creditor
	return Creditor{Name: c.Name, IBAN: c.IBAN, BIC: c.BIC}
}

func (h *Handler) apiCollect(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.principal(r)
	if err != nil {
		return err
	}
	if err := p.Require(t.ID, financeRoles...); err != nil {
		return err
	}
	var in collectBody
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	res, err := h.Svc.Collect(r.Context(), p, t.ID, CreditorOf(t), Collection{CreditorID: in.CreditorID, CollectionDate: in.CollectionDate})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Disposition", `attachment; filename="`+res.MessageID+`.xml"`)
	w.WriteHeader(http.StatusCreated)
	w.Write(res.File)
	return nil
}

func (h *Handler) apiCallback(w http.ResponseWriter, r *http.Request) error {
	t := identity.TenantFrom(r.Context())
	if t == nil {
		return fault.ErrNotFound
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		return err
	}
	if err := h.Svc.HandleCallback(r.Context(), t.ID, r.PathValue("provider"), r.Header, body); err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]string{"status": "accepted"})
	return nil
}

// Create is CreateRequest in a transaction of its own (API, pages).
func (s *Service) Create(ctx context.Context, p identity.Principal, in NewRequest) (Created, error) {
	var c Created
	err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		var err error
		c, err = s.CreateRequest(tx, p, in)
		return err
	})
	return c, err
}

// onlineLimit bounds how often one address starts online payments.
var onlineLimit = ratelimit.Rule{Name: "payments.online", Limit: 30, Window: time.Hour}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// --- pages ---

func (h *Handler) shell(r *http.Request, area web.Area) web.Shell {
	var s web.Shell
	if h.Shell != nil {
		s = h.Shell(r)
	}
	s.Area = area
	return s
}

// optionalPrincipal: a visitor without a session is anonymous.
func (h *Handler) optionalPrincipal(r *http.Request) (identity.Principal, *identity.Tenant, error) {
	p, t, err := h.principal(r)
	if errors.Is(err, fault.ErrUnauthorized) {
		return identity.Principal{}, identity.TenantFrom(r.Context()), nil
	}
	if t == nil {
		return p, nil, fault.ErrNotFound
	}
	return p, t, err
}

// NoticePage is the view model of the payment notice.
type NoticePage struct {
	Request     *Request
	Outstanding string
	Creditor    Creditor
	IBAN        string // grouped
	RF          string // grouped
	Receipts    []Received
	Providers   []ProviderChoice
	Payable     bool
	Paid        bool
	Subject     Subject
}

// ProviderChoice is an online payment option.
type ProviderChoice struct {
	Name, Label string
}

func (h *Handler) noticeRequest(r *http.Request) (identity.Principal, *identity.Tenant, *Request, error) {
	p, t, err := h.optionalPrincipal(r)
	if err != nil {
		return p, t, nil, err
	}
	req, err := h.Svc.Request(r.Context(), p, t.ID, r.PathValue("id"))
	return p, t, req, err
}

func (h *Handler) pageNotice(w http.ResponseWriter, r *http.Request) error {
	p, t, req, err := h.noticeRequest(r)
	if err != nil {
		return err
	}
	receipts, err := h.Svc.Payments(r.Context(), p, t.ID, req.Ref)
	if err != nil {
		return err
	}
	c := CreditorOf(t)
	v := NoticePage{Request: req, Outstanding: req.Outstanding().StringFixed(2), Creditor: c, IBAN: GroupIBAN(c.IBAN), RF: epc.GroupRF(req.RF), Receipts: receipts,
		Payable: req.Status == StatusOpen || req.Status == StatusPartial, Paid: req.Status == StatusPaid}
	if h.Subject != nil && req.Subject != "" {
		v.Subject = h.Subject(r.Context(), req)
	}
	for _, name := range h.Svc.providerNames() {
		v.Providers = append(v.Providers, ProviderChoice{Name: name, Label: h.Svc.Providers[name].Label()})
	}
	return h.Pages.Render(w, r, http.StatusOK, "payments_notice", h.shell(r, web.AreaCitizen), v)
}

func (h *Handler) pageQR(w http.ResponseWriter, r *http.Request) error {
	_, t, req, err := h.noticeRequest(r)
	if err != nil {
		return err
	}
	if req.Status != StatusOpen && req.Status != StatusPartial {
		return fmt.Errorf("QR code of a %s request: %w", req.Status, fault.ErrNotFound)
	}
	payload, _, err := NoticeData{Creditor: CreditorOf(t), Request: req}.EPC().Payload()
	if err != nil {
		return fmt.Errorf("EPC QR of %s (tenant creditor account): %w", req.Ref, err)
	}
	code, err := epc.QR(payload)
	if err != nil {
		return err
	}
	png, err := code.PNG(6)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, no-store")
	w.Write(png)
	return nil
}

func (h *Handler) pageNoticePDF(w http.ResponseWriter, r *http.Request) error {
	_, t, req, err := h.noticeRequest(r)
	if err != nil {
		return err
	}
	a := t.Settings.Address
	addr := strings.TrimSpace(strings.Join([]string{a.Street, strings.TrimSpace(a.Postcode + " " + a.City)}, ", "))
	b, err := NoticePDF(NoticeData{City: t.Name, CityAddress: strings.Trim(addr, ", "), Creditor: CreditorOf(t), Request: req, Lang: string(i18n.FromRequest(r))})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `inline; filename="zahlungshinweis-`+req.Ref+`.pdf"`)
	w.Header().Set("Cache-Control", "private, no-store")
	w.Write(b)
	return nil
}

func (h *Handler) pageReceipt(w http.ResponseWriter, r *http.Request) error {
	p, t, req, err := h.noticeRequest(r)
	if err != nil {
		return err
	}
	ps, err := h.Svc.Payments(r.Context(), p, t.ID, req.Ref)
	if err != nil {
		return err
	}
	want := strings.TrimSuffix(r.PathValue("receipt"), ".pdf")
	for _, x := range ps {
		if x.Ref == want {
			w.Header().Set("Content-Type", "application/pdf")
			w.Header().Set("Content-Disposition", `inline; filename="quittung-`+x.Ref+`.pdf"`)
			w.Header().Set("Cache-Control", "private, no-store")
			w.Write(ReceiptPDF(t.Name, req, x, string(i18n.FromRequest(r))))
			return nil
		}
	}
	return fmt.Errorf("receipt %s: %w", want, fault.ErrNotFound)
}

func (h *Handler) pageStartOnline(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.optionalPrincipal(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	if h.Svc.Limits != nil {
		if err := h.Svc.Limits.Allow(r.Context(), onlineLimit, strconv.FormatInt(t.ID, 10)+"|"+clientAddr(r)); err != nil {
			return err
		}
	}
	to, err := h.Svc.StartOnline(r.Context(), p, t.ID, r.PathValue("id"), r.PostForm.Get("provider"))
	if err != nil {
		return err
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// OnlinePage is the view model of the page the payer returns to.
type OnlinePage struct {
	Request *Request
	Online  *Online
}

func (h *Handler) pageOnlineReturn(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.optionalPrincipal(r)
	if err != nil {
		return err
	}
	o, err := h.Svc.OnlinePayment(r.Context(), p, t.ID, r.PathValue("id"), r.PathValue("online"))
	if err != nil {
		return err
	}
	req, err := h.Svc.Request(r.Context(), p, t.ID, o.Request)
	if err != nil {
		return err
	}
	return h.Pages.Render(w, r, http.StatusOK, "payments_online", h.shell(r, web.AreaCitizen), OnlinePage{Request: req, Online: o})
}

// DemoPage is the view model of the demo provider's checkout page.
type DemoPage struct {
	Online   *Online
	Purpose  string
	Return   string
	Provider string
}

func (h *Handler) pageDemo(w http.ResponseWriter, r *http.Request) error {
	if h.Demo == nil {
		return fault.ErrNotFound
	}
	p, t, err := h.optionalPrincipal(r)
	if err != nil {
		return err
	}
	o, req, err := h.Svc.OnlineByRef(r.Context(), p, t.ID, r.PathValue("id"))
	if err != nil || o.Provider != h.Demo.Name() {
		return fault.ErrNotFound
	}
	back := req.URL() + "/online/" + o.Ref
	if r.Method == http.MethodGet {
		return h.Pages.Render(w, r, http.StatusOK, "payments_demo", h.shell(r, web.AreaCitizen), DemoPage{Online: o, Purpose: req.Purpose, Return: back, Provider: h.Demo.Name()})
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	status := EventCancelled
	if r.PostForm.Get("choice") == "pay" {
		status = EventPaid
	}
	if o.Status == "created" {
		// The provider notifies the city as a real platform would: a
		// signed callback, verified before anything changes.
		header, body := h.Demo.Callback(o.Ref, status, o.Amount)
		if err := h.Svc.HandleCallback(r.Context(), t.ID, h.Demo.Name(), header, body); err != nil {
			return err
		}
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}

// MinePage lists the signed-in person's requests.
type MinePage struct {
	Requests []Request
}

func (h *Handler) pageMine(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.principal(r)
	if errors.Is(err, fault.ErrUnauthorized) {
		http.Redirect(w, r, "/anmelden?"+url.Values{"return_to": {"/konto/zahlungen"}}.Encode(), http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return err
	}
	reqs, err := h.Svc.MyRequests(r.Context(), p, t.ID)
	if err != nil {
		return err
	}
	return h.Pages.Render(w, r, http.StatusOK, "payments_mine", h.shell(r, web.AreaCitizen), MinePage{Requests: reqs})
}

// staff signs staff in for a page: a visitor without a session is sent to
// the sign-in (GET) or refused.
func (h *Handler) staff(w http.ResponseWriter, r *http.Request, roles ...identity.Role) (identity.Principal, *identity.Tenant, bool, error) {
	p, t, err := h.principal(r)
	if errors.Is(err, fault.ErrUnauthorized) && r.Method == http.MethodGet {
		http.Redirect(w, r, "/anmelden?"+url.Values{"return_to": {web.LocalPath(r.URL)}}.Encode(), http.StatusSeeOther)
		return p, t, true, nil
	}
	if err != nil {
		return p, t, false, err
	}
	return p, t, false, p.Require(t.ID, roles...)
}

// FinancePage is the view model of the finance overview.
type FinancePage struct {
	View     string
	Views    []ViewTab
	Requests []Request
	Open     int // open worklist tasks
	Total    string
	Today    string
}

// ViewTab is one of the finance views.
type ViewTab struct {
	Key, Label string
	Current    bool
}

var viewKeys = map[string]string{"offen": ViewOpen, "bezahlt": ViewPaid, "ueberfaellig": ViewOverdue, "storniert": ViewCancelled}
var viewSlugs = []string{"offen", "ueberfaellig", "bezahlt", "storniert"}

func (h *Handler) pageFinance(w http.ResponseWriter, r *http.Request) error {
	p, t, done, err := h.staff(w, r, viewerRoles...)
	if done || err != nil {
		return err
	}
	slug := r.URL.Query().Get("ansicht")
	if slug == "" {
		slug = "offen"
	}
	view, ok := viewKeys[slug]
	if !ok {
		return fmt.Errorf("%w: unknown view", fault.ErrBadRequest)
	}
	reqs, err := h.Svc.FinanceView(r.Context(), p, t.ID, view, 500)
	if err != nil {
		return err
	}
	v := FinancePage{View: slug, Requests: reqs}
	total := decimal.Zero
	for _, q := range reqs {
		total = total.Add(q.Outstanding())
	}
	v.Total = total.StringFixed(2)
	for _, s := range viewSlugs {
		v.Views = append(v.Views, ViewTab{Key: s, Label: "payments.view." + s, Current: s == slug})
	}
	if p.Has(financeRoles...) {
		ts, err := h.Svc.Tasks(r.Context(), p, t.ID, "open", 500)
		if err != nil {
			return err
		}
		v.Open = len(ts)
	}
	return h.Pages.Render(w, r, http.StatusOK, "payments_finance", h.shell(r, web.AreaStaff), v)
}

func (h *Handler) pageExport(w http.ResponseWriter, r *http.Request) error {
	p, t, done, err := h.staff(w, r, financeRoles...)
	if done || err != nil {
		return err
	}
	slug := r.URL.Query().Get("ansicht")
	view := ViewAll
	if slug != "" {
		v, ok := viewKeys[slug]
		if !ok {
			return fmt.Errorf("%w: unknown view", fault.ErrBadRequest)
		}
		view = v
	}
	var buf bytes.Buffer
	if err := h.Svc.ExportCSV(r.Context(), p, t.ID, view, &buf); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="zahlungen-`+slug+`.csv"`)
	w.Write(buf.Bytes())
	return nil
}

// StatementsPage is the view model of the statement upload.
type StatementsPage struct {
	Form       web.Form
	Result     *ImportResult
	Statements []Statement
}

func (h *Handler) pageStatements(w http.ResponseWriter, r *http.Request) error {
	p, t, done, err := h.staff(w, r, financeRoles...)
	if done || err != nil {
		return err
	}
	render := func(status int, v StatementsPage) error {
		sts, err := h.Svc.Statements(r.Context(), p, t.ID, 20)
		if err != nil {
			return err
		}
		v.Statements = sts
		return h.Pages.Render(w, r, status, "payments_statements", h.shell(r, web.AreaStaff), v)
	}
	if r.Method == http.MethodGet {
		return render(http.StatusOK, StatementsPage{})
	}
	f := web.Form{Values: url.Values{}}
	if err := r.ParseMultipartForm(MaxStatementBytes); err != nil {
		f.Fail("file", "statement-file", "fault.required")
		return render(http.StatusUnprocessableEntity, StatementsPage{Form: f})
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		f.Fail("file", "statement-file", "fault.required")
		return render(http.StatusUnprocessableEntity, StatementsPage{Form: f})
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, MaxStatementBytes+1))
	if err != nil {
		return err
	}
	res, err := h.Svc.ImportStatement(r.Context(), p, t.ID, SourceUpload, hdr.Filename, data)
	if fv, ok := fault.AsValidation(err); ok {
		f.AddFault(fv, "statement-")
		return render(http.StatusUnprocessableEntity, StatementsPage{Form: f})
	}
	if err != nil {
		return err
	}
	return render(http.StatusOK, StatementsPage{Result: res})
}

// TasksPage is the view model of the worklist.
type TasksPage struct {
	Tasks    []Task
	Resolved bool
}

func (h *Handler) pageTasks(w http.ResponseWriter, r *http.Request) error {
	p, t, done, err := h.staff(w, r, financeRoles...)
	if done || err != nil {
		return err
	}
	status := "open"
	if r.URL.Query().Get("erledigt") == "1" {
		status = "resolved"
	}
	ts, err := h.Svc.Tasks(r.Context(), p, t.ID, status, 200)
	if err != nil {
		return err
	}
	return h.Pages.Render(w, r, http.StatusOK, "payments_tasks", h.shell(r, web.AreaStaff), TasksPage{Tasks: ts, Resolved: status == "resolved"})
}

// TaskPage is the view model of one worklist task.
type TaskPage struct {
	Task *Task
	Form web.Form
}

func (h *Handler) pageTask(w http.ResponseWriter, r *http.Request) error {
	p, t, done, err := h.staff(w, r)
	if done || err != nil {
		return err
	}
	tk, err := h.Svc.TaskByRef(r.Context(), p, t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if r.Method == http.MethodGet {
		req := ""
		if len(tk.Candidates) > 0 {
			req = tk.Candidates[0].Ref
		}
		return h.Pages.Render(w, r, http.StatusOK, "payments_task", h.shell(r, web.AreaStaff), TaskPage{Task: tk, Form: web.Form{Values: url.Values{"request": {req}}}})
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	f := web.Form{Values: r.PostForm}
	err = h.Svc.Resolve(r.Context(), p, t.ID, tk.Ref, f.Value("action"), f.Value("request"), f.Value("note"))
	if fv, ok := fault.AsValidation(err); ok {
		f.AddFault(fv, "task-")
		return h.Pages.Render(w, r, http.StatusUnprocessableEntity, "payments_task", h.shell(r, web.AreaStaff), TaskPage{Task: tk, Form: f})
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/verwaltung/zahlungen/aufgaben", http.StatusSeeOther)
	return nil
}

// Field is one text input of a page form.
type Field struct {
	Form                  web.Form
	Name, ID, Label, Type string
}

// MandateField is an input of the mandate form.
func (m MandatesPage) MandateField(name, id, label, typ string) Field {
	return Field{Form: m.Form, Name: name, ID: id, Label: label, Type: typ}
}

// CollectField is an input of the collection form.
func (m MandatesPage) CollectField(name, id, label, typ string) Field {
	return Field{Form: m.Collect, Name: name, ID: id, Label: label, Type: typ}
}

// MandatesPage is the view model of the direct-debit page.
type MandatesPage struct {
	Mandates []Mandate
	Form     web.Form
	Collect  web.Form
}

func (h *Handler) pageMandates(w http.ResponseWriter, r *http.Request) error {
	p, t, done, err := h.staff(w, r, financeRoles...)
	if done || err != nil {
		return err
	}
	render := func(status int, v MandatesPage) error {
		ms, err := h.Svc.Mandates(r.Context(), p, t.ID)
		if err != nil {
			return err
		}
		v.Mandates = ms
		if v.Collect.Values == nil {
			v.Collect.Values = url.Values{"creditor_id": {h.Svc.DefaultCreditorID}}
		}
		return h.Pages.Render(w, r, status, "payments_mandates", h.shell(r, web.AreaStaff), v)
	}
	if r.Method == http.MethodGet {
		return render(http.StatusOK, MandatesPage{})
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	f := web.Form{Values: r.PostForm}
	m, err := mandateBody{DebtorName: f.Value("debtor_name"), IBAN: f.Value("iban"), BIC: f.Value("bic"), Purpose: f.Value("purpose"), Amount: f.Value("amount"), SignedOn: f.Value("signed_on")}.mandate()
	if err == nil {
		_, err = h.Svc.CreateMandate(r.Context(), p, t.ID, m)
	}
	if fv, ok := fault.AsValidation(err); ok {
		f.AddFault(fv, "mandate-")
		return render(http.StatusUnprocessableEntity, MandatesPage{Form: f})
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/verwaltung/zahlungen/lastschrift", http.StatusSeeOther)
	return nil
}

func (h *Handler) pageCollect(w http.ResponseWriter, r *http.Request) error {
	p, t, _, err := h.staff(w, r, financeRoles...)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	f := web.Form{Values: r.PostForm}
	res, err := h.Svc.Collect(r.Context(), p, t.ID, CreditorOf(t), Collection{CreditorID: f.Value("creditor_id"), CollectionDate: f.Value("collection_date")})
	if fv, ok := fault.AsValidation(err); ok {
		f.AddFault(fv, "collect-")
		ms, err := h.Svc.Mandates(r.Context(), p, t.ID)
		if err != nil {
			return err
		}
		return h.Pages.Render(w, r, http.StatusUnprocessableEntity, "payments_mandates", h.shell(r, web.AreaStaff), MandatesPage{Mandates: ms, Collect: f})
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Disposition", `attachment; filename="`+res.MessageID+`.xml"`)
	w.Write(res.File)
	return nil
}

// FeesPage is the view model of the fee settings page.
type FeesPage struct {
	Settings []Settings
	Form     web.Form
	// Proposal: the catalog service looked up (its fee filled in, or
	// ProposalNone when its fee lines name no amount to take over).
	Proposal, ProposalService string
	Catalog                   bool
}

// Fee page notices of a catalog proposal.
const (
	ProposalFilled = "payments.fees.proposal.filled"
	ProposalNone   = "payments.fees.proposal.none"
)

// Field is an input of the fee form.
func (f FeesPage) Field(name, id, label, typ string) Field {
	return Field{Form: f.Form, Name: name, ID: id, Label: label, Type: typ}
}

// Choice is a radio option of the fee form.
type Choice struct {
	Name, Value, ID, Label string
	Checked                bool
}

// Timings are the options of the timing radio group.
func (f FeesPage) Timings() []Choice {
	return choices(f.Form, "timing", []string{AfterSubmission, BeforeSubmission, NoPayment})
}

// Kinds are the options of the fee kind radio group.
func (f FeesPage) Kinds() []Choice {
	return choices(f.Form, "fee_kind", []string{FeeFixed, FeePerQuantity})
}

func choices(f web.Form, name string, values []string) []Choice {
	var out []Choice
	for i, v := range values {
		out = append(out, Choice{Name: name, Value: v, ID: "fee-" + name + "-" + v, Label: "payments.fees." + name + "." + v, Checked: f.Value(name) == v || (f.Value(name) == "" && i == 0)})
	}
	return out
}

func (h *Handler) pageFees(w http.ResponseWriter, r *http.Request) error {
	p, t, done, err := h.staff(w, r, financeRoles...)
	if done || err != nil {
		return err
	}
	render := func(status int, f web.Form) error {
		all, err := h.Svc.AllSettings(r.Context(), p, t.ID)
		if err != nil {
			return err
		}
		if f.Values == nil {
			f.Values = url.Values{"due_days": {"14"}, "reminder_days": {"7"}}
		}
		return h.Pages.Render(w, r, status, "payments_fees", h.shell(r, web.AreaStaff), FeesPage{Settings: all, Form: f, Catalog: h.Svc.Catalog != nil})
	}
	if r.Method == http.MethodGet {
		if id := strings.TrimSpace(r.URL.Query().Get("leistung")); id != "" && h.Svc.Catalog != nil {
			return h.feeProposal(w, r, p, t.ID, id)
		}
		return render(http.StatusOK, web.Form{})
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	f := web.Form{Values: r.PostForm}
	v := &fault.Validation{}
	amount := parseMoney("amount", f.Value("amount"), v)
	due, errDue := strconv.Atoi(strings.TrimSpace(f.Value("due_days")))
	remind, errRemind := strconv.Atoi(strings.TrimSpace(f.Value("reminder_days")))
	if errDue != nil {
		v.Add("due_days", "out_of_range", "min", 0, "max", 365)
	}
	if errRemind != nil {
		v.Add("reminder_days", "out_of_range", "min", 1, "max", 365)
	}
	service := strings.TrimSpace(f.Value("service_id"))
	if h.Svc.ServiceExists != nil {
		if ok, err := h.Svc.ServiceExists(r.Context(), t.ID, service); err != nil {
			return err
		} else if !ok {
			v.Add("service_id", "unknown_service")
		}
	}
	if err := v.Err(); err == nil {
		_, err = h.Svc.PutSettings(r.Context(), p, t.ID, Settings{ServiceID: service, Timing: f.Value("timing"), FeeKind: f.Value("fee_kind"), Amount: amount,
			Purpose: f.Value("purpose"), Unit: strings.TrimSpace(f.Value("unit")), CostCentre: strings.TrimSpace(f.Value("cost_centre")), DueDays: due, ReminderDays: remind,
			QuantityField: strings.TrimSpace(f.Value("quantity_field"))})
		if err == nil {
			http.Redirect(w, r, "/verwaltung/zahlungen/gebuehren", http.StatusSeeOther)
			return nil
		}
		v, _ = fault.AsValidation(err)
		if v == nil {
			return err
		}
	}
	f.AddFault(v, "fee-")
	return render(http.StatusUnprocessableEntity, f)
}

// feeProposal is the fee page with the form filled in from a catalog
// service's fee lines (nothing is stored until finance saves it).
func (h *Handler) feeProposal(w http.ResponseWriter, r *http.Request, p identity.Principal, tenantID int64, serviceID string) error {
	all, err := h.Svc.AllSettings(r.Context(), p, tenantID)
	if err != nil {
		return err
	}
	page := FeesPage{Settings: all, Catalog: true, ProposalService: serviceID}
	svc, err := h.Svc.Catalog(r.Context(), tenantID, serviceID)
	if errors.Is(err, fault.ErrNotFound) {
		page.Form = web.Form{Values: url.Values{"leistung": {serviceID}, "due_days": {"14"}, "reminder_days": {"7"}}}
		page.Form.AddFault(fault.Invalid("leistung", "unknown_service"), "fee-")
		return h.Pages.Render(w, r, http.StatusUnprocessableEntity, "payments_fees", h.shell(r, web.AreaStaff), page)
	}
	if err != nil {
		return err
	}
	st, ok := SettingsFromCatalog(svc)
	if !ok {
		page.Proposal = ProposalNone
		page.Form = web.Form{Values: url.Values{"service_id": {svc.ID}, "purpose": {clipText(svc.Name, 140)}, "due_days": {"14"}, "reminder_days": {"7"}}}
		return h.Pages.Render(w, r, http.StatusOK, "payments_fees", h.shell(r, web.AreaStaff), page)
	}
	page.Proposal = ProposalFilled
	page.Form = web.Form{Values: url.Values{"service_id": {st.ServiceID}, "purpose": {st.Purpose}, "fee_kind": {st.FeeKind}, "amount": {st.Amount.StringFixed(2)},
		"timing": {st.Timing}, "unit": {st.Unit}, "due_days": {strconv.Itoa(st.DueDays)}, "reminder_days": {strconv.Itoa(st.ReminderDays)}}}
	return h.Pages.Render(w, r, http.StatusOK, "payments_fees", h.shell(r, web.AreaStaff), page)
}
