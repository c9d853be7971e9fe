package identity

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rathaus/rathaus/internal/platform/web"
)

// AccountPage is the view model of the account page: who is signed in and
// how, the profile form, passkeys, data export and deletion.
type AccountPage struct {
	Name, Email, Kind string
	Trust             TrustLevel
	Provider          string // "password", "passkey" or the eID provider's label
	Staff             bool
	Profile           PageForm
	Delete            PageForm
	Notice            string
	EIDs              []string
	Passkeys          []PasskeyRow
	PasskeyScript     string
	// Tokens are the person's own API tokens; TokenForm creates one.
	Tokens    []Token
	TokenForm PageForm
	// Sections are other modules' parts of the page (AccountSections).
	Sections []AccountSection
}

// PasskeyRow is one registered passkey as listed on the account page.
type PasskeyRow struct {
	CreatedAt time.Time
	LastUsed  *time.Time
}

// TOTPPage shows a freshly enrolled TOTP secret, once.
type TOTPPage struct {
	Secret, URL string
}

// DeletedPage is the view model of the goodbye page after deletion.
type DeletedPage struct{}

// profileValues turns a stored profile into form values.
func profileValues(p Profile) url.Values {
	v := url.Values{
		"given_name": {p.GivenName}, "family_name": {p.FamilyName}, "company": {p.Company},
		"street": {p.Street}, "postcode": {p.Postcode}, "city": {p.City}, "phone": {p.Phone}, "birth_date": {p.BirthDate},
	}
	return v
}

