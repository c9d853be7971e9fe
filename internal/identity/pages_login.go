package identity

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// LoginPage is the view model of the sign-in page.
type LoginPage struct {
	Form     PageForm
	ReturnTo string
	// TOTP: the password was right and the account needs its one-time code.
	TOTP bool
	// Failed is a message key shown above the form for a refused sign-in
	// (one message for wrong data and throttling: nothing about accounts leaks).
	Failed string
	Notice string
	// RetrySeconds is how long a delayed sign-in must wait (429).
	RetrySeconds int
	EIDs         []EIDButton
	// PasskeyScript is the URL of the passkey script (progressive enhancement).
	PasskeyScript string
}

// EIDButton is one eID provider of the tenant.
type EIDButton struct {
	Href, Label string
}

// returnTo is the page to go back to after signing in: a local path only.
func returnTo(v string) string {
	if v == "" {
		return ""
	}
	if p := web.SafeRedirectPath(v); p == v {
		return p
	}
	return ""
}

func (h *Handler) loginPage(r *http.Request, t *Tenant, f PageForm, rt string) LoginPage {
	p := LoginPage{Form: f, ReturnTo: rt, PasskeyScript: PasskeyScriptPath}
	if h.OIDC != nil {
		for _, prov := range t.Settings.OIDC {
			href := "/anmelden/eid/" + url.PathEscape(prov.Name)
			if rt != "" {
				href += "?" + url.Values{"return_to": {rt}}.Encode()
			}
			label := prov.Label
			if label == "" {
				label = prov.Name
			}
			p.EIDs = append(p.EIDs, EIDButton{Href: href, Label: label})
		}
	}
	return p
}

func (h *Handler) handleLoginForm(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	p := h.loginPage(r, t, newForm(nil), returnTo(r.URL.Query().Get("return_to")))
	p.Notice = notice(r, "verified", "password_reset", "logged_out", "logged_out_everywhere")
	return h.render(w, r, http.StatusOK, "login", p)
}

// afterLogin is where a fresh session goes: the page it came from, or the
// account page (staff: the staff area).
func afterLogin(sess *Session, rt string) string {
	if rt != "" {
		return rt
	}
	if sess.Kind == "staff" {
		return "/verwaltung"
	}
	return "/konto"
}

