package inbox

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/einvoice"
	"github.com/rathaus/rathaus/internal/einvoice/cii"
	"github.com/rathaus/rathaus/internal/einvoice/en16931"
	"github.com/rathaus/rathaus/internal/einvoice/ubl"
	"github.com/rathaus/rathaus/internal/einvoice/zugferd"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/blob"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/leitweg"
	"github.com/rathaus/rathaus/internal/platform/ratelimit"
	"github.com/rathaus/rathaus/internal/platform/ref"
)

// Media types of originals.
const (
	TypeXML = "application/xml"
	TypePDF = "application/pdf"
)

// Submission is one file handed in.
type Submission struct {
	Channel Channel
	Data    []byte
	// ContentType as declared by the sender ("" or
	// application/octet-stream: recognised by content). A declared type
	// that contradicts the content is refused.
	ContentType string
	Name        string
	// SenderEmail is the address a mailed invoice came from (answered on
	// rejection).
	SenderEmail string
	// ref, when set, is the reference to give the invoice (the demo city's
	// fixed examples); otherwise a random one is drawn.
	ref string
}

// Rejection is an invoice the official rules reject (or that is not an
// e-invoice at all): nothing was stored. It is a 422 with every error-level
// rule and its explanation.
type Rejection struct {
	Verdict einvoice.Verdict
	Hash    string
}

func (r *Rejection) Error() string {
	return fmt.Sprintf("invoice rejected by the rules (%s): %s", strings.Join(r.Verdict.Errors, ", "), r.Verdict.Reason)
}

func (r *Rejection) Unwrap() error { return fault.Invalid("invoice", "invoice_rejected") }

// Errors lists the error-level messages (rule id, official text, German
// explanation); a rejection before the rules ran has one with the reason.
func (r *Rejection) Errors() []Message {
	var out []Message
	for _, m := range r.Verdict.Messages {
		if m.Level == einvoice.LevelError {
			out = append(out, Message{ID: m.ID, Level: m.Level, Text: m.Text, TextDE: m.TextDE, Location: m.Location})
		}
	}
	for _, pe := range r.Verdict.ProcessingErrors {
		out = append(out, Message{ID: "PROCESSING", Level: einvoice.LevelError, Text: pe, TextDE: "Die Regeln konnten auf dieses Dokument nicht vollständig angewendet werden; ohne ihr Ergebnis wird es abgelehnt."})
	}
	if len(out) == 0 {
		reason := r.Verdict.Reason
		if reason == "" {
			reason = "rejected"
		}
		out = append(out, Message{ID: "REJECTED", Level: einvoice.LevelError, Text: reason})
	}
	return out
}

// supplierRule bounds what one business account hands in: 300 files an
// hour (validation is the expensive part of the intake).
var supplierRule = ratelimit.Rule{Name: "einvoice.supplier_submit", Limit: 300, Window: time.Hour}

// mayReceive: finance staff and tokens, business accounts (a supplier
// sending its own invoice) and the system (the mail job).
func mayReceive(p identity.Principal, tenantID int64, ch Channel) error {
	if err := p.Require(tenantID); err != nil {
		return err
	}
	switch {
	case p.Has(identity.RoleFinance):
		return nil
	case p.Kind == "business" && p.IsPerson() && (ch == ChannelAPI || ch == ChannelUpload):
		return nil
	case p.Kind == "system" && ch == ChannelEmail:
		return nil
	}
	return fmt.Errorf("receive invoice: %w", refuse(fault.ErrForbidden, "may_not_submit"))
}

// sniff returns the media type of data by content, checking it against
// the declared type.
func sniff(data []byte, declared string) (string, error) {
	head := bytes.TrimLeft(bytes.TrimPrefix(data[:min(len(data), 1024)], []byte{0xEF, 0xBB, 0xBF}), " \t\r\n")
	got := ""
	switch {
	case bytes.HasPrefix(head, []byte("<")):
		got = TypeXML
	case bytes.Contains(head, []byte("%PDF-")):
		got = TypePDF
	}
	decl := strings.ToLower(strings.TrimSpace(strings.Split(declared, ";")[0]))
	switch decl {
	case "", "application/octet-stream":
	case "application/xml", "text/xml":
		decl = TypeXML
	case TypePDF:
	default:
		return "", refuse(fault.ErrBadRequest, "unsupported_type")
	}
	if got == "" || decl != "" && decl != got && decl != "application/octet-stream" {
		return "", refuse(fault.ErrBadRequest, "unsupported_type")
	}
	return got, nil
}

