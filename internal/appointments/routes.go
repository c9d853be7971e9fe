package appointments

import "github.com/rathaus/rathaus/internal/platform/web"

// Routes lists every URL of appointments.
func (h *Handler) Routes(rt *web.Router) {
	h.apiRoutes(rt)
	if h.Pages == nil {
		return
	}
	h.pageRoutes(rt)
}
