package inbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/rathaus/rathaus/internal/einvoice"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/i18n"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// Handler is the HTTP surface of the inbox: the JSON API and the finance
// pages.
type Handler struct {
	Svc      *Service
	Identity *identity.Handler
	// Pages renders the pages (AddTemplates); also translates problems.
	Pages *web.Renderer
	Shell func(*http.Request) web.Shell
	// MailAddress is the invoice address the tenant publishes ("" for
	// none), shown on the upload page.
	MailAddress func(t *identity.Tenant) string
}

// Routes lists every URL of the inbox.
func (h *Handler) Routes(rt *web.Router) {
	one := exampleInvoice()
	rt.API(web.Operation{Method: "POST", Path: "/api/v1/einvoices", ID: "submitEinvoice", Tag: "einvoice", Auth: []string{"finance", "business"}, Status: 201,
		Summary:      "Hand in an e-invoice (XRechnung/EN 16931 XML, or a ZUGFeRD / Factur-X PDF) as the body. Judged by the official rules: a rejected one is a 422 listing every rule with its explanation and is not stored; the same supplier, number and amount again is a 409",
		RequestTypes: []string{TypeXML, TypePDF}, Response: receipt(one), MaxBody: einvoice.MaxSize + 1<<10}, h.handleSubmit)
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/einvoices", ID: "listEinvoices", Tag: "einvoice", Auth: []string{"finance", "admin", "records_officer", "staff", "business"},
		Summary: "A worklist of invoices (list=mine|new|clarification|approved|in_payment|paid|rejected)",
		Query:   []web.Param{{Name: "list", Description: "which list (default new)", Type: "string"}}, Response: []Invoice{one}}, h.handleList)
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/einvoices/{id}", ID: "getEinvoice", Tag: "einvoice", Auth: []string{"finance", "admin", "records_officer", "staff", "business"},
		Summary: "One invoice with its validation, workflow steps and version (also as ETag)", Response: one}, h.handleGet)
	rt.API(web.Operation{Method: "POST", Path: "/api/v1/einvoices/{id}/approvals", ID: "approveEinvoice", Tag: "einvoice", Auth: []string{"finance", "staff"}, Status: 201,
		Summary: "Sign a step: sachlich, rechnerisch (two different people, staff of the routed unit or finance) or anordnung (finance, after both). If-Match (or version) must be the current version. 403 not_a_person/wrong_role/same_person, 409 wrong_order/already_done/wrong_state/stale, 422 invalid_step",
		Request: approvalRequest{Step: "sachlich", CostCentre: "4711", BudgetLine: "1.0200.6500"}, Response: approvalResponse{Step: StepRecord{Step: StepSachlich, Actor: "U-7K3M-Q9TX"}, Invoice: one}}, h.handleApprove)
	rt.API(web.Operation{Method: "POST", Path: "/api/v1/einvoices/{id}/rejection", ID: "rejectEinvoice", Tag: "einvoice", Auth: []string{"finance", "staff"},
		Summary: "Send the invoice back to the supplier with the reasons (mailed to the supplier)", Request: rejectRequest{Reason: "Leistung nicht erbracht"}, Response: one}, h.handleReject)
	rt.API(web.Operation{Method: "POST", Path: "/api/v1/einvoices/{id}/assignment", ID: "assignEinvoice", Tag: "einvoice", Auth: []string{"finance"},
		Summary: "Route an invoice in clarification to a unit", Request: assignRequest{Unit: "E-7K3M-Q9TX"}, Response: one}, h.handleAssign)
	rt.API(web.Operation{Method: "POST", Path: "/api/v1/einvoices/payment-runs", ID: "createPaymentRun", Tag: "einvoice", Auth: []string{"finance"}, Status: 201,
		Summary:  "Pay every approved invoice: a SEPA credit transfer file (pain.001.001.09) with discount, netted credit notes and execution dates from the terms",
		Response: PaymentRun{Ref: "Z-7K3M-Q9TX", Count: 1, ControlSum: "1190.00", Currency: "EUR", File: FilePath("Z-7K3M-Q9TX"), Payments: []Payment{}, Skipped: []Skipped{}, Netted: []string{}}}, h.handlePaymentRun)
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/einvoices/payment-runs", ID: "listPaymentRuns", Tag: "einvoice", Auth: []string{"finance", "admin"},
		Summary: "The payment runs, newest first", Response: []PaymentRun{}}, h.handlePaymentRuns)
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/einvoices/payment-runs/{id}/pain.001.xml", ID: "getPaymentFile", Tag: "einvoice", Auth: []string{"finance", "admin"},
		Summary: "The run's SEPA credit transfer file for the bank", ResponseType: TypeXML}, h.handlePaymentFile)
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/einvoices/routes", ID: "listEinvoiceRoutes", Tag: "einvoice", Auth: []string{"staff"},
		Summary: "Leitweg-IDs of the municipality and the unit each leads to", Response: []Route{{LeitwegID: "09162000-MUSTERSTADT-10", Unit: "E-7K3M-Q9TX", UnitName: "Kämmerei"}}}, h.handleRoutes)
	rt.API(web.Operation{Method: "POST", Path: "/api/v1/einvoices/routes", ID: "setEinvoiceRoute", Tag: "einvoice", Auth: []string{"admin", "finance"}, Status: 201,
		Summary: "Map a Leitweg-ID under the Grobadressierung of the municipality's own Leitweg-ID (format and check digits verified) to a unit", Request: routeRequest{LeitwegID: "09162000-MUSTERSTADT-10", Unit: "E-7K3M-Q9TX"},
		Response: Route{LeitwegID: "09162000-MUSTERSTADT-10", Unit: "E-7K3M-Q9TX", UnitName: "Kämmerei"}}, h.handleSetRoute)
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/einvoices/disposal", ID: "listEinvoiceDisposal", Tag: "einvoice", Auth: []string{"records_officer", "finance", "admin"},
		Summary: "Closed invoices whose 10-year retention has ended: may be destroyed", Response: []Invoice{}}, h.handleDisposal)
	if h.Pages != nil {
		h.pageRoutes(rt)
	}
}