// Submit receives an e-invoice (XML, or a ZUGFeRD / Factur-X PDF): it is
// judged by the official rules (einvoice.Validate, with its limits on
// size, depth and entities); a rejected document is refused with every
// rule (*Rejection), audited, and nothing is stored. An accepted one is
// read into the EN 16931 model, refused as a *Duplicate when the same
// supplier sent the same number and amount before, routed by its
// Leitweg-ID (or put into clarification), and stored with its original
// file — all in one transaction.
func (s *Service) Submit(ctx context.Context, p identity.Principal, tenantID int64, sub Submission) (*Invoice, error) {
	if err := mayReceive(p, tenantID, sub.Channel); err != nil {
		if p.TenantID == tenantID {
			s.auditRefusal(ctx, tenantID, p.Ref, "einvoice.refused", "", map[string]any{"reason": ProblemCode(err), "channel": sub.Channel})
		}
		return nil, err
	}
	if p.Kind == "business" && s.Limits != nil {
		// Suppliers are outside the city: their intake is bounded.
		if err := s.Limits.Allow(ctx, supplierRule, fmt.Sprint(tenantID), p.Ref); err != nil {
			return nil, err
		}
	}
	if len(sub.Data) == 0 {
		return nil, fault.Invalid("invoice", "required")
	}
	hash := sha(sub.Data)
	refused := func(err error, detail map[string]any) error {
		detail["hash"], detail["size"], detail["channel"] = hash, len(sub.Data), sub.Channel
		s.auditRefusal(ctx, tenantID, p.Ref, "einvoice.refused", "", detail)
		return err
	}
	if len(sub.Data) > einvoice.MaxSize {
		return nil, refused(fmt.Errorf("invoice of %d bytes: %w", len(sub.Data), fault.ErrTooLarge), map[string]any{"reason": "too_large"})
	}
	mediaType, err := sniff(sub.Data, sub.ContentType)
	if err != nil {
		return nil, refused(err, map[string]any{"reason": ProblemCode(err), "declared": sub.ContentType})
	}
	v := einvoice.Validate(sub.Name, sub.Data)
	if !v.Accept {
		return nil, refused(&Rejection{Verdict: v, Hash: hash}, map[string]any{"reason": "rules", "errors": v.Errors, "why": v.Reason, "scenario": v.Scenario})
	}
	xml := sub.Data
	if mediaType == TypePDF {
		att, err := zugferd.Extract(sub.Data)
		if err != nil {
			return nil, refused(&Rejection{Verdict: v, Hash: hash}, map[string]any{"reason": "pdf"})
		}
		xml = att.XML
	}
	doc, err := parseModel(v.Syntax, xml)
	if err != nil {
		return nil, refused(refuse(fault.ErrBadRequest, "unreadable"), map[string]any{"reason": "unreadable"})
	}
	return s.receive(ctx, p, tenantID, received{sub: sub, hash: hash, mediaType: mediaType, validation: validationOf(v), doc: doc, syntax: v.Syntax})
}

func parseModel(syntax string, xml []byte) (*en16931.Invoice, error) {
	switch syntax {
	case einvoice.SyntaxUBLInvoice, einvoice.SyntaxUBLCreditNote:
		return ubl.Parse(xml)
	case einvoice.SyntaxCII:
		return cii.Parse(xml)
	}
	return nil, fmt.Errorf("no parser for syntax %q", syntax)
}

// received is an invoice ready to be stored: validated (or captured by
// hand) and read into the model.
type received struct {
	sub        Submission
	hash       string
	mediaType  string
	validation Validation
	doc        *en16931.Invoice
	syntax     string
}

