package forms

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/ref"
)

// Channel is how far a form is digitised, as the forms directory shows it.
type Channel string

// The channels, from paper to fully digital.
const (
	ChannelPaper        Channel = "paper"         // only on paper at the office
	ChannelPDF          Channel = "pdf"           // a PDF to print, fill in and send
	ChannelOnline       Channel = "online"        // an online form; the decision comes by post
	ChannelFullyDigital Channel = "fully_digital" // online form, payment and decision electronically
)

// Channels lists the channels in order.
var Channels = []Channel{ChannelPaper, ChannelPDF, ChannelOnline, ChannelFullyDigital}

func (c Channel) valid() bool {
	for _, x := range Channels {
		if x == c {
			return true
		}
	}
	return false
}

// Version statuses.
const (
	VersionDraft     = "draft"
	VersionPublished = "published"
	VersionRetired   = "retired"
)

// Form is an entry of the forms directory with its versions.
type Form struct {
	Ref       string        `json:"id"`
	ServiceID string        `json:"service"`
	Name      string        `json:"name"`
	Channel   Channel       `json:"channel"`
	Source    string        `json:"source"`
	CreatedAt time.Time     `json:"created_at"`
	UpdatedAt time.Time     `json:"updated_at"`
	Versions  []VersionInfo `json:"versions"`
}

// VersionInfo describes one version of a form.
type VersionInfo struct {
	Version     int        `json:"version"`
	Status      string     `json:"status"`
	SHA256      string     `json:"sha256"`
	CreatedAt   time.Time  `json:"created_at"`
	CreatedBy   string     `json:"created_by"`
	UpdatedAt   time.Time  `json:"updated_at"`
	PublishedAt *time.Time `json:"published_at"`
	PublishedBy string     `json:"published_by"`
}

// Published returns the published version, if any.
func (f *Form) Published() *VersionInfo {
	for i := range f.Versions {
		if f.Versions[i].Status == VersionPublished {
			return &f.Versions[i]
		}
	}
	return nil
}

// Latest returns the newest version (nil for a paper-only entry).
func (f *Form) Latest() *VersionInfo {
	if len(f.Versions) == 0 {
		return nil
	}
	return &f.Versions[len(f.Versions)-1]
}

// NewForm is a form to create: a directory entry and, with a definition,
// its first draft version.
type NewForm struct {
	ServiceID string
	Name      string
	Channel   Channel
	Source    string
	Def       *Definition
}

