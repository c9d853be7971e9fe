package identity

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// Personal API tokens on the account page and in the API: a signed-in
// person creates tokens that act as themselves and revokes them. Creating
// needs the person signed in (a session), not another token.

// AccountTokenCreatedPage shows a new personal token's secret, once.
type AccountTokenCreatedPage struct {
	Token  Token
	Secret string
}

// Me is who the request acts as (GET /api/v1/me).
type Me struct {
	// ID is the account's reference (a person) or the integration
	// token's reference.
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Roles  []Role `json:"roles"`
	Person bool   `json:"person"`
	// Token is the personal token the person acts through, if any.
	Token string `json:"token,omitempty"`
}

type personalTokenRequest struct {
	Name string `json:"name"`
}

func (h *Handler) tokenRoutes(rt *web.Router) {
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/me", ID: "getMe", Tag: "tokens",
		Summary:  "Who the request acts as: the person of a session or personal token, or an integration token",
		Response: Me{ID: "U-7K3M-Q9TX", Kind: "staff", Roles: []Role{RoleFinance}, Person: true, Token: "K-7K3M-Q9TX"}}, h.handleMe)
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/account/tokens", ID: "listPersonalTokens", Tag: "tokens",
		Summary: "The signed-in person's own API tokens (without secrets)", Response: []Token{}}, h.handlePersonalTokens)
	rt.API(web.Operation{Method: "POST", Path: "/api/v1/account/tokens", ID: "createPersonalToken", Tag: "tokens", Status: 201,
		Summary:  "Create a token acting as the signed-in person (needs a session, not a token); the secret is shown once",
		Request:  personalTokenRequest{Name: "laptop"},
		Response: createTokenResponse{Token: Token{Ref: "K-7K3M-Q9TX", Name: "laptop", Account: "U-7K3M-Q9TX"}, Secret: "rh_..."}}, h.handleCreatePersonalToken)
	rt.API(web.Operation{Method: "DELETE", Path: "/api/v1/account/tokens/{id}", ID: "revokePersonalToken", Tag: "tokens", Status: 204,
		Summary: "Revoke one of the person's own tokens"}, h.handleRevokePersonalTokenAPI)
}

func (h *Handler) tokenPageRoutes(rt *web.Router) {
	rt.HandleFunc("POST /konto/tokens", h.page(h.handleAccountTokenCreate))
	rt.HandleFunc("POST /konto/tokens/{id}/widerrufen", h.page(h.handleAccountTokenRevoke))
}

func (h *Handler) handleMe(w http.ResponseWriter, r *http.Request) error {
	p, _, err := h.PrincipalFrom(r)
	if err != nil {
		return err
	}
	roles := p.Roles
	if roles == nil {
		roles = []Role{}
	}
	noStore(w)
	web.WriteJSON(w, http.StatusOK, Me{ID: p.Ref, Kind: p.Kind, Roles: roles, Person: p.IsPerson(), Token: p.Via})
	return nil
}

func (h *Handler) handlePersonalTokens(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.PrincipalFrom(r)
	if err != nil {
		return err
	}
	toks, err := h.Svc.PersonalTokens(r.Context(), p, t.ID)
	if err != nil {
		return err
	}
	noStore(w)
	web.WriteJSON(w, http.StatusOK, toks)
	return nil
}

func (h *Handler) handleCreatePersonalToken(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.PrincipalFrom(r)
	if err != nil {
		return err
	}
	var req personalTokenRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	if !p.IsPerson() {
		return fault.ErrForbidden
	}
	secret, tok, err := h.Svc.CreatePersonalToken(r.Context(), p, t.ID, p.Ref, req.Name, "")
	if err != nil {
		return err
	}
	noStore(w)
	web.WriteJSON(w, http.StatusCreated, createTokenResponse{Token: *tok, Secret: secret})
	return nil
}

func (h *Handler) handleRevokePersonalTokenAPI(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.PrincipalFrom(r)
	if err != nil {
		return err
	}
	if err := h.Svc.RevokePersonalToken(r.Context(), p, t.ID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) handleAccountTokenCreate(w http.ResponseWriter, r *http.Request) error {
	sess, t, err := h.session(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	p := sess.Principal()
	secret, tok, err := h.Svc.CreatePersonalToken(r.Context(), p, t.ID, p.Ref, name, "")
	if err == nil {
		return h.render(noStoreWriter{w}, r, http.StatusCreated, "account_token_created", AccountTokenCreatedPage{Token: *tok, Secret: secret})
	}
	f := newForm(url.Values{"name": {name}})
	if !f.fromValidation(err, [][2]string{{"name", "token-name"}}) {
		return err
	}
	page, err := h.accountPage(r, sess, nil, nil)
	if err != nil {
		return err
	}
	page.TokenForm = f
	return h.render(w, r, http.StatusUnprocessableEntity, "account", page)
}

func (h *Handler) handleAccountTokenRevoke(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.PrincipalFrom(r)
	if err != nil {
		return err
	}
	if err := h.Svc.RevokePersonalToken(r.Context(), p, t.ID, r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/konto?hinweis=token_revoked#tokens", http.StatusSeeOther)
	return nil
}
