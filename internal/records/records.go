package records

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/blob"
	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/ref"
)

// Service holds the records use cases.
type Service struct {
	DB    *database.DB
	Blobs blob.Store
}

// File statuses.
const (
	StatusOpen       = "open"
	StatusKept       = "kept"
	StatusHandedOver = "handed_over"
	StatusDestroyed  = "destroyed"
)

// File is one e-file (E-Akte) of a case.
type File struct {
	Ref            string            `json:"ref"`
	CaseRef        string            `json:"case"`
	ApplicationRef string            `json:"application"`
	Title          string            `json:"title"`
	ServiceRef     string            `json:"service"`
	ServiceName    string            `json:"service_name"`
	LeikaKey       string            `json:"leika_key"`
	UnitRef        string            `json:"unit"`
	UnitName       string            `json:"unit_name"`
	OpenedAt       time.Time         `json:"opened_at"`
	ClosedAt       *time.Time        `json:"closed_at"`
	RetentionYears int               `json:"retention_years"`
	RetainUntil    string            `json:"retain_until"` // YYYY-MM-DD, "" while open
	Status         string            `json:"status"`
	Metadata       map[string]string `json:"metadata"`
	DisposedAt     *time.Time        `json:"disposed_at"`
	DisposedBy     string            `json:"disposed_by"`
	Documents      []Document        `json:"documents"`
	id             int64
}

// Document is one document of an e-file with its SHA-256.
type Document struct {
	Seq       int       `json:"seq"`
	Name      string    `json:"name"`
	Kind      string    `json:"kind"`
	MediaType string    `json:"media_type"`
	SHA256    string    `json:"sha256"`
	Size      int64     `json:"size"`
	CreatedAt time.Time `json:"created_at"`
}

// Opening is what a case tells records when it opens an e-file.
type Opening struct {
	TenantID       int64
	CaseRef        string
	ApplicationRef string
	Title          string
	ServiceRef     string
	ServiceName    string
	LeikaKey       string
	UnitRef        string
	UnitName       string
	OpenedAt       time.Time
	RetentionYears int
	Actor          string
}

// Open creates the e-file of a case in the caller's transaction.
func (s *Service) Open(tx *database.Tx, o Opening) (string, error) {
	if o.RetentionYears < 1 || o.RetentionYears > 100 {
		return "", fault.Invalid("retention_years", "out_of_range", "min", 1, "max", 100)
	}
	fileRef := ref.New("F")
	_, err := tx.ExecContext(tx.Context(), `INSERT INTO record_files (tenant_id, ref, case_ref, application_ref, title, service_ref, service_name, leika_key, unit_ref, unit_name,
		opened_at, retention_years, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'open', $13)`,
		o.TenantID, fileRef, o.CaseRef, o.ApplicationRef, o.Title, o.ServiceRef, o.ServiceName, o.LeikaKey, o.UnitRef, o.UnitName, o.OpenedAt.UTC(), o.RetentionYears, tx.Now())
	if err != nil {
		return "", fmt.Errorf("open e-file for %s: %w", o.CaseRef, err)
	}
	return fileRef, audit.Append(tx, audit.Event{TenantID: o.TenantID, Actor: actorOr(o.Actor), Action: "records.file.open", ObjectType: "record_file", ObjectRef: fileRef,
		After: map[string]any{"case": o.CaseRef, "retention_years": o.RetentionYears}})
}

func actorOr(a string) string {
	if a == "" {
		return "system"
	}
	return a
}

// DocumentInput is a document to add: a blob already in the store.
type DocumentInput struct {
	Name, Kind, MediaType, BlobKey string
	Size                           int64
	CreatedAt                      time.Time
}

// Add appends documents to an open e-file in the caller's transaction;
// each keeps its blob (content-addressed: the key is the SHA-256).
func (s *Service) Add(tx *database.Tx, tenantID int64, fileRef string, docs ...DocumentInput) error {
	ctx := tx.Context()
	var id int64
	var status string
	err := tx.QueryRowContext(ctx, `SELECT id, status FROM record_files WHERE tenant_id = $1 AND ref = $2`+tx.DB.ForUpdate(), tenantID, fileRef).Scan(&id, &status)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("e-file %s: %w", fileRef, fault.ErrNotFound)
	}
	if err != nil {
		return err
	}
	if status != StatusOpen {
		return fmt.Errorf("e-file %s is closed: %w", fileRef, fault.ErrConflict)
	}
	var seq int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM record_documents WHERE file_id = $1`, id).Scan(&seq); err != nil {
		return err
	}
	for _, d := range docs {
		if !blob.ValidKey(d.BlobKey) {
			return fmt.Errorf("e-file %s: document %q: invalid blob key", fileRef, d.Name)
		}
		seq++
		at := d.CreatedAt
		if at.IsZero() {
			at = tx.Now()
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO record_documents (file_id, seq, name, kind, media_type, blob_key, sha256, size, created_at) VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8)`,
			id, seq, d.Name, d.Kind, d.MediaType, d.BlobKey, d.Size, at.UTC()); err != nil {
			return fmt.Errorf("e-file %s: add %s: %w", fileRef, d.Name, err)
		}
		if err := blob.Keep(tx, tenantID, d.BlobKey, d.Size, d.MediaType, fmt.Sprintf("records.document:%s:%d", fileRef, seq)); err != nil {
			return err
		}
	}
	return nil
}

