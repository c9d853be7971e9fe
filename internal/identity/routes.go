package identity

import (
	"net/http"
	"strings"

	"github.com/rathaus/rathaus/internal/platform/web"
)

// Handler is the HTTP surface of identity.
type Handler struct {
	Svc *Service
}

// TenantMiddleware finds the tenant of the request by host name and puts it
// into the context; an unknown host with no default tenant gets 404.
func (h *Handler) TenantMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, err := h.Svc.TenantByHost(r.Context(), r.Host)
		if err != nil {
			if strings.HasPrefix(r.URL.Path, "/api/") {
				web.WriteProblem(w, r, http.StatusNotFound, "no municipality answers on this host name", nil)
			} else {
				http.Error(w, "Unbekannte Kommune / unknown municipality", http.StatusNotFound)
			}
			return
		}
		ctx := WithTenant(r.Context(), t)
		ctx = web.WithLogAttrs(ctx, "tenant", t.Slug)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// PrincipalFrom authenticates the request: a bearer API token of the
// request's tenant. (Browser sessions are added by the login issue.)
func (h *Handler) PrincipalFrom(r *http.Request) (Principal, *Tenant, error) {
	t := TenantFrom(r.Context())
	if t == nil {
		return Principal{}, nil, web.ErrNotFound
	}
	auth := r.Header.Get("Authorization")
	if secret, ok := strings.CutPrefix(auth, "Bearer "); ok {
		p, err := h.Svc.Authenticate(r.Context(), t.ID, strings.TrimSpace(secret))
		return p, t, err
	}
	return Principal{}, t, web.ErrUnauthorized
}

// Routes lists every URL of identity.
func (h *Handler) Routes(rt *web.Router) {
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/tenant", ID: "getTenant", Tag: "tenant", Public: true,
		Summary:  "Public facts of the municipality answering on this host",
		Response: PublicTenant{Slug: "musterstadt", Name: "Musterstadt", FederalState: "BY"}}, h.handleTenant)
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/tenant/settings", ID: "getSettings", Tag: "tenant", Auth: []string{"admin"},
		Summary: "All settings of the municipality", Response: Settings{FederalState: "BY"}}, h.handleSettings)
	rt.API(web.Operation{Method: "PUT", Path: "/api/v1/tenant/settings", ID: "putSettings", Tag: "tenant", Auth: []string{"admin"},
		Summary: "Replace the settings (validated, audited)", Request: Settings{FederalState: "BY"}, Response: Settings{FederalState: "BY"}}, h.handlePutSettings)
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/tokens", ID: "listTokens", Tag: "tokens", Auth: []string{"admin"},
		Summary: "API tokens of the municipality (without secrets)", Response: []Token{}}, h.handleTokens)
	rt.API(web.Operation{Method: "POST", Path: "/api/v1/tokens", ID: "createToken", Tag: "tokens", Auth: []string{"admin"}, Status: 201,
		Summary: "Create an API token; the secret is shown once", Request: createTokenRequest{Name: "kasse", Role: "finance"},
		Response: createTokenResponse{Token: Token{Ref: "K-7K3M-Q9TX", Name: "kasse", Role: RoleFinance}, Secret: "rh_..."}}, h.handleCreateToken)
	rt.API(web.Operation{Method: "DELETE", Path: "/api/v1/tokens/{id}", ID: "revokeToken", Tag: "tokens", Auth: []string{"admin"}, Status: 204,
		Summary: "Revoke an API token"}, h.handleRevokeToken)
}

// PublicTenant is what anybody may know about a municipality.
type PublicTenant struct {
	Slug         string  `json:"slug"`
	Name         string  `json:"name"`
	FederalState string  `json:"federal_state"`
	Address      Address `json:"address"`
	LeitwegID    string  `json:"leitweg_id"`
	Legal        Legal   `json:"legal"`
}

func (h *Handler) handleTenant(w http.ResponseWriter, r *http.Request) error {
	t := TenantFrom(r.Context())
	web.WriteJSON(w, 200, PublicTenant{Slug: t.Slug, Name: t.Name, FederalState: t.Settings.FederalState, Address: t.Settings.Address, LeitwegID: t.Settings.LeitwegID, Legal: t.Settings.Legal})
	return nil
}

func (h *Handler) admin(r *http.Request) (Principal, *Tenant, error) {
	p, t, err := h.PrincipalFrom(r)
	if err != nil {
		return p, t, err
	}
	return p, t, p.Require(t.ID, RoleAdmin)
}

func (h *Handler) handleSettings(w http.ResponseWriter, r *http.Request) error {
	_, t, err := h.admin(r)
	if err != nil {
		return err
	}
	if t.Settings.OIDC == nil {
		t.Settings.OIDC = []OIDCProvider{}
	}
	web.WriteJSON(w, 200, t.Settings)
	return nil
}

func (h *Handler) handlePutSettings(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.PrincipalFrom(r)
	if err != nil {
		return err
	}
	var s Settings
	if err := web.DecodeJSON(r, &s); err != nil {
		return err
	}
	nt, err := h.Svc.UpdateSettings(r.Context(), p, t.ID, s)
	if err != nil {
		return err
	}
	if nt.Settings.OIDC == nil {
		nt.Settings.OIDC = []OIDCProvider{}
	}
	web.WriteJSON(w, 200, nt.Settings)
	return nil
}

func (h *Handler) handleTokens(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.PrincipalFrom(r)
	if err != nil {
		return err
	}
	toks, err := h.Svc.Tokens(r.Context(), p, t.ID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, 200, toks)
	return nil
}

type createTokenRequest struct {
	Name string `json:"name"`
	Role Role   `json:"role"`
}

type createTokenResponse struct {
	Token
	Secret string `json:"secret"`
}

func (h *Handler) handleCreateToken(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.PrincipalFrom(r)
	if err != nil {
		return err
	}
	var req createTokenRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	secret, tok, err := h.Svc.CreateToken(r.Context(), p, t.ID, req.Role, req.Name, "")
	if err != nil {
		return err
	}
	web.WriteJSON(w, 201, createTokenResponse{Token: *tok, Secret: secret})
	return nil
}

func (h *Handler) handleRevokeToken(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.PrincipalFrom(r)
	if err != nil {
		return err
	}
	if err := h.Svc.RevokeToken(r.Context(), p, t.ID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
