package payments

import (
	"context"
	"net/http"

	"github.com/shopspring/decimal"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// Handler is the HTTP surface of payments: the JSON API, the citizen's
// payment notice with its online payment, and the finance pages.
type Handler struct {
	Svc      *Service
	Identity *identity.Handler
	Pages    *web.Renderer
	Shell    func(*http.Request) web.Shell
	// Demo signs the demo provider's callbacks for its checkout page (nil:
	// no demo provider, the page answers 404).
	Demo DemoCheckout
	// Subject, when set, tells the payer what the request's subject is
	// (an application, or a draft that is sent once the fee is paid); the
	// composition root knows the other domains' references.
	Subject func(ctx context.Context, r *Request) Subject
}

// Subject is what a payment notice says of its subject: the message
// TextKey with Ref, and a page to open (Href, may be empty).
type Subject struct {
	Ref, TextKey, Href string
}

// DemoCheckout is the demo provider as its checkout page needs it.
type DemoCheckout interface {
	Name() string
	Callback(payment, status string, amount decimal.Decimal) (http.Header, []byte)
}

// Routes lists every URL of payments.
func (h *Handler) Routes(rt *web.Router) {
	ex := Request{Ref: "Z-7K3M-Q9TX", RF: "RF18539007547034", Subject: "A-4F2K-8M1P", ServiceID: "L-7K3M-Q9TX", PayerName: "Paul Payer",
		Purpose: "Bewohnerparkausweis", Amount: decimal.RequireFromString("30.50"), Currency: "EUR", Paid: decimal.Zero, Status: StatusOpen,
		DueDate: "2026-03-16", Unit: "Ordnungsamt", CostCentre: "1220.4711", ReminderDays: 7}
	staff := []string{"finance", "admin", "case_worker", "unit_head"}
	fin := []string{"finance", "admin"}
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/payment-requests", ID: "listPaymentRequests", Tag: "payments", Auth: staff,
		Summary: "Payment requests of a finance view (open, paid, overdue, cancelled, all), or of one subject",
		Query: []web.Param{{Name: "view", Description: "open (default), paid, overdue, cancelled, all", Type: "string"},
			{Name: "subject", Description: "only the requests of this subject (an application reference)", Type: "string"}},
		Response: []RequestDocument{requestDocument(&ex)}}, h.apiList)
	rt.API(web.Operation{Method: "POST", Path: "/api/v1/payment-requests", ID: "createPaymentRequest", Tag: "payments", Auth: staff, Status: 201,
		Summary:  "Create a payment request (exact amount in euros, at most two decimals); returns its reference, RF creditor reference and page",
		Request:  createRequestBody{Subject: "A-4F2K-8M1P", Amount: "30.50", Purpose: "Bewohnerparkausweis", DueDate: "2026-03-16", PayerName: "Paul Payer", PayerEmail: "paul@example.org"},
		Response: RequestDocument{Request: ex, URL: "/zahlungen/Z-7K3M-Q9TX", Outstanding: "30.50"}}, h.apiCreate)
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/payment-requests/{id}", ID: "getPaymentRequest", Tag: "payments", Auth: staff,
		Summary: "One payment request with its status", Response: requestDocument(&ex)}, h.apiGet)
	rt.API(web.Operation{Method: "POST", Path: "/api/v1/payment-requests/{id}/cancel", ID: "cancelPaymentRequest", Tag: "payments", Auth: staff,
		Summary: "Cancel an unpaid request", Response: requestDocument(&ex)}, h.apiCancel)
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/payment-requests/{id}/payments", ID: "listPaymentReceipts", Tag: "payments", Auth: staff,
		Summary: "What was received for a request (receipts)", Response: []Received{{Ref: "Q-7K3M-Q9TX", Request: ex.Ref, Source: "statement", Amount: ex.Amount, Currency: "EUR", ReceivedOn: "2026-03-03", Method: "bank_transfer", Confidence: "1.00"}}}, h.apiReceipts)
	rt.API(web.Operation{Method: "POST", Path: "/api/v1/bank-statements", ID: "importBankStatement", Tag: "payments", Auth: fin, Status: 201,
		Summary: "Import a camt.053/054 statement (the XML as the body): book what matches, the rest to the finance worklist; a repeated statement books nothing",
		Request: "camt.053/054 XML (application/xml)", Response: ImportResult{Statement: "K-7K3M-Q9TX", MessageID: "MSG-1", Type: "camt.053.001.08", Entries: 3, Booked: 2, Worklist: 1}}, h.apiImport)
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/bank-statements", ID: "listBankStatements", Tag: "payments", Auth: fin,
		Summary: "Imported statements, newest first", Response: []Statement{{Ref: "K-7K3M-Q9TX", MessageID: "MSG-1", Type: "camt.053.001.08", Source: "api", Entries: 3, Booked: 2, Worklist: 1}}}, h.apiStatements)
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/finance-tasks", ID: "listFinanceTasks", Tag: "payments", Auth: fin,
		Summary:  "The finance worklist (unmatched, ambiguous, foreign currency, more than two decimals, duplicates, refunds ...)",
		Query:    []web.Param{{Name: "status", Description: "open (default) or resolved", Type: "string"}},
		Response: []Task{{Ref: "F-7K3M-Q9TX", Kind: "ambiguous", Status: "open", Amount: "15.00", Currency: "EUR", Candidates: []Candidate{{Ref: "Z-7K3M-Q9TX", Confidence: 0.7}}}}}, h.apiTasks)
	rt.API(web.Operation{Method: "POST", Path: "/api/v1/finance-tasks/{id}/resolve", ID: "resolveFinanceTask", Tag: "payments", Auth: fin,
		Summary: "Resolve a worklist task: book it to a request, record the refund, or dismiss it with a note",
		Request: resolveBody{Action: "book", Request: "Z-7K3M-Q9TX", Note: "laut Telefonat"}, Response: Task{Ref: "F-7K3M-Q9TX", Kind: "ambiguous", Status: "resolved", Candidates: []Candidate{}}}, h.apiResolve)
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/payment-settings/{id}", ID: "getPaymentSettings", Tag: "payments", Auth: staff,
		Summary:  "The fee and payment settings of a service (by its catalog id)",
		Response: Settings{ServiceID: "L-7K3M-Q9TX", Timing: AfterSubmission, FeeKind: FeeFixed, Amount: decimal.RequireFromString("30.50"), Purpose: "Bewohnerparkausweis", DueDays: 14, ReminderDays: 7}}, h.apiGetSettings)
	rt.API(web.Operation{Method: "PUT", Path: "/api/v1/payment-settings/{id}", ID: "putPaymentSettings", Tag: "payments", Auth: fin,
		Summary: "Set a service's fee (fixed, per quantity or a stepped rule; quantity_field names the form answer that counts the units), when it is paid (before_submission: sending the form leads to the payment notice and the application is sent once paid; after_submission: the case requests it), unit, cost centre, days to pay and to the reminder",
		Request: Settings{Timing: BeforeSubmission, FeeKind: FeePerQuantity, Amount: decimal.RequireFromString("2.50"), QuantityField: "duration", Purpose: "Bewohnerparkausweis", Unit: "Ordnungsamt",
			CostCentre: "1220.4711", DueDays: 14, ReminderDays: 7},
		Response: Settings{ServiceID: "L-7K3M-Q9TX", Timing: BeforeSubmission, FeeKind: FeePerQuantity, Amount: decimal.RequireFromString("2.50"), QuantityField: "duration", Purpose: "Bewohnerparkausweis",
			Unit: "Ordnungsamt", CostCentre: "1220.4711", DueDays: 14, ReminderDays: 7}}, h.apiPutSettings)
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/sepa-mandates", ID: "listSepaMandates", Tag: "payments", Auth: fin,
		Summary: "Direct-debit mandates", Response: []Mandate{{Ref: "M-7K3M-Q9TX", DebtorName: "Bärbel Öztürk", IBAN: "DE02120300000000202051", Purpose: "Hundesteuer", Amount: decimal.RequireFromString("75.00"), SignedOn: "2026-01-10", Status: "active", Sequence: "FRST"}}}, h.apiMandates)
	rt.API(web.Operation{Method: "POST", Path: "/api/v1/sepa-mandates", ID: "createSepaMandate", Tag: "payments", Auth: fin, Status: 201,
		Summary: "Record a signed direct-debit mandate", Request: mandateBody{DebtorName: "Bärbel Öztürk", IBAN: "DE02120300000000202051", Purpose: "Hundesteuer", Amount: "75.00", SignedOn: "2026-01-10"},
		Response: Mandate{Ref: "M-7K3M-Q9TX", Status: "active", Sequence: "FRST"}}, h.apiCreateMandate)
	rt.API(web.Operation{Method: "POST", Path: "/api/v1/sepa-collections", ID: "collectSepa", Tag: "payments", Auth: fin, Status: 201,
		Summary: "Run a direct-debit collection over every active mandate: one payment request each and the pain.008.001.08 file (application/xml)",
		Request: collectBody{CreditorID: "DE98ZZZ09999999999", CollectionDate: "2026-03-10"}, Response: "pain.008.001.08 XML"}, h.apiCollect)
	rt.API(web.Operation{Method: "POST", Path: "/api/v1/payments/callback/{provider}", ID: "paymentCallback", Tag: "payments", Public: true,
		Summary: "Notification of an online payment provider; its signature is verified (forged: 400, audited); repeated events change nothing",
		Request: Event{ID: "evt-1", Payment: "O-7K3M-Q9TX", ProviderID: "demo-O-7K3M-Q9TX", Status: EventPaid, Amount: decimal.RequireFromString("30.50")}, Response: map[string]string{"status": "accepted"}}, h.apiCallback)
	if h.Pages == nil {
		return
	}
	rt.HandleFunc("GET /zahlungen/{id}", h.pageNotice)
	rt.HandleFunc("GET /zahlungen/{id}/qr.png", h.pageQR)
	rt.HandleFunc("GET /zahlungen/{id}/zahlungshinweis.pdf", h.pageNoticePDF)
	rt.HandleFunc("POST /zahlungen/{id}/online", h.pageStartOnline)
	rt.HandleFunc("GET /zahlungen/{id}/online/{online}", h.pageOnlineReturn)
	rt.HandleFunc("GET /zahlungen/{id}/quittungen/{receipt}", h.pageReceipt)
	rt.HandleFunc("GET /konto/zahlungen", h.pageMine)
	rt.HandleFunc("GET /demo-bezahldienst/{id}", h.pageDemo)
	rt.HandleFunc("POST /demo-bezahldienst/{id}", h.pageDemo)
	rt.HandleFunc("GET /verwaltung/zahlungen", h.pageFinance)
	rt.HandleFunc("GET /verwaltung/zahlungen/export.csv", h.pageExport)
	rt.HandleFunc("GET /verwaltung/zahlungen/kontoauszuege", h.pageStatements)
	rt.HandleFunc("POST /verwaltung/zahlungen/kontoauszuege", h.pageStatements)
	rt.HandleFunc("GET /verwaltung/zahlungen/aufgaben", h.pageTasks)
	rt.HandleFunc("GET /verwaltung/zahlungen/aufgaben/{id}", h.pageTask)
	rt.HandleFunc("POST /verwaltung/zahlungen/aufgaben/{id}", h.pageTask)
	rt.HandleFunc("GET /verwaltung/zahlungen/gebuehren", h.pageFees)
	rt.HandleFunc("POST /verwaltung/zahlungen/gebuehren", h.pageFees)
	rt.HandleFunc("GET /verwaltung/zahlungen/lastschrift", h.pageMandates)
	rt.HandleFunc("POST /verwaltung/zahlungen/lastschrift", h.pageMandates)
	rt.HandleFunc("POST /verwaltung/zahlungen/lastschrift/einzug", h.pageCollect)
}