func exampleInvoice() Invoice {
	sc := "EN16931 XRechnung (UBL Invoice)"
	return Invoice{Ref: "R-7K3M-Q9TX", Status: StatusNew, Version: 1, Kind: "invoice", Channel: ChannelAPI, Unit: "E-7K3M-Q9TX", UnitName: "Kämmerei",
		LeitwegID: "09162000-MUSTERSTADT-10", Supplier: "Bürobedarf Schmidt GmbH", Number: "RE-2026-001", IssueDate: "2026-03-01", DueDate: "2026-03-31",
		Amount: "1190.00", Currency: "EUR", Validation: Validation{Accept: true, Scenario: &sc, Errors: []string{}, Warnings: []string{}}, Steps: []StepRecord{}}
}

// Receipt is the answer to a submission.
type Receipt struct {
	Ref        string            `json:"id"`
	Status     Status            `json:"status"`
	Unit       string            `json:"unit"`
	UnitName   string            `json:"unit_name"`
	Version    int               `json:"version"`
	Routing    string            `json:"routing_problem,omitempty"`
	Validation ReceiptValidation `json:"validation"`
}

// ReceiptValidation is the verdict part of a receipt.
type ReceiptValidation struct {
	Accept   bool     `json:"accept"`
	Scenario *string  `json:"scenario"`
	Errors   []string `json:"errors"`
	Warnings []string `json:"warnings"`
}

