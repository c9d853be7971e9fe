package payments

import (
	"context"
	"errors"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
)

// Paying before submission. A service whose settings say
// BeforeSubmission takes its fee before the application is submitted:
// the applicant's draft is the subject of the request until then. The
// composition root asks BeforeSubmission when a draft is sent (forms'
// submission gate), Resubject when it is stored, and submits the held
// draft when payments.settled names a draft (paid by bank transfer days
// later, or online while the applicant went away).

// heldBy marks the requests BeforeSubmission makes (created_by). Until
// paid, such a request is only an offer — nothing is owed for an
// application not sent — so it gets no reminders.
const heldBy = "forms"

// BeforeSubmission decides whether a submission for serviceID may go
// ahead: "" when the service takes its fee otherwise, or when subject
// (the draft) has a request paid in full for at least the fee of these
// answers. Otherwise it returns the path of the payment notice to send
// the applicant to — the subject's open request, or a new one for the
// fee of the answers (an open request of a different amount, because the
// answers changed, is cancelled first). Without a subject (a submission
// through the API) a service paid before submission is refused.
func (s *Service) BeforeSubmission(ctx context.Context, tenantID int64, serviceID, subject string, answers map[string]any, payer NewRequest) (string, error) {
	st, err := s.SettingsFor(ctx, tenantID, serviceID)
	if errors.Is(err, fault.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if st.Timing != BeforeSubmission {
		return "", nil
	}
	if subject == "" {
		return "", fault.Invalid("service", "payment_first")
	}
	qty, err := st.Quantity(answers)
	if err != nil {
		return "", err
	}
	fee, err := st.Fee(qty)
	if err != nil {
		return "", err
	}
	sys := identity.System(tenantID)
	sys.Ref = heldBy
	next := ""
	err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		// The settings row is locked so two sends of one draft make one request.
		if _, err := tx.ExecContext(ctx, `UPDATE payment_settings SET quantity_field = quantity_field WHERE tenant_id = $1 AND service_id = $2`, tenantID, serviceID); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+requestCols+` FROM payment_requests WHERE tenant_id = $1 AND subject = $2 ORDER BY id`, tenantID, subject)
		if err != nil {
			return err
		}
		var reqs []*Request
		for rows.Next() {
			r, err := scanRequest(rows)
			if err != nil {
				rows.Close()
				return err
			}
			reqs = append(reqs, r)
		}
		rows.Close()
		// What was paid counts; an open request must ask for the rest.
		paid := decimal.Zero
		for _, r := range reqs {
			if r.Status == StatusPaid || r.Status == StatusPartial {
				paid = paid.Add(r.Paid)
			}
		}
		rest := fee.Sub(paid)
		if !rest.IsPositive() {
			return nil
		}
		for _, r := range reqs {
			switch {
			case r.Status == StatusOpen && !r.Amount.Equal(rest):
				if _, err := tx.ExecContext(ctx, `UPDATE payment_requests SET status = 'cancelled' WHERE id = $1`, r.ID); err != nil {
					return err
				}
				if err := audit.Append(tx, audit.Event{TenantID: tenantID, Actor: sys.Ref, Action: "payment.request.cancel", ObjectType: "payment_request", ObjectRef: r.Ref,
					After: map[string]any{"reason": "fee changed", "fee": fee.StringFixed(2)}}); err != nil {
					return err
				}
			case r.Status == StatusOpen || r.Status == StatusPartial:
				next = r.URL()
			}
		}
		if next != "" {
			return nil
		}
		payer.TenantID, payer.ServiceID, payer.Subject, payer.Amount, payer.Purpose = tenantID, serviceID, subject, rest, st.Purpose
		c, err := s.CreateRequest(tx, sys, payer)
		next = c.URL
		return err
	})
	if err != nil {
		return "", fmt.Errorf("payment before submitting %s: %w", subject, err)
	}
	return next, nil
}

