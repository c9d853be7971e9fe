package cases

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/mailbox"
	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/ref"
	"github.com/rathaus/rathaus/internal/records"
)

// workRoles are the roles that process cases.
var workRoles = []identity.Role{identity.RoleCaseWorker, identity.RoleUnitHead}

// actor is who acts, with the units they belong to.
type actor struct {
	p     identity.Principal
	name  string
	units []string
}

func (s *Service) actorOf(ctx context.Context, p identity.Principal, tenantID int64) (actor, error) {
	a := actor{p: p}
	if !p.IsPerson() || !p.Has(identity.Roles...) || p.TenantID != tenantID {
		return a, nil // not staff of this tenant: mayWork refuses
	}
	m, err := s.Identity.MemberByRef(ctx, p, tenantID, p.Ref)
	if err != nil {
		if errors.Is(err, fault.ErrNotFound) {
			return a, nil
		}
		return a, err
	}
	a.name, a.units = m.Name, m.Units
	return a, nil
}

// mayWork: case workers and unit heads who are members of the case's
// unit; a case no unit is responsible for yet is open to unit heads. Others
// get not found (existence is not revealed).
func (a actor) mayWork(c *Case) error {
	if err := a.p.See(c.tenantID, workRoles...); err != nil {
		return err
	}
	if c.UnitRef == "" {
		if a.p.Has(identity.RoleUnitHead) {
			return nil
		}
	} else if slices.Contains(a.units, c.UnitRef) {
		return nil
	}
	return fmt.Errorf("case %s is not of your units: %w", c.Ref, fault.ErrNotFound)
}

// load reads a case for a principal inside a write transaction (locked).
func (s *Service) load(tx *database.Tx, a actor, tenantID int64, caseRef string) (*Case, *StoredWorkflow, error) {
	c, err := caseByRef(tx.Context(), tx, tenantID, caseRef, tx.DB.ForUpdate())
	if err != nil {
		return nil, nil, err
	}
	if err := a.mayWork(c); err != nil {
		return nil, nil, err
	}
	wf, err := workflowVersion(tx.Context(), tx, tenantID, c.ServiceRef, c.WorkflowVersion)
	if err != nil {
		return nil, nil, err
	}
	return c, wf, nil
}

// save writes the mutable columns of a case (guarded by its revision).
func save(tx *database.Tx, c *Case) error {
	res, err := tx.ExecContext(tx.Context(), `UPDATE cases SET unit_ref = $1, state = $2, assignee_id = $3, state_since = $4, due_at = $5, state_due_at = $6,
		paused_at = $7, follow_up_on = $8, closed_at = $9, revision = revision + 1 WHERE id = $10 AND revision = $11`,
		c.UnitRef, c.State, nullID(c.assigneeID), c.StateSince, c.DueAt, nullTime(c.StateDueAt), nullTime(c.PausedAt), nullString(c.FollowUpOn), nullTime(c.ClosedAt), c.id, c.Revision)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("case %s changed meanwhile: %w", c.Ref, fault.ErrConflict)
	}
	c.Revision++
	return nil
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Claim assigns the case to the acting case worker and, when the
// declaration has a "claim" step from the current state, takes it.
func (s *Service) Claim(ctx context.Context, p identity.Principal, tenantID int64, caseRef string) error {
	a, err := s.actorOf(ctx, p, tenantID)
	if err != nil {
		return err
	}
	if !p.IsPerson() {
		return fmt.Errorf("claim needs a person: %w", fault.ErrForbidden)
	}
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		c, wf, err := s.load(tx, a, tenantID, caseRef)
		if err != nil {
			return err
		}
		if c.ClosedAt != nil {
			return fmt.Errorf("case %s is closed: %w", caseRef, fault.ErrConflict)
		}
		if c.assigneeID == p.AccountID {
			return nil
		}
		before := c.AssigneeRef
		c.assigneeID = p.AccountID
		if t, ok := wf.Workflow.Transition("claim"); ok && t.Allowed(c.State, p, false) {
			if err := s.take(tx, a, c, wf.Workflow, t, StepInput{}, false); err != nil {
				return err
			}
		} else if err := save(tx, c); err != nil {
			return err
		}
		if err := addEvent(tx, c, p, a.name, "assigned", "", map[string]any{"assignee": p.Ref, "claimed": true}); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "case.claim", ObjectType: "case", ObjectRef: c.Ref,
			Before: map[string]string{"assignee": before}, After: map[string]string{"assignee": p.Ref}})
	})
}

