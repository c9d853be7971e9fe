package identity

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// Handler is the HTTP surface of identity.
type Handler struct {
	Svc *Service
	// Pages renders the HTML pages (pages.go); nil: no pages are mounted.
	Pages *web.Renderer
	// OIDC runs eID logins for the pages; nil: no eID buttons.
	OIDC *OIDC
	// BaseURL is the public scheme://host of the request's tenant, for links
	// in mails, the eID callback and the passkey origin; nil: derived from
	// the tenant's first host name or the request.
	BaseURL func(*http.Request) string

	// DemoHosts are the host names on which the installation's demo city
	// answers (loopback names and `rathaus demo --host NAME`); nil outside
	// the demo. Every other tenant answers only its configured hosts.
	DemoHosts []string
	// AccountSections add other modules' parts to the account page
	// (applications, consents), registered by the composition root.
	AccountSections []AccountSectionFunc
}

// isDemoHost reports whether host is one of DemoHosts.
func (h *Handler) isDemoHost(host string) bool {
	n := NormalizeHost(host)
	for _, d := range h.DemoHosts {
		if NormalizeHost(d) == n {
			return true
		}
	}
	return false
}

// TenantMiddleware finds the tenant of the request by host name and puts it
// into the context. A host no tenant is configured for gets the "unknown
// municipality" page (problem+json under /api/), never some default tenant.
func (h *Handler) TenantMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, err := h.Svc.TenantByHost(r.Context(), r.Host)
		if errors.Is(err, fault.ErrNotFound) && h.isDemoHost(r.Host) {
			t, err = h.Svc.DemoTenant(r.Context())
		}
		if err != nil {
			status := http.StatusNotFound
			if !errors.Is(err, fault.ErrNotFound) {
				status = http.StatusInternalServerError
				web.Logger(r.Context()).Error("tenant by host", "err", err)
			} else {
				web.Logger(r.Context()).Info("unknown host", "host", NormalizeHost(r.Host))
			}
			h.unknownTenant(w, r, status)
			return
		}
		ctx := WithTenant(r.Context(), t)
		ctx = context.WithValue(ctx, keyPrincipal, &principalBox{})
		ctx = web.WithLogAttrs(ctx, "tenant", t.Slug)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// UnknownTenantPage is the view model of the "unknown municipality" page.
type UnknownTenantPage struct {
	Status int
}

func (h *Handler) unknownTenant(w http.ResponseWriter, r *http.Request, status int) {
	w.Header().Set("Cache-Control", "no-store")
	if strings.HasPrefix(r.URL.Path, "/api/") {
		detail := "no municipality answers on this host name"
		if status != http.StatusNotFound {
			detail = "an internal error occurred"
		}
		web.WriteProblem(w, r, status, detail, nil)
		return
	}
	if h.Pages == nil {
		http.Error(w, "Unbekannte Kommune / unknown municipality", status)
		return
	}
	if err := h.Pages.Render(w, r, status, "identity.unknown_tenant", web.Shell{Tenant: "Rathaus"}, UnknownTenantPage{Status: status}); err != nil {
		web.Logger(r.Context()).Error("render unknown tenant page", "err", err)
		http.Error(w, "Unbekannte Kommune / unknown municipality", status)
	}
}

// SessionCookie is the name of the browser session cookie.
const SessionCookie = "rathaus_session"

// PrincipalFrom authenticates the request: a bearer API token or a session
// cookie, both only valid for the request's tenant.
func (h *Handler) PrincipalFrom(r *http.Request) (Principal, *Tenant, error) {
	t := TenantFrom(r.Context())
	if t == nil {
		return Principal{}, nil, web.ErrNotFound
	}
	auth := r.Header.Get("Authorization")
	if secret, ok := strings.CutPrefix(auth, "Bearer "); ok {
		p, err := h.Svc.Authenticate(r.Context(), t.ID, strings.TrimSpace(secret))
		if err == nil {
			notePrincipal(r.Context(), p)
		}
		return p, t, err
	}
	if c, err := r.Cookie(SessionCookie); err == nil {
		sess, err := h.Svc.SessionByToken(r.Context(), t.ID, c.Value)
		if err != nil {
			return Principal{}, t, err
		}
		notePrincipal(r.Context(), sess.Principal())
		return sess.Principal(), t, nil
	}
	return Principal{}, t, web.ErrUnauthorized
}

// principalBox holds who a request was authenticated as, once a handler
// asked (PrincipalFrom), so that the layout can leave out links the person
// may not follow — without a second lookup.
type principalBox struct {
	p  Principal
	ok bool
}

const keyPrincipal ctxKey = 1

func notePrincipal(ctx context.Context, p Principal) {
	if b, ok := ctx.Value(keyPrincipal).(*principalBox); ok {
		b.p, b.ok = p, true
	}
}