// Resubject moves the requests of subject from to subject to inside the
// caller's transaction: a request made for a draft names the application
// once the draft is submitted.
func (s *Service) Resubject(tx *database.Tx, tenantID int64, from, to string) error {
	ctx := tx.Context()
	rows, err := tx.QueryContext(ctx, `SELECT ref FROM payment_requests WHERE tenant_id = $1 AND subject = $2 ORDER BY id`, tenantID, from)
	if err != nil {
		return err
	}
	var refs []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			rows.Close()
			return err
		}
		refs = append(refs, r)
	}
	rows.Close()
	for _, r := range refs {
		if _, err := tx.ExecContext(ctx, `UPDATE payment_requests SET subject = $1 WHERE tenant_id = $2 AND ref = $3`, to, tenantID, r); err != nil {
			return err
		}
		if err := audit.Append(tx, audit.Event{TenantID: tenantID, Actor: "system", Action: "payment.request.subject", ObjectType: "payment_request", ObjectRef: r,
			Before: map[string]any{"subject": from}, After: map[string]any{"subject": to}}); err != nil {
			return err
		}
	}
	return nil
}

// Unclaimed puts the money of a request paid for a subject that will not
// become an application (a draft discarded or expired before it could be
// submitted) on the finance worklist to refund — once, however often it
// is called. The caller (the composition root) knows that the subject is
// gone; a request that is not paid is left alone.
func (s *Service) Unclaimed(ctx context.Context, tenantID int64, reqRef, detail string) error {
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		r, err := requestBy(ctx, tx, s.DB.ForUpdate(), tenantID, "ref", reqRef)
		if err != nil {
			return err
		}
		if !r.Paid.IsPositive() {
			return nil
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM finance_tasks WHERE tenant_id = $1 AND request_id = $2 AND kind = 'refund'`, tenantID, r.ID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if err := s.refundTask(tx, r, "refund", r.Paid, 0, detail); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: "system", Action: "payment.request.unclaimed", ObjectType: "payment_request", ObjectRef: r.Ref,
			After: map[string]any{"subject": r.Subject, "paid": r.Paid.StringFixed(2), "detail": detail}})
	})
}

// PaidButNotSent tells the payer of a request paid for a draft that the
// draft could not be sent for them (its answers no longer fit the form,
// e.g. a start date that has passed meanwhile), with the link to check
// and send it (the payer's mailbox, or a mail). Once per request.
func (s *Service) PaidButNotSent(ctx context.Context, tenantID int64, reqRef, link string) error {
	if s.Notify == nil {
		return nil
	}
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		r, err := requestBy(ctx, tx, "", tenantID, "ref", reqRef)
		if err != nil {
			return err
		}
		if r.PayerEmail == "" && r.PayerAccountID == 0 {
			return nil
		}
		text := fmt.Sprintf("Guten Tag,\n\nIhre Zahlung von %s EUR (%s) ist eingegangen. Vielen Dank.\n\nIhr Antrag konnte aber noch nicht abgesendet werden, weil eine Angabe nicht mehr passt (zum Beispiel ein Datum, das inzwischen verstrichen ist). Bitte prüfen Sie Ihre Angaben und senden Sie den Antrag hier ab; die Gebühr ist bezahlt:\n%s\n\n---\nYour payment has been received, but your application could not be sent because an answer no longer fits (for example a date that has passed). Please check and send it here; the fee is paid: %s\n",
			r.Paid.StringFixed(2), r.Purpose, link, link)
		if err := s.Notify(tx, tenantID, Contact{AccountID: r.PayerAccountID, Email: r.PayerEmail, Name: r.PayerName}, "Bitte Antrag absenden / Please send your application", text,
			"paid-not-sent-"+r.Ref); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: "system", Action: "payment.request.paid_not_sent", ObjectType: "payment_request", ObjectRef: r.Ref,
			After: map[string]any{"subject": r.Subject}})
	})
}
