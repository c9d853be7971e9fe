package cases

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/fault"
)

// Workflow is the processing of one service declared as data (see
// docs/cases.md): states, transitions with the roles that may take them,
// deadlines in working days, automatic actions and the decision templates.
// Declarations are versioned per service; a stored version never changes
// and a running case keeps the version it started with.
type Workflow struct {
	Format string `json:"format"` // "rathaus-workflow"
	Name   string `json:"name"`
	// DeadlineDays is the processing time in working days from submission
	// to decision (paused while the case waits for the applicant).
	DeadlineDays int `json:"deadline_days"`
	// RetentionYears is how long the e-file of a closed case is kept.
	RetentionYears int          `json:"retention_years"`
	Initial        string       `json:"initial"`
	States         []State      `json:"states"`
	Transitions    []Transition `json:"transitions"`
	Decision       Decisions    `json:"decision"`
}

// Text is a sentence in German and English.
type Text struct {
	De string `json:"de"`
	En string `json:"en,omitempty"`
}

// In returns the text in lang, German when there is none.
func (t Text) In(lang string) string {
	if lang == "en" && t.En != "" {
		return t.En
	}
	return t.De
}

// State is one state of a case.
type State struct {
	ID    string `json:"id"`
	Label Text   `json:"label"`
	// ApplicantStatus is the status the applicant sees (forms statuses:
	// submitted, in_progress, awaiting_information, awaiting_payment,
	// decided, closed).
	ApplicantStatus string `json:"applicant_status"`
	// Next tells the applicant what happens next (status page).
	Next Text `json:"next"`
	// DeadlineDays: working days a case may stay in this state before it
	// is flagged (0: no own deadline).
	DeadlineDays int `json:"deadline_days,omitempty"`
	// PausesDeadline stops the processing clock while a case is here
	// (waiting for the applicant's answer).
	PausesDeadline bool `json:"pauses_deadline,omitempty"`
	// Final: the case is finished here (no transition leaves it).
	Final bool `json:"final,omitempty"`
}

// Transition is a step from one of From to To.
type Transition struct {
	ID    string   `json:"id"`
	Label Text     `json:"label"`
	From  []string `json:"from"`
	To    string   `json:"to"`
	// Roles may take the step; "system" marks a step the system takes on an
	// event (On).
	Roles []string `json:"roles"`
	// On names the event that takes a system step: "information_received",
	// "payment_settled".
	On string `json:"on,omitempty"`
	// Do are the automatic actions, in order: notify, request_information,
	// render_decision, request_payment, file.
	Do []string `json:"do,omitempty"`
	// Decision is the template kind rendered by render_decision
	// ("approval" or "rejection").
	Decision string `json:"decision,omitempty"`
}

// Decisions are the decision templates of a service.
type Decisions struct {
	// SecondPerson: a decision needs a second person's sign-off before it
	// is sent.
	SecondPerson  bool     `json:"second_person,omitempty"`
	Approval      Template `json:"approval"`
	Rejection     Template `json:"rejection"`
	LegalRemedies string   `json:"legal_remedies"`
}

// Template is the text of a decision. Placeholders in braces are filled
// from the case and the application: {reference}, {service}, {date},
// {applicant.name}, {answers.FIELD}, {reason}, {tenant}.
type Template struct {
	Title string `json:"title"`
	Text  string `json:"text"`
}

// Actions a transition may take.
const (
	ActionNotify             = "notify"
	ActionRequestInformation = "request_information"
	ActionRenderDecision     = "render_decision"
	ActionRequestPayment     = "request_payment"
	ActionFile               = "file"
)

// Events that take system steps.
const (
	EventInformationReceived = "information_received"
	EventPaymentSettled      = "payment_settled"
)

var (
	actions         = []string{ActionNotify, ActionRequestInformation, ActionRenderDecision, ActionRequestPayment, ActionFile}
	events          = []string{EventInformationReceived, EventPaymentSettled}
	applicantStates = []string{"submitted", "in_progress", "awaiting_information", "awaiting_payment", "decided", "closed"}
	idRE            = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
	placeholderRE   = regexp.MustCompile(`\{([a-z_]+(?:\.[A-Za-z0-9_.-]+)?)\}`)
)

