package operations

import (
	"context"
	"net/http"
	"strconv"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/jobs"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// Service holds the use cases.
type Service struct {
	DB *database.DB
}

// MaxLimit bounds every list.
const MaxLimit = 500

func checkLimit(n int) error {
	if n < 1 || n > MaxLimit {
		return fault.Invalid("limit", "out_of_range", "min", 1, "max", MaxLimit)
	}
	return nil
}

// Jobs lists the tenant's background jobs with a status (admins only).
func (s *Service) Jobs(ctx context.Context, p identity.Principal, tenantID int64, status string, limit int) ([]jobs.Job, error) {
	if err := p.Require(tenantID, identity.RoleAdmin); err != nil {
		return nil, err
	}
	v := &fault.Validation{}
	switch status {
	case "queued", "running", "done", "dead":
	default:
		v.Add("status", "invalid_choice")
	}
	if err := checkLimit(limit); err != nil {
		v.Merge("", err.(*fault.Validation))
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return jobs.ListTenant(ctx, s.DB, tenantID, status, limit)
}

// AuditTrail lists the tenant's audit entries, newest first (admins and
// records officers).
func (s *Service) AuditTrail(ctx context.Context, p identity.Principal, tenantID int64, limit int) ([]audit.Entry, error) {
	if err := p.Require(tenantID, identity.RoleAdmin, identity.RoleRecordsOfficer); err != nil {
		return nil, err
	}
	if err := checkLimit(limit); err != nil {
		return nil, err
	}
	return audit.List(ctx, s.DB, tenantID, limit)
}

// VerifyAudit checks the tenant's hash chain (admins and records officers).
func (s *Service) VerifyAudit(ctx context.Context, p identity.Principal, tenantID int64) (*audit.Result, error) {
	if err := p.Require(tenantID, identity.RoleAdmin, identity.RoleRecordsOfficer); err != nil {
		return nil, err
	}
	res, err := audit.Verify(ctx, s.DB, tenantID)
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// Handler is the JSON API over the use cases.
type Handler struct {
	Svc      *Service
	Identity *identity.Handler
}

// Routes lists every URL of operations.
func (h *Handler) Routes(rt *web.Router) {
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/jobs", ID: "listJobs", Tag: "operations", Auth: []string{"admin"},
		Summary:  "Background jobs by status (dead jobs need an admin's attention)",
		Query:    []web.Param{{Name: "status", Type: "string", Description: "queued, running, done or dead (default dead)"}, {Name: "limit", Type: "integer", Description: "1..500, default 100"}},
		Response: []jobs.Job{}}, h.handleJobs)
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/audit", ID: "listAudit", Tag: "audit", Auth: []string{"admin", "records_officer"},
		Summary: "The municipality's audit trail, newest first", Query: []web.Param{{Name: "limit", Type: "integer", Description: "1..500, default 100"}},
		Response: []audit.Entry{}}, h.handleAudit)
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/audit/verify", ID: "verifyAudit", Tag: "audit", Auth: []string{"admin", "records_officer"},
		Summary: "Verify the hash chain of the audit trail", Response: audit.Result{OK: true, Checked: 42}}, h.handleAuditVerify)
}

// limit reads ?limit= (default 100).
func limit(r *http.Request) (int, error) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return 100, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fault.Invalid("limit", "not_a_number")
	}
	return n, nil
}

func (h *Handler) handleJobs(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return err
	}
	status := r.URL.Query().Get("status")
	if status == "" {
		status = "dead"
	}
	n, err := limit(r)
	if err != nil {
		return err
	}
	list, err := h.Svc.Jobs(r.Context(), p, t.ID, status, n)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, list)
	return nil
}

func (h *Handler) handleAudit(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return err
	}
	n, err := limit(r)
	if err != nil {
		return err
	}
	list, err := h.Svc.AuditTrail(r.Context(), p, t.ID, n)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, list)
	return nil
}

func (h *Handler) handleAuditVerify(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return err
	}
	res, err := h.Svc.VerifyAudit(r.Context(), p, t.ID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, res)
	return nil
}