func receipt(inv Invoice) Receipt {
	return Receipt{Ref: inv.Ref, Status: inv.Status, Unit: inv.Unit, UnitName: inv.UnitName, Version: inv.Version, Routing: inv.RoutingProblem,
		Validation: ReceiptValidation{Accept: inv.Validation.Accept, Scenario: inv.Validation.Scenario, Errors: nonNil(inv.Validation.Errors), Warnings: nonNil(inv.Validation.Warnings)}}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (h *Handler) principal(r *http.Request) (identity.Principal, *identity.Tenant, error) {
	return h.Identity.PrincipalFrom(r)
}

func (h *Handler) printer(r *http.Request) *i18n.Printer { return h.Pages.Printer(r) }

// explain is a rule's plain-language explanation in the request's
// language: the German one when there is one (in German), else the
// official text.
func explain(m Message, lang i18n.Lang) string {
	if lang == i18n.De && m.TextDE != "" {
		return m.TextDE
	}
	return m.Text
}

// writeProblem answers the inbox's own refusals with a problem document
// naming the reason; it returns err unchanged for anything else (the
// router's adapter answers those).
func (h *Handler) writeProblem(w http.ResponseWriter, r *http.Request, err error) error {
	var rej *Rejection
	var dup *Duplicate
	var pr *Problem
	p := h.printer(r)
	doc := map[string]any{"type": "about:blank", "request_id": web.RequestID(r.Context())}
	status := 0
	switch {
	case errors.As(err, &rej):
		status = http.StatusUnprocessableEntity
		fields := []map[string]any{}
		for _, m := range rej.Errors() {
			fields = append(fields, map[string]any{"field": "invoice", "code": m.ID, "detail": explain(m, p.Lang()), "rule_text": m.Text, "location": m.Location})
		}
		doc["detail"] = p.T("einvoice.problem.rejected", len(fields))
		doc["errors"] = fields
		v := rej.Verdict
		doc["validation"] = map[string]any{"accept": false, "scenario": v.Scenario, "errors": nonNil(v.Errors), "warnings": nonNil(v.Warnings), "reason": v.Reason}
	case errors.As(err, &dup):
		status = http.StatusConflict
		doc["detail"], doc["code"] = p.T("einvoice.problem.duplicate_other"), "duplicate"
		if dup.Existing != "" {
			doc["detail"], doc["existing"] = p.T("einvoice.problem.duplicate", dup.Existing), dup.Existing
		}
	case errors.As(err, &pr):
		status = web.StatusOf(pr.Kind)
		if fv, ok := fault.AsValidation(pr.Kind); ok {
			status = http.StatusUnprocessableEntity
			doc["errors"] = []map[string]any{{"field": fv.Errors[0].Field, "code": fv.Errors[0].Code, "detail": p.T("fault." + fv.Errors[0].Code)}}
		}
		doc["detail"], doc["code"] = p.T("einvoice.problem."+pr.Code), pr.Code
	default:
		return err
	}
	doc["title"], doc["status"] = http.StatusText(status), status
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(doc)
	return nil
}

func (h *Handler) handleSubmit(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.principal(r)
	if err != nil {
		return err
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, einvoice.MaxSize+1))
	if err != nil {
		return err
	}
	inv, err := h.Svc.Submit(r.Context(), p, t.ID, Submission{Channel: ChannelAPI, Data: data, ContentType: r.Header.Get("Content-Type"), Name: r.Header.Get("X-Filename")})
	if err != nil {
		return h.writeProblem(w, r, err)
	}
	w.Header().Set("Location", "/api/v1/einvoices/"+inv.Ref)
	w.Header().Set("ETag", etag(inv.Version))
	web.WriteJSON(w, http.StatusCreated, receipt(*inv))
	return nil
}

func etag(v int) string { return `"` + strconv.Itoa(v) + `"` }

