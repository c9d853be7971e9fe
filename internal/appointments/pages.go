package appointments

import "github.com/rathaus/rathaus/internal/platform/web"

func (h *Handler) pageRoutes(rt *web.Router) {}

// AddTemplates parses the module's page templates into the renderer.
func AddTemplates(r *web.Renderer) error { return nil }
