package app

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/rathaus/rathaus/internal/forms"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/payments"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/jobs"
)

// forms → payments: a service whose fee is paid before submission. The
// submission gate of forms asks payments whether the draft's fee is paid
// (else the applicant is sent to the payment notice of a request made for
// the draft); the stored application takes over the request; and when
// payments.settled names a draft, the held draft is submitted for its
// owner. Neither domain imports the other.

type submitGate struct{ e *env }

func (g submitGate) Hold(ctx context.Context, p forms.Pending) (string, error) {
	return g.e.payments().BeforeSubmission(ctx, p.TenantID, p.ServiceID, p.Draft, p.Answers, payments.NewRequest{PayerAccountID: p.AccountID, PayerEmail: p.Email})
}

func (g submitGate) Submitted(tx *database.Tx, p forms.Pending, app *forms.Application) error {
	if p.Draft == "" {
		return nil
	}
	return g.e.payments().Resubject(tx, p.TenantID, p.Draft, app.Ref)
}

// settledHandler submits a held draft whose fee was paid and hands every
// other settled payment to cases.
func (e *env) settledHandler(cases jobs.Handler) jobs.Handler {
	return func(ctx context.Context, j jobs.Job) (jobs.Finish, error) {
		var p payments.Settled
		if err := json.Unmarshal(j.Payload, &p); err != nil || !strings.HasPrefix(p.Subject, "D-") {
			return cases(ctx, j)
		}
		app, err := e.formsService().SubmitHeld(ctx, p.TenantID, p.Subject)
		if errors.Is(err, fault.ErrNotFound) {
			// Sent by the applicant already (the request names the
			// application), or discarded or expired: then the money goes
			// back through the refund worklist.
			sys := identity.System(p.TenantID)
			r, rerr := e.payments().Request(ctx, sys, p.TenantID, p.Request)
			if rerr != nil {
				return nil, rerr
			}
			if r.Subject == p.Subject {
				e.log.Warn("paid draft gone: to the refund worklist", "tenant_id", p.TenantID, "draft", p.Subject, "request", p.Request)
				return nil, e.payments().Unclaimed(ctx, p.TenantID, p.Request, "the application "+p.Subject+" was paid for but discarded or expired before it was sent")
			}
			return nil, nil
		}
		if _, held := forms.AsHeld(err); held {
			// The answers now ask for more: the applicant pays the rest.
			e.log.Info("paid draft not submitted", "tenant_id", p.TenantID, "draft", p.Subject, "request", p.Request, "err", err)
			return nil, nil
		}
		if _, invalid := fault.AsValidation(err); invalid {
			// The fee is paid; the applicant checks the draft and sends it.
			e.log.Warn("paid draft not submitted: answers no longer valid", "tenant_id", p.TenantID, "draft", p.Subject, "request", p.Request, "err", err)
			return nil, e.payments().PaidButNotSent(ctx, p.TenantID, p.Request, e.tenantBaseURL(p.TenantID)+"/antrag/entwurf/"+p.Subject+"/pruefen")
		}
		if err != nil {
			return nil, err
		}
		e.log.Info("paid draft submitted", "tenant_id", p.TenantID, "draft", p.Subject, "application", app.Ref, "request", p.Request)
		return nil, nil
	}
}

// paymentSubject is what a payment notice says of its subject: a draft is
// sent once paid; an application is named, with its page when the payer
// has an account (an anonymous applicant has none to open it with).
func paymentSubject(ctx context.Context, r *payments.Request) payments.Subject {
	switch {
	case strings.HasPrefix(r.Subject, "D-") && r.Status != payments.StatusPaid:
		return payments.Subject{TextKey: "payments.notice.subject.draft"}
	case strings.HasPrefix(r.Subject, "A-"):
		s := payments.Subject{Ref: r.Subject, TextKey: "payments.notice.subject.application"}
		if r.PayerAccountID != 0 {
			s.Href = "/antraege/" + r.Subject
		}
		return s
	}
	return payments.Subject{}
}
