package forms

import (
	"context"
	"errors"
	"fmt"

	"github.com/rathaus/rathaus/internal/platform/database"
)

// SubmitGate holds a submission until a condition kept outside forms is
// met — for a service whose fee is paid before submission, the payment.
// The composition root wires it (to payments); forms knows nothing of
// what it checks. Without a gate every complete submission goes through.
type SubmitGate interface {
	// Hold is asked once the answers are valid, before anything is stored.
	// It returns "" to submit now, or the page the applicant must visit
	// first (the payment notice); the draft then stays as it is. A
	// submission without a draft (the API) may be refused with a
	// validation error.
	Hold(ctx context.Context, p Pending) (next string, err error)
	// Submitted runs inside the submission's transaction, so what the
	// gate kept for the draft (the paid request) names the application
	// from then on; an error rolls the submission back.
	Submitted(tx *database.Tx, p Pending, app *Application) error
}

// Pending is a submission the gate is asked about.
type Pending struct {
	TenantID  int64
	ServiceID string
	// Draft is the draft's reference; "" for a submission through the API.
	Draft     string
	AccountID int64
	Email     string
	Lang      string
	// Answers are the validated, canonical answers.
	Answers Answers
}

// HeldError is returned by SubmitDraft when the gate holds the
// submission: the applicant is sent to Next.
type HeldError struct{ Next string }

func (e *HeldError) Error() string { return "submission held until " + e.Next }

// AsHeld reports whether err is a held submission.
func AsHeld(err error) (*HeldError, bool) {
	var h *HeldError
	ok := errors.As(err, &h)
	return h, ok
}

// SubmitHeld submits a draft the gate held, once its condition is met
// (payments.settled for a fee paid before submission), for the draft's
// owner — the system acts because the applicant may have gone away after
// paying by bank transfer. A draft already sent (or discarded or expired)
// is ErrDraftNotFound; the gate is asked again and may hold it still.
func (s *Service) SubmitHeld(ctx context.Context, tenantID int64, draftRef string) (*Application, error) {
	d, err := s.loadDraft(ctx, s.DB.R, Visitor{held: true}, tenantID, draftRef, "")
	if err != nil {
		return nil, err
	}
	in := Submission{ServiceID: d.ServiceID, FormVersion: d.Version, Answers: d.Answers, Files: d.Files, Lang: d.Lang, draft: d}
	if d.VersionChanged {
		// Answers of the new version are checked as they are.
		in.FormVersion = 0
	}
	if d.AccountID != 0 {
		person, err := s.Identity.PersonByID(ctx, tenantID, d.AccountID)
		if err != nil {
			return nil, fmt.Errorf("submit held draft %s: %w", d.Ref, err)
		}
		return s.submit(ctx, tenantID, person, in)
	}
	if !d.EmailConfirmed {
		return nil, fmt.Errorf("submit held draft %s: %w", d.Ref, ErrDraftNotFound)
	}
	in.Email = d.Email
	return s.submitAnonymous(ctx, tenantID, in)
}
