package cases

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/mailbox"
	"github.com/rathaus/rathaus/internal/platform/blob"
	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/pdfdoc"
	"github.com/rathaus/rathaus/internal/platform/ref"
	"github.com/rathaus/rathaus/internal/records"
)

// Decision statuses.
const (
	DecisionDraft     = "draft"
	DecisionSignedOff = "signed_off"
	DecisionSent      = "sent"
	DecisionDiscarded = "discarded"
)

// Decision is a decision (Bescheid) of a case. Once sent it never changes;
// a correction is a new decision that supersedes it.
type Decision struct {
	Ref           string     `json:"id"`
	Kind          string     `json:"kind"` // approval, rejection
	Status        string     `json:"status"`
	Title         string     `json:"title"`
	Body          string     `json:"body"`
	LegalRemedies string     `json:"legal_remedies"`
	Reason        string     `json:"reason"`
	Supersedes    string     `json:"supersedes"`
	DraftedBy     string     `json:"drafted_by"`
	DraftedAt     time.Time  `json:"drafted_at"`
	SignedOffBy   string     `json:"signed_off_by"`
	SignedOffAt   *time.Time `json:"signed_off_at"`
	SentBy        string     `json:"sent_by"`
	SentAt        *time.Time `json:"sent_at"`
	PDF           string     `json:"pdf_sha256"`
	PDFSize       int64      `json:"pdf_size"`
	Delivery      string     `json:"delivery"` // electronic, post
	MessageRef    string     `json:"message"`
	draftedByID   int64
	id            int64
}

const decisionCols = `id, ref, kind, status, title, body, legal_remedies, reason, supersedes_ref, drafted_by, drafted_by_id, drafted_at, signed_off_by, signed_off_at,
	sent_by, sent_at, pdf_key, pdf_size, delivery, message_ref`

func scanDecision(row rowScanner) (*Decision, error) {
	var d Decision
	var signed, sent sql.NullTime
	err := row.Scan(&d.id, &d.Ref, &d.Kind, &d.Status, &d.Title, &d.Body, &d.LegalRemedies, &d.Reason, &d.Supersedes, &d.DraftedBy, &d.draftedByID, &d.DraftedAt,
		&d.SignedOffBy, &signed, &d.SentBy, &sent, &d.PDF, &d.PDFSize, &d.Delivery, &d.MessageRef)
	if err != nil {
		return nil, err
	}
	if signed.Valid {
		t := signed.Time
		d.SignedOffAt = &t
	}
	if sent.Valid {
		t := sent.Time
		d.SentAt = &t
	}
	return &d, nil
}

func decisionsOf(ctx context.Context, q querier, caseID int64) ([]Decision, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+decisionCols+` FROM decisions WHERE case_id = $1 ORDER BY id`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Decision{}
	for rows.Next() {
		d, err := scanDecision(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *d)
	}
	return out, rows.Err()
}

// placeholders fills a decision template from the case and application.
func (s *Service) placeholders(ctx context.Context, c *Case, tenant *identity.Tenant, reason string) (map[string]string, *Application, error) {
	app, err := s.Applications.Application(ctx, c.tenantID, c.ApplicationRef)
	if err != nil {
		return nil, nil, err
	}
	d := calendar.DateOf(c.SubmittedAt, calendar.Berlin)
	vals := map[string]string{
		"reference": c.Ref + " (Antrag " + c.ApplicationRef + ")",
		"service":   c.ServiceName,
		"date":      fmt.Sprintf("%02d.%02d.%04d", d.Day, d.Month, d.Year),
		"reason":    strings.TrimSpace(reason),
		"tenant":    tenant.Name,
	}
	vals["applicant.name"] = applicantName(ctx, s, c, app)
	flatten("answers", app.Answers, vals)
	return vals, app, nil
}

func applicantName(ctx context.Context, s *Service, c *Case, app *Application) string {
	g, _ := app.Answers["given_name"].(string)
	f, _ := app.Answers["family_name"].(string)
	if n := strings.TrimSpace(g + " " + f); n != "" {
		return n
	}
	if app.AccountID != 0 {
		if _, name, _, err := s.Identity.Contact(ctx, c.tenantID, app.AccountID); err == nil {
			return name
		}
	}
	return ""
}

