package forms

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/blob"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/jobs"
)

// ErrNotFound: no such application (or not the caller's).
var ErrNotFound = fmt.Errorf("application: %w", fault.ErrNotFound)

const appCols = `a.id, a.ref, a.tenant_id, a.service_id, f.ref, v.version, v.definition, a.account_id, a.account_ref, a.account_kind, a.email,
	a.answers, a.receipt_pdf, a.receipt_json, a.lang, a.submitted_at, a.status, a.updated_at`

const appFrom = ` FROM applications a JOIN form_versions v ON v.id = a.form_version_id JOIN forms f ON f.id = v.form_id`

func scanApplication(row interface{ Scan(...any) error }) (*Application, int64, error) {
	var a Application
	var id int64
	var account sql.NullInt64
	var def, answers, status string
	err := row.Scan(&id, &a.Ref, &a.TenantID, &a.ServiceID, &a.FormRef, &a.FormVersion, &def, &account, &a.AccountRef, &a.AccountKind, &a.Email,
		&answers, &a.ReceiptPDF, &a.ReceiptJSON, &a.Lang, &a.SubmittedAt, &status, &a.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, ErrNotFound
	}
	if err != nil {
		return nil, 0, err
	}
	a.AccountID, a.Status = account.Int64, Status(status)
	var d struct {
		Title Text `json:"title"`
	}
	json.Unmarshal([]byte(def), &d)
	a.FormTitle = d.Title.In("de")
	dec := json.NewDecoder(strings.NewReader(answers))
	dec.UseNumber()
	if err := dec.Decode(&a.Answers); err != nil {
		return nil, 0, fmt.Errorf("application %s: answers: %w", a.Ref, err)
	}
	return &a, id, nil
}

func (s *Service) loadFiles(ctx context.Context, q queryer, a *Application, id int64) error {
	rows, err := q.QueryContext(ctx, `SELECT field, name, media_type, size, sha256 FROM application_files WHERE application_id = $1 ORDER BY position`, id)
	if err != nil {
		return err
	}
	defer rows.Close()
	a.Files = []File{}
	for rows.Next() {
		var f File
		if err := rows.Scan(&f.Field, &f.Name, &f.MediaType, &f.Size, &f.SHA256); err != nil {
			return err
		}
		a.Files = append(a.Files, f)
	}
	return rows.Err()
}

// Application returns an application of the tenant with its answers and
// files. It is the system read of case processing (no principal: cases
// checks its own staff's rights and logs their reads).
func (s *Service) Application(ctx context.Context, tenantID int64, ref string) (*Application, error) {
	a, id, err := scanApplication(s.DB.R.QueryRowContext(ctx, `SELECT `+appCols+appFrom+` WHERE a.tenant_id = $1 AND a.ref = $2`, tenantID, strings.TrimSpace(ref)))
	if err != nil {
		return nil, fmt.Errorf("application %s: %w", ref, err)
	}
	if err := s.loadFiles(ctx, s.DB.R, a, id); err != nil {
		return nil, fmt.Errorf("application %s: %w", ref, err)
	}
	return a, nil
}

// Own returns the principal's own application; another's answers not found.
func (s *Service) Own(ctx context.Context, p identity.Principal, tenantID int64, ref string) (*Application, error) {
	if err := p.Require(tenantID); err != nil {
		return nil, err
	}
	if !p.IsPerson() {
		return nil, fmt.Errorf("application %s: %w", ref, ErrNotFound)
	}
	a, id, err := scanApplication(s.DB.R.QueryRowContext(ctx, `SELECT `+appCols+appFrom+` WHERE a.tenant_id = $1 AND a.ref = $2 AND a.account_id = $3`, tenantID, strings.TrimSpace(ref), p.AccountID))
	if err != nil {
		return nil, fmt.Errorf("application %s: %w", ref, err)
	}
	if err := s.loadFiles(ctx, s.DB.R, a, id); err != nil {
		return nil, err
	}
	return a, nil
}

// Definition returns the definition an application was made with.
func (s *Service) DefinitionOf(ctx context.Context, tenantID int64, appRef string) (*Definition, error) {
	var vid int64
	err := s.DB.R.QueryRowContext(ctx, `SELECT form_version_id FROM applications WHERE tenant_id = $1 AND ref = $2`, tenantID, appRef).Scan(&vid)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return s.definition(ctx, s.DB.R, vid, true)
}

