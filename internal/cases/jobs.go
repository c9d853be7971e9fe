package cases

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/mailbox"
	"github.com/rathaus/rathaus/internal/platform/blob"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/jobs"
	"github.com/rathaus/rathaus/internal/records"
)

// Jobs cases handles (their kinds are named by the enqueuing domains).
const (
	JobFormsSubmitted  = "forms.submitted"
	JobFormsWithdrawn  = "forms.withdrawn"
	JobPaymentsSettled = "payments.settled"
)

// Every handler is idempotent: the database effects are guarded (unique
// application reference, answered requests, states), so a job re-run after
// a crash changes nothing twice.

// SubmittedHandler opens the case of a submitted application.
func (s *Service) SubmittedHandler() jobs.Handler {
	return func(ctx context.Context, j jobs.Job) (jobs.Finish, error) {
		var p struct {
			TenantID    int64  `json:"tenant_id"`
			Application string `json:"application"`
		}
		if err := json.Unmarshal(j.Payload, &p); err != nil || p.TenantID == 0 || p.Application == "" {
			return nil, fmt.Errorf("forms.submitted payload %s: %v", j.Payload, err)
		}
		if _, err := s.Open(ctx, p.TenantID, p.Application); err != nil {
			return nil, err
		}
		return nil, nil
	}
}

// WithdrawnHandler closes the case of a withdrawn application.
func (s *Service) WithdrawnHandler() jobs.Handler {
	return func(ctx context.Context, j jobs.Job) (jobs.Finish, error) {
		var p struct {
			TenantID    int64  `json:"tenant_id"`
			Application string `json:"application"`
		}
		if err := json.Unmarshal(j.Payload, &p); err != nil || p.TenantID == 0 {
			return nil, fmt.Errorf("forms.withdrawn payload %s: %v", j.Payload, err)
		}
		return nil, s.Withdrawn(ctx, p.TenantID, p.Application)
	}
}

// Withdrawn closes the case of an application its applicant withdrew
// (before it was decided) and files it.
func (s *Service) Withdrawn(ctx context.Context, tenantID int64, applicationRef string) error {
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		c, err := caseByApplication(ctx, tx, tenantID, applicationRef)
		if errors.Is(err, fault.ErrNotFound) {
			return nil // withdrawn before its case opened: Open refuses it
		}
		if err != nil || c.ClosedAt != nil {
			return err
		}
		now := tx.Now()
		c.ClosedAt, c.PausedAt = &now, nil
		if err := save(tx, c); err != nil {
			return err
		}
		sys := actor{p: identity.System(tenantID)}
		if err := addEvent(tx, c, sys.p, "", "transition", "Zurückgezogen", map[string]any{"withdrawn": true}); err != nil {
			return err
		}
		if err := audit.Append(tx, audit.Event{TenantID: tenantID, Actor: "system", Action: "case.withdrawn", ObjectType: "case", ObjectRef: c.Ref}); err != nil {
			return err
		}
		return s.fileCase(tx, sys, c)
	})
}

// RepliedHandler takes the applicant's answer into the case.
func (s *Service) RepliedHandler() jobs.Handler {
	return func(ctx context.Context, j jobs.Job) (jobs.Finish, error) {
		var p mailbox.Replied
		if err := json.Unmarshal(j.Payload, &p); err != nil || p.TenantID == 0 {
			return nil, fmt.Errorf("mailbox.replied payload %s: %v", j.Payload, err)
		}
		return nil, s.InformationReceived(ctx, p)
	}
}