// supplierKey identifies the supplier for the duplicate check: the VAT id,
// else the legal registration id, else the name.
func supplierKey(doc *en16931.Invoice) string {
	norm := func(s string) string { return strings.ToUpper(strings.Join(strings.Fields(s), "")) }
	switch {
	case doc.Seller.VATID != "":
		return "vat:" + norm(doc.Seller.VATID)
	case doc.Seller.TaxRegistrationID != "":
		return "tax:" + norm(doc.Seller.TaxRegistrationID)
	case doc.Seller.LegalRegistrationID.Value != "":
		return "reg:" + norm(doc.Seller.LegalRegistrationID.Value)
	}
	return "name:" + strings.ToLower(strings.Join(strings.Fields(doc.Seller.Name), " "))
}

func amountOf(a *en16931.Amount) decimal.Decimal {
	if a == nil {
		return decimal.Zero
	}
	return a.Decimal
}

// facts are the columns taken from the document.
type facts struct {
	supplierKey, supplierName, number, issue, due, discountUntil, discountPercent string
	currency, amount, iban, credits                                               string
}

func factsOf(doc *en16931.Invoice) facts {
	f := facts{supplierKey: supplierKey(doc), supplierName: doc.Seller.Name, number: strings.TrimSpace(doc.Number), currency: doc.CurrencyCode}
	if f.supplierName == "" {
		f.supplierName = doc.Seller.TradingName
	}
	if doc.IssueDate != nil {
		f.issue = doc.IssueDate.String()
	}
	if doc.DueDate != nil {
		f.due = doc.DueDate.String()
	}
	f.amount = amountOf(doc.Totals.Payable).StringFixed(2)
	if pi := doc.PaymentInstructions; pi != nil && len(pi.CreditTransfers) > 0 {
		f.iban = strings.ToUpper(strings.ReplaceAll(pi.CreditTransfers[0].AccountID, " ", ""))
	}
	if doc.Kind == en16931.KindCreditNote && len(doc.PrecedingInvoices) > 0 {
		f.credits = strings.TrimSpace(doc.PrecedingInvoices[0].Number)
	}
	if issue, ok := civil(doc.IssueDate); ok {
		if ds := Discounts(doc.PaymentTerms); len(ds) > 0 {
			best := ds[0]
			for _, d := range ds[1:] {
				if d.Days < best.Days {
					best = d
				}
			}
			f.discountUntil, f.discountPercent = best.Until(issue).String(), best.Percent.StringFixed(2)
		}
	}
	return f
}

// route finds the unit of a Leitweg-ID. problem is the reason for
// clarification; otherTenant is set when the ID belongs to another public
// body of this installation (the invoice is not ours).
func (s *Service) route(ctx context.Context, q querier, tenantID int64, buyerRef string) (unit, problem string, otherTenant bool, err error) {
	id, perr := leitweg.Parse(buyerRef)
	var le *leitweg.Error
	if errors.As(perr, &le) {
		return "", le.Code, false, nil
	}
	var tid int64
	err = q.QueryRowContext(ctx, `SELECT tenant_id, unit_ref FROM einvoice_routes WHERE leitweg_id = $1`, id.String()).Scan(&tid, &unit)
	switch {
	case errors.Is(err, errNoRows):
		return "", "leitweg_unknown", false, nil
	case err != nil:
		return "", "", false, fmt.Errorf("route: %w", err)
	case tid != tenantID:
		return "", "", true, nil
	}
	return unit, "", false, nil
}

