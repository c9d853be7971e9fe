package forms

import "github.com/rathaus/rathaus/internal/platform/web"

func (h *Handler) pageRoutes(rt *web.Router) {}