// Assign gives the case to a member of its unit, or back to the unit's
// inbox (assigneeRef ""). Unit heads only; an absent assignee's substitute
// gets it instead.
func (s *Service) Assign(ctx context.Context, p identity.Principal, tenantID int64, caseRef, assigneeRef string) (string, error) {
	a, err := s.actorOf(ctx, p, tenantID)
	if err != nil {
		return "", err
	}
	var to string
	err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		c, _, err := s.load(tx, a, tenantID, caseRef)
		if err != nil {
			return err
		}
		if !p.Has(identity.RoleUnitHead) {
			return fmt.Errorf("assign needs a unit head: %w", fault.ErrForbidden)
		}
		if c.ClosedAt != nil {
			return fmt.Errorf("case %s is closed: %w", caseRef, fault.ErrConflict)
		}
		var id int64
		if assigneeRef != "" {
			m, err := s.Identity.MemberByRef(ctx, p, tenantID, assigneeRef)
			if err != nil || !slices.Contains(m.Units, c.UnitRef) || !(slices.Contains(m.Roles, identity.RoleCaseWorker) || slices.Contains(m.Roles, identity.RoleUnitHead)) {
				return fault.Invalid("assignee", "not_in_unit")
			}
			id, err = s.Identity.SubstituteFor(ctx, tenantID, m.ID, tx.Now())
			if err != nil {
				return err
			}
		}
		before := c.assigneeID
		c.assigneeID = id
		if err := save(tx, c); err != nil {
			return err
		}
		to = s.refOf(ctx, tenantID, id)
		if err := addEvent(tx, c, p, a.name, "assigned", "", map[string]any{"assignee": to, "requested": assigneeRef}); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "case.assign", ObjectType: "case", ObjectRef: c.Ref,
			Before: map[string]string{"assignee": s.refOf(ctx, tenantID, before)}, After: map[string]string{"assignee": to}})
	})
	return to, err
}

// refOf names a staff account by its reference ("" for none).
func (s *Service) refOf(ctx context.Context, tenantID, accountID int64) string {
	if accountID == 0 {
		return ""
	}
	var r string
	ms, err := s.Identity.Members(ctx, identity.System(tenantID), tenantID)
	if err != nil {
		return ""
	}
	for _, m := range ms {
		if m.ID == accountID {
			r = m.Ref
		}
	}
	return r
}

// StepInput carries what a step needs from the person taking it.
type StepInput struct {
	// Text is the question of request_information.
	Text string
	// AnswerDays is the applicant's time to answer in working days
	// (default 10).
	AnswerDays int
	// Reason fills {reason} of a decision rendered without a draft.
	Reason string
}

// Step takes a declared transition of the case for the principal: refused
// when the case's state or the principal's roles do not allow it.
func (s *Service) Step(ctx context.Context, p identity.Principal, tenantID int64, caseRef, transitionID string, in StepInput) error {
	a, err := s.actorOf(ctx, p, tenantID)
	if err != nil {
		return err
	}
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		c, wf, err := s.load(tx, a, tenantID, caseRef)
		if err != nil {
			return err
		}
		t, ok := wf.Workflow.Transition(transitionID)
		if !ok || t.On != "" {
			return fault.Invalid("transition", "unknown")
		}
		return s.take(tx, a, c, wf.Workflow, t, in, false)
	})
}

