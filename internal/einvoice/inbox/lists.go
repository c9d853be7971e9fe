package inbox

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/einvoice/en16931"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/leitweg"
)

// Worklist names a list of the finance pages.
type Worklist string

const (
	ListNew           Worklist = "new"
	ListClarification Worklist = "clarification"
	ListMine          Worklist = "mine" // waiting for my step
	ListApproved      Worklist = "approved"
	ListInPayment     Worklist = "in_payment"
	ListPaid          Worklist = "paid"
	ListRejected      Worklist = "rejected"
)

// Worklists in the order of the pages' tabs.
var Worklists = []Worklist{ListMine, ListNew, ListClarification, ListApproved, ListInPayment, ListPaid, ListRejected}

var worklistStatuses = map[Worklist][]Status{
	ListNew:           {StatusNew, StatusInApproval},
	ListClarification: {StatusClarification},
	ListMine:          {StatusNew, StatusInApproval},
	ListApproved:      {StatusApproved},
	ListInPayment:     {StatusInPayment},
	ListPaid:          {StatusPaid},
	ListRejected:      {StatusRejected},
}

// ValidWorklist reports whether w is a known list.
func ValidWorklist(w Worklist) bool { _, ok := worklistStatuses[w]; return ok }

// List returns a worklist as p may see it: finance, admins and records
// officers everything, other staff their units' invoices (also where they
// stand in for an absent member), business accounts what they sent. The
// "mine" list holds the invoices waiting for a step p may take now.
func (s *Service) List(ctx context.Context, p identity.Principal, tenantID int64, w Worklist) ([]*Invoice, error) {
	if err := p.Require(tenantID); err != nil {
		return nil, err
	}
	st, ok := worklistStatuses[w]
	if !ok {
		return nil, fault.Invalid("list", "invalid_list")
	}
	f := Filter{Statuses: st}
	switch {
	case p.Has(readAll...):
	case p.Kind == "business" && p.IsPerson():
		f.Submitter = p.AccountID
	case p.IsPerson() && len(p.Roles) > 0:
		units, err := s.Identity.UnitRefsOf(ctx, tenantID, p.AccountID)
		if err != nil {
			return nil, err
		}
		f.Units = units
		if s.Substitute != nil {
			f.Units = nil // substitution may reach any unit: filtered below
		}
	default:
		return nil, fmt.Errorf("invoices: %w", fault.ErrForbidden)
	}
	all, err := s.list(ctx, tenantID, f)
	if err != nil {
		return nil, err
	}
	out := []*Invoice{}
	for _, inv := range all {
		if f.Units == nil && !p.Has(readAll...) && f.Submitter == 0 {
			if ok, err := s.mayRead(ctx, p, inv); err != nil {
				return nil, err
			} else if !ok {
				continue
			}
		}
		if w == ListMine && len(s.NextSteps(ctx, p, inv)) == 0 {
			continue
		}
		out = append(out, inv)
	}
	return out, nil
}

// Counts gives the length of every worklist for p. Those who see every
// invoice get the status counts from one query; the "mine" list and the
// lists of unit staff are computed like List.
func (s *Service) Counts(ctx context.Context, p identity.Principal, tenantID int64) (map[Worklist]int, error) {
	if err := p.Require(tenantID); err != nil {
		return nil, err
	}
	out := map[Worklist]int{}
	var byStatus map[Status]int
	if p.Has(readAll...) {
		rows, err := s.DB.R.QueryContext(ctx, `SELECT status, COUNT(*) FROM einvoice_invoices WHERE tenant_id = $1 GROUP BY status`, tenantID)
		if err != nil {
			return nil, err
		}
		byStatus = map[Status]int{}
		for rows.Next() {
			var st Status
			var n int
			if err := rows.Scan(&st, &n); err != nil {
				rows.Close()
				return nil, err
			}
			byStatus[st] = n
		}
		rows.Close()
	}
	for _, w := range Worklists {
		if byStatus != nil && w != ListMine {
			for _, st := range worklistStatuses[w] {
				out[w] += byStatus[st]
			}
			continue
		}
		l, err := s.List(ctx, p, tenantID, w)
		if err != nil {
			return nil, err
		}
		out[w] = len(l)
	}
	return out, nil
}

