package app

import (
	"net/http"
	"strconv"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/jobs"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// adminHandler serves the operator's API over platform parts and the audit
// trail. It lives in the composition root because audit cannot import
// identity (identity appends to audit) and jobs is a platform part.
type adminHandler struct {
	env *env
	id  *identity.Handler
}

func (h *adminHandler) Routes(rt *web.Router) {
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

func limit(r *http.Request) (int, error) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return 100, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 500 {
		return 0, fault.Invalid("limit", "out_of_range", "min", 1, "max", 500)
	}
	return n, nil
}

func (h *adminHandler) principal(r *http.Request, roles ...identity.Role) (*identity.Tenant, error) {
	p, t, err := h.id.PrincipalFrom(r)
	if err != nil {
		return nil, err
	}
	return t, p.Require(t.ID, roles...)
}

func (h *adminHandler) handleJobs(w http.ResponseWriter, r *http.Request) error {
	t, err := h.principal(r, identity.RoleAdmin)
	if err != nil {
		return err
	}
	status := r.URL.Query().Get("status")
	if status == "" {
		status = "dead"
	}
	switch status {
	case "queued", "running", "done", "dead":
	default:
		return fault.Invalid("status", "invalid_choice")
	}
	n, err := limit(r)
	if err != nil {
		return err
	}
	list, err := jobs.ListTenant(r.Context(), h.env.db, t.ID, status, n)
	if err != nil {
		return err
	}
	web.WriteJSON(w, 200, list)
	return nil
}

func (h *adminHandler) handleAudit(w http.ResponseWriter, r *http.Request) error {
	t, err := h.principal(r, identity.RoleAdmin, identity.RoleRecordsOfficer)
	if err != nil {
		return err
	}
	n, err := limit(r)
	if err != nil {
		return err
	}
	list, err := audit.List(r.Context(), h.env.db, t.ID, n)
	if err != nil {
		return err
	}
	web.WriteJSON(w, 200, list)
	return nil
}

func (h *adminHandler) handleAuditVerify(w http.ResponseWriter, r *http.Request) error {
	t, err := h.principal(r, identity.RoleAdmin, identity.RoleRecordsOfficer)
	if err != nil {
		return err
	}
	res, err := audit.Verify(r.Context(), h.env.db, t.ID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, 200, res)
	return nil
}
