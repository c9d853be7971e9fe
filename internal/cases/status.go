package cases

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/fault"
)

// Progress is what the applicant sees of their application: where it is,
// what happens next, and by when to expect the decision.
type Progress struct {
	Application string    `json:"application"`
	Service     string    `json:"service"`
	SubmittedAt time.Time `json:"submitted_at"`
	Status      string    `json:"status"`
	State       Text      `json:"state"`
	Next        Text      `json:"next"`
	Unit        string    `json:"unit"`
	// ExpectedBy is the processing deadline (YYYY-MM-DD); "" while the
	// case waits for the applicant or is not yet opened.
	ExpectedBy string         `json:"expected_by"`
	Paused     bool           `json:"paused"`
	AnswerBy   string         `json:"answer_by"` // open question: answer by this date
	Decisions  []SentDecision `json:"decisions"`
	Closed     bool           `json:"closed"`
}

// SentDecision is a sent decision as its applicant sees it.
type SentDecision struct {
	Ref      string    `json:"id"`
	Kind     string    `json:"kind"`
	SentAt   time.Time `json:"sent_at"`
	Delivery string    `json:"delivery"`
	Message  string    `json:"message"`
}

// Progress returns the status of the principal's own application; anyone
// else gets not found.
func (s *Service) Progress(ctx context.Context, p identity.Principal, tenantID int64, applicationRef string) (*Progress, error) {
	if err := p.See(tenantID); err != nil {
		return nil, err
	}
	if !p.IsPerson() {
		return nil, fmt.Errorf("progress: %w", fault.ErrNotFound)
	}
	app, err := s.Applications.Application(ctx, tenantID, applicationRef)
	if err != nil || app.AccountID != p.AccountID {
		return nil, fmt.Errorf("application %s: %w", applicationRef, fault.ErrNotFound)
	}
	pr := &Progress{Application: app.Ref, Service: app.FormTitle, SubmittedAt: app.SubmittedAt, Status: app.Status, Decisions: []SentDecision{}}
	c, err := caseByApplication(ctx, s.DB.R, tenantID, applicationRef)
	if errors.Is(err, fault.ErrNotFound) {
		pr.State = Text{De: "Eingegangen", En: "Received"}
		pr.Next = Text{De: "Ihr Antrag ist eingegangen und wird der zuständigen Stelle zugeleitet.", En: "Your application has arrived and is being passed to the office in charge."}
		return pr, nil
	}
	if err != nil {
		return nil, err
	}
	pr.Service = c.ServiceName
	wf, err := workflowVersion(ctx, s.DB.R, tenantID, c.ServiceRef, c.WorkflowVersion)
	if err != nil {
		return nil, err
	}
	if st, ok := wf.Workflow.State(c.State); ok {
		pr.State, pr.Next = st.Label, st.Next
	}
	if c.UnitRef != "" {
		if u, err := s.Identity.Unit(ctx, identity.System(tenantID), tenantID, c.UnitRef); err == nil {
			pr.Unit = u.Name
		}
	}
	pr.Closed = c.ClosedAt != nil
	pr.Paused = c.PausedAt != nil
	if c.ClosedAt == nil && c.PausedAt == nil && c.State != "decided" {
		pr.ExpectedBy = calendar.DateOf(c.DueAt, calendar.Berlin).String()
	}
	if reqs, err := s.requests(ctx, c.id); err == nil {
		for _, r := range reqs {
			if r.AnsweredAt == nil {
				pr.AnswerBy = r.AnswerDueOn
			}
		}
	}
	ds, err := decisionsOf(ctx, s.DB.R, c.id)
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		if d.Status == DecisionSent && d.SentAt != nil {
			pr.Decisions = append(pr.Decisions, SentDecision{Ref: d.Ref, Kind: d.Kind, SentAt: *d.SentAt, Delivery: d.Delivery, Message: d.MessageRef})
		}
	}
	return pr, nil
}
