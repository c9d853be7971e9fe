package identity

import (
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
)

// The admin pages: units, staff and roles, API tokens, tenant settings.
// Every use case checks the principal itself (admins of the request's
// tenant); a principal who may not see an object gets 404 from the domain.

// UnitsPage is the view model of the units page: the tree, a form to
// create a unit and a form per unit to add a member.
type UnitsPage struct {
	Tree   []UnitNode
	Units  []Unit // flat, by name, for the parent choice
	Staff  []Account
	Form   PageForm // create a unit
	Member PageForm // add a member (as sent to MemberUnit)
	// MemberUnit is the unit whose member form failed.
	MemberUnit string
	Notice     string
}

// UnitNode is a unit in the tree with its members' names.
type UnitNode struct {
	Ref, Name string
	Members   []string
	Children  []UnitNode
}

func (h *Handler) unitsPage(r *http.Request, form, member PageForm, memberUnit string) (UnitsPage, error) {
	p, t, err := h.PrincipalFrom(r)
	if err != nil {
		return UnitsPage{}, err
	}
	staff, err := h.Svc.Staff(r.Context(), p, t.ID)
	if err != nil {
		return UnitsPage{}, err
	}
	units, err := h.Svc.Units(r.Context(), p, t.ID)
	if err != nil {
		return UnitsPage{}, err
	}
	return UnitsPage{Tree: unitTree(units, staff), Units: units, Staff: staff, Form: form, Member: member, MemberUnit: memberUnit}, nil
}

// unitTree arranges units under their parents (children by name).
func unitTree(units []Unit, staff []Account) []UnitNode {
	names := map[string]string{}
	for _, a := range staff {
		names[a.Ref] = a.Name
	}
	children := map[string][]Unit{}
	known := map[string]bool{}
	for _, u := range units {
		known[u.Ref] = true
	}
	for _, u := range units {
		parent := u.ParentRef
		if !known[parent] {
			parent = ""
		}
		children[parent] = append(children[parent], u)
	}
	var build func(parent string, depth int) []UnitNode
	build = func(parent string, depth int) []UnitNode {
		if depth > 32 {
			return nil
		}
		var out []UnitNode
		for _, u := range children[parent] {
			n := UnitNode{Ref: u.Ref, Name: u.Name}
			for _, m := range u.Members {
				name := names[m]
				if name == "" {
					name = m
				}
				n.Members = append(n.Members, name)
			}
			sort.Strings(n.Members)
			n.Children = build(u.Ref, depth+1)
			out = append(out, n)
		}
		return out
	}
	return build("", 0)
}

func (h *Handler) handleUnitsPage(w http.ResponseWriter, r *http.Request) error {
	p, err := h.unitsPage(r, newForm(nil), newForm(nil), "")
	if err != nil {
		return err
	}
	p.Notice = notice(r, "unit_created", "member_added")
	return h.renderStaff(w, r, http.StatusOK, "admin_units", p)
}

