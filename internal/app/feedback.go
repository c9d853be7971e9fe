package app

import (
	"github.com/rathaus/rathaus/internal/feedback"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// mountFeedback registers the accessibility statement with its feedback
// form and the admin's list.
func mountFeedback(rt *web.Router, e *env, idh *identity.Handler) {
	(&feedback.Handler{Svc: &feedback.Service{DB: e.db, Limiter: e.limits}, Identity: idh, Pages: site().r, Shell: shellFor}).Routes(rt)
}