// take performs a transition in tx: checks, state change (with the
// deadline paused or resumed), the declared actions, the applicant's
// status, the timeline and the audit trail.
func (s *Service) take(tx *database.Tx, a actor, c *Case, wf *Workflow, t Transition, in StepInput, system bool) error {
	ctx := tx.Context()
	if c.ClosedAt != nil {
		return fmt.Errorf("case %s is closed: %w", c.Ref, fault.ErrConflict)
	}
	if !t.Allowed(c.State, a.p, system) {
		return fmt.Errorf("%s from %s: %w", t.ID, c.State, ErrTransition)
	}
	if !system && !a.p.IsPerson() && slices.Contains(t.Do, ActionRenderDecision) {
		return fmt.Errorf("a decision needs a person: %w", fault.ErrForbidden)
	}
	from, _ := wf.State(c.State)
	to, _ := wf.State(t.To)
	if slices.Contains(t.Do, ActionRequestInformation) && strings.TrimSpace(in.Text) == "" {
		return fault.Invalid("text", "required")
	}
	cal, tenant, err := s.calendarOf(ctx, c.tenantID)
	if err != nil {
		return err
	}
	now := tx.Now()
	// Deadline: paused while waiting for the applicant, moved on by the
	// working days it was paused.
	if c.PausedAt != nil && !to.PausesDeadline {
		n := cal.WorkingDaysBetween(calendar.DateOf(*c.PausedAt, cal.Loc), calendar.DateOf(now, cal.Loc))
		if n > 0 {
			c.DueAt = cal.Deadline(c.DueAt, n)
		}
		c.PausedAt = nil
	} else if c.PausedAt == nil && to.PausesDeadline {
		c.PausedAt = &now
	}
	c.State, c.StateSince, c.StateDueAt = to.ID, now, deadlineIn(cal, now, to.DeadlineDays)
	if to.Final {
		c.ClosedAt = &now
	}
	if err := save(tx, c); err != nil {
		return err
	}
	if from.ApplicantStatus != to.ApplicantStatus {
		if err := s.Applications.SetStatus(tx, c.tenantID, c.ApplicationRef, to.ApplicantStatus); err != nil {
			return fmt.Errorf("application status: %w", err)
		}
	}
	if err := addEvent(tx, c, a.p, a.name, "transition", t.Label.De, map[string]any{"transition": t.ID, "from": from.ID, "to": to.ID}); err != nil {
		return err
	}
	if err := audit.Append(tx, audit.Event{TenantID: c.tenantID, Actor: actorRef(a.p), Action: "case.transition", ObjectType: "case", ObjectRef: c.Ref,
		Before: map[string]string{"state": from.ID}, After: map[string]any{"state": to.ID, "transition": t.ID, "due_at": c.DueAt}}); err != nil {
		return err
	}
	file := false
	for _, act := range t.Do {
		switch act {
		case ActionNotify:
			if err := s.notifyApplicant(tx, c, tenant, to); err != nil {
				return err
			}
		case ActionRequestInformation:
			if err := s.requestInformation(tx, a, c, tenant, cal, in); err != nil {
				return err
			}
		case ActionRenderDecision:
			if err := s.sendDecision(tx, a, c, wf, tenant, t.Decision, in.Reason); err != nil {
				return err
			}
		case ActionRequestPayment:
			if s.Payments == nil {
				return fmt.Errorf("payments are not available: %w", fault.ErrUnavailable)
			}
			if _, _, _, err := s.Payments.Request(tx, PaymentRequest{TenantID: c.tenantID, Subject: c.ApplicationRef, PayerAccount: c.applicantAccountID, Purpose: c.ServiceName,
				Due: cal.AddWorkingDays(calendar.DateOf(now, cal.Loc), 10)}); err != nil {
				return err
			}
			if err := addEvent(tx, c, a.p, a.name, "payment_requested", "", nil); err != nil {
				return err
			}
		case ActionFile:
			file = true
		}
	}
	if file {
		return s.fileCase(tx, a, c)
	}
	return nil
}

func actorRef(p identity.Principal) string {
	if p.Ref == "" {
		return "system"
	}
	return p.Ref
}

// sender is the unit's name as the applicant sees it.
func (s *Service) sender(ctx context.Context, c *Case, tenant *identity.Tenant) string {
	if c.UnitRef != "" {
		if u, err := s.Identity.Unit(ctx, identity.System(c.tenantID), c.tenantID, c.UnitRef); err == nil {
			return tenant.Name + " – " + u.Name
		}
	}
	return tenant.Name
}

// notifyApplicant puts a status message into the applicant's mailbox.
func (s *Service) notifyApplicant(tx *database.Tx, c *Case, tenant *identity.Tenant, to State) error {
	if c.applicantAccountID == 0 {
		return nil // no mailbox: the status page shows it
	}
	_, err := s.Mailbox.Send(tx, mailbox.Outgoing{TenantID: c.tenantID, AccountID: c.applicantAccountID, Kind: mailbox.KindMessage, SubjectRef: c.Ref,
		Sender: s.sender(tx.Context(), c, tenant), Title: fmt.Sprintf("%s: %s", c.ServiceName, to.Label.De),
		Body: fmt.Sprintf("Ihr Antrag %s (%s) hat einen neuen Stand: %s.\n\n%s", c.ApplicationRef, c.ServiceName, to.Label.De, to.Next.De)})
	return err
}

