package app

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// StaffTask is one thing staff can do now, offered on the staff area's
// landing page (/verwaltung) to the roles that may do it. The page must
// answer those roles with 200 (a test follows every task as every demo
// person), and the texts are catalog keys in both languages.
type StaffTask struct {
	// Roles that are offered the task (any of them); none: every staff
	// member.
	Roles    []identity.Role
	Href     string
	TitleKey string // the link's text
	TextKey  string // one sentence: what the person does there
}

// staffTaskSets lists each module's tasks, in the order the landing page
// shows them. A module adds one function in its own file of this package
// and one entry here.
var staffTaskSets = []func() []StaffTask{
	identityTasks,
	catalogTasks,
	casesTasks,
	paymentsTasks,
	einvoiceTasks,
}

// staffTasks are every registered task.
func staffTasks() []StaffTask {
	var out []StaffTask
	for _, set := range staffTaskSets {
		out = append(out, set()...)
	}
	return out
}

// tasksFor are the tasks a principal is offered.
func tasksFor(p identity.Principal) []StaffTask {
	var out []StaffTask
	for _, t := range staffTasks() {
		if len(t.Roles) == 0 || p.Has(t.Roles...) {
			out = append(out, t)
		}
	}
	return out
}

// identityTasks: the admin's pages and every person's own account (TOTP,
// passkeys, personal API tokens).
func identityTasks() []StaffTask {
	admin := []identity.Role{identity.RoleAdmin}
	return []StaffTask{
		{Roles: admin, Href: "/verwaltung/mitarbeitende", TitleKey: "identity.staff.title", TextKey: "identity.task.staff"},
		{Roles: admin, Href: "/verwaltung/einheiten", TitleKey: "identity.units.title", TextKey: "identity.task.units"},
		{Roles: admin, Href: "/verwaltung/tokens", TitleKey: "identity.tokens.title", TextKey: "identity.task.tokens"},
		{Roles: admin, Href: "/verwaltung/einstellungen", TitleKey: "identity.settings.title", TextKey: "identity.task.settings"},
		{Href: "/konto", TitleKey: "identity.account.title", TextKey: "identity.task.account"},
	}
}

// catalogTasks: the digitisation degree and editing services.
func catalogTasks() []StaffTask {
	return []StaffTask{
		{Roles: []identity.Role{identity.RoleUnitHead, identity.RoleAdmin}, Href: "/verwaltung/digitalisierung", TitleKey: "catalog.digitisation.title", TextKey: "catalog.task.digitisation"},
		{Roles: []identity.Role{identity.RoleFormManager, identity.RoleAdmin}, Href: "/leistungen", TitleKey: "catalog.task.edit.title", TextKey: "catalog.task.edit"},
		{Roles: []identity.Role{identity.RoleFormManager, identity.RoleAdmin}, Href: "/verwaltung/suchanfragen", TitleKey: "catalog.misses.title", TextKey: "catalog.task.misses"},
	}
}

// StaffPage is the view model of the staff area's landing page: who is
// signed in and what their roles let them do now.
type StaffPage struct {
	Name     string
	RoleKeys []string // catalog keys of the person's roles
	Tasks    []StaffTask
}

// handleStaff shows the landing page to staff; visitors who are not
// signed in go to the sign-in page and come back; other accounts get 403.
func (p *pages) handleStaff(w http.ResponseWriter, r *http.Request) error {
	sess, _, err := p.id.SessionFrom(r)
	if errors.Is(err, identity.ErrTOTPSetupPending) {
		http.Redirect(w, r, identity.TOTPSetupPath, http.StatusSeeOther)
		return nil
	}
	if errors.Is(err, fault.ErrUnauthorized) {
		http.Redirect(w, r, "/anmelden?"+url.Values{"return_to": {"/verwaltung"}}.Encode(), http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return err
	}
	if sess.Kind != "staff" {
		return fault.ErrForbidden
	}
	s := shellFor(r)
	s.Area = web.AreaStaff
	w.Header().Set("Cache-Control", "no-store")
	v := StaffPage{Name: sess.Name, Tasks: tasksFor(sess.Principal())}
	for _, role := range sess.Roles {
		v.RoleKeys = append(v.RoleKeys, "identity.role."+string(role))
	}
	return p.site.r.Render(w, r, http.StatusOK, "staff", s, v)
}