// RoleSystem is the pseudo-role of steps the system takes on events.
const RoleSystem = "system"

// MaxWorkflowBytes bounds a declaration document.
const MaxWorkflowBytes = 256 << 10

// ParseWorkflow reads and validates a declaration. Unknown fields are
// refused (a typo must not silently drop a rule).
func ParseWorkflow(b []byte) (*Workflow, error) {
	if len(b) > MaxWorkflowBytes {
		return nil, fault.Invalid("document", "too_long", "max", MaxWorkflowBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var w Workflow
	if err := dec.Decode(&w); err != nil {
		return nil, fault.Invalid("document", "workflow_invalid_json")
	}
	if dec.More() {
		return nil, fault.Invalid("document", "workflow_invalid_json")
	}
	if err := w.Validate(); err != nil {
		return nil, err
	}
	return &w, nil
}

// Validate checks the declaration's invariants: known states, reachable
// targets, known roles, actions and events, no step out of a final state,
// deadlines in range, templates with known placeholders.
func (w *Workflow) Validate() error {
	v := &fault.Validation{}
	if w.Format != "rathaus-workflow" {
		v.Add("format", "invalid")
	}
	if strings.TrimSpace(w.Name) == "" {
		v.Add("name", "required")
	}
	if w.DeadlineDays < 1 || w.DeadlineDays > 250 {
		v.Add("deadline_days", "out_of_range", "min", 1, "max", 250)
	}
	if w.RetentionYears < 1 || w.RetentionYears > 100 {
		v.Add("retention_years", "out_of_range", "min", 1, "max", 100)
	}
	states := map[string]State{}
	for i, s := range w.States {
		f := fmt.Sprintf("states.%d.", i)
		if !idRE.MatchString(s.ID) {
			v.Add(f+"id", "invalid")
		} else if _, dup := states[s.ID]; dup {
			v.Add(f+"id", "duplicate")
		}
		states[s.ID] = s
		if strings.TrimSpace(s.Label.De) == "" {
			v.Add(f+"label", "required")
		}
		if !slices.Contains(applicantStates, s.ApplicantStatus) {
			v.Add(f+"applicant_status", "invalid_choice")
		}
		if s.DeadlineDays < 0 || s.DeadlineDays > 250 {
			v.Add(f+"deadline_days", "out_of_range", "min", 0, "max", 250)
		}
	}
	if len(w.States) == 0 {
		v.Add("states", "required")
	}
	if _, ok := states[w.Initial]; !ok {
		v.Add("initial", "unknown_state")
	}
	ids := map[string]bool{}
	decisionKinds := map[string]bool{}
	for i, t := range w.Transitions {
		f := fmt.Sprintf("transitions.%d.", i)
		if !idRE.MatchString(t.ID) {
			v.Add(f+"id", "invalid")
		} else if ids[t.ID] {
			v.Add(f+"id", "duplicate")
		}
		ids[t.ID] = true
		if strings.TrimSpace(t.Label.De) == "" {
			v.Add(f+"label", "required")
		}
		if len(t.From) == 0 {
			v.Add(f+"from", "required")
		}
		for _, from := range t.From {
			s, ok := states[from]
			if !ok {
				v.Add(f+"from", "unknown_state")
			} else if s.Final {
				v.Add(f+"from", "final_state")
			}
		}
		if _, ok := states[t.To]; !ok {
			v.Add(f+"to", "unknown_state")
		}
		if len(t.Roles) == 0 {
			v.Add(f+"roles", "required")
		}
		system := false
		for _, r := range t.Roles {
			if r == RoleSystem {
				system = true
			} else if !identity.ValidRole(identity.Role(r)) {
				v.Add(f+"roles", "invalid_choice")
			}
		}
		if system != (t.On != "") {
			v.Add(f+"on", "system_needs_event")
		}
		if t.On != "" && !slices.Contains(events, t.On) {
			v.Add(f+"on", "invalid_choice")
		}
		for _, a := range t.Do {
			if !slices.Contains(actions, a) {
				v.Add(f+"do", "invalid_choice")
			}
		}
		if slices.Contains(t.Do, ActionRenderDecision) {
			if t.Decision != "approval" && t.Decision != "rejection" {
				v.Add(f+"decision", "invalid_choice")
			}
			decisionKinds[t.Decision] = true
		} else if t.Decision != "" {
			v.Add(f+"decision", "not_allowed")
		}
		if slices.Contains(t.Do, ActionRequestInformation) {
			if s, ok := states[t.To]; ok && !s.PausesDeadline {
				v.Add(f+"to", "must_pause")
			}
		}
	}
	for kind := range decisionKinds {
		tpl := w.Decision.Approval
		if kind == "rejection" {
			tpl = w.Decision.Rejection
		}
		if strings.TrimSpace(tpl.Title) == "" || strings.TrimSpace(tpl.Text) == "" {
			v.Add("decision."+kind, "required")
		}
		for _, s := range []string{tpl.Title, tpl.Text} {
			if bad := unknownPlaceholder(s); bad != "" {
				v.Add("decision."+kind, "unknown_placeholder", "name", bad)
			}
		}
	}
	if len(decisionKinds) > 0 && strings.TrimSpace(w.Decision.LegalRemedies) == "" {
		v.Add("decision.legal_remedies", "required")
	}
	return v.Err()
}

func unknownPlaceholder(s string) string {
	for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
		name := m[1]
		switch {
		case name == "reference", name == "service", name == "date", name == "reason", name == "tenant", name == "applicant.name":
		case strings.HasPrefix(name, "answers."):
		default:
			return name
		}
	}
	return ""
}

// State returns the declared state.
func (w *Workflow) State(id string) (State, bool) {
	for _, s := range w.States {
		if s.ID == id {
			return s, true
		}
	}
	return State{}, false
}

// Transition returns the declared transition.
func (w *Workflow) Transition(id string) (Transition, bool) {
	for _, t := range w.Transitions {
		if t.ID == id {
			return t, true
		}
	}
	return Transition{}, false
}

// Allowed reports whether the principal may take t from state: the state
// must be one of t.From and the principal must hold one of t.Roles (system
// steps only the system takes).
func (t Transition) Allowed(state string, p identity.Principal, system bool) bool {
	if !slices.Contains(t.From, state) {
		return false
	}
	for _, r := range t.Roles {
		if r == RoleSystem {
			if system {
				return true
			}
			continue
		}
		if !system && p.Has(identity.Role(r)) {
			return true
		}
	}
	return false
}

// Available lists the transitions the principal may take from state
// (people's steps only), in declaration order.
func (w *Workflow) Available(state string, p identity.Principal) []Transition {
	var out []Transition
	for _, t := range w.Transitions {
		if t.On == "" && t.Allowed(state, p, false) {
			out = append(out, t)
		}
	}
	return out
}

// OnEvent returns the system transition taken on event from state.
func (w *Workflow) OnEvent(state, event string) (Transition, bool) {
	for _, t := range w.Transitions {
		if t.On == event && slices.Contains(t.From, state) {
			return t, true
		}
	}
	return Transition{}, false
}

//go:embed workflows/standard.json
var standardWorkflow []byte

// StandardWorkflow is the declaration a service gets when nobody declared
// one: received → in progress → (awaiting information) → decided → closed.
func StandardWorkflow() *Workflow {
	w, err := ParseWorkflow(standardWorkflow)
	if err != nil {
		panic("cases: embedded standard workflow: " + err.Error())
	}
	return w
}

// StandardWorkflowJSON is the embedded declaration as written (docs, the
// admin page's starting point).
func StandardWorkflowJSON() []byte { return slices.Clone(standardWorkflow) }

//go:embed workflows/hundesteuer.json
var dogTaxWorkflow []byte

// DemoDogTaxWorkflow is the demo city's declaration for the dog tax.
func DemoDogTaxWorkflow() []byte { return slices.Clone(dogTaxWorkflow) }
