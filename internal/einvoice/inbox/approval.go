package inbox

import (
	"context"
	"fmt"
	"strings"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/jobs"
	"github.com/rathaus/rathaus/internal/platform/mail"
)

// StepInput is one approval.
type StepInput struct {
	Step Step
	// Version is the invoice version the approver saw (If-Match); 0: not
	// checked. A different current version refuses the step as stale.
	Version int
	// Booking data, captured at sachlich richtig (else BT-19 of the
	// invoice is taken as the budget line).
	CostCentre, BudgetLine string
	Note                   string
}

// ValidStep reports whether s is one of the three approval steps.
func ValidStep(s Step) bool {
	for _, a := range ApprovalSteps {
		if a == s {
			return true
		}
	}
	return false
}

// Approve records sachlich richtig, rechnerisch richtig or the Anordnung.
// The rules live here, not in the handlers:
//
//   - only a person approves (a session or a personal token; integration
//     tokens and the system never): otherwise 403 not_a_person;
//   - sachlich and rechnerisch richtig: staff of the routed unit (a member,
//     or the substitute of an absent member) or finance; others 403
//     wrong_role; the two are given by two different people (403
//     same_person);
//   - the Anordnung: finance only (403 wrong_role), after both checks (409
//     wrong_order); the finance clerk may be one of the two before;
//   - each step once (409 already_done); only open, routed invoices (409
//     wrong_state); the version the approver saw must be the current one
//     (409 stale).
//
// Every step is recorded with who, when, on whose behalf and the hash of
// the invoice, in the audit trail too; every refusal is audited.
func (s *Service) Approve(ctx context.Context, p identity.Principal, tenantID int64, ref string, in StepInput) (*Invoice, error) {
	inv, err := s.Get(ctx, p, tenantID, ref)
	if err != nil {
		return nil, err
	}
	if !ValidStep(in.Step) {
		return nil, fault.Invalid("step", "invalid_step")
	}
	in.CostCentre, in.BudgetLine, in.Note = clip(in.CostCentre, 100), clip(in.BudgetLine, 100), clip(in.Note, 1000)
	var out *Invoice
	err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		cur, err := s.load(ctx, tx, tenantID, inv.Ref)
		if err != nil {
			return err
		}
		onBehalf, err := s.checkStep(ctx, p, cur, in)
		if err != nil {
			return err
		}
		expected := cur.Version
		rec := StepRecord{Step: in.Step, Actor: p.Ref, Note: in.Note}
		if person, err := s.Identity.PersonByID(ctx, tenantID, p.AccountID); err == nil {
			rec.ActorName = person.Name
		}
		if onBehalf != 0 {
			if absent, err := s.Identity.PersonByID(ctx, tenantID, onBehalf); err == nil {
				rec.OnBehalfOf = absent.Name
			}
		}
		switch in.Step {
		case StepSachlich:
			cur.CostCentre, cur.BudgetLine = in.CostCentre, in.BudgetLine
			if cur.CostCentre == "" && cur.BudgetLine == "" && cur.Document != nil {
				cur.BudgetLine = clip(cur.Document.BuyerAccountingReference, 100)
			}
			cur.Status = StatusInApproval
		case StepRechnerisch:
			cur.Status = StatusInApproval
		case StepAnordnung:
			cur.Status = StatusApproved
		}
		if err := addStep(tx, cur, rec, p.AccountID); err != nil {
			return err
		}
		if err := update(tx, cur, expected); err != nil {
			return err
		}
		out = cur
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "einvoice.approve." + string(in.Step), ObjectType: "einvoice", ObjectRef: cur.Ref,
			Before: map[string]any{"version": expected}, After: map[string]any{"step": in.Step, "hash": cur.Hash, "version": cur.Version, "status": cur.Status,
				"on_behalf_of": rec.OnBehalfOf, "cost_centre": cur.CostCentre, "budget_line": cur.BudgetLine, "at": tx.Now()}})
	})
	if err != nil {
		if code := ProblemCode(err); code != "" || fault.HasCode(err, "step", "invalid_step") {
			s.auditRefusal(ctx, tenantID, p.Ref, "einvoice.approval_refused", inv.Ref, map[string]any{"step": in.Step, "reason": code, "version": in.Version, "hash": inv.Hash})
		}
		return nil, fmt.Errorf("approve %s %s: %w", in.Step, ref, err)
	}
	return out, nil
}

