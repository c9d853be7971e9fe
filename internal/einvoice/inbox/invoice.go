package inbox

import (
	"time"

	"github.com/rathaus/rathaus/internal/einvoice"
	"github.com/rathaus/rathaus/internal/einvoice/en16931"
)

// Status is where an invoice stands in the workflow.
type Status string

const (
	// StatusClarification: the Leitweg-ID is missing, invalid or unknown;
	// finance assigns a unit by hand.
	StatusClarification Status = "clarification"
	// StatusNew: routed to a unit, no check done yet.
	StatusNew Status = "new"
	// StatusInApproval: one of sachlich / rechnerisch richtig is done, or
	// both and the Anordnung is missing.
	StatusInApproval Status = "in_approval"
	// StatusApproved: angeordnet, waiting for the payment run.
	StatusApproved Status = "approved"
	// StatusInPayment: in a payment run, waiting for the bank statement.
	StatusInPayment Status = "in_payment"
	// StatusPaid: the debit was matched (or a credit note was netted).
	StatusPaid Status = "paid"
	// StatusRejected: sent back to the supplier with reasons.
	StatusRejected Status = "rejected"
)

// Statuses in workflow order.
var Statuses = []Status{StatusClarification, StatusNew, StatusInApproval, StatusApproved, StatusInPayment, StatusPaid, StatusRejected}

// Channel is how an invoice came in.
type Channel string

const (
	ChannelAPI    Channel = "api"
	ChannelUpload Channel = "upload"
	ChannelEmail  Channel = "email"
	ChannelPaper  Channel = "paper"
)

// Step names a workflow step.
type Step string

const (
	StepReceived    Step = "received"
	StepRouted      Step = "routed"
	StepSachlich    Step = "sachlich"
	StepRechnerisch Step = "rechnerisch"
	StepAnordnung   Step = "anordnung"
	StepRejected    Step = "rejected"
	StepPaymentRun  Step = "payment_run"
	StepPaid        Step = "paid"
	StepNetted      Step = "netted"
)

// ApprovalSteps are the three signed steps, in their order.
var ApprovalSteps = []Step{StepSachlich, StepRechnerisch, StepAnordnung}

// Invoice is a received invoice or credit note as the workflow sees it.
type Invoice struct {
	Ref             string       `json:"id"`
	Status          Status       `json:"status"`
	Version         int          `json:"version"`
	Kind            string       `json:"kind"` // invoice, credit_note
	Channel         Channel      `json:"channel"`
	Unit            string       `json:"unit"` // the routed unit's id, "" in clarification
	UnitName        string       `json:"unit_name"`
	LeitwegID       string       `json:"leitweg_id"`
	RoutingProblem  string       `json:"routing_problem,omitempty"`
	Supplier        string       `json:"supplier"`
	Number          string       `json:"number"`
	IssueDate       string       `json:"issue_date,omitempty"`
	DueDate         string       `json:"due_date,omitempty"`
	DiscountUntil   string       `json:"discount_until,omitempty"`
	DiscountPercent string       `json:"discount_percent,omitempty"`
	Amount          string       `json:"amount"`
	Currency        string       `json:"currency"`
	IBAN            string       `json:"iban,omitempty"`
	CreditsNumber   string       `json:"credits_number,omitempty"`
	CostCentre      string       `json:"cost_centre"`
	BudgetLine      string       `json:"budget_line"`
	RejectionReason string       `json:"rejection_reason,omitempty"`
	NettedWith      string       `json:"netted_with,omitempty"`
	Hash            string       `json:"hash"` // SHA-256 of the original file
	Original        Original     `json:"original"`
	Validation      Validation   `json:"validation"`
	Steps           []StepRecord `json:"steps"`
	ReceivedAt      time.Time    `json:"received_at"`
	ClosedAt        *time.Time   `json:"closed_at"`
	RetainUntil     string       `json:"retain_until"`

	// Document is the EN 16931 content (parsed from the XML, or captured
	// by hand for paper invoices).
	Document *en16931.Invoice `json:"-"`

	id               int64
	tenantID         int64
	submitterAccount int64
	senderEmail      string
	supplierKey      string
	submittedBy      string
}

// Original describes the file as received.
type Original struct {
	Type string `json:"type"` // application/xml, application/pdf
	Name string `json:"name,omitempty"`
	Size int64  `json:"size"`
}

// Validation is the verdict of the official rules, as stored with the
// invoice. Errors, Warnings are rule ids (never nil).
type Validation struct {
	Accept   bool      `json:"accept"`
	Scenario *string   `json:"scenario"`
	Errors   []string  `json:"errors"`
	Warnings []string  `json:"warnings"`
	Infos    []string  `json:"infos,omitempty"`
	Messages []Message `json:"messages,omitempty"`
	// Paper invoices are not validated: they were captured by hand.
	Manual bool `json:"manual,omitempty"`
}

// Message is one fired rule with its plain-language explanation.
type Message struct {
	ID       string `json:"id"`
	Level    string `json:"level"`
	Text     string `json:"text"`
	TextDE   string `json:"text_de,omitempty"`
	Location string `json:"location,omitempty"`
}

func validationOf(v einvoice.Verdict) Validation {
	out := Validation{Accept: v.Accept, Scenario: v.Scenario, Errors: v.Errors, Warnings: v.Warnings, Infos: v.Infos}
	for _, m := range v.Messages {
		out.Messages = append(out.Messages, Message{ID: m.ID, Level: m.Level, Text: m.Text, TextDE: m.TextDE, Location: m.Location})
	}
	if out.Errors == nil {
		out.Errors = []string{}
	}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	return out
}

// StepRecord is one recorded workflow step.
type StepRecord struct {
	Step       Step      `json:"step"`
	Actor      string    `json:"actor"`
	ActorName  string    `json:"actor_name,omitempty"`
	OnBehalfOf string    `json:"on_behalf_of,omitempty"`
	Hash       string    `json:"invoice_hash"`
	Version    int       `json:"version"`
	Note       string    `json:"note,omitempty"`
	At         time.Time `json:"at"`
	accountID  int64
}

// done reports whether the invoice has a step recorded, and by whom.
func (inv *Invoice) done(s Step) (StepRecord, bool) {
	for _, r := range inv.Steps {
		if r.Step == s {
			return r, true
		}
	}
	return StepRecord{}, false
}

// Open reports whether the invoice is still being processed.
func (inv *Invoice) Open() bool {
	switch inv.Status {
	case StatusPaid, StatusRejected:
		return false
	}
	return true
}

// ForSupplier is what the supplier who sent the invoice sees of it: its
// status and the verdict, not the city's internal workflow (who signed,
// booking data, routing).
func (inv Invoice) ForSupplier() Invoice {
	out := inv
	out.Steps = []StepRecord{}
	out.CostCentre, out.BudgetLine, out.Unit, out.UnitName, out.RoutingProblem, out.NettedWith = "", "", "", "", "", ""
	out.Document = nil
	return out
}