// receive stores an accepted invoice (see Submit).
func (s *Service) receive(ctx context.Context, p identity.Principal, tenantID int64, rc received) (*Invoice, error) {
	f := factsOf(rc.doc)
	if f.number == "" {
		return nil, fault.Invalid("number", "required")
	}
	unit, problem, other, err := s.route(ctx, s.DB.R, tenantID, rc.doc.BuyerReference)
	if err != nil {
		return nil, err
	}
	if other {
		s.auditRefusal(ctx, tenantID, p.Ref, "einvoice.refused", "", map[string]any{"reason": "leitweg_other_recipient", "leitweg_id": rc.doc.BuyerReference, "hash": rc.hash, "channel": rc.sub.Channel})
		return nil, refuse(fault.Invalid("leitweg_id", "leitweg_other_recipient"), "leitweg_other_recipient")
	}
	if existing, err := s.duplicateOf(ctx, s.DB.R, tenantID, f); err != nil {
		return nil, err
	} else if existing != "" {
		s.auditRefusal(ctx, tenantID, p.Ref, "einvoice.refused", existing, map[string]any{"reason": "duplicate", "hash": rc.hash, "number": f.number, "channel": rc.sub.Channel})
		return nil, s.duplicateFor(ctx, p, tenantID, existing)
	}
	key, size, err := s.Blobs.Put(ctx, bytes.NewReader(rc.sub.Data))
	if err != nil {
		return nil, fmt.Errorf("store original: %w: %w", fault.ErrUnavailable, err)
	}
	r := rc.sub.ref
	if r == "" {
		r = ref.New("R")
	}
	inv := &Invoice{Ref: r, tenantID: tenantID, Channel: rc.sub.Channel, Kind: string(rc.doc.Kind), Version: 1,
		Unit: unit, LeitwegID: rc.doc.BuyerReference, RoutingProblem: problem, Supplier: f.supplierName, Number: f.number,
		IssueDate: f.issue, DueDate: f.due, DiscountUntil: f.discountUntil, DiscountPercent: f.discountPercent,
		Amount: f.amount, Currency: f.currency, IBAN: f.iban, CreditsNumber: f.credits, Hash: key,
		Original: Original{Type: rc.mediaType, Name: safeName(rc.sub.Name), Size: size}, Validation: rc.validation, Document: rc.doc,
		senderEmail: rc.sub.SenderEmail, supplierKey: f.supplierKey, submittedBy: p.Ref}
	if p.Kind == "business" {
		inv.submitterAccount = p.AccountID
	}
	inv.Status = StatusNew
	if unit == "" {
		inv.Status = StatusClarification
	}
	err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		inv.ReceivedAt = tx.Now()
		inv.RetainUntil = retainUntil(tx.Now())
		if err := insertInvoice(tx, inv, rc.syntax); err != nil {
			return err
		}
		if err := blob.Keep(tx, tenantID, key, size, rc.mediaType, owner(inv.Ref)); err != nil {
			return err
		}
		if err := addStep(tx, inv, StepRecord{Step: StepReceived, Actor: p.Ref, Note: string(rc.sub.Channel)}, p.AccountID); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "einvoice.receive", ObjectType: "einvoice", ObjectRef: inv.Ref,
			After: map[string]any{"hash": key, "channel": rc.sub.Channel, "status": inv.Status, "unit": unit, "routing_problem": problem,
				"supplier": f.supplierName, "number": f.number, "amount": f.amount, "currency": f.currency, "scenario": rc.validation.Scenario}})
	})
	if database.IsUniqueViolation(err) {
		existing, _ := s.duplicateOf(ctx, s.DB.R, tenantID, f)
		s.auditRefusal(ctx, tenantID, p.Ref, "einvoice.refused", existing, map[string]any{"reason": "duplicate", "hash": rc.hash, "number": f.number, "channel": rc.sub.Channel})
		return nil, s.duplicateFor(ctx, p, tenantID, existing)
	}
	if err != nil {
		return nil, fmt.Errorf("receive invoice: %w", err)
	}
	if err := s.decorate(ctx, inv); err != nil {
		return nil, err
	}
	return inv, nil
}

// duplicateFor is the 409 for p: a business account learns the reference
// of the earlier invoice only when it sent that one itself — otherwise a
// supplier could probe which numbers and amounts others invoiced.
func (s *Service) duplicateFor(ctx context.Context, p identity.Principal, tenantID int64, existing string) *Duplicate {
	if p.Kind != "business" || existing == "" {
		return &Duplicate{Existing: existing}
	}
	var acc sql.NullInt64
	err := s.DB.R.QueryRowContext(ctx, `SELECT submitter_account FROM einvoice_invoices WHERE tenant_id = $1 AND ref = $2`, tenantID, existing).Scan(&acc)
	if err != nil || !acc.Valid || acc.Int64 != p.AccountID {
		return &Duplicate{}
	}
	return &Duplicate{Existing: existing}
}

func owner(ref string) string { return "einvoice:" + ref }

// safeName keeps a file name for display: no path, no control characters,
// at most 200 bytes.
func safeName(n string) string {
	if i := strings.LastIndexAny(n, `/\`); i >= 0 {
		n = n[i+1:]
	}
	n = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, n)
	if len(n) > 200 {
		n = n[:200]
	}
	return strings.ToValidUTF8(n, "")
}