// checkStep applies the rules of Approve to the current invoice and
// returns the absent approver p stands in for (0: none).
func (s *Service) checkStep(ctx context.Context, p identity.Principal, cur *Invoice, in StepInput) (int64, error) {
	if !p.IsPerson() {
		return 0, refuse(fault.ErrForbidden, "not_a_person")
	}
	if in.Version != 0 && in.Version != cur.Version {
		return 0, refuse(fault.ErrConflict, "stale")
	}
	switch cur.Status {
	case StatusNew, StatusInApproval:
	default:
		return 0, refuse(fault.ErrConflict, "wrong_state")
	}
	if _, ok := cur.done(in.Step); ok {
		return 0, refuse(fault.ErrConflict, "already_done")
	}
	finance := p.Has(identity.RoleFinance)
	switch in.Step {
	case StepSachlich, StepRechnerisch:
		var onBehalf int64
		if !finance {
			ob, ok, err := s.unitStaff(ctx, p, cur)
			if err != nil {
				return 0, err
			}
			if !ok {
				return 0, refuse(fault.ErrForbidden, "wrong_role")
			}
			onBehalf = ob
		}
		other := StepRechnerisch
		if in.Step == StepRechnerisch {
			other = StepSachlich
		}
		if r, ok := cur.done(other); ok && r.accountID == p.AccountID {
			return 0, refuse(fault.ErrForbidden, "same_person")
		}
		return onBehalf, nil
	case StepAnordnung:
		if !finance {
			return 0, refuse(fault.ErrForbidden, "wrong_role")
		}
		_, s1 := cur.done(StepSachlich)
		_, s2 := cur.done(StepRechnerisch)
		if !s1 || !s2 {
			return 0, refuse(fault.ErrConflict, "wrong_order")
		}
		return 0, nil
	}
	return 0, fault.Invalid("step", "invalid_step")
}

// Reject sends an open invoice back to the supplier with the reasons (422
// reason_required without them): staff of the routed unit or finance,
// before it is in a payment run. The supplier is told by mail: the sender
// of a mailed invoice, else the business account that sent it, else the
// seller's contact address in the invoice.
func (s *Service) Reject(ctx context.Context, p identity.Principal, t *identity.Tenant, ref string, version int, reason string) (*Invoice, error) {
	inv, err := s.Get(ctx, p, t.ID, ref)
	if err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(clip(reason, 2000))
	var out *Invoice
	err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		cur, err := s.load(ctx, tx, t.ID, inv.Ref)
		if err != nil {
			return err
		}
		if !p.IsPerson() {
			return refuse(fault.ErrForbidden, "not_a_person")
		}
		if version != 0 && version != cur.Version {
			return refuse(fault.ErrConflict, "stale")
		}
		switch cur.Status {
		case StatusClarification, StatusNew, StatusInApproval, StatusApproved:
		default:
			return refuse(fault.ErrConflict, "wrong_state")
		}
		if !p.Has(identity.RoleFinance) {
			if _, ok, err := s.unitStaff(ctx, p, cur); err != nil {
				return err
			} else if !ok {
				return refuse(fault.ErrForbidden, "wrong_role")
			}
		}
		if reason == "" {
			return fault.Invalid("reason", "reason_required")
		}
		expected := cur.Version
		now := tx.Now()
		cur.Status, cur.RejectionReason, cur.ClosedAt, cur.RetainUntil = StatusRejected, reason, &now, retainUntil(now)
		rec := StepRecord{Step: StepRejected, Actor: p.Ref, Note: reason}
		if person, err := s.Identity.PersonByID(ctx, t.ID, p.AccountID); err == nil {
			rec.ActorName = person.Name
		}
		if err := addStep(tx, cur, rec, p.AccountID); err != nil {
			return err
		}
		if err := update(tx, cur, expected); err != nil {
			return err
		}
		to, err := s.supplierAddress(ctx, cur)
		if err != nil {
			return err
		}
		if to != "" {
			if err := enqueueRejectionMail(tx, t, to, cur.Number, cur.Ref, []string{reason}); err != nil {
				return err
			}
		}
		out = cur
		return audit.Append(tx, audit.Event{TenantID: t.ID, Actor: p.Ref, Action: "einvoice.reject", ObjectType: "einvoice", ObjectRef: cur.Ref,
			Before: map[string]any{"status": inv.Status, "version": expected}, After: map[string]any{"reason": reason, "hash": cur.Hash, "notified": to != ""}})
	})
	if err != nil {
		if code := ProblemCode(err); code != "" {
			s.auditRefusal(ctx, t.ID, p.Ref, "einvoice.reject_refused", inv.Ref, map[string]any{"reason": code})
		}
		return nil, fmt.Errorf("reject %s: %w", ref, err)
	}
	return out, nil
}

