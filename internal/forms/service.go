package forms

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/blob"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/jobs"
	"github.com/rathaus/rathaus/internal/platform/ratelimit"
	"github.com/rathaus/rathaus/internal/platform/ref"
)

// Service holds the use cases of forms: managing form versions, submitting
// applications (API and pages alike), reading and withdrawing them, and the
// status changes made by case processing.
type Service struct {
	DB       *database.DB
	Blobs    blob.Store
	Identity *identity.Service
	// Scanner checks uploads (nil: no malware scan configured).
	Scanner Scanner
	// Limits throttles what anonymous visitors can trigger (mails).
	Limits *ratelimit.Limiter
	// Gate, when set, may hold submissions (gate.go).
	Gate SubmitGate

	// defs caches parsed definitions of published versions by row id:
	// published versions never change, so the cache is never stale.
	defs sync.Map
	// powKeys caches the tenants' challenge keys (pow.go).
	powKeys sync.Map
	// beforeCommit, when set (tests), runs at the end of a submission's
	// transaction; an error there rolls the whole submission back.
	beforeCommit func(tx *database.Tx) error
}

// ManagerRoles may create, edit and publish forms.
var ManagerRoles = []identity.Role{identity.RoleFormManager, identity.RoleAdmin}

// errNotPublished: the service has no published form.
func errNotPublished(serviceID string) error {
	return fmt.Errorf("service %s: %w", serviceID, fault.Invalid("service", "form_not_published"))
}

// version is a stored form version with its parsed definition.
type version struct {
	ID        int64
	FormID    int64
	FormRef   string
	FormName  string
	ServiceID string
	Version   int
	Status    string
	SHA256    string
	Def       *Definition
}

// Current returns the published version of a service's form.
func (s *Service) current(ctx context.Context, q queryer, tenantID int64, serviceID string) (*version, error) {
	var v version
	err := q.QueryRowContext(ctx, `SELECT v.id, v.form_id, f.ref, f.name, f.service_id, v.version, v.status, v.sha256
		FROM forms f JOIN form_versions v ON v.form_id = f.id
		WHERE f.tenant_id = $1 AND f.service_id = $2 AND v.status = 'published'`, tenantID, serviceID).
		Scan(&v.ID, &v.FormID, &v.FormRef, &v.FormName, &v.ServiceID, &v.Version, &v.Status, &v.SHA256)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNotPublished(serviceID)
	}
	if err != nil {
		return nil, fmt.Errorf("form of service %s: %w", serviceID, err)
	}
	if v.Def, err = s.definition(ctx, q, v.ID, true); err != nil {
		return nil, err
	}
	return &v, nil
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// definition parses a version's definition, from the cache for published
// versions.
func (s *Service) definition(ctx context.Context, q queryer, versionID int64, published bool) (*Definition, error) {
	if published {
		if d, ok := s.defs.Load(versionID); ok {
			return d.(*Definition), nil
		}
	}
	var raw string
	if err := q.QueryRowContext(ctx, `SELECT definition FROM form_versions WHERE id = $1`, versionID).Scan(&raw); err != nil {
		return nil, fmt.Errorf("form version %d: %w", versionID, err)
	}
	var d Definition
	if err := json.Unmarshal([]byte(raw), &d); err != nil {
		return nil, fmt.Errorf("form version %d: stored definition: %w", versionID, err)
	}
	if published {
		s.defs.Store(versionID, &d)
	}
	return &d, nil
}

