package cases

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"time"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
)

// Warning levels of a case's deadline.
const (
	DueOverdue = "overdue"
	DueSoon    = "soon" // within two working days
	DueOK      = "ok"
	DuePaused  = "paused"
)

// Row is a case in an inbox or backlog list: no personal data of the
// applicant (lists are not audited; the case page is).
type Row struct {
	Case
	StateLabel   Text   `json:"state_label"`
	AssigneeName string `json:"assignee_name"`
	Due          string `json:"due"` // overdue, soon, ok, paused
	FollowUpDue  bool   `json:"follow_up_due"`
}

// Filter narrows an inbox.
type Filter struct {
	Unit     string // a unit reference of the principal's units ("" all of them)
	State    string
	Assigned string // "me", "none", "" (all)
	Due      string // "overdue", "soon", "" (all)
	Closed   bool   // closed cases instead of open ones
	Sort     string // "due" (default), "submitted", "state"
}

// Inbox lists the cases of the principal's units (open ones by default),
// with deadline warnings, sorted by the earliest deadline.
func (s *Service) Inbox(ctx context.Context, p identity.Principal, tenantID int64, f Filter) ([]Row, error) {
	if err := p.Require(tenantID, workRoles...); err != nil {
		return nil, err
	}
	a, err := s.actorOf(ctx, p, tenantID)
	if err != nil {
		return nil, err
	}
	units := a.units
	if f.Unit != "" {
		if !slices.Contains(units, f.Unit) {
			return nil, fault.Invalid("unit", "invalid_choice")
		}
		units = []string{f.Unit}
	}
	if p.Has(identity.RoleUnitHead) && f.Unit == "" {
		units = append(units, "") // cases no unit is responsible for yet
	}
	if len(units) == 0 {
		return []Row{}, nil
	}
	args := []any{tenantID}
	in := ""
	for i, u := range units {
		if i > 0 {
			in += ", "
		}
		args = append(args, u)
		in += fmt.Sprintf("$%d", len(args))
	}
	q := `SELECT ` + caseCols + ` FROM cases WHERE tenant_id = $1 AND unit_ref IN (` + in + `)`
	if f.Closed {
		q += ` AND closed_at IS NOT NULL`
	} else {
		q += ` AND closed_at IS NULL`
	}
	if f.State != "" {
		args = append(args, f.State)
		q += fmt.Sprintf(` AND state = $%d`, len(args))
	}
	switch f.Assigned {
	case "me":
		args = append(args, p.AccountID)
		q += fmt.Sprintf(` AND assignee_id = $%d`, len(args))
	case "none":
		q += ` AND assignee_id IS NULL`
	case "":
	default:
		return nil, fault.Invalid("assigned", "invalid_choice")
	}
	rows, err := s.DB.R.QueryContext(ctx, q+` ORDER BY due_at, id LIMIT 2000`, args...)
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	var list []*Case
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		list = append(list, c)
	}
	rows.Close()
	return s.rows(ctx, tenantID, list, f)
}