// Closing is what a case tells records when it closes.
type Closing struct {
	TenantID int64
	FileRef  string
	ClosedAt time.Time
	Metadata map[string]string
	// Trail is the audit trail document made by PrepareTrail before the
	// closing transaction (blobs are put into the store before it).
	Trail Trail
	Actor string
}

// Trail is a stored audit trail document.
type Trail struct {
	Key     string
	Size    int64
	Entries int
}

// PrepareTrail stores the audit trail of a case — every entry about the
// given object references and the e-file, as of now — as a JSON document
// in the blob store, for Close. It runs before the closing transaction.
func (s *Service) PrepareTrail(ctx context.Context, tenantID int64, fileRef string, refs []string) (Trail, error) {
	entries, err := audit.ForObjects(ctx, s.DB.R, tenantID, append(refs, fileRef))
	if err != nil {
		return Trail{}, err
	}
	b, err := json.MarshalIndent(map[string]any{"file": fileRef, "entries": entries}, "", "  ")
	if err != nil {
		return Trail{}, err
	}
	key, size, err := s.Blobs.Put(ctx, bytes.NewReader(b))
	if err != nil {
		return Trail{}, fmt.Errorf("store audit trail of %s: %v: %w", fileRef, err, fault.ErrUnavailable)
	}
	return Trail{Key: key, Size: size, Entries: len(entries)}, nil
}

// RetainUntil is the end of the retention period: the period starts at the
// end of the year the file was closed (as records management counts it),
// so it ends on 31 December of closing year + years.
func RetainUntil(closed time.Time, years int) string {
	y := calendar.DateOf(closed, calendar.Berlin).Year
	return fmt.Sprintf("%04d-12-31", y+years)
}