// PrincipalOf returns the principal a handler of this request has
// authenticated, if any.
func PrincipalOf(ctx context.Context) (Principal, bool) {
	if b, ok := ctx.Value(keyPrincipal).(*principalBox); ok && b.ok {
		return b.p, true
	}
	return Principal{}, false
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
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/units", ID: "listUnits", Tag: "organisation", Auth: []string{"staff"},
		Summary: "Organisational units (a tree through parent_id) with their members", Response: []Unit{{Ref: "E-7K3M-Q9TX", Name: "Steueramt", Members: []string{}}}}, h.handleUnits)
	rt.API(web.Operation{Method: "POST", Path: "/api/v1/units", ID: "createUnit", Tag: "organisation", Auth: []string{"admin"}, Status: 201,
		Summary: "Create a unit", Request: unitRequest{Name: "Steueramt"}, Response: Unit{Ref: "E-7K3M-Q9TX", Name: "Steueramt", Members: []string{}}}, h.handleCreateUnit)
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/units/{id}", ID: "getUnit", Tag: "organisation", Auth: []string{"staff"},
		Summary: "One unit", Response: Unit{Ref: "E-7K3M-Q9TX", Name: "Steueramt", Members: []string{}}}, h.handleUnit)
	rt.API(web.Operation{Method: "POST", Path: "/api/v1/units/{id}/members", ID: "addUnitMember", Tag: "organisation", Auth: []string{"admin"}, Status: 204,
		Summary: "Add a staff account to a unit", Request: memberRequest{AccountRef: "U-7K3M-Q9TX"}}, h.handleAddMember)
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/accounts/{id}", ID: "getAccount", Tag: "organisation", Auth: []string{"admin", "case_worker", "unit_head"},
		Summary:  "A citizen's or business's account with profile, for staff; every read is recorded in the audit trail",
		Response: accountView{Account: Account{Ref: "U-7K3M-Q9TX", Kind: "citizen", Roles: []Role{}}}}, h.handleAccountAPI)
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/staff", ID: "listStaff", Tag: "organisation", Auth: []string{"admin"},
		Summary: "Staff accounts with their roles", Response: []Account{}}, h.handleStaff)
	rt.API(web.Operation{Method: "PUT", Path: "/api/v1/staff/{id}/roles", ID: "setStaffRoles", Tag: "organisation", Auth: []string{"admin"}, Status: 204,
		Summary: "Replace a staff account's roles (audited)", Request: rolesRequest{Roles: []Role{RoleCaseWorker}}}, h.handleSetRoles)
	h.tokenRoutes(rt)
	h.pageRoutes(rt)
}

type unitRequest struct {
	Name      string `json:"name"`
	ParentRef string `json:"parent_id"`
}

type memberRequest struct {
	AccountRef string `json:"account_id"`
}

type rolesRequest struct {
	Roles []Role `json:"roles"`
}

func (h *Handler) handleUnits(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.PrincipalFrom(r)
	if err != nil {
		return err
	}
	units, err := h.Svc.Units(r.Context(), p, t.ID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, 200, units)
	return nil
}

func (h *Handler) handleUnit(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.PrincipalFrom(r)
	if err != nil {
		return err
	}
	u, err := h.Svc.Unit(r.Context(), p, t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, 200, u)
	return nil
}

func (h *Handler) handleCreateUnit(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.PrincipalFrom(r)
	if err != nil {
		return err
	}
	var req unitRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	u, err := h.Svc.CreateUnit(r.Context(), p, t.ID, req.Name, req.ParentRef)
	if err != nil {
		return err
	}
	web.WriteJSON(w, 201, u)
	return nil
}

func (h *Handler) handleAddMember(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.PrincipalFrom(r)
	if err != nil {
		return err
	}
	var req memberRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	if err := h.Svc.AddMember(r.Context(), p, t.ID, r.PathValue("id"), req.AccountRef); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) handleStaff(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.PrincipalFrom(r)
	if err != nil {
		return err
	}
	staff, err := h.Svc.Staff(r.Context(), p, t.ID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, 200, staff)
	return nil
}

func (h *Handler) handleSetRoles(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.PrincipalFrom(r)
	if err != nil {
		return err
	}
	var req rolesRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	if err := h.Svc.SetRoles(r.Context(), p, t.ID, r.PathValue("id"), req.Roles); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
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

func (h *Handler) handleSettings(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.PrincipalFrom(r)
	if err != nil {
		return err
	}
	st, err := h.Svc.Settings(r.Context(), p, t.ID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, 200, st)
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

type accountView struct {
	Account
	Profile Profile `json:"profile"`
}

func (h *Handler) handleAccountAPI(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.PrincipalFrom(r)
	if err != nil {
		return err
	}
	a, pr, err := h.Svc.AccountForStaff(r.Context(), p, t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, 200, accountView{Account: *a, Profile: *pr})
	return nil
}