func (s *Service) rows(ctx context.Context, tenantID int64, list []*Case, f Filter) ([]Row, error) {
	cal, _, err := s.calendarOf(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	members, err := s.Identity.Members(ctx, identity.System(tenantID), tenantID)
	if err != nil {
		return nil, err
	}
	names := map[int64][2]string{}
	for _, m := range members {
		names[m.ID] = [2]string{m.Ref, m.Name}
	}
	wfs := map[string]*Workflow{}
	now := s.DB.Clock.Now()
	today := calendar.DateOf(now, cal.Loc)
	out := []Row{}
	for _, c := range list {
		key := fmt.Sprintf("%s/%d", c.ServiceRef, c.WorkflowVersion)
		wf := wfs[key]
		if wf == nil {
			w, err := workflowVersion(ctx, s.DB.R, tenantID, c.ServiceRef, c.WorkflowVersion)
			if err != nil {
				return nil, err
			}
			wf, wfs[key] = w.Workflow, w.Workflow
		}
		r := Row{Case: *c}
		if st, ok := wf.State(c.State); ok {
			r.StateLabel = st.Label
		}
		r.AssigneeRef, r.AssigneeName = names[c.assigneeID][0], names[c.assigneeID][1]
		r.Due = dueLevel(cal, c, now, today)
		if c.FollowUpOn != "" && c.FollowUpOn <= today.String() {
			r.FollowUpDue = true
		}
		if f.Due != "" && r.Due != f.Due && !(f.Due == DueSoon && r.Due == DueOverdue) {
			continue
		}
		out = append(out, r)
	}
	switch f.Sort {
	case "", "due":
	case "submitted":
		sort.SliceStable(out, func(i, j int) bool { return out[i].SubmittedAt.Before(out[j].SubmittedAt) })
	case "state":
		sort.SliceStable(out, func(i, j int) bool { return out[i].State < out[j].State })
	default:
		return nil, fault.Invalid("sort", "invalid_choice")
	}
	return out, nil
}

func dueLevel(cal *calendar.Calendar, c *Case, now time.Time, today calendar.Date) string {
	if c.ClosedAt != nil {
		return DueOK
	}
	if c.PausedAt != nil {
		return DuePaused
	}
	due := c.DueAt
	if c.StateDueAt != nil && c.StateDueAt.Before(due) {
		due = *c.StateDueAt
	}
	if now.After(due) {
		return DueOverdue
	}
	if calendar.DateOf(due, cal.Loc).Compare(cal.AddWorkingDays(today, 2)) <= 0 {
		return DueSoon
	}
	return DueOK
}

// Backlog is a unit head's view of a unit: its open cases and who holds
// how many.
type Backlog struct {
	UnitRef  string            `json:"unit"`
	UnitName string            `json:"unit_name"`
	Open     int               `json:"open"`
	Overdue  int               `json:"overdue"`
	Holders  []Holder          `json:"holders"`
	Cases    []Row             `json:"cases"`
	Members  []identity.Member `json:"-"`
}

// Holder is one person's share of a backlog ("" ref: the unit's inbox).
type Holder struct {
	Ref     string `json:"id"`
	Name    string `json:"name"`
	Absent  bool   `json:"absent"`
	Open    int    `json:"open"`
	Overdue int    `json:"overdue"`
}

// Backlogs returns the backlog of each of the unit head's units.
func (s *Service) Backlogs(ctx context.Context, p identity.Principal, tenantID int64) ([]Backlog, error) {
	if err := p.Require(tenantID, identity.RoleUnitHead); err != nil {
		return nil, err
	}
	a, err := s.actorOf(ctx, p, tenantID)
	if err != nil {
		return nil, err
	}
	members, err := s.Identity.Members(ctx, p, tenantID)
	if err != nil {
		return nil, err
	}
	out := []Backlog{}
	for _, u := range a.units {
		rows, err := s.Inbox(ctx, p, tenantID, Filter{Unit: u})
		if err != nil {
			return nil, err
		}
		unit, err := s.Identity.Unit(ctx, p, tenantID, u)
		if err != nil {
			return nil, err
		}
		b := Backlog{UnitRef: u, UnitName: unit.Name, Cases: rows}
		holders := map[string]*Holder{"": {Ref: "", Name: ""}}
		order := []string{""}
		for _, m := range members {
			if slices.Contains(m.Units, u) && (slices.Contains(m.Roles, identity.RoleCaseWorker) || slices.Contains(m.Roles, identity.RoleUnitHead)) {
				holders[m.Ref] = &Holder{Ref: m.Ref, Name: m.Name, Absent: m.AbsentNow}
				order = append(order, m.Ref)
				b.Members = append(b.Members, m)
			}
		}
		for _, r := range rows {
			b.Open++
			h := holders[r.AssigneeRef]
			if h == nil {
				h = &Holder{Ref: r.AssigneeRef, Name: r.AssigneeName}
				holders[r.AssigneeRef] = h
				order = append(order, r.AssigneeRef)
			}
			h.Open++
			if r.Due == DueOverdue {
				b.Overdue++
				h.Overdue++
			}
		}
		for _, ref := range order {
			b.Holders = append(b.Holders, *holders[ref])
		}
		out = append(out, b)
	}
	return out, nil
}

// Document is a document of a case as staff see it.
type Document struct {
	ID        string    `json:"id"` // "receipt", "json", "file-N", "decision-REF", "answer-N"
	Name      string    `json:"name"`
	Kind      string    `json:"kind"`
	MediaType string    `json:"media_type"`
	SHA256    string    `json:"sha256"`
	Size      int64     `json:"size"`
	At        time.Time `json:"at"`
}

// InformationRequest is a question to the applicant.
type InformationRequest struct {
	Ref         string     `json:"id"`
	Question    string     `json:"question"`
	AskedAt     time.Time  `json:"asked_at"`
	AnswerDueOn string     `json:"answer_due_on"`
	AnsweredAt  *time.Time `json:"answered_at"`
	Answer      string     `json:"answer_message"`
}

// Detail is the case page: the case, the application's answers, its
// documents, timeline, decisions, questions and the steps the principal may
// take. Reading it is recorded in the audit trail (personal data).
type Detail struct {
	Row
	Workflow     *Workflow            `json:"-"`
	Answers      map[string]any       `json:"answers"`
	Applicant    string               `json:"applicant"`
	Email        string               `json:"email"`
	Documents    []Document           `json:"documents"`
	Events       []Event              `json:"events"`
	Decisions    []Decision           `json:"decisions"`
	Requests     []InformationRequest `json:"information_requests"`
	Transitions  []Transition         `json:"transitions"`
	SecondPerson bool                 `json:"second_person"`
	CanAssign    bool                 `json:"can_assign"`
	Colleagues   []identity.Member    `json:"-"`
}

// Get returns the case page for a case worker or unit head of its unit
// and records the read of the applicant's data.
func (s *Service) Get(ctx context.Context, p identity.Principal, tenantID int64, caseRef string) (*Detail, error) {
	a, err := s.actorOf(ctx, p, tenantID)
	if err != nil {
		return nil, err
	}
	c, err := caseByRef(ctx, s.DB.R, tenantID, caseRef, "")
	if err != nil {
		return nil, err
	}
	if err := a.mayWork(c); err != nil {
		return nil, err
	}
	rows, err := s.rows(ctx, tenantID, []*Case{c}, Filter{})
	if err != nil {
		return nil, err
	}
	wf, err := workflowVersion(ctx, s.DB.R, tenantID, c.ServiceRef, c.WorkflowVersion)
	if err != nil {
		return nil, err
	}
	app, err := s.Applications.Application(ctx, tenantID, c.ApplicationRef)
	if err != nil {
		return nil, err
	}
	d := &Detail{Row: rows[0], Workflow: wf.Workflow, Answers: app.Answers, Email: app.Email, SecondPerson: wf.Workflow.Decision.SecondPerson, CanAssign: p.Has(identity.RoleUnitHead)}
	d.Applicant = applicantName(ctx, s, c, app)
	if c.ClosedAt == nil {
		d.Transitions = wf.Workflow.Available(c.State, p)
	}
	if d.Documents, err = s.documents(ctx, c, app); err != nil {
		return nil, err
	}
	if d.Events, err = s.events(ctx, c.id); err != nil {
		return nil, err
	}
	if d.Decisions, err = decisionsOf(ctx, s.DB.R, c.id); err != nil {
		return nil, err
	}
	if d.Requests, err = s.requests(ctx, c.id); err != nil {
		return nil, err
	}
	if d.CanAssign {
		ms, err := s.Identity.Members(ctx, p, tenantID)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			if slices.Contains(m.Units, c.UnitRef) && (slices.Contains(m.Roles, identity.RoleCaseWorker) || slices.Contains(m.Roles, identity.RoleUnitHead)) {
				d.Colleagues = append(d.Colleagues, m)
			}
		}
	}
	err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: actorRef(p), Action: "case.read", ObjectType: "case", ObjectRef: c.Ref, After: map[string]string{"application": c.ApplicationRef}})
	})
	return d, err
}

