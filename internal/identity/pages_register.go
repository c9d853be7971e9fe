package identity

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// RegisterPage is the view model of the registration form.
type RegisterPage struct {
	Form PageForm
}

// SentPage is the view model of "check your mail" after registration or a
// reset request.
type SentPage struct{}

// VerifyPage is the view model of the e-mail confirmation landing page: a
// button that confirms (POST), because a GET changes nothing.
type VerifyPage struct {
	Token   string
	Invalid bool // the link is unknown, used or expired
}

// ForgotPage is the view model of the password reset request.
type ForgotPage struct {
	Form PageForm
}

// ResetPage is the view model of the new-password form.
type ResetPage struct {
	Form    PageForm
	Token   string
	Invalid bool // the link is unknown, used or expired
}

var registerFields = [][2]string{{"kind", "register-kind-citizen"}, {"name", "register-name"}, {"email", "register-email"}, {"password", "register-password"}}

func (h *Handler) handleRegisterForm(w http.ResponseWriter, r *http.Request) error {
	if _, err := tenantOf(r); err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "register", RegisterPage{Form: newForm(url.Values{"kind": {"citizen"}})})
}

func (h *Handler) handleRegister(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	in := RegisterInput{Kind: r.PostForm.Get("kind"), Email: strings.TrimSpace(r.PostForm.Get("email")), Name: strings.TrimSpace(r.PostForm.Get("name")), Password: r.PostForm.Get("password"),
		Addr: h.clientAddr(r)}
	f := newForm(url.Values{"kind": {in.Kind}, "email": {in.Email}, "name": {in.Name}})
	if in.Password != "" && in.Password != r.PostForm.Get("password2") {
		f.Fail("password2", "register-password2", "identity.register.error.password2")
	}
	err = in.validate()
	if err == nil && !f.Invalid() {
		err = h.Svc.Register(r.Context(), t, in, h.baseURL(r))
		if err == nil {
			http.Redirect(w, r, "/registrieren/gesendet", http.StatusSeeOther)
			return nil
		}
	}
	errs := f.Errors
	f.Errors = nil
	if err != nil && !f.fromValidation(err, registerFields) {
		return err
	}
	f.Errors = append(f.Errors, errs...)
	return h.render(w, r, http.StatusUnprocessableEntity, "register", RegisterPage{Form: f})
}

func (h *Handler) handleRegisterSent(w http.ResponseWriter, r *http.Request) error {
	return h.render(w, r, http.StatusOK, "register_sent", SentPage{})
}

func (h *Handler) handleVerifyForm(w http.ResponseWriter, r *http.Request) error {
	if _, err := tenantOf(r); err != nil {
		return err
	}
	tok := r.URL.Query().Get("token")
	noStore(w) // the page holds the link's secret
	return h.render(w, r, http.StatusOK, "verify", VerifyPage{Token: tok, Invalid: tok == ""})
}

func (h *Handler) handleVerify(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	err = h.Svc.VerifyEmail(r.Context(), t.ID, r.PostForm.Get("token"), h.clientAddr(r))
	if errors.Is(err, ErrTokenInvalid) {
		return h.render(w, r, http.StatusNotFound, "verify", VerifyPage{Invalid: true})
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/anmelden?hinweis=verified", http.StatusSeeOther)
	return nil
}

func (h *Handler) handleForgotForm(w http.ResponseWriter, r *http.Request) error {
	return h.render(w, r, http.StatusOK, "forgot", ForgotPage{Form: newForm(nil)})
}

// handleForgot mails a reset link if the address has an account; the
// answer is the same either way.
func (h *Handler) handleForgot(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	email := strings.TrimSpace(r.PostForm.Get("email"))
	f := newForm(url.Values{"email": {email}})
	if email == "" || len(email) > 254 || !strings.Contains(email, "@") {
		f.Fail("email", "forgot-email", "identity.forgot.error.email")
		return h.render(w, r, http.StatusUnprocessableEntity, "forgot", ForgotPage{Form: f})
	}
	if err := h.Svc.RequestPasswordReset(r.Context(), t, email, h.baseURL(r), h.clientAddr(r)); err != nil {
		return err
	}
	http.Redirect(w, r, "/konto/passwort-vergessen/gesendet", http.StatusSeeOther)
	return nil
}

func (h *Handler) handleForgotSent(w http.ResponseWriter, r *http.Request) error {
	return h.render(w, r, http.StatusOK, "forgot_sent", SentPage{})
}

func (h *Handler) handleResetForm(w http.ResponseWriter, r *http.Request) error {
	tok := r.URL.Query().Get("token")
	noStore(w) // the page holds the link's secret
	return h.render(w, r, http.StatusOK, "reset", ResetPage{Form: newForm(nil), Token: tok, Invalid: tok == ""})
}

func (h *Handler) handleReset(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	tok, pw := r.PostForm.Get("token"), r.PostForm.Get("password")
	f := newForm(url.Values{})
	if len(pw) < 12 || len(pw) > 200 {
		f.Fail("password", "reset-password", "identity.register.error.password")
	} else if pw != r.PostForm.Get("password2") {
		f.Fail("password2", "reset-password2", "identity.register.error.password2")
	}
	if f.Invalid() {
		return h.render(w, r, http.StatusUnprocessableEntity, "reset", ResetPage{Form: f, Token: tok})
	}
	err = h.Svc.ResetPassword(r.Context(), t.ID, tok, pw)
	if errors.Is(err, ErrTokenInvalid) {
		return h.render(w, r, http.StatusNotFound, "reset", ResetPage{Form: f, Invalid: true})
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/anmelden?hinweis=password_reset", http.StatusSeeOther)
	return nil
}