// CreateForm adds a form to the directory (form managers).
func (s *Service) CreateForm(ctx context.Context, p identity.Principal, tenantID int64, in NewForm) (*Form, error) {
	if err := p.Require(tenantID, ManagerRoles...); err != nil {
		return nil, err
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" && in.Def != nil {
		in.Name = in.Def.Title.In("de")
	}
	v := &fault.Validation{}
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 300 {
		v.Add("name", "required")
	}
	if in.Channel == "" {
		in.Channel = ChannelOnline
	}
	if !in.Channel.valid() {
		v.Add("channel", "invalid_choice")
	}
	if in.Def != nil {
		if err := in.Def.Check(); err != nil {
			fv, _ := fault.AsValidation(err)
			v.Merge("definition.", fv)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	f := &Form{Ref: ref.New("F"), ServiceID: strings.TrimSpace(in.ServiceID), Name: in.Name, Channel: in.Channel, Source: in.Source}
	err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		f.CreatedAt, f.UpdatedAt = tx.Now(), tx.Now()
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO forms (tenant_id, ref, service_id, name, channel, source, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`,
			tenantID, f.Ref, f.ServiceID, f.Name, string(f.Channel), f.Source, tx.Now()).Scan(&id)
		if database.IsUniqueViolation(err) {
			return fault.Invalid("service", "duplicate")
		}
		if err != nil {
			return err
		}
		if in.Def != nil {
			if _, err := insertVersion(tx, tenantID, id, 1, in.Def, p.Ref); err != nil {
				return err
			}
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "form.create", ObjectType: "form", ObjectRef: f.Ref,
			After: map[string]any{"service": f.ServiceID, "name": f.Name, "channel": f.Channel, "source": f.Source}})
	})
	if err != nil {
		return nil, fmt.Errorf("create form: %w", err)
	}
	return s.Form(ctx, p, tenantID, f.Ref)
}

func insertVersion(tx *database.Tx, tenantID, formID int64, n int, d *Definition, actor string) (VersionInfo, error) {
	b := d.Marshal()
	vi := VersionInfo{Version: n, Status: VersionDraft, SHA256: Hash(b), CreatedAt: tx.Now(), CreatedBy: actor, UpdatedAt: tx.Now()}
	_, err := tx.ExecContext(tx.Context(), `INSERT INTO form_versions (tenant_id, form_id, version, status, definition, sha256, created_at, created_by, updated_at)
		VALUES ($1, $2, $3, 'draft', $4, $5, $6, $7, $6)`, tenantID, formID, n, string(b), vi.SHA256, tx.Now(), actor)
	return vi, err
}

// formRow locks and returns a form's id and service of the tenant.
func formRow(tx *database.Tx, tenantID int64, formRef string) (int64, string, error) {
	var id int64
	var service string
	err := tx.QueryRowContext(tx.Context(), `SELECT id, service_id FROM forms WHERE tenant_id = $1 AND ref = $2`+tx.DB.ForUpdate(), tenantID, formRef).Scan(&id, &service)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", fmt.Errorf("form %s: %w", formRef, fault.ErrNotFound)
	}
	return id, service, err
}

// SaveDraft stores def as the form's draft: it replaces the draft when the
// newest version is one, else it starts version latest+1. Published and
// retired versions are never changed. base is the version the editor
// started from (0: no check); when a newer version exists the save is
// refused as stale. It returns the draft's number.
func (s *Service) SaveDraft(ctx context.Context, p identity.Principal, tenantID int64, formRef string, base int, def *Definition) (int, error) {
	if err := p.See(tenantID, ManagerRoles...); err != nil {
		return 0, err
	}
	if err := def.Check(); err != nil {
		return 0, err
	}
	n := 0
	err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		id, _, err := formRow(tx, tenantID, formRef)
		if err != nil {
			return err
		}
		var latest int
		var status string
		err = tx.QueryRowContext(ctx, `SELECT version, status FROM form_versions WHERE form_id = $1 ORDER BY version DESC LIMIT 1`, id).Scan(&latest, &status)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if base != 0 && base != latest {
			return fault.Invalid("version", "stale")
		}
		b := def.Marshal()
		if status == VersionDraft {
			n = latest
			if _, err := tx.ExecContext(ctx, `UPDATE form_versions SET definition = $1, sha256 = $2, updated_at = $3 WHERE form_id = $4 AND version = $5 AND status = 'draft'`,
				string(b), Hash(b), tx.Now(), id, latest); err != nil {
				return err
			}
		} else {
			n = latest + 1
			if _, err := insertVersion(tx, tenantID, id, n, def, p.Ref); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE forms SET updated_at = $1 WHERE id = $2`, tx.Now(), id); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "form.draft.save", ObjectType: "form", ObjectRef: formRef,
			After: map[string]any{"version": n, "sha256": Hash(b)}})
	})
	if err != nil {
		return 0, fmt.Errorf("save draft of %s: %w", formRef, err)
	}
	return n, nil
}