func (s *Service) documents(ctx context.Context, c *Case, app *Application) ([]Document, error) {
	out := []Document{}
	if app.ReceiptPDF != "" {
		out = append(out, Document{ID: "receipt", Name: "Eingangsbestätigung.pdf", Kind: "receipt", MediaType: "application/pdf", SHA256: app.ReceiptPDF, At: app.SubmittedAt})
	}
	if app.ReceiptJSON != "" {
		out = append(out, Document{ID: "json", Name: "Antrag.json", Kind: "application_json", MediaType: "application/json", SHA256: app.ReceiptJSON, At: app.SubmittedAt})
	}
	for i, f := range app.Files {
		out = append(out, Document{ID: fmt.Sprintf("file-%d", i+1), Name: f.Name, Kind: "upload", MediaType: f.MediaType, SHA256: f.SHA256, Size: f.Size, At: app.SubmittedAt})
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, kind, name, media_type, blob_key, size, created_at FROM case_documents WHERE case_id = $1 ORDER BY id`, c.id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var d Document
		if err := rows.Scan(&id, &d.Kind, &d.Name, &d.MediaType, &d.SHA256, &d.Size, &d.At); err != nil {
			return nil, err
		}
		d.ID = fmt.Sprintf("doc-%d", id)
		out = append(out, d)
	}
	return out, rows.Err()
}

func (s *Service) requests(ctx context.Context, caseID int64) ([]InformationRequest, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT ref, question, asked_at, answer_due_on, answered_at, answer_message_ref FROM information_requests WHERE case_id = $1 ORDER BY id`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []InformationRequest{}
	for rows.Next() {
		var r InformationRequest
		var answered nullableTime
		if err := rows.Scan(&r.Ref, &r.Question, &r.AskedAt, &r.AnswerDueOn, &answered, &r.Answer); err != nil {
			return nil, err
		}
		r.AnsweredAt = answered.ptr()
		out = append(out, r)
	}
	return out, rows.Err()
}

// OpenDocument returns a document of the case for a case worker of its
// unit (the read is audited).
func (s *Service) OpenDocument(ctx context.Context, p identity.Principal, tenantID int64, caseRef, docID string) (*Document, io.ReadSeekCloser, error) {
	a, err := s.actorOf(ctx, p, tenantID)
	if err != nil {
		return nil, nil, err
	}
	c, err := caseByRef(ctx, s.DB.R, tenantID, caseRef, "")
	if err != nil {
		return nil, nil, err
	}
	if err := a.mayWork(c); err != nil {
		return nil, nil, err
	}
	app, err := s.Applications.Application(ctx, tenantID, c.ApplicationRef)
	if err != nil {
		return nil, nil, err
	}
	docs, err := s.documents(ctx, c, app)
	if err != nil {
		return nil, nil, err
	}
	for _, d := range docs {
		if d.ID == docID {
			rc, err := s.Blobs.Open(ctx, d.SHA256)
			if err != nil {
				return nil, nil, err
			}
			err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
				return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: actorRef(p), Action: "case.document.read", ObjectType: "case", ObjectRef: c.Ref, After: map[string]string{"document": d.ID, "sha256": d.SHA256}})
			})
			if err != nil {
				rc.Close()
				return nil, nil, err
			}
			return &d, rc, nil
		}
	}
	return nil, nil, fmt.Errorf("document %s: %w", docID, fault.ErrNotFound)
}