// requestInformation asks the applicant through the mailbox; the answer
// (mailbox.replied) resumes the case.
func (s *Service) requestInformation(tx *database.Tx, a actor, c *Case, tenant *identity.Tenant, cal *calendar.Calendar, in StepInput) error {
	if c.applicantAccountID == 0 {
		return fault.Invalid("text", "no_mailbox")
	}
	days := in.AnswerDays
	if days <= 0 {
		days = 10
	}
	if days > 60 {
		return fault.Invalid("answer_days", "out_of_range", "min", 1, "max", 60)
	}
	text := strings.TrimSpace(in.Text)
	if len([]rune(text)) > 5000 {
		return fault.Invalid("text", "too_long", "max", 5000)
	}
	due := cal.AddWorkingDays(calendar.DateOf(tx.Now(), cal.Loc), days)
	sent, err := s.Mailbox.Send(tx, mailbox.Outgoing{TenantID: c.tenantID, AccountID: c.applicantAccountID, Kind: mailbox.KindInformationRequest, SubjectRef: c.Ref,
		Sender: s.sender(tx.Context(), c, tenant), Title: "Rückfrage zu Ihrem Antrag " + c.ApplicationRef, RepliesAllowed: true, Actor: actorRef(a.p),
		Body: fmt.Sprintf("%s\n\nBitte antworten Sie bis zum %02d.%02d.%04d über die Schaltfläche „Antworten“; Sie können Dateien anhängen. Bis zu Ihrer Antwort ruht die Bearbeitungsfrist.",
			text, due.Day, due.Month, due.Year)})
	if err != nil {
		return err
	}
	reqRef := ref.New("R")
	if _, err := tx.ExecContext(tx.Context(), `INSERT INTO information_requests (case_id, ref, message_ref, question, asked_at, answer_due_on) VALUES ($1, $2, $3, $4, $5, $6)`,
		c.id, reqRef, sent.Ref, text, tx.Now(), due.String()); err != nil {
		return err
	}
	return addEvent(tx, c, a.p, a.name, "information_requested", text, map[string]any{"request": reqRef, "message": sent.Ref, "answer_due_on": due.String()})
}

// fileCase closes the e-file with the case's audit trail.
func (s *Service) fileCase(tx *database.Tx, a actor, c *Case) error {
	if c.FileRef == "" {
		return nil
	}
	refs := []string{c.Ref, c.ApplicationRef}
	rows, err := tx.QueryContext(tx.Context(), `SELECT ref, message_ref FROM decisions WHERE case_id = $1 UNION ALL SELECT ref, message_ref FROM information_requests WHERE case_id = $1`, c.id)
	if err != nil {
		return err
	}
	for rows.Next() {
		var r, m string
		rows.Scan(&r, &m)
		refs = append(refs, r)
		if m != "" {
			refs = append(refs, m)
		}
	}
	rows.Close()
	meta := map[string]string{"state": c.State, "workflow_version": fmt.Sprint(c.WorkflowVersion)}
	var kind, decisionRef string
	if err := tx.QueryRowContext(tx.Context(), `SELECT kind, ref FROM decisions WHERE case_id = $1 AND status = 'sent' ORDER BY id DESC LIMIT 1`, c.id).Scan(&kind, &decisionRef); err == nil {
		meta["outcome"], meta["decision"] = kind, decisionRef
	}
	if err := s.Records.Close(tx, records.Closing{TenantID: c.tenantID, FileRef: c.FileRef, ClosedAt: tx.Now(), Metadata: meta, AuditRefs: refs, Actor: actorRef(a.p)}); err != nil {
		return err
	}
	return addEvent(tx, c, a.p, a.name, "filed", "", map[string]any{"file": c.FileRef})
}

// Note adds a note to the case's timeline (staff only; never shown to the
// applicant).
func (s *Service) Note(ctx context.Context, p identity.Principal, tenantID int64, caseRef, text string) error {
	a, err := s.actorOf(ctx, p, tenantID)
	if err != nil {
		return err
	}
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		c, _, err := s.load(tx, a, tenantID, caseRef)
		if err != nil {
			return err
		}
		text = strings.TrimSpace(text)
		if text == "" {
			return fault.Invalid("text", "required")
		}
		if len([]rune(text)) > 5000 {
			return fault.Invalid("text", "too_long", "max", 5000)
		}
		if err := addEvent(tx, c, p, a.name, "note", text, nil); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: actorRef(p), Action: "case.note", ObjectType: "case", ObjectRef: c.Ref})
	})
}