// flatten writes answer values under dotted keys ("answers.dog_name",
// "answers.address.city"); yes/no as ja/nein, lists joined.
func flatten(prefix string, v any, out map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			flatten(prefix+"."+k, x[k], out)
			if s := out[prefix+"."+k]; s != "" {
				parts = append(parts, s)
			}
		}
		out[prefix] = strings.Join(parts, ", ")
	case []any:
		var parts []string
		for i, e := range x {
			flatten(prefix+"."+strconv.Itoa(i), e, out)
			parts = append(parts, out[prefix+"."+strconv.Itoa(i)])
		}
		out[prefix] = strings.Join(parts, "; ")
	case bool:
		if x {
			out[prefix] = "ja"
		} else {
			out[prefix] = "nein"
		}
	case nil:
		out[prefix] = ""
	case string:
		out[prefix] = x
	default:
		out[prefix] = fmt.Sprint(x)
	}
}

// fill replaces {name} placeholders; unknown ones become empty (the
// declaration was validated, answers may be missing).
func fill(tpl string, vals map[string]string) string {
	return placeholderRE.ReplaceAllStringFunc(tpl, func(m string) string {
		return vals[m[1:len(m)-1]]
	})
}

// decisionAllowed reports whether the workflow lets the principal send a
// decision of this kind from the case's state.
func decisionTransition(wf *Workflow, state, kind string, a actor) (Transition, bool) {
	for _, t := range wf.Transitions {
		if t.Decision == kind && t.On == "" && t.Allowed(state, a.p, false) {
			return t, true
		}
	}
	return Transition{}, false
}

// DraftDecision prepares a decision from the service's template (earlier
// unsent drafts are discarded). With a second-person rule it then waits
// for SignOff; otherwise the decision step sends it.
func (s *Service) DraftDecision(ctx context.Context, p identity.Principal, tenantID int64, caseRef, kind, reason string) (*Decision, error) {
	a, err := s.actorOf(ctx, p, tenantID)
	if err != nil {
		return nil, err
	}
	var d *Decision
	err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		c, wf, err := s.load(tx, a, tenantID, caseRef)
		if err != nil {
			return err
		}
		if !p.IsPerson() {
			return fmt.Errorf("a decision needs a person: %w", fault.ErrForbidden)
		}
		if kind != "approval" && kind != "rejection" {
			return fault.Invalid("kind", "invalid_choice")
		}
		if len([]rune(reason)) > 5000 {
			return fault.Invalid("reason", "too_long", "max", 5000)
		}
		if _, ok := decisionTransition(wf.Workflow, c.State, kind, a); !ok {
			return fmt.Errorf("decision %s from %s: %w", kind, c.State, ErrTransition)
		}
		_, tenant, err := s.calendarOf(ctx, tenantID)
		if err != nil {
			return err
		}
		d, err = s.draft(tx, a, c, wf.Workflow, tenant, kind, reason)
		return err
	})
	return d, err
}