// Publish makes a draft version the form's published one (the previous
// published version is retired; applications keep the version they were
// made with). The form must be assigned to a service.
func (s *Service) Publish(ctx context.Context, p identity.Principal, tenantID int64, formRef string, n int) error {
	if err := p.See(tenantID, ManagerRoles...); err != nil {
		return err
	}
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		id, service, err := formRow(tx, tenantID, formRef)
		if err != nil {
			return err
		}
		if service == "" {
			return fault.Invalid("service", "required")
		}
		var status, raw string
		err = tx.QueryRowContext(ctx, `SELECT status, definition FROM form_versions WHERE form_id = $1 AND version = $2`, id, n).Scan(&status, &raw)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("form %s version %d: %w", formRef, n, fault.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if status != VersionDraft {
			return fmt.Errorf("form %s version %d is %s: %w", formRef, n, status, fault.ErrConflict)
		}
		if _, err := ParseDefinition([]byte(raw)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE form_versions SET status = 'retired' WHERE form_id = $1 AND status = 'published'`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE form_versions SET status = 'published', published_at = $1, published_by = $2 WHERE form_id = $3 AND version = $4 AND status = 'draft'`,
			tx.Now(), p.Ref, id, n); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE forms SET updated_at = $1 WHERE id = $2`, tx.Now(), id); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "form.publish", ObjectType: "form", ObjectRef: formRef,
			After: map[string]any{"version": n, "service": service, "sha256": Hash([]byte(raw))}})
	})
}

// UpdateForm changes a directory entry: its service and channel.
func (s *Service) UpdateForm(ctx context.Context, p identity.Principal, tenantID int64, formRef, serviceID string, ch Channel, name string) error {
	if err := p.See(tenantID, ManagerRoles...); err != nil {
		return err
	}
	v := &fault.Validation{}
	if !ch.valid() {
		v.Add("channel", "invalid_choice")
	}
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 300 {
		v.Add("name", "required")
	}
	if err := v.Err(); err != nil {
		return err
	}
	serviceID = strings.TrimSpace(serviceID)
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		id, old, err := formRow(tx, tenantID, formRef)
		if err != nil {
			return err
		}
		var published int
		tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM form_versions WHERE form_id = $1 AND status = 'published'`, id).Scan(&published)
		if published > 0 && old != serviceID {
			// Applications name the service; moving a live form would
			// mislead them. Retire it by publishing elsewhere instead.
			return fault.Invalid("service", "not_allowed")
		}
		_, err = tx.ExecContext(ctx, `UPDATE forms SET service_id = $1, channel = $2, name = $3, updated_at = $4 WHERE id = $5`, serviceID, string(ch), name, tx.Now(), id)
		if database.IsUniqueViolation(err) {
			return fault.Invalid("service", "duplicate")
		}
		if err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "form.update", ObjectType: "form", ObjectRef: formRef,
			Before: map[string]string{"service": old}, After: map[string]any{"service": serviceID, "channel": ch, "name": name}})
	})
}

