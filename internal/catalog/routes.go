package catalog

import (
	"context"
	"net/http"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// Handler is the HTTP surface of the catalog: the JSON API and the
// citizen and staff pages.
type Handler struct {
	Catalog  *Catalog
	Identity *identity.Handler
	// Pages renders the HTML pages (templates added with AddTemplates);
	// nil mounts the JSON API only.
	Pages *web.Renderer
	// Shell fills the layout of a page from the request (tenant name).
	Shell func(*http.Request) web.Shell
	// Offers are what other modules offer on a service page ("Online
	// beantragen" from forms, "Termin buchen" from appointments), registered
	// by the composition root: the catalog imports neither.
	Offers []OfferFunc
}

// Offer is one next step another module offers for a service.
type Offer struct {
	// Kind is "apply", "book" or "pay"; LabelKey the message key of the
	// link text; URL a local path.
	Kind, LabelKey, URL string
}

// OfferFunc returns the offers of one module for a service of a tenant
// (none when it has nothing for it). Called on every service page view:
// it must be cheap.
type OfferFunc func(ctx context.Context, tenantID int64, serviceID string) ([]Offer, error)

// Routes lists every URL of the catalog.
func (h *Handler) Routes(rt *web.Router) {
	example := FindResult{Query: "Personalausweis", Results: []Hit{{ID: "L-7K3M-Q9TX", ExternalID: "1063441", LeikaKeys: []string{"99008001000000"}, Name: "Personalausweis", Score: 0.87}}}
	one := ServiceDocument{Service: Service{ID: "L-7K3M-Q9TX", ExternalID: "1063441", Source: SourceMunich, LeikaKeys: []string{"99008001000000"}, Name: "Personalausweis", Availability: AvailabilityInformation}, Version: 1}
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/services", ID: "findServices", Tag: "catalog", Public: true,
		Summary: "Find services in plain words (best first; empty or unusable queries give no results)",
		Query: []Param{
			{Name: "q", Description: "what the citizen wants, in their own words", Type: "string"},
			{Name: "limit", Description: "number of results, 1–50 (default 10; larger values are cut to 50)", Type: "integer"},
		}, Response: example}, h.handleFind)
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/services/{id}", ID: "getService", Tag: "catalog", Public: true,
		Summary: "One service of the catalog with its current version", Response: one}, h.handleGet)
	rt.API(web.Operation{Method: "PUT", Path: "/api/v1/services/{id}", ID: "putService", Tag: "catalog", Auth: []string{"form_manager", "admin"},
		Summary: "Replace a service (validated, versioned, audited); version, if given, must be the current one",
		Request: one, Response: one}, h.handlePut)
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/services/{id}/versions", ID: "getServiceVersions", Tag: "catalog", Auth: []string{"staff"},
		Summary:  "The version history of a service: every replaced document, who replaced it and when",
		Response: History{ID: "L-7K3M-Q9TX", Version: 2, UpdatedBy: "U-7K3M-Q9TX", Changes: []Change{{Version: 1, Change: ChangeEdit, ChangedBy: "U-7K3M-Q9TX", Document: one.Service}}}}, h.handleVersions)
	if h.Pages == nil {
		return
	}
	rt.HandleFunc("GET /leistungen", h.handleFinderPage)
	rt.HandleFunc("GET /leistungen/{id}", h.handleServicePage)
	rt.HandleFunc("POST /leistungen/nichts-passendes", h.handleNothingFitting)
	rt.HandleFunc("GET /assistent", h.handleAssistant)
	rt.HandleFunc("POST /assistent", h.handleAssistant)
	rt.HandleFunc("GET /verwaltung/digitalisierung", h.handleDigitisation)
	rt.HandleFunc("GET /verwaltung/suchanfragen", h.handleMisses)
	rt.HandleFunc("POST /verwaltung/suchanfragen", h.handleMisses)
	rt.HandleFunc("GET /verwaltung/leistungen/{id}", h.handleEdit)
	rt.HandleFunc("POST /verwaltung/leistungen/{id}", h.handleEdit)
}

// Param is web.Param (kept short in the route table).
type Param = web.Param