// Disposal lists the invoices whose retention of 10 years has ended (the
// invoice and its workflow records may now be destroyed): records officers,
// finance and admins.
func (s *Service) Disposal(ctx context.Context, p identity.Principal, tenantID int64) ([]*Invoice, error) {
	if err := p.Require(tenantID, readAll...); err != nil {
		return nil, err
	}
	return s.list(ctx, tenantID, Filter{RetainedBefore: today(s.DB.Clock.Now()).String(), Statuses: []Status{StatusPaid, StatusRejected}})
}

// csvSafe keeps spreadsheet programs from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// ExportCSV writes the approved (and paid or in-payment, with all) invoices
// for the city's finance system: one row per invoice with the booking data
// and who approved it. Finance and admins.
func (s *Service) ExportCSV(ctx context.Context, p identity.Principal, tenantID int64, statuses []Status) ([]byte, error) {
	if err := p.Require(tenantID, identity.RoleFinance, identity.RoleAdmin); err != nil {
		return nil, err
	}
	if len(statuses) == 0 {
		statuses = []Status{StatusApproved}
	}
	invs, err := s.list(ctx, tenantID, Filter{Statuses: statuses})
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Comma = ';'
	w.Write([]string{"id", "status", "kind", "supplier", "number", "issue_date", "due_date", "amount", "currency", "iban", "unit", "cost_centre",
		"budget_line", "leitweg_id", "credits_number", "sachlich_by", "rechnerisch_by", "anordnung_by", "anordnung_at", "hash"})
	for _, inv := range invs {
		by := func(st Step) (string, string) {
			if r, ok := inv.done(st); ok {
				n := r.ActorName
				if n == "" {
					n = r.Actor
				}
				return n, r.At.Format(time.RFC3339)
			}
			return "", ""
		}
		sb, _ := by(StepSachlich)
		rb, _ := by(StepRechnerisch)
		ab, at := by(StepAnordnung)
		row := []string{inv.Ref, string(inv.Status), inv.Kind, inv.Supplier, inv.Number, inv.IssueDate, inv.DueDate, inv.Amount, inv.Currency, inv.IBAN,
			inv.UnitName, inv.CostCentre, inv.BudgetLine, inv.LeitwegID, inv.CreditsNumber, sb, rb, ab, at, inv.Hash}
		for i := range row {
			row[i] = csvSafe(row[i])
		}
		w.Write(row)
	}
	w.Flush()
	return b.Bytes(), w.Error()
}

// Route is one Leitweg-ID of the tenant and the unit it leads to.
type Route struct {
	LeitwegID string `json:"leitweg_id"`
	Unit      string `json:"unit"`
	UnitName  string `json:"unit_name"`
}

