package cases

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/catalog"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
)

// StoredWorkflow is one version of a service's declaration.
type StoredWorkflow struct {
	ServiceRef string    `json:"service"`
	Version    int       `json:"version"`
	CreatedAt  time.Time `json:"created_at"`
	CreatedBy  string    `json:"created_by"`
	Workflow   *Workflow `json:"workflow"`
	Document   string    `json:"-"`
}

func officeNames(units []string, offices []catalog.Office) []string {
	var out []string
	seen := map[string]bool{}
	add := func(n string) {
		n = strings.TrimSpace(n)
		if n != "" && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, u := range units {
		add(u)
	}
	for _, o := range offices {
		add(o.Unit)
		add(o.Name)
	}
	return out
}

// workflowVersion reads a stored version (version 0: the current one).
func workflowVersion(ctx context.Context, q querier, tenantID int64, serviceRef string, version int) (*StoredWorkflow, error) {
	query := `SELECT service_ref, version, created_at, created_by, document FROM workflows WHERE tenant_id = $1 AND service_ref = $2`
	args := []any{tenantID, serviceRef}
	if version > 0 {
		query += ` AND version = $3`
		args = append(args, version)
	} else {
		query += ` ORDER BY version DESC LIMIT 1`
	}
	var w StoredWorkflow
	err := q.QueryRowContext(ctx, query, args...).Scan(&w.ServiceRef, &w.Version, &w.CreatedAt, &w.CreatedBy, &w.Document)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("workflow of %s v%d: %w", serviceRef, version, fault.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	var wf Workflow
	if err := json.Unmarshal([]byte(w.Document), &wf); err != nil {
		return nil, fmt.Errorf("workflow of %s v%d: %w", serviceRef, w.Version, err)
	}
	w.Workflow = &wf
	return &w, nil
}

// Workflow returns the current declaration of a service (the standard one,
// not yet stored, when none was declared: version 0).
func (s *Service) Workflow(ctx context.Context, p identity.Principal, tenantID int64, serviceRef string) (*StoredWorkflow, error) {
	if err := p.See(tenantID, identity.Roles...); err != nil {
		return nil, err
	}
	w, err := workflowVersion(ctx, s.DB.R, tenantID, catalog.NormalizeRef(serviceRef), 0)
	if errors.Is(err, fault.ErrNotFound) {
		if _, err := s.Catalog.Get(ctx, tenantID, serviceRef); err != nil {
			return nil, fmt.Errorf("service %s: %w", serviceRef, fault.ErrNotFound)
		}
		return &StoredWorkflow{ServiceRef: catalog.NormalizeRef(serviceRef), Workflow: StandardWorkflow(), Document: string(StandardWorkflowJSON())}, nil
	}
	return w, err
}

// WorkflowVersions lists every stored version of a service's declaration.
func (s *Service) WorkflowVersions(ctx context.Context, p identity.Principal, tenantID int64, serviceRef string) ([]StoredWorkflow, error) {
	if err := p.See(tenantID, identity.Roles...); err != nil {
		return nil, err
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT version, created_at, created_by FROM workflows WHERE tenant_id = $1 AND service_ref = $2 ORDER BY version DESC`, tenantID, catalog.NormalizeRef(serviceRef))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []StoredWorkflow{}
	for rows.Next() {
		w := StoredWorkflow{ServiceRef: catalog.NormalizeRef(serviceRef)}
		if err := rows.Scan(&w.Version, &w.CreatedAt, &w.CreatedBy); err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// DeclareWorkflow stores a new version of a service's declaration (form
// managers and admins). Earlier versions stay unchanged: running cases
// keep theirs.
func (s *Service) DeclareWorkflow(ctx context.Context, p identity.Principal, tenantID int64, serviceRef string, document []byte) (*StoredWorkflow, error) {
	if err := p.See(tenantID, identity.RoleFormManager, identity.RoleAdmin); err != nil {
		return nil, err
	}
	serviceRef = catalog.NormalizeRef(serviceRef)
	if _, err := s.Catalog.Get(ctx, tenantID, serviceRef); err != nil {
		return nil, fmt.Errorf("service %s: %w", serviceRef, fault.ErrNotFound)
	}
	wf, err := ParseWorkflow(document)
	if err != nil {
		return nil, err
	}
	var out *StoredWorkflow
	err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		var err error
		out, err = storeWorkflow(tx, tenantID, serviceRef, wf, p.Ref)
		return err
	})
	return out, err
}

func storeWorkflow(tx *database.Tx, tenantID int64, serviceRef string, wf *Workflow, actor string) (*StoredWorkflow, error) {
	ctx := tx.Context()
	doc, err := json.MarshalIndent(wf, "", "  ")
	if err != nil {
		return nil, err
	}
	var version int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM workflows WHERE tenant_id = $1 AND service_ref = $2`, tenantID, serviceRef).Scan(&version); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO workflows (tenant_id, service_ref, version, document, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)`,
		tenantID, serviceRef, version, string(doc), tx.Now(), actor); err != nil {
		if database.IsUniqueViolation(err) {
			return nil, fmt.Errorf("workflow of %s: %w", serviceRef, fault.ErrConflict)
		}
		return nil, err
	}
	if err := audit.Append(tx, audit.Event{TenantID: tenantID, Actor: actor, Action: "cases.workflow.declare", ObjectType: "workflow", ObjectRef: fmt.Sprintf("%s/v%d", serviceRef, version),
		After: map[string]any{"name": wf.Name, "states": len(wf.States), "transitions": len(wf.Transitions)}}); err != nil {
		return nil, err
	}
	return &StoredWorkflow{ServiceRef: serviceRef, Version: version, CreatedAt: tx.Now(), CreatedBy: actor, Workflow: wf, Document: string(doc)}, nil
}

// currentOrStandard returns the service's current stored declaration, or
// stores the standard one as version 1 (in tx), so every case names a
// stored version.
func currentOrStandard(tx *database.Tx, tenantID int64, serviceRef string) (*StoredWorkflow, error) {
	w, err := workflowVersion(tx.Context(), tx, tenantID, serviceRef, 0)
	if errors.Is(err, fault.ErrNotFound) {
		return storeWorkflow(tx, tenantID, serviceRef, StandardWorkflow(), "system")
	}
	return w, err
}