// Close closes an e-file in the caller's transaction: the audit trail of
// the case (PrepareTrail) becomes its last document, hashed like the
// others, the retention period starts and nothing can be added any more.
func (s *Service) Close(tx *database.Tx, c Closing) error {
	ctx := tx.Context()
	if !blob.ValidKey(c.Trail.Key) {
		return fmt.Errorf("close e-file %s: no audit trail prepared", c.FileRef)
	}
	if err := s.Add(tx, c.TenantID, c.FileRef, DocumentInput{Name: "audit-trail.json", Kind: "audit_trail", MediaType: "application/json", BlobKey: c.Trail.Key, Size: c.Trail.Size, CreatedAt: c.ClosedAt}); err != nil {
		return err
	}
	var years int
	if err := tx.QueryRowContext(ctx, `SELECT retention_years FROM record_files WHERE tenant_id = $1 AND ref = $2`, c.TenantID, c.FileRef).Scan(&years); err != nil {
		return err
	}
	meta, _ := json.Marshal(orEmpty(c.Metadata))
	until := RetainUntil(c.ClosedAt, years)
	if _, err := tx.ExecContext(ctx, `UPDATE record_files SET status = 'kept', closed_at = $1, retain_until = $2, metadata = $3 WHERE tenant_id = $4 AND ref = $5 AND status = 'open'`,
		c.ClosedAt.UTC(), until, string(meta), c.TenantID, c.FileRef); err != nil {
		return err
	}
	return audit.Append(tx, audit.Event{TenantID: c.TenantID, Actor: actorOr(c.Actor), Action: "records.file.close", ObjectType: "record_file", ObjectRef: c.FileRef,
		After: map[string]any{"retain_until": until, "audit_entries": c.Trail.Entries}})
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// readRoles may see e-files.
var readRoles = []identity.Role{identity.RoleRecordsOfficer, identity.RoleAdmin, identity.RoleUnitHead, identity.RoleCaseWorker}

const fileCols = `id, ref, case_ref, application_ref, title, service_ref, service_name, leika_key, unit_ref, unit_name, opened_at, closed_at, retention_years, COALESCE(retain_until, ''), status, metadata, disposed_at, disposed_by`

func scanFile(row interface{ Scan(...any) error }) (File, error) {
	var f File
	var closed, disposed sql.NullTime
	var meta string
	err := row.Scan(&f.id, &f.Ref, &f.CaseRef, &f.ApplicationRef, &f.Title, &f.ServiceRef, &f.ServiceName, &f.LeikaKey, &f.UnitRef, &f.UnitName, &f.OpenedAt, &closed,
		&f.RetentionYears, &f.RetainUntil, &f.Status, &meta, &disposed, &f.DisposedBy)
	if err != nil {
		return f, err
	}
	if closed.Valid {
		t := closed.Time
		f.ClosedAt = &t
	}
	if disposed.Valid {
		t := disposed.Time
		f.DisposedAt = &t
	}
	f.Metadata = map[string]string{}
	json.Unmarshal([]byte(meta), &f.Metadata)
	f.Documents = []Document{}
	return f, nil
}

// Filter narrows the list of e-files.
type Filter struct {
	Closed bool   // only closed files
	Due    string // YYYY-MM-DD: only kept files whose retention ended before that day
}

// List returns the tenant's e-files (newest first) with their documents.
func (s *Service) List(ctx context.Context, p identity.Principal, tenantID int64, f Filter) ([]File, error) {
	if err := p.Require(tenantID, readRoles...); err != nil {
		return nil, err
	}
	return s.list(ctx, tenantID, f)
}

func (s *Service) list(ctx context.Context, tenantID int64, f Filter) ([]File, error) {
	q := `SELECT ` + fileCols + ` FROM record_files WHERE tenant_id = $1`
	args := []any{tenantID}
	if f.Closed {
		q += ` AND closed_at IS NOT NULL`
	}
	if f.Due != "" {
		args = append(args, f.Due)
		q += ` AND status = 'kept' AND retain_until < $2`
	}
	rows, err := s.DB.R.QueryContext(ctx, q+` ORDER BY id DESC LIMIT 1000`, args...)
	if err != nil {
		return nil, fmt.Errorf("list e-files: %w", err)
	}
	out := []File{}
	for rows.Next() {
		fl, err := scanFile(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, fl)
	}
	rows.Close()
	for i := range out {
		if out[i].Documents, err = s.documents(ctx, out[i].id); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Service) documents(ctx context.Context, fileID int64) ([]Document, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT seq, name, kind, media_type, sha256, size, created_at FROM record_documents WHERE file_id = $1 ORDER BY seq`, fileID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Document{}
	for rows.Next() {
		var d Document
		if err := rows.Scan(&d.Seq, &d.Name, &d.Kind, &d.MediaType, &d.SHA256, &d.Size, &d.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Get returns one e-file with its documents.
func (s *Service) Get(ctx context.Context, p identity.Principal, tenantID int64, fileRef string) (*File, error) {
	if err := p.See(tenantID, readRoles...); err != nil {
		return nil, err
	}
	return s.get(ctx, tenantID, fileRef)
}

func (s *Service) get(ctx context.Context, tenantID int64, fileRef string) (*File, error) {
	f, err := scanFile(s.DB.R.QueryRowContext(ctx, `SELECT `+fileCols+` FROM record_files WHERE tenant_id = $1 AND ref = $2`, tenantID, strings.ToUpper(fileRef)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("e-file %s: %w", fileRef, fault.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	if f.Documents, err = s.documents(ctx, f.id); err != nil {
		return nil, err
	}
	return &f, nil
}

// ForCase is a system read of a case's e-file (the case page links it).
func (s *Service) ForCase(ctx context.Context, tenantID int64, caseRef string) (*File, error) {
	var fileRef string
	err := s.DB.R.QueryRowContext(ctx, `SELECT ref FROM record_files WHERE tenant_id = $1 AND case_ref = $2`, tenantID, caseRef).Scan(&fileRef)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("e-file of %s: %w", caseRef, fault.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return s.get(ctx, tenantID, fileRef)
}

// DueForDisposal lists the kept e-files whose retention period has ended
// on the date (the retention job's list for the records officer).
func (s *Service) DueForDisposal(ctx context.Context, tenantID int64, on calendar.Date) ([]File, error) {
	return s.list(ctx, tenantID, Filter{Due: on.String()})
}

// Dispose ends a kept e-file after its retention period: handed over to
// the archive or destroyed. The row and its document hashes stay as the
// proof of disposal; the blobs are released. Before the period has ended
// nothing can be disposed of.
func (s *Service) Dispose(ctx context.Context, p identity.Principal, tenantID int64, fileRef, outcome string) error {
	if err := p.See(tenantID, identity.RoleRecordsOfficer, identity.RoleAdmin); err != nil {
		return err
	}
	if outcome != StatusHandedOver && outcome != StatusDestroyed {
		return fault.Invalid("outcome", "invalid_choice")
	}
	f, err := s.get(ctx, tenantID, fileRef)
	if err != nil {
		return err
	}
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		today := calendar.DateOf(tx.Now(), calendar.Berlin).String()
		if f.Status != StatusKept {
			return fmt.Errorf("e-file %s is %s: %w", fileRef, f.Status, fault.ErrConflict)
		}
		if f.RetainUntil == "" || today <= f.RetainUntil {
			return fault.Invalid("file", "retention_running", "until", f.RetainUntil)
		}
		res, err := tx.ExecContext(ctx, `UPDATE record_files SET status = $1, disposed_at = $2, disposed_by = $3 WHERE id = $4 AND status = 'kept'`, outcome, tx.Now(), p.Ref, f.id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("e-file %s changed meanwhile: %w", fileRef, fault.ErrConflict)
		}
		for _, d := range f.Documents {
			if err := blob.Release(tx, d.SHA256, fmt.Sprintf("records.document:%s:%d", f.Ref, d.Seq)); err != nil {
				return err
			}
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "records.file." + outcome, ObjectType: "record_file", ObjectRef: f.Ref,
			Before: map[string]string{"status": f.Status}, After: map[string]any{"status": outcome, "documents": len(f.Documents)}})
	})
}