// passkeys lists the passkeys of the session's account.
func (s *Service) passkeys(ctx context.Context, sess *Session) ([]PasskeyRow, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT created_at, last_used_at FROM passkeys WHERE account_id = $1 AND tenant_id = $2 ORDER BY id`, sess.AccountID, sess.TenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PasskeyRow
	for rows.Next() {
		var p PasskeyRow
		var used sql.NullTime
		if err := rows.Scan(&p.CreatedAt, &used); err != nil {
			return nil, err
		}
		if used.Valid {
			p.LastUsed = &used.Time
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// accountPage builds the page; profile and del are the forms as sent (nil:
// the stored profile and an empty deletion form).
func (h *Handler) accountPage(r *http.Request, sess *Session, profile *PageForm, del *PageForm) (AccountPage, error) {
	d, err := h.Svc.Export(r.Context(), sess)
	if err != nil {
		return AccountPage{}, err
	}
	keys, err := h.Svc.passkeys(r.Context(), sess)
	if err != nil {
		return AccountPage{}, err
	}
	toks, err := h.Svc.PersonalTokens(r.Context(), sess.Principal(), sess.TenantID)
	if err != nil {
		return AccountPage{}, err
	}
	p := AccountPage{Name: d.Account.Name, Email: d.Account.Email, Kind: sess.Kind, Trust: sess.Trust, Provider: sess.Provider,
		Staff: sess.Kind == "staff", EIDs: d.EIDs, Passkeys: keys, PasskeyScript: PasskeyScriptPath, Tokens: toks}
	for _, sec := range h.AccountSections {
		ss, err := sec(r, sess.Principal())
		if err != nil {
			return AccountPage{}, err
		}
		p.Sections = append(p.Sections, ss...)
	}
	if t := TenantFrom(r.Context()); t != nil {
		for _, prov := range t.Settings.OIDC {
			if prov.Name == sess.Provider && prov.Label != "" {
				p.Provider = prov.Label
			}
		}
	}
	if strings.HasSuffix(p.Email, ".invalid") {
		p.Email = "" // eID accounts have a placeholder address
	}
	if profile != nil {
		p.Profile = *profile
	} else {
		p.Profile = newForm(profileValues(d.Profile))
	}
	if del != nil {
		p.Delete = *del
	}
	return p, nil
}

func (h *Handler) handleAccount(w http.ResponseWriter, r *http.Request) error {
	sess, _, err := h.session(r)
	if err != nil {
		return err
	}
	p, err := h.accountPage(r, sess, nil, nil)
	if err != nil {
		return err
	}
	p.Notice = notice(r, "profile_saved", "passkey_added", "token_revoked")
	return h.render(w, r, http.StatusOK, "account", p)
}

// profileFields are the profile form's fields in page order with their ids.
var profileFields = [][2]string{
	{"company", "profile-company"}, {"given_name", "profile-given-name"}, {"family_name", "profile-family-name"},
	{"street", "profile-street"}, {"postcode", "profile-postcode"}, {"city", "profile-city"},
	{"phone", "profile-phone"}, {"birth_date", "profile-birth-date"},
}

// validateProfile reads the profile form and checks it with the domain's
// rules (Profile.Validate, which UpdateProfile applies again); it returns
// the profile and the form with its errors in the order of the page.
func validateProfile(f PageForm, now time.Time) (Profile, PageForm) {
	get := func(k string) string { return strings.TrimSpace(f.Value(k)) }
	p := Profile{GivenName: get("given_name"), FamilyName: get("family_name"), Company: get("company"), Street: get("street"),
		Postcode: get("postcode"), City: get("city"), Phone: get("phone"), BirthDate: get("birth_date")}
	if v := p.Validate(now); v != nil {
		f.fromValidation(v, profileFields)
	}
	return p, f
}

func (h *Handler) handleProfile(w http.ResponseWriter, r *http.Request) error {
	sess, _, err := h.session(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	prof, f := validateProfile(newForm(r.PostForm), h.Svc.DB.Clock.Now())
	if f.Invalid() {
		p, err := h.accountPage(r, sess, &f, nil)
		if err != nil {
			return err
		}
		return h.render(w, r, http.StatusUnprocessableEntity, "account", p)
	}
	if err := h.Svc.UpdateProfile(r.Context(), sess, prof); err != nil {
		if !f.fromValidation(err, profileFields) {
			return err
		}
		p, perr := h.accountPage(r, sess, &f, nil)
		if perr != nil {
			return perr
		}
		return h.render(w, r, http.StatusUnprocessableEntity, "account", p)
	}
	http.Redirect(w, r, "/konto?hinweis=profile_saved", http.StatusSeeOther)
	return nil
}

// handleExport sends everything identity stores about the account as a
// JSON download (GDPR Art. 15 and 20).
func (h *Handler) handleExport(w http.ResponseWriter, r *http.Request) error {
	sess, _, err := h.session(r)
	if err != nil {
		return err
	}
	d, err := h.Svc.Export(r.Context(), sess)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json; charset=utf-8")
	hdr.Set("Content-Disposition", `attachment; filename="rathaus-konto.json"`)
	hdr.Set("Cache-Control", "no-store")
	w.Write(b)
	return nil
}

func (h *Handler) handleDelete(w http.ResponseWriter, r *http.Request) error {
	sess, _, err := h.session(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	if sess.Kind == "staff" {
		return web.ErrForbidden
	}
	if r.PostForm.Get("confirm") != "yes" {
		f := newForm(url.Values{})
		f.Fail("confirm", "delete-confirm", "identity.delete.error.confirm")
		p, err := h.accountPage(r, sess, nil, &f)
		if err != nil {
			return err
		}
		return h.render(w, r, http.StatusUnprocessableEntity, "account", p)
	}
	if err := h.Svc.DeleteAccount(r.Context(), sess); err != nil {
		return err
	}
	clearSessionCookie(w, r)
	http.Redirect(w, r, "/konto/geloescht", http.StatusSeeOther)
	return nil
}

func (h *Handler) handleDeleted(w http.ResponseWriter, r *http.Request) error {
	return h.render(w, r, http.StatusOK, "account_deleted", DeletedPage{})
}

// handleTOTP enrols a staff member for one-time codes and shows the secret
// once (never cached).
func (h *Handler) handleTOTP(w http.ResponseWriter, r *http.Request) error {
	sess, t, err := h.session(r)
	if err != nil {
		return err
	}
	secret, u, err := h.Svc.EnrollTOTP(r.Context(), sess, t.Name)
	if err != nil {
		return err
	}
	return h.render(noStoreWriter{w}, r, http.StatusOK, "totp", TOTPPage{Secret: secret, URL: u})
}

func (h *Handler) handlePasskeyOptions(w http.ResponseWriter, r *http.Request) error {
	sess, t, err := h.session(r)
	if err != nil {
		return err
	}
	opts, handle, err := h.Svc.BeginPasskeyRegistration(r.Context(), sess, h.relyingParty(r, t))
	if err != nil {
		return err
	}
	noStore(w)
	web.WriteJSON(w, http.StatusOK, passkeyOptions{Handle: handle, Options: opts})
	return nil
}

func (h *Handler) handlePasskeyRegister(w http.ResponseWriter, r *http.Request) error {
	sess, t, err := h.session(r)
	if err != nil {
		return err
	}
	res, err := readPasskeyResult(r)
	if err != nil {
		return err
	}
	if err := h.Svc.FinishPasskeyRegistration(r.Context(), sess, h.relyingParty(r, t), res.Handle, res.Credential); err != nil {
		return err
	}
	noStore(w)
	web.WriteJSON(w, http.StatusOK, map[string]string{"redirect": "/konto?hinweis=passkey_added"})
	return nil
}

// noStoreWriter marks a response as never to be stored, whatever the
// renderer sets (pages showing a secret once).
type noStoreWriter struct{ http.ResponseWriter }

func (w noStoreWriter) WriteHeader(status int) {
	w.Header().Set("Cache-Control", "no-store")
	w.ResponseWriter.WriteHeader(status)
}