func (s *Service) draft(tx *database.Tx, a actor, c *Case, wf *Workflow, tenant *identity.Tenant, kind, reason string) (*Decision, error) {
	ctx := tx.Context()
	if kind == "rejection" && strings.TrimSpace(reason) == "" {
		return nil, fault.Invalid("reason", "required")
	}
	vals, _, err := s.placeholders(ctx, c, tenant, reason)
	if err != nil {
		return nil, err
	}
	tpl := wf.Decision.Approval
	if kind == "rejection" {
		tpl = wf.Decision.Rejection
	}
	if _, err := tx.ExecContext(ctx, `UPDATE decisions SET status = 'discarded' WHERE case_id = $1 AND status IN ('draft', 'signed_off')`, c.id); err != nil {
		return nil, err
	}
	var supersedes string
	tx.QueryRowContext(ctx, `SELECT ref FROM decisions WHERE case_id = $1 AND status = 'sent' ORDER BY id DESC LIMIT 1`, c.id).Scan(&supersedes)
	d := &Decision{Ref: ref.New("B"), Kind: kind, Status: DecisionDraft, Title: fill(tpl.Title, vals), Body: fill(tpl.Text, vals), LegalRemedies: wf.Decision.LegalRemedies,
		Reason: strings.TrimSpace(reason), Supersedes: supersedes, DraftedBy: a.p.Ref, DraftedAt: tx.Now(), draftedByID: a.p.AccountID}
	if err := tx.QueryRowContext(ctx, `INSERT INTO decisions (tenant_id, case_id, ref, kind, status, title, body, legal_remedies, reason, supersedes_ref, drafted_by, drafted_by_id, drafted_at)
		VALUES ($1, $2, $3, $4, 'draft', $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
		c.tenantID, c.id, d.Ref, kind, d.Title, d.Body, d.LegalRemedies, d.Reason, supersedes, d.DraftedBy, d.draftedByID, tx.Now()).Scan(&d.id); err != nil {
		return nil, err
	}
	if err := addEvent(tx, c, a.p, a.name, "decision_drafted", d.Title, map[string]any{"decision": d.Ref, "kind": kind, "supersedes": supersedes}); err != nil {
		return nil, err
	}
	return d, audit.Append(tx, audit.Event{TenantID: c.tenantID, Actor: actorRef(a.p), Action: "decision.draft", ObjectType: "decision", ObjectRef: d.Ref,
		After: map[string]any{"case": c.Ref, "kind": kind, "supersedes": supersedes}})
}

// SignOff is the second person's approval of a drafted decision: a
// different person than the one who drafted it.
func (s *Service) SignOff(ctx context.Context, p identity.Principal, tenantID int64, caseRef, decisionRef string) error {
	a, err := s.actorOf(ctx, p, tenantID)
	if err != nil {
		return err
	}
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		c, _, err := s.load(tx, a, tenantID, caseRef)
		if err != nil {
			return err
		}
		if !p.IsPerson() {
			return fmt.Errorf("sign-off needs a person: %w", fault.ErrForbidden)
		}
		d, err := scanDecision(tx.QueryRowContext(ctx, `SELECT `+decisionCols+` FROM decisions WHERE case_id = $1 AND ref = $2`, c.id, decisionRef))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("decision %s: %w", decisionRef, fault.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if d.Status != DecisionDraft {
			return fmt.Errorf("decision %s is %s: %w", decisionRef, d.Status, fault.ErrConflict)
		}
		if d.draftedByID == p.AccountID {
			return fault.Invalid("decision", "second_person_required")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE decisions SET status = 'signed_off', signed_off_by = $1, signed_off_at = $2 WHERE id = $3`, p.Ref, tx.Now(), d.id); err != nil {
			return err
		}
		if err := addEvent(tx, c, p, a.name, "decision_signed_off", d.Title, map[string]any{"decision": d.Ref}); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "decision.sign_off", ObjectType: "decision", ObjectRef: d.Ref, After: map[string]string{"case": c.Ref}})
	})
}

