package forms

import (
	"context"
	"net/http"

	"github.com/rathaus/rathaus/internal/catalog"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// Handler is the HTTP surface of forms: the applications API, the citizen
// pages of a form (/antrag/...), the applicant's applications (/antraege)
// and the form managers' pages (/verwaltung/formulare).
type Handler struct {
	Forms    *Service
	Identity *identity.Handler
	// Catalog names services and their fees on the pages (read only).
	Catalog *catalog.Catalog
	// Pages renders the HTML pages; nil mounts the API only.
	Pages *web.Renderer
	Shell func(*http.Request) web.Shell
	// BaseURL is the public scheme://host for links in mails.
	BaseURL func(*http.Request) string
}

// Routes lists every URL of forms.
func (h *Handler) Routes(rt *web.Router) {
	h.apiRoutes(rt)
	if h.Pages == nil {
		return
	}
	h.pageRoutes(rt)
}

// Offer is the catalog's "Online beantragen" for a service: offered only
// while the service has a published form (registered by the composition
// root in catalog.Handler.Offers).
func (s *Service) Offer(ctx context.Context, tenantID int64, serviceID string) ([]catalog.Offer, error) {
	ok, err := s.Published(ctx, tenantID, serviceID)
	if err != nil || !ok {
		return nil, err
	}
	return []catalog.Offer{{Kind: "apply", LabelKey: "forms.offer.apply", URL: "/antrag/" + serviceID}}, nil
}