func (h *Handler) handleList(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.principal(r)
	if err != nil {
		return err
	}
	l := Worklist(r.URL.Query().Get("list"))
	if l == "" {
		l = ListNew
	}
	invs, err := h.Svc.List(r.Context(), p, t.ID, l)
	if err != nil {
		return err
	}
	out := make([]Invoice, 0, len(invs))
	for _, inv := range invs {
		if p.Kind == "business" {
			out = append(out, inv.ForSupplier())
			continue
		}
		out = append(out, *inv)
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) handleGet(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.principal(r)
	if err != nil {
		return err
	}
	inv, err := h.Svc.Get(r.Context(), p, t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(inv.Version))
	if p.Kind == "business" {
		web.WriteJSON(w, http.StatusOK, inv.ForSupplier())
		return nil
	}
	web.WriteJSON(w, http.StatusOK, inv)
	return nil
}

type approvalRequest struct {
	Step       string `json:"step"`
	Version    int    `json:"version,omitempty"`
	CostCentre string `json:"cost_centre,omitempty"`
	BudgetLine string `json:"budget_line,omitempty"`
	Note       string `json:"note,omitempty"`
}

type approvalResponse struct {
	Step    StepRecord `json:"step"`
	Invoice Invoice    `json:"invoice"`
}

// ifMatch reads the expected version from If-Match ("3" or W/"3") or the
// body's version; both given must agree.
func ifMatch(r *http.Request, body int) (int, error) {
	hv := strings.TrimSpace(r.Header.Get("If-Match"))
	if hv == "" || hv == "*" {
		return body, nil
	}
	n, err := strconv.Atoi(strings.Trim(strings.TrimPrefix(hv, "W/"), `"`))
	if err != nil || n < 1 || body != 0 && body != n {
		return 0, fault.Invalid("version", "invalid_version")
	}
	return n, nil
}

func (h *Handler) handleApprove(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.principal(r)
	if err != nil {
		return err
	}
	var req approvalRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	v, err := ifMatch(r, req.Version)
	if err != nil {
		return err
	}
	inv, err := h.Svc.Approve(r.Context(), p, t.ID, r.PathValue("id"), StepInput{Step: Step(req.Step), Version: v, CostCentre: req.CostCentre, BudgetLine: req.BudgetLine, Note: req.Note})
	if err != nil {
		return h.writeProblem(w, r, err)
	}
	rec, _ := inv.done(Step(req.Step))
	w.Header().Set("ETag", etag(inv.Version))
	web.WriteJSON(w, http.StatusCreated, approvalResponse{Step: rec, Invoice: *inv})
	return nil
}

type rejectRequest struct {
	Reason  string `json:"reason"`
	Version int    `json:"version,omitempty"`
}

func (h *Handler) handleReject(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.principal(r)
	if err != nil {
		return err
	}
	var req rejectRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	v, err := ifMatch(r, req.Version)
	if err != nil {
		return err
	}
	inv, err := h.Svc.Reject(r.Context(), p, t, r.PathValue("id"), v, req.Reason)
	if err != nil {
		return h.writeProblem(w, r, err)
	}
	web.WriteJSON(w, http.StatusOK, inv)
	return nil
}

type assignRequest struct {
	Unit    string `json:"unit"`
	Version int    `json:"version,omitempty"`
}

func (h *Handler) handleAssign(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.principal(r)
	if err != nil {
		return err
	}
	var req assignRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	v, err := ifMatch(r, req.Version)
	if err != nil {
		return err
	}
	inv, err := h.Svc.Assign(r.Context(), p, t.ID, r.PathValue("id"), v, req.Unit)
	if err != nil {
		return h.writeProblem(w, r, err)
	}
	web.WriteJSON(w, http.StatusOK, inv)
	return nil
}

func (h *Handler) handlePaymentRun(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.principal(r)
	if err != nil {
		return err
	}
	run, err := h.Svc.CreatePaymentRun(r.Context(), p, t)
	if err != nil {
		return h.writeProblem(w, r, err)
	}
	w.Header().Set("Location", run.File)
	web.WriteJSON(w, http.StatusCreated, run)
	return nil
}

func (h *Handler) handlePaymentRuns(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.principal(r)
	if err != nil {
		return err
	}
	runs, err := h.Svc.PaymentRuns(r.Context(), p, t.ID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, runs)
	return nil
}

func (h *Handler) handlePaymentFile(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.principal(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	file, err := h.Svc.PaymentFile(r.Context(), p, t.ID, id)
	if err != nil {
		return err
	}
	download(w, TypeXML, id+"-pain.001.xml", file)
	return nil
}

// download sends a file as an attachment (never rendered by the browser
// in our origin).
func download(w http.ResponseWriter, ctype, name string, data []byte) {
	hd := w.Header()
	hd.Set("Content-Type", ctype)
	hd.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", safeName(name)))
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "private, no-store")
	hd.Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	w.Write(data)
}

type routeRequest struct {
	LeitwegID string `json:"leitweg_id"`
	Unit      string `json:"unit"`
}

func (h *Handler) handleRoutes(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.principal(r)
	if err != nil {
		return err
	}
	routes, err := h.Svc.Routes(r.Context(), p, t.ID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, routes)
	return nil
}

func (h *Handler) handleSetRoute(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.principal(r)
	if err != nil {
		return err
	}
	var req routeRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	rt, err := h.Svc.SetRoute(r.Context(), p, t.ID, req.LeitwegID, req.Unit)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, rt)
	return nil
}

func (h *Handler) handleDisposal(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.principal(r)
	if err != nil {
		return err
	}
	invs, err := h.Svc.Disposal(r.Context(), p, t.ID)
	if err != nil {
		return err
	}
	out := make([]Invoice, 0, len(invs))
	for _, inv := range invs {
		out = append(out, *inv)
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}
