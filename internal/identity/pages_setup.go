package identity

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/rathaus/rathaus/internal/platform/fault"
)

// The set-up pages: an invited staff member's one-time link (choose a
// password) and the TOTP set-up every staff member outside the demo city
// completes at the first sign-in.

// SetupPage is the view model of the set-up link's page.
type SetupPage struct {
	Form    PageForm
	Token   string
	Invalid bool // the link is unknown, used or expired
}

// TOTPSetupPage shows the pending TOTP secret and asks for a code.
type TOTPSetupPage struct {
	Secret, URL string
	Form        PageForm
}

func (h *Handler) setupPageRoutes() map[string]func(http.ResponseWriter, *http.Request) error {
	return map[string]func(http.ResponseWriter, *http.Request) error{
		"GET " + SetupPath:      h.handleSetupForm,
		"POST " + SetupPath:     h.handleSetup,
		"GET " + TOTPSetupPath:  h.handleTOTPSetupForm,
		"POST " + TOTPSetupPath: h.handleTOTPSetup,
	}
}

func (h *Handler) handleSetupForm(w http.ResponseWriter, r *http.Request) error {
	if _, err := tenantOf(r); err != nil {
		return err
	}
	tok := r.URL.Query().Get("token")
	noStore(w)
	return h.render(w, r, http.StatusOK, "setup", SetupPage{Form: newForm(nil), Token: tok, Invalid: tok == ""})
}

func (h *Handler) handleSetup(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	tok, pw := r.PostForm.Get("token"), r.PostForm.Get("password")
	f := newForm(url.Values{})
	if pw != r.PostForm.Get("password2") {
		f.Fail("password2", "setup-password2", "identity.register.error.password2")
		return h.render(w, r, http.StatusUnprocessableEntity, "setup", SetupPage{Form: f, Token: tok})
	}
	cookie, sess, err := h.Svc.CompleteSetup(r.Context(), t.ID, tok, pw)
	switch {
	case errors.Is(err, ErrTokenInvalid):
		return h.render(w, r, http.StatusNotFound, "setup", SetupPage{Form: f, Invalid: true})
	case err != nil:
		if !f.fromValidation(err, [][2]string{{"password", "setup-password"}}) {
			return err
		}
		return h.render(w, r, http.StatusUnprocessableEntity, "setup", SetupPage{Form: f, Token: tok})
	}
	setSessionCookie(w, r, cookie)
	next := afterLogin(sess, "")
	if sess.TOTPSetup != "" {
		next = TOTPSetupPath
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// pendingSession is the session of the TOTP set-up pages.
func (h *Handler) pendingSession(r *http.Request) (*Session, *Tenant, error) {
	t, err := tenantOf(r)
	if err != nil {
		return nil, nil, err
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return nil, t, fault.ErrUnauthorized
	}
	sess, err := h.Svc.PendingSession(r.Context(), t.ID, c.Value)
	return sess, t, err
}

func (h *Handler) totpSetupPage(w http.ResponseWriter, r *http.Request, status int, sess *Session, t *Tenant, f PageForm) error {
	noStore(w)
	return h.render(w, r, status, "totp_setup", TOTPSetupPage{Secret: sess.TOTPSetup, URL: TOTPURL(t.Name, sess.Name, sess.TOTPSetup), Form: f})
}

func (h *Handler) handleTOTPSetupForm(w http.ResponseWriter, r *http.Request) error {
	sess, t, err := h.pendingSession(r)
	if err != nil {
		return err
	}
	if sess.TOTPSetup == "" {
		http.Redirect(w, r, afterLogin(sess, ""), http.StatusSeeOther)
		return nil
	}
	return h.totpSetupPage(w, r, http.StatusOK, sess, t, newForm(nil))
}

func (h *Handler) handleTOTPSetup(w http.ResponseWriter, r *http.Request) error {
	sess, t, err := h.pendingSession(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	if sess.TOTPSetup == "" {
		http.Redirect(w, r, afterLogin(sess, ""), http.StatusSeeOther)
		return nil
	}
	err = h.Svc.ConfirmTOTPSetup(r.Context(), sess, r.PostForm.Get("totp"))
	if err != nil {
		f := newForm(url.Values{})
		if !f.fromValidation(err, [][2]string{{"totp", "setup-totp"}}) {
			return err
		}
		return h.totpSetupPage(w, r, http.StatusUnprocessableEntity, sess, t, f)
	}
	http.Redirect(w, r, afterLogin(sess, ""), http.StatusSeeOther)
	return nil
}