func (h *Handler) handleUnitCreate(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.PrincipalFrom(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	name, parent := strings.TrimSpace(r.PostForm.Get("name")), r.PostForm.Get("parent_id")
	_, err = h.Svc.CreateUnit(r.Context(), p, t.ID, name, parent)
	if err == nil {
		http.Redirect(w, r, "/verwaltung/einheiten?hinweis=unit_created", http.StatusSeeOther)
		return nil
	}
	f := newForm(url.Values{"name": {name}, "parent_id": {parent}})
	if !f.fromValidation(err, [][2]string{{"name", "unit-name"}, {"parent_id", "unit-parent"}}) {
		return err
	}
	page, err := h.unitsPage(r, f, newForm(nil), "")
	if err != nil {
		return err
	}
	return h.renderStaff(w, r, http.StatusUnprocessableEntity, "admin_units", page)
}

func (h *Handler) handleUnitMemberAdd(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.PrincipalFrom(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	unit, account := r.PathValue("id"), r.PostForm.Get("account_id")
	err = h.Svc.AddMember(r.Context(), p, t.ID, unit, account)
	if err == nil {
		http.Redirect(w, r, "/verwaltung/einheiten?hinweis=member_added", http.StatusSeeOther)
		return nil
	}
	f := newForm(url.Values{"account_id": {account}})
	if !f.fromValidation(err, [][2]string{{"account_id", "member-" + unit}}) {
		return err
	}
	page, err := h.unitsPage(r, newForm(nil), f, unit)
	if err != nil {
		return err
	}
	return h.renderStaff(w, r, http.StatusUnprocessableEntity, "admin_units", page)
}

// StaffPage is the view model of the staff page: every staff account with
// a roles form, and a form to create one.
type StaffPage struct {
	Staff []StaffRow
	Roles []Role
	Form  PageForm // create a staff account
	// RolesForm is the roles form as sent to RolesFor, when it failed.
	RolesForm PageForm
	RolesFor  string
	Notice    string
}

// StaffRow is one staff account.
type StaffRow struct {
	Ref, Name, Email string
	Roles            []Role
}

// Has reports whether the account holds role.
func (s StaffRow) Has(role Role) bool { return slices.Contains(s.Roles, role) }

func (h *Handler) staffPage(r *http.Request, form, rolesForm PageForm, rolesFor string) (StaffPage, error) {
	p, t, err := h.PrincipalFrom(r)
	if err != nil {
		return StaffPage{}, err
	}
	staff, err := h.Svc.Staff(r.Context(), p, t.ID)
	if err != nil {
		return StaffPage{}, err
	}
	page := StaffPage{Roles: Roles, Form: form, RolesForm: rolesForm, RolesFor: rolesFor}
	for _, a := range staff {
		row := StaffRow{Ref: a.Ref, Name: a.Name, Email: a.Email, Roles: a.Roles}
		if a.Ref == rolesFor {
			row.Roles = formRoles(rolesForm.Values)
		}
		page.Staff = append(page.Staff, row)
	}
	return page, nil
}

// formRoles are the known roles checked in a form (unknown values are dropped).
func formRoles(v url.Values) []Role {
	var out []Role
	for _, r := range v["roles"] {
		if ValidRole(Role(r)) && !slices.Contains(out, Role(r)) {
			out = append(out, Role(r))
		}
	}
	return out
}

func (h *Handler) handleStaffPage(w http.ResponseWriter, r *http.Request) error {
	p, err := h.staffPage(r, newForm(nil), newForm(nil), "")
	if err != nil {
		return err
	}
	p.Notice = notice(r, "staff_created", "roles_saved")
	return h.renderStaff(w, r, http.StatusOK, "admin_staff", p)
}

var staffFields = [][2]string{{"name", "staff-name"}, {"email", "staff-email"}, {"password", "staff-password"}, {"roles", "staff-role-admin"}}

func (h *Handler) handleStaffCreate(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.PrincipalFrom(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	name, email := strings.TrimSpace(r.PostForm.Get("name")), strings.TrimSpace(r.PostForm.Get("email"))
	roles := formRoles(r.PostForm)
	vals := url.Values{"name": {name}, "email": {email}}
	for _, ro := range roles {
		vals.Add("roles", string(ro))
	}
	f := newForm(vals)
	// Admins only: a non-admin gets the domain's answer before anything is
	// shown; the domain checks every field.
	_, err = h.Svc.CreateStaff(r.Context(), p, t.ID, email, name, r.PostForm.Get("password"), roles)
	if err == nil {
		http.Redirect(w, r, "/verwaltung/mitarbeitende?hinweis=staff_created", http.StatusSeeOther)
		return nil
	}
	if !f.fromValidation(err, staffFields) {
		return err
	}
	page, err := h.staffPage(r, f, newForm(nil), "")
	if err != nil {
		return err
	}
	return h.renderStaff(w, r, http.StatusUnprocessableEntity, "admin_staff", page)
}

func (h *Handler) handleStaffRoles(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.PrincipalFrom(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	ref := r.PathValue("id")
	roles := formRoles(r.PostForm)
	err = h.Svc.SetRoles(r.Context(), p, t.ID, ref, roles)
	if err == nil {
		http.Redirect(w, r, "/verwaltung/mitarbeitende?hinweis=roles_saved", http.StatusSeeOther)
		return nil
	}
	vals := url.Values{}
	for _, ro := range roles {
		vals.Add("roles", string(ro))
	}
	f := newForm(vals)
	if !f.fromValidation(err, [][2]string{{"roles", "roles-" + ref + "-admin"}}) {
		return err
	}
	page, err := h.staffPage(r, newForm(nil), f, ref)
	if err != nil {
		return err
	}
	return h.renderStaff(w, r, http.StatusUnprocessableEntity, "admin_staff", page)
}

// TokensPage is the view model of the API tokens page.
type TokensPage struct {
	Tokens []Token
	Roles  []Role
	Form   PageForm
	Notice string
}

// TokenCreatedPage shows a new token's secret, once.
type TokenCreatedPage struct {
	Token  Token
	Secret string
}

func (h *Handler) tokensPage(r *http.Request, f PageForm) (TokensPage, error) {
	p, t, err := h.PrincipalFrom(r)
	if err != nil {
		return TokensPage{}, err
	}
	toks, err := h.Svc.Tokens(r.Context(), p, t.ID)
	if err != nil {
		return TokensPage{}, err
	}
	return TokensPage{Tokens: toks, Roles: Roles, Form: f}, nil
}

func (h *Handler) handleTokensPage(w http.ResponseWriter, r *http.Request) error {
	p, err := h.tokensPage(r, newForm(nil))
	if err != nil {
		return err
	}
	p.Notice = notice(r, "token_revoked")
	return h.renderStaff(w, r, http.StatusOK, "admin_tokens", p)
}

func (h *Handler) handleTokenCreate(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.PrincipalFrom(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	name, role := strings.TrimSpace(r.PostForm.Get("name")), r.PostForm.Get("role")
	secret, tok, err := h.Svc.CreateToken(r.Context(), p, t.ID, Role(role), name, "")
	if err == nil {
		return h.renderStaff(noStoreWriter{w}, r, http.StatusCreated, "admin_token_created", TokenCreatedPage{Token: *tok, Secret: secret})
	}
	f := newForm(url.Values{"name": {name}, "role": {role}})
	if !f.fromValidation(err, [][2]string{{"name", "token-name"}, {"role", "token-role"}}) {
		return err
	}
	page, err := h.tokensPage(r, f)
	if err != nil {
		return err
	}
	return h.renderStaff(w, r, http.StatusUnprocessableEntity, "admin_tokens", page)
}

func (h *Handler) handleTokenRevoke(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.PrincipalFrom(r)
	if err != nil {
		return err
	}
	if err := h.Svc.RevokeToken(r.Context(), p, t.ID, r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/verwaltung/tokens?hinweis=token_revoked", http.StatusSeeOther)
	return nil
}

// SettingsPage is the view model of the tenant settings form.
type SettingsPage struct {
	Form   PageForm
	States []FederalState
	Notice string
	// LeitwegID is the tenant's own Leitweg-ID, shown read-only: the
	// operator sets it (Service.SetLeitwegID).
	LeitwegID string
}

// FederalState is one choice of the federal state select.
type FederalState struct {
	Code, Name string
}

func federalStates() []FederalState {
	out := make([]FederalState, 0, len(FederalStates))
	for c, n := range FederalStates {
		out = append(out, FederalState{Code: c, Name: n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// settingsFields are the form's fields in page order: the domain's field
// name (also the form name) and the HTML id.
var settingsFields = [][2]string{
	{"federal_state", "settings-federal-state"},
	{"address.street", "settings-address-street"}, {"address.postcode", "settings-address-postcode"}, {"address.city", "settings-address-city"},
	{"creditor.name", "settings-creditor-name"}, {"creditor.iban", "settings-creditor-iban"}, {"creditor.bic", "settings-creditor-bic"},
	{"mail_from", "settings-mail-from"},
	{"legal.imprint", "settings-legal-imprint"}, {"legal.privacy", "settings-legal-privacy"}, {"legal.accessibility", "settings-legal-accessibility"},
}

func settingsValues(s Settings) url.Values {
	return url.Values{
		"federal_state": {s.FederalState}, "address.street": {s.Address.Street}, "address.postcode": {s.Address.Postcode}, "address.city": {s.Address.City},
		"creditor.name": {s.Creditor.Name}, "creditor.iban": {s.Creditor.IBAN}, "creditor.bic": {s.Creditor.BIC},
		"mail_from":     {s.MailFrom},
		"legal.imprint": {s.Legal.Imprint}, "legal.privacy": {s.Legal.Privacy}, "legal.accessibility": {s.Legal.Accessibility},
	}
}

// settingsFromForm reads the form; what the form does not show (the eID
// providers) is kept from cur, and the Leitweg-ID (shown read-only, set by
// the operator) is left empty, which UpdateSettings reads as "keep".
func settingsFromForm(v url.Values, cur Settings) Settings {
	get := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	text := func(k string) string { return strings.TrimSpace(strings.ReplaceAll(v.Get(k), "\r\n", "\n")) }
	return Settings{
		FederalState: get("federal_state"),
		Address:      Address{Street: get("address.street"), Postcode: get("address.postcode"), City: get("address.city")},
		Creditor:     Creditor{Name: get("creditor.name"), IBAN: strings.ToUpper(strings.ReplaceAll(get("creditor.iban"), " ", "")), BIC: strings.ToUpper(get("creditor.bic"))},
		MailFrom:     get("mail_from"),
		OIDC:         cur.OIDC,
		Legal:        Legal{Imprint: text("legal.imprint"), Privacy: text("legal.privacy"), Accessibility: text("legal.accessibility")},
	}
}

func (h *Handler) handleSettingsPage(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.PrincipalFrom(r)
	if err != nil {
		return err
	}
	st, err := h.Svc.Settings(r.Context(), p, t.ID)
	if err != nil {
		return err
	}
	page := SettingsPage{Form: newForm(settingsValues(st)), States: federalStates(), Notice: notice(r, "settings_saved"), LeitwegID: st.LeitwegID}
	return h.renderStaff(w, r, http.StatusOK, "admin_settings", page)
}

func (h *Handler) handleSettingsSave(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.PrincipalFrom(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	next := settingsFromForm(r.PostForm, t.Settings)
	_, err = h.Svc.UpdateSettings(r.Context(), p, t.ID, next)
	if err == nil {
		http.Redirect(w, r, "/verwaltung/einstellungen?hinweis=settings_saved", http.StatusSeeOther)
		return nil
	}
	f := newForm(settingsValues(next))
	if !f.fromValidation(err, settingsFields) {
		return err
	}
	return h.renderStaff(w, r, http.StatusUnprocessableEntity, "admin_settings", SettingsPage{Form: f, States: federalStates(), LeitwegID: t.Settings.LeitwegID})
}

// RolesField is a set of role checkboxes as the partial "id-roles" renders it.
type RolesField struct {
	Prefix, Legend, Name, Error string
	Roles                       []RoleCheck
}

// RoleCheck is one role checkbox.
type RoleCheck struct {
	Role    Role
	Checked bool
}

func rolesField(prefix, legend, name, errKey string, checked []Role) RolesField {
	f := RolesField{Prefix: prefix, Legend: legend, Name: name, Error: errKey}
	for _, r := range Roles {
		f.Roles = append(f.Roles, RoleCheck{Role: r, Checked: slices.Contains(checked, r)})
	}
	return f
}

// RolesOf is the roles form of one staff account.
func (p StaffPage) RolesOf(s StaffRow) RolesField {
	errKey := ""
	if s.Ref == p.RolesFor {
		errKey = p.RolesForm.Error("roles")
	}
	return rolesField("roles-"+s.Ref, "identity.staff.roles_of", s.Name, errKey, s.Roles)
}

// NewRoles is the roles choice of the create form.
func (p StaffPage) NewRoles() RolesField {
	return rolesField("staff-role", "identity.staff.roles", "", p.Form.Error("roles"), formRoles(p.Form.Values))
}