func (h *Handler) handleLogin(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	rt := returnTo(r.PostForm.Get("return_to"))
	vals := url.Values{"email": {strings.TrimSpace(r.PostForm.Get("email"))}}
	f := newForm(vals)
	in := LoginInput{Email: vals.Get("email"), Password: r.PostForm.Get("password"), TOTP: strings.TrimSpace(r.PostForm.Get("totp")), Addr: h.clientAddr(r)}
	if c, err := r.Cookie(DeviceCookie); err == nil {
		in.Device = c.Value
	}
	if in.Email == "" {
		f.Fail("email", "login-email", "identity.login.error.email")
	}
	if in.Password == "" {
		f.Fail("password", "login-password", "identity.login.error.password")
	}
	if f.Invalid() {
		p := h.loginPage(r, t, f, rt)
		p.TOTP = r.PostForm.Get("totp_step") == "1"
		return h.render(w, r, http.StatusUnprocessableEntity, "login", p)
	}
	cookie, sess, err := h.Svc.Login(r.Context(), t.ID, in)
	if err == nil {
		setSessionCookie(w, r, cookie)
		h.setDeviceCookie(w, r, sess.DeviceToken)
		next := afterLogin(sess, rt)
		if sess.TOTPSetup != "" {
			next = TOTPSetupPath
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	p := h.loginPage(r, t, f, rt)
	var rl *fault.RateLimited
	switch {
	case errors.As(err, &rl):
		// Too many failures from here or at this account: wait (429).
		p.Failed = "identity.login.error.wait"
		p.RetrySeconds = rl.RetryAfterSeconds()
		p.TOTP = r.PostForm.Get("totp_step") == "1"
		w.Header().Set("Retry-After", strconv.Itoa(p.RetrySeconds))
		web.Logger(r.Context()).Info("login refused", "reason", "delayed", "retry_after", p.RetrySeconds)
		return h.render(w, r, http.StatusTooManyRequests, "login", p)
	case errors.Is(err, ErrTOTPRequired):
		p.TOTP = true
		if in.TOTP == "" && r.PostForm.Get("totp_step") != "1" {
			// First step passed: ask for the code (and the password again,
			// which is never kept in the page).
			return h.render(w, r, http.StatusOK, "login", p)
		}
		p.Form.Fail("totp", "login-totp", "identity.login.error.totp")
	case errors.Is(err, ErrNotVerified):
		p.Failed = "identity.login.error.not_verified"
	case errors.Is(err, ErrBadCredentials):
		p.Failed = "identity.login.error.failed"
		p.TOTP = r.PostForm.Get("totp_step") == "1"
	default:
		return err
	}
	web.Logger(r.Context()).Info("login refused", "reason", loginReason(err))
	return h.render(w, r, http.StatusUnprocessableEntity, "login", p)
}

func loginReason(err error) string {
	switch {
	case errors.Is(err, ErrNotVerified):
		return "not_verified"
	case errors.Is(err, ErrTOTPRequired):
		return "totp_required"
	}
	return "bad_credentials"
}

// eidCallbackURL is the redirect URI registered with the provider.
func (h *Handler) eidCallbackURL(r *http.Request, provider string) string {
	return h.baseURL(r) + "/anmelden/eid/" + url.PathEscape(provider) + "/callback"
}

func (h *Handler) handleEIDStart(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	if h.OIDC == nil {
		return web.ErrNotFound
	}
	provider := r.PathValue("provider")
	rt := returnTo(r.URL.Query().Get("return_to"))
	if rt == "" {
		rt = "/konto"
	}
	to, err := h.OIDC.Start(r.Context(), t, provider, h.eidCallbackURL(r, provider), rt)
	if errors.Is(err, web.ErrNotFound) {
		return err
	}
	if err != nil {
		// The provider is unreachable (discovery failed): say so on the
		// sign-in page, where password and passkey still work.
		web.Logger(r.Context()).Error("eID login could not start", "provider", provider, "err", err)
		p := h.loginPage(r, t, newForm(nil), rt)
		p.Failed = "identity.login.error.eid_unavailable"
		return h.render(w, r, http.StatusServiceUnavailable, "login", p)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

func (h *Handler) handleEIDCallback(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	if h.OIDC == nil {
		return web.ErrNotFound
	}
	provider := r.PathValue("provider")
	q := r.URL.Query()
	cb := Callback{State: q.Get("state"), Code: q.Get("code"), Error: q.Get("error"), ErrorDescription: q.Get("error_description")}
	cookie, rt, _, err := h.OIDC.Finish(r.Context(), t, provider, cb, h.eidCallbackURL(r, provider))
	if errors.Is(err, ErrOIDC) {
		web.Logger(r.Context()).Info("eID login refused", "err", err)
		p := h.loginPage(r, t, newForm(nil), "")
		p.Failed = "identity.login.error.eid"
		return h.render(w, r, http.StatusUnauthorized, "login", p)
	}
	if err != nil {
		return err
	}
	setSessionCookie(w, r, cookie)
	http.Redirect(w, r, web.SafeRedirectPath(rt), http.StatusSeeOther)
	return nil
}

func (h *Handler) handleLogout(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		if err := h.Svc.Logout(r.Context(), c.Value); err != nil {
			return err
		}
	}
	clearSessionCookie(w, r)
	http.Redirect(w, r, "/anmelden?hinweis=logged_out", http.StatusSeeOther)
	return nil
}

func (h *Handler) handleLogoutEverywhere(w http.ResponseWriter, r *http.Request) error {
	sess, _, err := h.session(r)
	if err != nil {
		return err
	}
	if _, err := h.Svc.LogoutEverywhere(r.Context(), sess); err != nil {
		return err
	}
	clearSessionCookie(w, r)
	http.Redirect(w, r, "/anmelden?hinweis=logged_out_everywhere", http.StatusSeeOther)
	return nil
}

// passkeyOptions is the answer to the script's options request.
type passkeyOptions struct {
	Handle  string          `json:"handle"`
	Options json.RawMessage `json:"options"`
}

// passkeyResult is what the script sends back after the browser's ceremony.
type passkeyResult struct {
	Handle     string          `json:"handle"`
	Credential json.RawMessage `json:"credential"`
	ReturnTo   string          `json:"return_to"`
}

func readPasskeyResult(r *http.Request) (passkeyResult, error) {
	var res passkeyResult
	if err := web.DecodeJSON(r, &res); err != nil {
		return res, err
	}
	if res.Handle == "" || len(res.Credential) == 0 {
		return res, fmt.Errorf("%w: handle and credential are required", fault.ErrBadRequest)
	}
	return res, nil
}

func (h *Handler) handlePasskeyLoginOptions(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	opts, handle, err := h.Svc.BeginPasskeyLogin(r.Context(), t.ID, h.relyingParty(r, t))
	if err != nil {
		return err
	}
	noStore(w)
	web.WriteJSON(w, http.StatusOK, passkeyOptions{Handle: handle, Options: opts})
	return nil
}

// handlePasskeyLogin finishes a passkey sign-in; the script follows the
// answer's redirect. A refused passkey is a 401 with no details.
func (h *Handler) handlePasskeyLogin(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	res, err := readPasskeyResult(r)
	if err != nil {
		return err
	}
	cookie, sess, err := h.Svc.FinishPasskeyLogin(r.Context(), t.ID, h.relyingParty(r, t), res.Handle, res.Credential)
	if err != nil {
		return err
	}
	setSessionCookie(w, r, cookie)
	noStore(w)
	web.WriteJSON(w, http.StatusOK, map[string]string{"redirect": afterLogin(sess, returnTo(res.ReturnTo))})
	return nil
}