// Applications lists the principal's own applications, newest first.
func (s *Service) Applications(ctx context.Context, p identity.Principal, tenantID int64) ([]Summary, error) {
	if err := p.Require(tenantID); err != nil {
		return nil, err
	}
	out := []Summary{}
	if !p.IsPerson() {
		return out, nil
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT a.ref, a.service_id, f.name, v.version, a.status, a.submitted_at
		FROM applications a JOIN form_versions v ON v.id = a.form_version_id JOIN forms f ON f.id = v.form_id
		WHERE a.tenant_id = $1 AND a.account_id = $2 ORDER BY a.submitted_at DESC, a.id DESC LIMIT 500`, tenantID, p.AccountID)
	if err != nil {
		return nil, fmt.Errorf("applications: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sm Summary
		var st string
		if err := rows.Scan(&sm.Ref, &sm.ServiceID, &sm.FormTitle, &sm.FormVersion, &st, &sm.SubmittedAt); err != nil {
			return nil, err
		}
		sm.Status = Status(st)
		out = append(out, sm)
	}
	return out, rows.Err()
}

// Receipt opens the receipt PDF (pdf true) or JSON of the principal's own
// application.
func (s *Service) Receipt(ctx context.Context, p identity.Principal, tenantID int64, ref string, pdf bool) (io.ReadSeekCloser, error) {
	a, err := s.Own(ctx, p, tenantID, ref)
	if err != nil {
		return nil, err
	}
	key := a.ReceiptJSON
	if pdf {
		key = a.ReceiptPDF
	}
	f, err := s.Blobs.Open(ctx, key)
	if errors.Is(err, blob.ErrNotFound) {
		return nil, fmt.Errorf("receipt of %s: %v: %w", ref, err, fault.ErrUnavailable)
	}
	return f, err
}

// SetStatus moves an application's applicant-visible status, inside the
// caller's transaction (case processing). A decided or withdrawn
// application can only be closed; a closed one no longer changes.
func (s *Service) SetStatus(tx *database.Tx, tenantID int64, ref string, status Status) error {
	if !status.Valid() {
		return fault.Invalid("status", "invalid_choice")
	}
	ctx := tx.Context()
	var cur string
	err := tx.QueryRowContext(ctx, `SELECT status FROM applications WHERE tenant_id = $1 AND ref = $2`+tx.DB.ForUpdate(), tenantID, ref).Scan(&cur)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("set status of %s: %w", ref, ErrNotFound)
	}
	if err != nil {
		return err
	}
	if Status(cur) == status {
		return nil
	}
	if !Status(cur).canMove(status) {
		return fmt.Errorf("set status of %s from %s to %s: %w", ref, cur, status, fault.ErrConflict)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE applications SET status = $1, updated_at = $2 WHERE tenant_id = $3 AND ref = $4`, string(status), tx.Now(), tenantID, ref); err != nil {
		return err
	}
	return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: "system", Action: "application.status", ObjectType: "application", ObjectRef: ref,
		Before: map[string]string{"status": cur}, After: map[string]string{"status": string(status)}})
}

// Withdraw lets the applicant take back their application until it is
// decided; case processing learns of it through forms.withdrawn.
func (s *Service) Withdraw(ctx context.Context, p identity.Principal, tenantID int64, ref string) error {
	if err := p.Require(tenantID); err != nil {
		return err
	}
	if !p.IsPerson() {
		return fmt.Errorf("withdraw %s: %w", ref, ErrNotFound)
	}
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		var cur string
		err := tx.QueryRowContext(ctx, `SELECT status FROM applications WHERE tenant_id = $1 AND ref = $2 AND account_id = $3`+tx.DB.ForUpdate(), tenantID, ref, p.AccountID).Scan(&cur)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("withdraw %s: %w", ref, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if !Status(cur).Withdrawable() {
			return fmt.Errorf("withdraw %s (%s): %w", ref, cur, fault.ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE applications SET status = 'withdrawn', updated_at = $1 WHERE tenant_id = $2 AND ref = $3`, tx.Now(), tenantID, ref); err != nil {
			return err
		}
		if err := audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "application.withdraw", ObjectType: "application", ObjectRef: ref,
			Before: map[string]string{"status": cur}, After: map[string]string{"status": "withdrawn"}}); err != nil {
			return err
		}
		return jobs.Enqueue(tx, JobWithdrawn, JobPayload{TenantID: tenantID, Application: ref}, jobs.Options{Key: ref, TenantID: tenantID})
	})
}