// InformationReceived files the applicant's reply (text and uploads) in
// the case and, when the case waits for it, takes the declared system step
// (the deadline resumes).
func (s *Service) InformationReceived(ctx context.Context, r mailbox.Replied) error {
	msg, err := s.Mailbox.Message(ctx, r.TenantID, r.Message)
	if err != nil {
		return err
	}
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		c, err := caseByRef(ctx, tx, r.TenantID, r.Subject, tx.DB.ForUpdate())
		if errors.Is(err, fault.ErrNotFound) {
			return nil // not a case's message
		}
		if err != nil {
			return err
		}
		var done int
		tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM case_documents WHERE case_id = $1 AND source_ref = $2`, c.id, r.Message).Scan(&done)
		var answered int
		tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_requests WHERE case_id = $1 AND answer_message_ref = $2`, c.id, r.Message).Scan(&answered)
		if done > 0 || answered > 0 {
			return nil // already taken in
		}
		res, err := tx.ExecContext(ctx, `UPDATE information_requests SET answered_at = $1, answer_message_ref = $2 WHERE case_id = $3 AND message_ref = $4 AND answered_at IS NULL`,
			tx.Now(), r.Message, c.id, r.InReplyTo)
		if err != nil {
			return err
		}
		first, _ := res.RowsAffected()
		for _, d := range msg.Documents {
			if _, err := tx.ExecContext(ctx, `INSERT INTO case_documents (case_id, kind, name, media_type, blob_key, size, source_ref, created_at) VALUES ($1, 'answer_upload', $2, $3, $4, $5, $6, $7)`,
				c.id, d.Name, d.MediaType, d.BlobKey, d.Size, r.Message, tx.Now()); err != nil {
				return err
			}
			if err := blob.Keep(tx, r.TenantID, d.BlobKey, d.Size, d.MediaType, "cases.answer:"+d.Ref); err != nil {
				return err
			}
			if c.FileRef != "" && c.ClosedAt == nil {
				if err := s.Records.Add(tx, r.TenantID, c.FileRef, records.DocumentInput{Name: d.Name, Kind: "answer_upload", MediaType: d.MediaType, BlobKey: d.BlobKey, Size: d.Size, CreatedAt: msg.CreatedAt}); err != nil {
					return err
				}
			}
		}
		sys := actor{p: identity.System(r.TenantID)}
		if err := addEvent(tx, c, sys.p, "", "information_received", msg.Body, map[string]any{"message": r.Message, "documents": len(msg.Documents)}); err != nil {
			return err
		}
		if err := audit.Append(tx, audit.Event{TenantID: r.TenantID, Actor: "system", Action: "case.information_received", ObjectType: "case", ObjectRef: c.Ref,
			After: map[string]any{"message": r.Message, "documents": len(msg.Documents)}}); err != nil {
			return err
		}
		if first == 0 || c.ClosedAt != nil {
			return nil
		}
		wf, err := workflowVersion(ctx, tx, r.TenantID, c.ServiceRef, c.WorkflowVersion)
		if err != nil {
			return err
		}
		if t, ok := wf.Workflow.OnEvent(c.State, EventInformationReceived); ok {
			return s.take(tx, sys, c, wf.Workflow, t, StepInput{}, true)
		}
		return nil
	})
}

// AbsenceHandler moves an absent person's open cases (identity.absence_started).
func (s *Service) AbsenceHandler() jobs.Handler {
	return func(ctx context.Context, j jobs.Job) (jobs.Finish, error) {
		var p identity.AbsenceStarted
		if err := json.Unmarshal(j.Payload, &p); err != nil || p.TenantID == 0 {
			return nil, fmt.Errorf("absence payload %s: %v", j.Payload, err)
		}
		_, err := s.ReassignAbsent(ctx, p.TenantID, p.Account, s.DB.Clock.Now())
		return nil, err
	}
}

// SettledHandler moves a case on when its payment request is paid
// (payments.settled {"tenant_id", "request", "subject"}; subject is the
// application reference).
func (s *Service) SettledHandler() jobs.Handler {
	return func(ctx context.Context, j jobs.Job) (jobs.Finish, error) {
		var p struct {
			TenantID int64  `json:"tenant_id"`
			Request  string `json:"request"`
			Subject  string `json:"subject"`
		}
		if err := json.Unmarshal(j.Payload, &p); err != nil || p.TenantID == 0 {
			return nil, fmt.Errorf("payments.settled payload %s: %v", j.Payload, err)
		}
		return nil, s.PaymentSettled(ctx, p.TenantID, p.Subject, p.Request)
	}
}

// PaymentSettled takes the declared payment_settled step of the case of
// an application (nothing when the case does not wait for a payment).
func (s *Service) PaymentSettled(ctx context.Context, tenantID int64, applicationRef, requestRef string) error {
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		c, err := caseByApplication(ctx, tx, tenantID, applicationRef)
		if errors.Is(err, fault.ErrNotFound) {
			return nil
		}
		if err != nil || c.ClosedAt != nil {
			return err
		}
		wf, err := workflowVersion(ctx, tx, tenantID, c.ServiceRef, c.WorkflowVersion)
		if err != nil {
			return err
		}
		sys := actor{p: identity.System(tenantID)}
		if err := addEvent(tx, c, sys.p, "", "payment_settled", "", map[string]any{"request": requestRef}); err != nil {
			return err
		}
		if t, ok := wf.Workflow.OnEvent(c.State, EventPaymentSettled); ok {
			return s.take(tx, sys, c, wf.Workflow, t, StepInput{}, true)
		}
		return nil
	})
}