// Published reports whether the service has a published form (for the
// catalog's "Online beantragen" offer; one indexed read).
func (s *Service) Published(ctx context.Context, tenantID int64, serviceID string) (bool, error) {
	var n int
	err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM forms f JOIN form_versions v ON v.form_id = f.id
		WHERE f.tenant_id = $1 AND f.service_id = $2 AND v.status = 'published'`, tenantID, serviceID).Scan(&n)
	return n > 0, err
}

// CurrentForm returns the published definition of a service's form with its
// form reference and version number (for the pages). The definition is
// shared: callers must not change it.
func (s *Service) CurrentForm(ctx context.Context, tenantID int64, serviceID string) (*Definition, string, int, error) {
	v, err := s.current(ctx, s.DB.R, tenantID, serviceID)
	if err != nil {
		return nil, "", 0, err
	}
	return v.Def, v.FormRef, v.Version, nil
}

// Submission is what an applicant sends: answers for the service's current
// form version (FormVersion, when given, must be that version) and the
// uploads of its file fields.
type Submission struct {
	ServiceID   string
	FormVersion int
	Answers     map[string]any
	Uploads     []Upload
	// Files are uploads already checked and stored (from a draft); their
	// blobs must exist in the store.
	Files []File
	Lang  string
	// Strict refuses answers to unknown or hidden questions (the API);
	// the pages drop them instead.
	Strict bool
	// Email is the confirmed address of an anonymous applicant (pages
	// only, after the confirmation link was followed).
	Email string

	// draft, when the submission comes from one, is deleted (and its
	// uploads released) in the submission's transaction.
	draft *Draft
}

// Submit validates and stores an application with its files, receipt PDF,
// receipt JSON, audit entry and forms.submitted job — in one transaction,
// so a submission is stored completely or not at all. The applicant is the
// principal's account (a person of an allowed kind); the answers must fit
// the service's current published form version.
func (s *Service) Submit(ctx context.Context, p identity.Principal, tenantID int64, in Submission) (*Application, error) {
	if err := p.Require(tenantID); err != nil {
		return nil, err
	}
	if !p.IsPerson() {
		return nil, fmt.Errorf("submit: only a person's account applies: %w", fault.ErrForbidden)
	}
	person, err := s.Identity.PersonByID(ctx, tenantID, p.AccountID)
	if err != nil {
		return nil, fmt.Errorf("submit: %w", err)
	}
	in.Email = ""
	return s.submit(ctx, tenantID, person, in)
}

// submitAnonymous stores an application without an account for a service
// whose form allows it; email must have been confirmed by the caller.
func (s *Service) submitAnonymous(ctx context.Context, tenantID int64, in Submission) (*Application, error) {
	if !ValidEmail(in.Email) {
		return nil, fault.Invalid("email", "invalid_email")
	}
	return s.submit(ctx, tenantID, nil, in)
}

func (s *Service) submit(ctx context.Context, tenantID int64, person *identity.Person, in Submission) (*Application, error) {
	v, err := s.current(ctx, s.DB.R, tenantID, strings.TrimSpace(in.ServiceID))
	if err != nil {
		return nil, err
	}
	if in.FormVersion != 0 && in.FormVersion != v.Version {
		return nil, fmt.Errorf("submit: form version %d is not the current version %d: %w", in.FormVersion, v.Version, fault.ErrConflict)
	}
	if person == nil && !v.Def.Anonymous {
		return nil, fmt.Errorf("submit: %w", fault.ErrUnauthorized)
	}
	if person != nil && !v.Def.AllowsKind(person.Kind) {
		return nil, fault.Invalid("service", "account_kind")
	}
	lang := in.Lang
	if lang != "en" {
		lang = "de"
	}
	now := s.DB.Clock.Now().UTC().Truncate(time.Microsecond)

	// Uploads: checked (type from the content, size, malware) and stored
	// before the transaction; a failed transaction leaves only
	// unreferenced blobs for the clean-up.
	files := map[string][]File{}
	for _, f := range in.Files {
		files[f.Field] = append(files[f.Field], f)
	}
	uv := &fault.Validation{}
	for _, up := range in.Uploads {
		f, err := s.checkUpload(ctx, up, fieldMaxSize(v.Def, up.Field))
		if fv, ok := fault.AsValidation(err); ok {
			uv.Merge("", fv)
			continue
		}
		if err != nil {
			return nil, err
		}
		key, _, err := s.Blobs.Put(ctx, bytes.NewReader(up.Data))
		if err != nil {
			return nil, fmt.Errorf("store upload: %v: %w", err, fault.ErrUnavailable)
		}
		f.SHA256 = key
		files[up.Field] = append(files[up.Field], f)
	}
	answers, ordered, err := Validate(v.Def, in.Answers, Check{Now: now, Strict: in.Strict, Files: files})
	if verr, ok := fault.AsValidation(err); ok {
		uv.Merge("", verr)
	} else if err != nil {
		return nil, err
	}
	if err := uv.Err(); err != nil {
		return nil, err
	}
	pending := Pending{TenantID: tenantID, ServiceID: v.ServiceID, Email: in.Email, Lang: lang, Answers: answers}
	if in.draft != nil {
		pending.Draft = in.draft.Ref
	}
	if person != nil {
		pending.AccountID = person.AccountID
	}
	if s.Gate != nil {
		if next, err := s.Gate.Hold(ctx, pending); err != nil {
			return nil, err
		} else if next != "" {
			return nil, &HeldError{Next: next}
		}
	}
	app := &Application{TenantID: tenantID, ServiceID: v.ServiceID, FormRef: v.FormRef, FormVersion: v.Version, FormTitle: v.Def.Title.In("de"),
		Answers: answers, Files: ordered, Lang: lang, SubmittedAt: now, UpdatedAt: now, Status: StatusSubmitted}
	if app.Files == nil {
		app.Files = []File{}
	}
	applicant, tenantName := "", ""
	if person != nil {
		app.AccountID, app.AccountRef, app.AccountKind = person.AccountID, person.Ref, person.Kind
		applicant = person.Name
		if applicant == "" {
			applicant = person.Ref
		}
	} else {
		app.Email = in.Email
		applicant = in.Email
	}
	if t := identity.TenantFrom(ctx); t != nil && t.ID == tenantID {
		tenantName = t.Name
	} else if t, err := s.Identity.TenantByID(ctx, tenantID); err == nil {
		tenantName = t.Name
	} else {
		return nil, err
	}
	answersJSON, err := json.Marshal(answers)
	if err != nil {
		return nil, fmt.Errorf("submit: %w", err)
	}
	fee := ""
	if v.Def.Fee != nil {
		fee = FeeText(v.Def.Fee, lang)
	}
	for attempt := 0; ; attempt++ {
		app.Ref = ref.New("A")
		if err := s.receipts(ctx, app, v, tenantName, applicant, fee); err != nil {
			return nil, err
		}
		err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
			if err := s.store(tx, app, v, answersJSON); err != nil {
				return err
			}
			if in.draft != nil {
				// Deleting the draft in the same transaction makes sending it
				// twice (a double click, two tabs) store one application.
				res, err := tx.ExecContext(ctx, `DELETE FROM form_drafts WHERE id = $1`, in.draft.ID)
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); n != 1 {
					return fmt.Errorf("draft %s was sent already: %w", in.draft.Ref, fault.ErrConflict)
				}
				if err := releaseUnused(tx, in.draft.Files, nil, "forms.draft:"+in.draft.Ref); err != nil {
					return err
				}
			}
			if s.Gate != nil {
				if err := s.Gate.Submitted(tx, pending, app); err != nil {
					return err
				}
			}
			if s.beforeCommit != nil {
				return s.beforeCommit(tx)
			}
			return nil
		})
		if database.IsUniqueViolation(err) && attempt < 3 {
			continue // a reference drawn twice (40 random bits): draw again
		}
		if err != nil {
			return nil, fmt.Errorf("submit: %w", err)
		}
		return app, nil
	}
}

func fieldMaxSize(d *Definition, path string) int64 {
	f := fieldAt(d, path)
	if f == nil || f.Rules.MaxSize == 0 {
		return DefaultMaxSize
	}
	return f.Rules.MaxSize
}

// fieldAt finds the field of an answer path ("hunde.0.foto" → foto).
func fieldAt(d *Definition, path string) *Field {
	fields := d.AllFields()
	var f *Field
	for _, part := range strings.Split(path, ".") {
		if f != nil && f.Repeat && isIndex(part) {
			continue
		}
		f = nil
		for i := range fields {
			if fields[i].ID == part {
				f = &fields[i]
				break
			}
		}
		if f == nil {
			return nil
		}
		fields = f.Fields
	}
	return f
}

func isIndex(s string) bool {
	if s == "" || len(s) > 4 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// FeeText is a form's fee for people: the amount and its explanation.
func FeeText(f *Fee, lang string) string {
	var parts []string
	if f.Amount != "" {
		if d, ok := ParseAmount(f.Amount); ok {
			parts = append(parts, formatMoney(d, lang))
		}
	}
	if t := f.Text.In(lang); t != "" {
		parts = append(parts, t)
	}
	return strings.Join(parts, " – ")
}

// receipts makes and stores the receipt PDF and JSON of app. The JSON is
// written while the PDF is drawn, so the two blob writes (each with its
// fsync) overlap.
func (s *Service) receipts(ctx context.Context, app *Application, v *version, tenant, applicant, fee string) error {
	doc := ReceiptDocument{Reference: app.Ref, Tenant: tenant, Service: app.ServiceID, Form: v.FormRef, FormVersion: v.Version, FormSHA256: v.SHA256,
		Title: v.Def.Title.In(app.Lang), Applicant: Applicant{Account: app.AccountRef, Kind: app.AccountKind, Email: app.Email},
		SubmittedAt: app.SubmittedAt, Lang: app.Lang, Answers: app.Answers, Files: app.Files}
	js, err := ReceiptJSON(doc)
	if err != nil {
		return fmt.Errorf("receipt json: %w", err)
	}
	jsonDone := make(chan error, 1)
	go func() {
		var err error
		app.ReceiptJSON, _, err = s.Blobs.Put(ctx, bytes.NewReader(js))
		jsonDone <- err
	}()
	pdf, err := ReceiptPDF(ReceiptData{Tenant: tenant, Ref: app.Ref, ServiceID: app.ServiceID, FormRef: v.FormRef, FormVersion: v.Version, FormSHA256: v.SHA256,
		Title: v.Def.Title.In(app.Lang), Applicant: applicant, SubmittedAt: app.SubmittedAt, Lang: app.Lang,
		Lines: v.Def.Lines(app.Answers, app.Lang), Files: app.Files, Fee: fee})
	var perr error
	if err == nil {
		app.ReceiptPDF, _, perr = s.Blobs.Put(ctx, bytes.NewReader(pdf))
	}
	jerr := <-jsonDone
	switch {
	case err != nil:
		return err
	case perr != nil:
		return fmt.Errorf("store receipt: %v: %w", perr, fault.ErrUnavailable)
	case jerr != nil:
		return fmt.Errorf("store receipt: %v: %w", jerr, fault.ErrUnavailable)
	}
	app.jsonSize, app.pdfSize = int64(len(js)), int64(len(pdf))
	return nil
}

// store writes the application in tx: row, files, blob references, audit
// entry and the forms.submitted job.
func (s *Service) store(tx *database.Tx, app *Application, v *version, answers []byte) error {
	ctx := tx.Context()
	var account any
	if app.AccountID != 0 {
		account = app.AccountID
	}
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO applications (tenant_id, ref, form_version_id, service_id, account_id, account_ref, account_kind, email, answers, receipt_pdf, receipt_json, status, lang, submitted_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) RETURNING id`,
		app.TenantID, app.Ref, v.ID, app.ServiceID, account, app.AccountRef, app.AccountKind, app.Email, string(answers), app.ReceiptPDF, app.ReceiptJSON, string(app.Status), app.Lang, app.SubmittedAt).Scan(&id)
	if err != nil {
		return err
	}
	for i, f := range app.Files {
		if _, err := tx.ExecContext(ctx, `INSERT INTO application_files (application_id, tenant_id, position, field, name, media_type, size, sha256) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			id, app.TenantID, i, f.Field, f.Name, f.MediaType, f.Size, f.SHA256); err != nil {
			return err
		}
		if err := blob.Keep(tx, app.TenantID, f.SHA256, f.Size, f.MediaType, fmt.Sprintf("forms.file:%s:%d", app.Ref, i)); err != nil {
			return err
		}
	}
	if err := blob.Keep(tx, app.TenantID, app.ReceiptPDF, app.pdfSize, "application/pdf", "forms.receipt_pdf:"+app.Ref); err != nil {
		return err
	}
	if err := blob.Keep(tx, app.TenantID, app.ReceiptJSON, app.jsonSize, "application/json", "forms.receipt_json:"+app.Ref); err != nil {
		return err
	}
	actor := "anonymous"
	if app.AccountRef != "" {
		actor = app.AccountRef
	}
	if err := audit.Append(tx, audit.Event{TenantID: app.TenantID, Actor: actor, Action: "application.submit", ObjectType: "application", ObjectRef: app.Ref,
		After: map[string]any{"service": app.ServiceID, "form": app.FormRef, "form_version": app.FormVersion, "files": len(app.Files), "receipt_pdf": app.ReceiptPDF, "receipt_json": app.ReceiptJSON}}); err != nil {
		return err
	}
	return jobs.Enqueue(tx, JobSubmitted, JobPayload{TenantID: app.TenantID, Application: app.Ref}, jobs.Options{Key: app.Ref, TenantID: app.TenantID})
}

// Hash returns the hex SHA-256 of b (definitions are stored with theirs).
func Hash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