// Form returns a directory entry with its versions (form managers).
func (s *Service) Form(ctx context.Context, p identity.Principal, tenantID int64, formRef string) (*Form, error) {
	if err := p.See(tenantID, ManagerRoles...); err != nil {
		return nil, err
	}
	var f Form
	var id int64
	var ch string
	err := s.DB.R.QueryRowContext(ctx, `SELECT id, ref, service_id, name, channel, source, created_at, updated_at FROM forms WHERE tenant_id = $1 AND ref = $2`, tenantID, formRef).
		Scan(&id, &f.Ref, &f.ServiceID, &f.Name, &ch, &f.Source, &f.CreatedAt, &f.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("form %s: %w", formRef, fault.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	f.Channel = Channel(ch)
	if f.Versions, err = s.versions(ctx, id); err != nil {
		return nil, err
	}
	return &f, nil
}

func (s *Service) versions(ctx context.Context, formID int64) ([]VersionInfo, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT version, status, sha256, created_at, created_by, updated_at, published_at, published_by FROM form_versions WHERE form_id = $1 ORDER BY version`, formID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []VersionInfo{}
	for rows.Next() {
		var v VersionInfo
		var pub sql.NullTime
		if err := rows.Scan(&v.Version, &v.Status, &v.SHA256, &v.CreatedAt, &v.CreatedBy, &v.UpdatedAt, &pub, &v.PublishedBy); err != nil {
			return nil, err
		}
		if pub.Valid {
			v.PublishedAt = &pub.Time
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Version returns one version's definition (form managers; drafts too).
func (s *Service) Version(ctx context.Context, p identity.Principal, tenantID int64, formRef string, n int) (*Definition, *VersionInfo, error) {
	f, err := s.Form(ctx, p, tenantID, formRef)
	if err != nil {
		return nil, nil, err
	}
	var vi *VersionInfo
	for i := range f.Versions {
		if f.Versions[i].Version == n {
			vi = &f.Versions[i]
		}
	}
	if vi == nil {
		return nil, nil, fmt.Errorf("form %s version %d: %w", formRef, n, fault.ErrNotFound)
	}
	var id int64
	err = s.DB.R.QueryRowContext(ctx, `SELECT v.id FROM form_versions v JOIN forms f ON f.id = v.form_id WHERE f.tenant_id = $1 AND f.ref = $2 AND v.version = $3`, tenantID, formRef, n).Scan(&id)
	if err != nil {
		return nil, nil, err
	}
	// A fresh copy: the editor may change it (the cached definitions of
	// published versions are shared and read-only).
	d, err := s.definition(ctx, s.DB.R, id, false)
	if err != nil {
		return nil, nil, err
	}
	return d, vi, nil
}

// FormOfService returns the reference of the directory entry of a
// service's form, or "" when it has none.
func (s *Service) FormOfService(ctx context.Context, tenantID int64, serviceID string) (string, error) {
	var r string
	err := s.DB.R.QueryRowContext(ctx, `SELECT ref FROM forms WHERE tenant_id = $1 AND service_id = $2`, tenantID, serviceID).Scan(&r)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return r, err
}

// NewVersion stores def as a new draft version latest+1, whatever the
// newest version is (an import makes a new version each time).
func (s *Service) NewVersion(ctx context.Context, p identity.Principal, tenantID int64, formRef string, def *Definition) (int, error) {
	if err := p.See(tenantID, ManagerRoles...); err != nil {
		return 0, err
	}
	if err := def.Check(); err != nil {
		return 0, err
	}
	n := 0
	err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		id, _, err := formRow(tx, tenantID, formRef)
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM form_versions WHERE form_id = $1`, id).Scan(&n); err != nil {
			return err
		}
		n++
		vi, err := insertVersion(tx, tenantID, id, n, def, p.Ref)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE forms SET updated_at = $1 WHERE id = $2`, tx.Now(), id); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "form.version.create", ObjectType: "form", ObjectRef: formRef,
			After: map[string]any{"version": n, "sha256": vi.SHA256}})
	})
	if err != nil {
		return 0, fmt.Errorf("new version of %s: %w", formRef, err)
	}
	return n, nil
}

// FIMImport says where an imported FIM schema goes.
type FIMImport struct {
	ServiceID string   // the catalog service of a new form ("" : assign later)
	Audience  []string // who may apply (FIM does not say); nil: as before
}

// ImportFIMDraft imports a FIM schema as a draft: the tenant's form of that
// schema gets a new draft version, or a new form is created. It returns
// the import report with the form and version.
func (s *Service) ImportFIMDraft(ctx context.Context, p identity.Principal, tenantID int64, data []byte, opt FIMImport) (*ImportReport, error) {
	if err := p.Require(tenantID, ManagerRoles...); err != nil {
		return nil, err
	}
	def, rep, err := ImportFIM(data)
	if err != nil {
		return rep, fmt.Errorf("%w: %v", fault.ErrBadRequest, err)
	}
	def.Audience = opt.Audience
	source := "fim:" + rep.FIMID
	var formRef string
	err = s.DB.R.QueryRowContext(ctx, `SELECT ref FROM forms WHERE tenant_id = $1 AND source = $2 ORDER BY id LIMIT 1`, tenantID, source).Scan(&formRef)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		f, err := s.CreateForm(ctx, p, tenantID, NewForm{ServiceID: opt.ServiceID, Name: rep.Title, Channel: ChannelOnline, Source: source, Def: def})
		if err != nil {
			return rep, err
		}
		rep.Form, rep.Version = f.Ref, 1
	case err != nil:
		return rep, err
	default:
		// What FIM does not say is the form's own: a new import keeps the
		// latest version's audience (unless given), anonymous flag and fee.
		f, err := s.Form(ctx, p, tenantID, formRef)
		if err != nil {
			return rep, err
		}
		if len(f.Versions) > 0 {
			prev, _, err := s.Version(ctx, p, tenantID, formRef, f.Versions[len(f.Versions)-1].Version)
			if err != nil {
				return rep, err
			}
			if opt.Audience == nil {
				def.Audience = prev.Audience
			}
			def.Anonymous = prev.Anonymous
			if def.Fee == nil {
				def.Fee = prev.Fee
			}
		}
		n, err := s.NewVersion(ctx, p, tenantID, formRef, def)
		if err != nil {
			return rep, err
		}
		rep.Form, rep.Version = formRef, n
	}
	return rep, nil
}
