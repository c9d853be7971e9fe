package app

import (
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/operations"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// mountOperations registers the admins' API over jobs and the audit trail.
func mountOperations(rt *web.Router, e *env, idh *identity.Handler) {
	(&operations.Handler{Svc: &operations.Service{DB: e.db}, Identity: idh}).Routes(rt)
}