func (s *Service) supplierAddress(ctx context.Context, inv *Invoice) (string, error) {
	if inv.senderEmail != "" {
		return inv.senderEmail, nil
	}
	if inv.submitterAccount != 0 {
		if person, err := s.Identity.PersonByID(ctx, inv.tenantID, inv.submitterAccount); err == nil && person.Email != "" {
			return person.Email, nil
		}
	}
	if d := inv.Document; d != nil {
		if c := d.Seller.Contact; c != nil && strings.Contains(c.Email, "@") {
			return c.Email, nil
		}
		if d.Seller.ElectronicAddress.Scheme == "EM" && strings.Contains(d.Seller.ElectronicAddress.Value, "@") {
			return d.Seller.ElectronicAddress.Value, nil
		}
	}
	return "", nil
}

// enqueueRejectionMail tells a supplier why an invoice was not accepted.
// It names the invoice by its number and the reasons; nothing else.
func enqueueRejectionMail(tx *database.Tx, t *identity.Tenant, to, number, key string, reasons []string) error {
	from := t.Settings.MailFrom
	if from == "" {
		from = "rathaus@" + t.Slug + ".invalid"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Guten Tag,\n\nIhre Rechnung %s an %s konnte nicht angenommen werden.\n\nGründe:\n", quoteNumber(number), t.Name)
	for _, r := range reasons {
		fmt.Fprintf(&b, "- %s\n", r)
	}
	fmt.Fprintf(&b, "\nBitte senden Sie eine berichtigte Rechnung. Diese Nachricht wurde automatisch erstellt.\n\n-- \nRechnungseingang %s\n\n"+
		"Your invoice %s to %s was not accepted for the reasons above; please send a corrected invoice.\n", t.Name, quoteNumber(number), t.Name)
	m := mail.Message{From: from, To: to, Subject: "Rechnung nicht angenommen / invoice not accepted: " + clip(quoteNumber(number), 80), Text: b.String(),
		ID: "einvoice-" + key + "@" + t.Slug + ".rathaus"}
	return jobs.Enqueue(tx, mail.JobKind, m, jobs.Options{Key: "einvoice-reply:" + key, TenantID: t.ID})
}

func quoteNumber(n string) string {
	n = strings.Map(func(r rune) rune {
		if r < 0x20 {
			return ' '
		}
		return r
	}, n)
	if n == "" {
		return "(ohne Nummer)"
	}
	return "„" + clip(n, 100) + "“"
}

// Assign routes an invoice in clarification (or a new one nobody checked
// yet) to a unit: finance only.
func (s *Service) Assign(ctx context.Context, p identity.Principal, tenantID int64, ref string, version int, unitRef string) (*Invoice, error) {
	if _, err := s.Get(ctx, p, tenantID, ref); err != nil {
		return nil, err
	}
	if !p.Has(identity.RoleFinance) {
		return nil, refuse(fault.ErrForbidden, "wrong_role")
	}
	names, err := s.Identity.UnitNames(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if _, ok := names[unitRef]; !ok {
		return nil, fault.Invalid("unit", "unknown_unit")
	}
	var out *Invoice
	err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		cur, err := s.load(ctx, tx, tenantID, ref)
		if err != nil {
			return err
		}
		if version != 0 && version != cur.Version {
			return refuse(fault.ErrConflict, "stale")
		}
		if cur.Status != StatusClarification && cur.Status != StatusNew {
			return refuse(fault.ErrConflict, "wrong_state")
		}
		expected, before := cur.Version, cur.Unit
		cur.Unit, cur.RoutingProblem, cur.Status, cur.UnitName = unitRef, "", StatusNew, names[unitRef]
		if err := addStep(tx, cur, StepRecord{Step: StepRouted, Actor: p.Ref, Note: names[unitRef]}, p.AccountID); err != nil {
			return err
		}
		if err := update(tx, cur, expected); err != nil {
			return err
		}
		out = cur
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "einvoice.assign", ObjectType: "einvoice", ObjectRef: cur.Ref,
			Before: map[string]any{"unit": before}, After: map[string]any{"unit": unitRef, "hash": cur.Hash}})
	})
	if err != nil {
		return nil, fmt.Errorf("assign %s: %w", ref, err)
	}
	return out, nil
}

// NextSteps are the approval steps p may take on inv now (for the pages
// and the "waiting for my step" list).
func (s *Service) NextSteps(ctx context.Context, p identity.Principal, inv *Invoice) []Step {
	var out []Step
	for _, st := range ApprovalSteps {
		if _, err := s.checkStep(ctx, p, inv, StepInput{Step: st}); err == nil {
			out = append(out, st)
		}
	}
	return out
}

func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	s = s[:n]
	return strings.ToValidUTF8(s, "")
}