// FollowUp sets the case's follow-up date (Wiedervorlage), YYYY-MM-DD
// today or later; "" clears it.
func (s *Service) FollowUp(ctx context.Context, p identity.Principal, tenantID int64, caseRef, day string) error {
	a, err := s.actorOf(ctx, p, tenantID)
	if err != nil {
		return err
	}
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		c, _, err := s.load(tx, a, tenantID, caseRef)
		if err != nil {
			return err
		}
		if day != "" {
			d, err := calendar.ParseDate(day)
			if err != nil {
				return fault.Invalid("follow_up_on", "invalid_date")
			}
			if d.Before(calendar.DateOf(tx.Now(), calendar.Berlin)) {
				return fault.Invalid("follow_up_on", "date_in_past")
			}
			day = d.String()
		}
		before := c.FollowUpOn
		c.FollowUpOn = day
		if err := save(tx, c); err != nil {
			return err
		}
		if err := addEvent(tx, c, p, a.name, "follow_up", "", map[string]any{"follow_up_on": day}); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: actorRef(p), Action: "case.follow_up", ObjectType: "case", ObjectRef: c.Ref,
			Before: map[string]string{"follow_up_on": before}, After: map[string]string{"follow_up_on": day}})
	})
}

// Route gives a case no unit was responsible for to a unit (unit heads,
// once an admin mapped the service, or directly).
func (s *Service) Route(ctx context.Context, p identity.Principal, tenantID int64, caseRef, unitRef string) error {
	a, err := s.actorOf(ctx, p, tenantID)
	if err != nil {
		return err
	}
	if _, err := s.Identity.Unit(ctx, identity.System(tenantID), tenantID, unitRef); err != nil {
		return fault.Invalid("unit", "unknown")
	}
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		c, _, err := s.load(tx, a, tenantID, caseRef)
		if err != nil {
			return err
		}
		if !p.Has(identity.RoleUnitHead) {
			return fmt.Errorf("route needs a unit head: %w", fault.ErrForbidden)
		}
		before := c.UnitRef
		c.UnitRef, c.assigneeID = unitRef, 0
		if err := save(tx, c); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: actorRef(p), Action: "case.route", ObjectType: "case", ObjectRef: c.Ref,
			Before: map[string]string{"unit": before}, After: map[string]string{"unit": unitRef}})
	})
}

// ReassignAbsent moves the open cases of an absent staff member to their
// substitute, or back to the unit's inbox (the identity.absence_started
// job). It returns how many cases moved.
func (s *Service) ReassignAbsent(ctx context.Context, tenantID int64, accountRef string, at time.Time) (int, error) {
	m, err := s.Identity.MemberByRef(ctx, identity.System(tenantID), tenantID, accountRef)
	if err != nil {
		return 0, err
	}
	absent, err := s.Identity.IsAbsent(ctx, tenantID, m.ID, at)
	if err != nil || !absent {
		return 0, err
	}
	to, err := s.Identity.SubstituteFor(ctx, tenantID, m.ID, at)
	if err != nil {
		return 0, err
	}
	var toMember *identity.Member
	if to != 0 {
		for _, x := range mustMembers(s.Identity.Members(ctx, identity.System(tenantID), tenantID)) {
			if x.ID == to {
				x := x
				toMember = &x
			}
		}
	}
	moved := 0
	err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+caseCols+` FROM cases WHERE tenant_id = $1 AND assignee_id = $2 AND closed_at IS NULL`, tenantID, m.ID)
		if err != nil {
			return err
		}
		var list []*Case
		for rows.Next() {
			c, err := scanCase(rows)
			if err != nil {
				rows.Close()
				return err
			}
			list = append(list, c)
		}
		rows.Close()
		for _, c := range list {
			target := int64(0)
			if toMember != nil && slices.Contains(toMember.Units, c.UnitRef) {
				target = to
			}
			c.assigneeID = target
			if err := save(tx, c); err != nil {
				return err
			}
			targetRef := ""
			if target != 0 {
				targetRef = toMember.Ref
			}
			if err := addEvent(tx, c, identity.System(tenantID), "", "assigned", "", map[string]any{"assignee": targetRef, "substitution_for": accountRef}); err != nil {
				return err
			}
			if err := audit.Append(tx, audit.Event{TenantID: tenantID, Actor: "system", Action: "case.substitute", ObjectType: "case", ObjectRef: c.Ref,
				Before: map[string]string{"assignee": accountRef}, After: map[string]string{"assignee": targetRef}}); err != nil {
				return err
			}
			moved++
		}
		return nil
	})
	return moved, err
}

func mustMembers(ms []identity.Member, err error) []identity.Member {
	if err != nil {
		return nil
	}
	return ms
}