// sendDecision renders, seals and delivers the prepared decision of the
// kind (or, when no second person is needed, one drafted now from the
// reason); it becomes immutable.
func (s *Service) sendDecision(tx *database.Tx, a actor, c *Case, wf *Workflow, tenant *identity.Tenant, kind, reason string) error {
	ctx := tx.Context()
	if s.Sealer == nil {
		return ErrNoSeal
	}
	d, err := scanDecision(tx.QueryRowContext(ctx, `SELECT `+decisionCols+` FROM decisions WHERE case_id = $1 AND status IN ('draft', 'signed_off') ORDER BY id DESC LIMIT 1`, c.id))
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if d != nil && d.Kind != kind {
		return fault.Invalid("decision", "draft_of_other_kind")
	}
	if d == nil {
		if wf.Decision.SecondPerson {
			return fault.Invalid("decision", "sign_off_required")
		}
		if d, err = s.draft(tx, a, c, wf, tenant, kind, reason); err != nil {
			return err
		}
	}
	if wf.Decision.SecondPerson && d.Status != DecisionSignedOff {
		return fault.Invalid("decision", "sign_off_required")
	}
	_, app, err := s.placeholders(ctx, c, tenant, d.Reason)
	if err != nil {
		return err
	}
	now := tx.Now()
	pdf, err := s.renderDecision(ctx, c, tenant, app, d, now)
	if err != nil {
		return err
	}
	sealed, err := s.Sealer.Seal(pdf, "Bescheid "+d.Ref+" zum Vorgang "+c.Ref, now)
	if err != nil {
		return err
	}
	key, size, err := s.Blobs.Put(ctx, bytes.NewReader(sealed))
	if err != nil {
		return fmt.Errorf("store decision: %w", fault.ErrUnavailable)
	}
	name := "Bescheid-" + d.Ref + ".pdf"
	sent, err := s.Mailbox.Send(tx, mailbox.Outgoing{TenantID: c.tenantID, AccountID: c.applicantAccountID, Kind: mailbox.KindDecision, SubjectRef: c.Ref, Formal: true,
		Sender: s.sender(ctx, c, tenant), Title: d.Title, Actor: actorRef(a.p),
		Body:      fmt.Sprintf("Ihr Bescheid zum Antrag %s liegt als elektronisch gesiegeltes PDF bei.", c.ApplicationRef),
		Documents: []mailbox.Document{{Name: name, MediaType: "application/pdf", BlobKey: key, Size: size, Sealed: true}}})
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE decisions SET status = 'sent', sent_by = $1, sent_at = $2, pdf_key = $3, pdf_size = $4, delivery = $5, message_ref = $6 WHERE id = $7 AND status IN ('draft', 'signed_off')`,
		actorRef(a.p), now, key, size, sent.Delivery, sent.Ref, d.id); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO case_documents (case_id, kind, name, media_type, blob_key, size, source_ref, created_at) VALUES ($1, 'decision', $2, 'application/pdf', $3, $4, $5, $6)`,
		c.id, name, key, size, d.Ref, now); err != nil {
		return err
	}
	if err := blob.Keep(tx, c.tenantID, key, size, "application/pdf", "cases.decision:"+d.Ref); err != nil {
		return err
	}
	if c.FileRef != "" {
		if err := s.Records.Add(tx, c.tenantID, c.FileRef, records.DocumentInput{Name: name, Kind: "decision", MediaType: "application/pdf", BlobKey: key, Size: size, CreatedAt: now}); err != nil {
			return err
		}
	}
	if err := addEvent(tx, c, a.p, a.name, "decision_sent", d.Title, map[string]any{"decision": d.Ref, "kind": d.Kind, "delivery": sent.Delivery, "message": sent.Ref, "print_job": sent.PrintJob}); err != nil {
		return err
	}
	return audit.Append(tx, audit.Event{TenantID: c.tenantID, Actor: actorRef(a.p), Action: "decision.send", ObjectType: "decision", ObjectRef: d.Ref,
		After: map[string]any{"case": c.Ref, "kind": d.Kind, "sha256": key, "delivery": sent.Delivery, "message": sent.Ref, "supersedes": d.Supersedes}})
}

// renderDecision lays out the decision letter.
func (s *Service) renderDecision(ctx context.Context, c *Case, tenant *identity.Tenant, app *Application, d *Decision, at time.Time) ([]byte, error) {
	addr := tenant.Settings.Address
	sender := []string{s.sender(ctx, c, tenant), strings.TrimSpace(addr.Street + ", " + addr.Postcode + " " + addr.City)}
	var recipient []string
	if n := applicantName(ctx, s, c, app); n != "" {
		recipient = append(recipient, n)
	}
	if a, ok := app.Answers["address"].(map[string]any); ok {
		street := strings.TrimSpace(fmt.Sprint(orEmpty(a["street"])) + " " + fmt.Sprint(orEmpty(a["house_number"])))
		city := strings.TrimSpace(fmt.Sprint(orEmpty(a["postcode"])) + " " + fmt.Sprint(orEmpty(a["city"])))
		for _, l := range []string{street, city} {
			if l != "" {
				recipient = append(recipient, l)
			}
		}
	}
	day := calendar.DateOf(at, calendar.Berlin)
	paras := []string{d.Body}
	if d.Supersedes != "" {
		paras = append([]string{"Dieser Bescheid ersetzt den Bescheid " + d.Supersedes + "."}, paras...)
	}
	return pdfdoc.Render(pdfdoc.Doc{
		Sender: sender, Recipient: recipient, Place: addr.City, Date: fmt.Sprintf("%02d.%02d.%04d", day.Day, day.Month, day.Year),
		Reference: "Aktenzeichen " + c.Ref + " · Bescheid " + d.Ref, Title: d.Title, Paragraphs: paras,
		Closing: []string{d.LegalRemedies, "Dieses Schreiben wurde elektronisch erstellt und mit dem elektronischen Siegel der Behörde versehen; es ist ohne Unterschrift gültig."},
		Footer:  tenant.Name, Subject: "Bescheid " + d.Ref, Author: tenant.Name, Created: at,
	})
}

func orEmpty(v any) any {
	if v == nil {
		return ""
	}
	return v
}