// Routes lists the tenant's routing table (staff).
func (s *Service) Routes(ctx context.Context, p identity.Principal, tenantID int64) ([]Route, error) {
	if err := p.Require(tenantID, identity.Roles...); err != nil {
		return nil, err
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT leitweg_id, unit_ref FROM einvoice_routes WHERE tenant_id = $1 ORDER BY leitweg_id`, tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Route{}
	for rows.Next() {
		var r Route
		if err := rows.Scan(&r.LeitwegID, &r.Unit); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	rows.Close()
	names, err := s.Identity.UnitNames(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].UnitName = names[out[i].Unit]
	}
	return out, nil
}

// SetRoute maps a Leitweg-ID (checked) to a unit of the tenant (admins and
// finance). A Leitweg-ID names one public body by its Grobadressierung
// (the digits before the first '-'): a tenant routes only IDs under the
// Grobadressierung of its own Leitweg-ID (identity Settings.LeitwegID,
// which the operator sets), so it cannot claim another body's IDs before
// that body configures them. Without an own Leitweg-ID it routes none
// (leitweg_own_missing); another Grobadressierung is leitweg_foreign; an
// ID already used by another tenant is still refused (leitweg_taken).
func (s *Service) SetRoute(ctx context.Context, p identity.Principal, tenantID int64, id, unitRef string) (*Route, error) {
	if err := p.Require(tenantID, identity.RoleAdmin, identity.RoleFinance); err != nil {
		return nil, err
	}
	lid, err := leitweg.Parse(id)
	if le, ok := err.(*leitweg.Error); ok {
		return nil, fault.Invalid("leitweg_id", le.Code)
	}
	t, err := s.Identity.TenantByID(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	own, err := leitweg.Parse(t.Settings.LeitwegID)
	if err != nil {
		return nil, fault.Invalid("leitweg_id", "leitweg_own_missing")
	}
	if lid.Coarse != own.Coarse {
		return nil, fault.Invalid("leitweg_id", "leitweg_foreign", "coarse", own.Coarse)
	}
	names, err := s.Identity.UnitNames(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if _, ok := names[unitRef]; !ok {
		return nil, fault.Invalid("unit", "unknown_unit")
	}
	r := &Route{LeitwegID: lid.String(), Unit: unitRef, UnitName: names[unitRef]}
	err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		var owner int64
		var before string
		err := tx.QueryRowContext(ctx, `SELECT tenant_id, unit_ref FROM einvoice_routes WHERE leitweg_id = $1`, r.LeitwegID).Scan(&owner, &before)
		switch {
		case err == errNoRows:
			if _, err := tx.ExecContext(ctx, `INSERT INTO einvoice_routes (tenant_id, leitweg_id, unit_ref, created_at) VALUES ($1, $2, $3, $4)`, tenantID, r.LeitwegID, unitRef, tx.Now()); err != nil {
				return err
			}
		case err != nil:
			return err
		case owner != tenantID:
			return fault.Invalid("leitweg_id", "leitweg_taken")
		case before == unitRef:
			return nil // unchanged: nothing to record
		default:
			if _, err := tx.ExecContext(ctx, `UPDATE einvoice_routes SET unit_ref = $1 WHERE leitweg_id = $2 AND tenant_id = $3`, unitRef, r.LeitwegID, tenantID); err != nil {
				return err
			}
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "einvoice.route.set", ObjectType: "einvoice_route", ObjectRef: r.LeitwegID,
			Before: map[string]string{"unit": before}, After: r})
	})
	if err != nil {
		return nil, fmt.Errorf("set route %s: %w", id, err)
	}
	return r, nil
}

// PaperInput is a paper invoice: the scan (PDF) and the key fields a clerk
// typed from it.
type PaperInput struct {
	Scan                    []byte
	ScanName                string
	Supplier, SupplierVATID string
	Number                  string
	IssueDate, DueDate      string // YYYY-MM-DD
	Amount                  string // amount due, e.g. "119.00"
	Currency                string
	IBAN, BIC               string
	Unit                    string // routed unit (the clerk knows it), "" for clarification
	CreditNote              bool
	CreditsNumber           string
}

// SubmitPaper receives a scanned paper invoice with its key fields
// captured by hand: finance only. Every field is checked (all problems at
// once); it then follows the same workflow as an e-invoice (duplicate
// check, routing, approvals, payment run). The scan is kept as the
// original.
func (s *Service) SubmitPaper(ctx context.Context, p identity.Principal, tenantID int64, in PaperInput) (*Invoice, error) {
	if err := p.Require(tenantID, identity.RoleFinance); err != nil {
		return nil, err
	}
	v := &fault.Validation{}
	if len(in.Scan) == 0 {
		v.Add("scan", "required")
	} else if len(in.Scan) > 20<<20 {
		v.Add("scan", "too_large", "max", "20 MB")
	} else if mt, err := sniff(in.Scan, TypePDF); err != nil || mt != TypePDF {
		v.Add("scan", "not_pdf")
	}
	req := func(field, val string, max int) string {
		val = strings.TrimSpace(val)
		switch {
		case val == "":
			v.Add(field, "required")
		case len(val) > max:
			v.Add(field, "too_long", "max", max)
		}
		return val
	}
	doc := &en16931.Invoice{Kind: en16931.KindInvoice, TypeCode: "380", CurrencyCode: "EUR"}
	if in.CreditNote {
		doc.Kind, doc.TypeCode = en16931.KindCreditNote, "381"
		if n := req("credits_number", in.CreditsNumber, 100); n != "" {
			doc.PrecedingInvoices = []en16931.PrecedingInvoice{{Number: n}}
		}
	}
	doc.Seller.Name = req("supplier", in.Supplier, 200)
	doc.Seller.VATID = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(in.SupplierVATID), " ", ""))
	if doc.Seller.VATID != "" && !vatRe.MatchString(doc.Seller.VATID) {
		v.Add("supplier_vat_id", "invalid_vat_id")
	}
	doc.Number = req("number", in.Number, 100)
	date := func(field, val string, required bool) *en16931.Date {
		val = strings.TrimSpace(val)
		if val == "" {
			if required {
				v.Add(field, "required")
			}
			return nil
		}
		d, err := en16931.ParseISODate(val)
		if err != nil || len(val) != 10 {
			v.Add(field, "invalid_date")
			return nil
		}
		return &d
	}
	doc.IssueDate = date("issue_date", in.IssueDate, true)
	doc.DueDate = date("due_date", in.DueDate, false)
	if doc.IssueDate != nil && doc.DueDate != nil && doc.DueDate.Compare(*doc.IssueDate) < 0 {
		v.Add("due_date", "before_issue_date")
	}
	if c := strings.ToUpper(strings.TrimSpace(in.Currency)); c != "" {
		doc.CurrencyCode = c
		if len(c) != 3 {
			v.Add("currency", "invalid_currency")
		}
	}
	amt := strings.ReplaceAll(strings.TrimSpace(in.Amount), ",", ".")
	if a, err := en16931.ParseDecimal(amt); amt == "" {
		v.Add("amount", "required")
	} else if err != nil || !a.IsPositive() || !a.Equal(a.Round(2)) || len(amt) > 15 {
		v.Add("amount", "invalid_amount")
	} else {
		doc.Totals.Payable, doc.Totals.WithVAT = &a, &a
	}
	iban := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(in.IBAN), " ", ""))
	if iban != "" {
		if !ibanOK(iban) {
			v.Add("iban", "invalid_iban")
		}
		doc.PaymentInstructions = &en16931.PaymentInstructions{MeansCode: "58", CreditTransfers: []en16931.CreditTransfer{{AccountID: iban, ServiceProviderID: strings.ToUpper(strings.TrimSpace(in.BIC))}}}
	} else if !in.CreditNote {
		v.Add("iban", "required")
	}
	unit := strings.TrimSpace(in.Unit)
	if unit != "" {
		names, err := s.Identity.UnitNames(ctx, tenantID)
		if err != nil {
			return nil, err
		}
		if _, ok := names[unit]; !ok {
			v.Add("unit", "unknown_unit")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	rc := received{sub: Submission{Channel: ChannelPaper, Data: in.Scan, Name: in.ScanName}, hash: sha(in.Scan), mediaType: TypePDF,
		validation: Validation{Accept: true, Manual: true, Errors: []string{}, Warnings: []string{}}, doc: doc, syntax: "paper"}
	inv, err := s.receivePaper(ctx, p, tenantID, rc, unit)
	if err != nil {
		return nil, err
	}
	return inv, nil
}

// receivePaper stores a paper invoice routed to the unit the clerk chose.
func (s *Service) receivePaper(ctx context.Context, p identity.Principal, tenantID int64, rc received, unit string) (*Invoice, error) {
	inv, err := s.receive(ctx, p, tenantID, rc)
	if err != nil || unit == "" {
		return inv, err
	}
	return s.Assign(ctx, p, tenantID, inv.Ref, inv.Version, unit)
}

func ibanOK(s string) bool {
	return len(s) >= 15 && len(s) <= 34 && identity.ValidIBAN(s)
}

var vatRe = regexp.MustCompile(`^[A-Z]{2}[A-Z0-9]{2,13}$`)
