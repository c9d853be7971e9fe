package catalog

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// ServiceDocument is a service as the API shows and accepts it: the
// service's fields plus its current version (for optimistic locking).
type ServiceDocument struct {
	Service
	Version int `json:"version,omitempty"`
}

func tenantOf(r *http.Request) (*identity.Tenant, error) {
	t := identity.TenantFrom(r.Context())
	if t == nil {
		return nil, web.ErrNotFound
	}
	return t, nil
}

// ParseLimit reads the limit parameter: empty is DefaultLimit, larger
// than MaxLimit is cut to MaxLimit, anything else not a positive number is
// a bad request.
func ParseLimit(v string) (int, error) {
	if v == "" {
		return DefaultLimit, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%w: limit must be a whole number from 1 to %d", web.ErrBadRequest, MaxLimit)
	}
	return min(n, MaxLimit), nil
}

func (h *Handler) handleFind(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	limit, err := ParseLimit(r.URL.Query().Get("limit"))
	if err != nil {
		return err
	}
	res, err := h.Catalog.Find(r.Context(), t.ID, Query{Text: r.URL.Query().Get("q"), Limit: limit})
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, NewFindResult(res))
	return nil
}

func (h *Handler) handleGet(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	st, err := h.Catalog.Get(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, ServiceDocument{Service: st.Service, Version: st.Version})
	return nil
}

func (h *Handler) handlePut(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return err
	}
	// Check who asks before reading the body, so that others learn
	// nothing from validation answers.
	if err := p.See(t.ID, editorRoles...); err != nil {
		return err
	}
	var in ServiceDocument
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	st, err := h.Catalog.Update(r.Context(), p, t.ID, r.PathValue("id"), in.Version, in.Service)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, ServiceDocument{Service: st.Service, Version: st.Version})
	return nil
}

func (h *Handler) handleVersions(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return err
	}
	hist, err := h.Catalog.Versions(r.Context(), p, t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, hist)
	return nil
}
