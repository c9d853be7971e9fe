package catalog

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// LevelOption is one online availability level in the edit form.
type LevelOption struct {
	Value, Key string
	Checked    bool
}

// EditPage is the view model of GET/POST /verwaltung/leistungen/{id}: the
// staff form for the fields most often maintained (name, summary, online
// availability, appointments, yearly case volume), or for unit heads the
// case volume only. Every save is a new version, audited; the whole
// document is edited through the API.
type EditPage struct {
	Ref, Name string
	Version   int
	// VolumeOnly: the editor is a unit head, who maintains the case
	// volume only.
	VolumeOnly bool
	Levels     []LevelOption
	Form       web.Form
}

// editFields maps the service's JSON fields to the form's fields and ids,
// in the order of the form (the error summary follows it).
var editFields = []struct{ json, form, id string }{
	{"name", "name", "edit-name"},
	{"summary", "summary", "edit-summary"},
	{"online_availability", "online_availability", "edit-availability-0"},
	{"appointment_minutes", "appointment_minutes", "edit-minutes"},
	{"yearly_case_volume", "yearly_case_volume", "edit-volume"},
}

func editPage(st *StoredService, f web.Form) EditPage {
	v := EditPage{Ref: st.ID, Name: st.Name, Version: st.Version, Form: f}
	cur := f.Value("online_availability")
	for _, l := range Levels {
		v.Levels = append(v.Levels, LevelOption{Value: string(l), Key: availabilityKey(l), Checked: string(l) == cur})
	}
	return v
}

func formOf(st *StoredService) url.Values {
	v := url.Values{}
	v.Set("name", st.Name)
	v.Set("summary", st.Summary)
	v.Set("online_availability", string(st.Availability))
	v.Set("appointment_minutes", strconv.Itoa(st.AppointmentMinutes))
	v.Set("yearly_case_volume", strconv.Itoa(st.YearlyCaseVolume))
	if st.Bookable {
		v.Set("bookable", "1")
	}
	v.Set("version", strconv.Itoa(st.Version))
	return v
}

func (h *Handler) handleEdit(w http.ResponseWriter, r *http.Request) error {
	p, t, done, err := h.staffPrincipal(w, r)
	if done || err != nil {
		return err
	}
	if err := p.See(t.ID, identity.RoleUnitHead, identity.RoleFormManager, identity.RoleAdmin); err != nil {
		return err
	}
	volumeOnly := !p.Has(editorRoles...)
	st, err := h.Catalog.Get(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	shell := h.shell(r, web.AreaStaff)
	render := func(status int, f web.Form) error {
		v := editPage(st, f)
		v.VolumeOnly = volumeOnly
		return h.Pages.Render(w, r, status, "catalog_edit", shell, v)
	}
	if r.Method == http.MethodGet {
		return render(http.StatusOK, web.Form{Values: formOf(st)})
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	f := web.Form{Values: r.PostForm}
	if volumeOnly {
		return h.saveVolume(w, r, p, st, f, render)
	}
	in := st.Service
	in.Name = strings.TrimSpace(f.Value("name"))
	in.Summary = strings.TrimSpace(f.Value("summary"))
	in.Availability = Availability(f.Value("online_availability"))
	in.Bookable = f.Value("bookable") == "1"
	bad := map[string]bool{} // form fields that are not numbers
	number := func(field string) int {
		s := strings.TrimSpace(f.Value(field))
		if s == "" {
			return 0
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			bad[field] = true
		}
		return n
	}
	in.AppointmentMinutes = number("appointment_minutes")
	in.YearlyCaseVolume = number("yearly_case_volume")
	version, _ := strconv.Atoi(f.Value("version"))
	// All problems at once, in the order of the form.
	ve := ValidateEdit(in)
	for _, ef := range editFields {
		switch {
		case bad[ef.form]:
			f.Fail(ef.form, ef.id, "catalog.edit.error.number")
		case ve.Code(ef.json) != "":
			f.Fail(ef.form, ef.id, "catalog.edit.error."+ef.json)
		}
	}
	if ve != nil && !f.Invalid() { // a problem in a field this form does not show
		f.Fail("name", "edit-name", "catalog.edit.error.other")
	}
	if !f.Invalid() {
		_, err = h.Catalog.Update(r.Context(), p, t.ID, st.ID, version, in)
		switch {
		case err == nil:
			http.Redirect(w, r, serviceURL(st.ID), http.StatusSeeOther)
			return nil
		case errors.Is(err, web.ErrConflict):
			f.Values.Set("version", strconv.Itoa(st.Version))
			f.Fail("name", "edit-name", "catalog.edit.error.conflict")
			return render(http.StatusConflict, f)
		default:
			return err
		}
	}
	return render(http.StatusUnprocessableEntity, f)
}

// saveVolume stores the case volume a unit head entered.
func (h *Handler) saveVolume(w http.ResponseWriter, r *http.Request, p identity.Principal, st *StoredService, f web.Form, render func(int, web.Form) error) error {
	n, err := strconv.Atoi(strings.TrimSpace(f.Value("yearly_case_volume")))
	switch {
	case err != nil:
		f.Fail("yearly_case_volume", "edit-volume", "catalog.edit.error.number")
	case n < 0:
		f.Fail("yearly_case_volume", "edit-volume", "catalog.edit.error.yearly_case_volume")
	}
	if f.Invalid() {
		return render(http.StatusUnprocessableEntity, f)
	}
	version, _ := strconv.Atoi(f.Value("version"))
	_, err = h.Catalog.UpdateVolume(r.Context(), p, p.TenantID, st.ID, version, n)
	switch {
	case err == nil:
		http.Redirect(w, r, "/verwaltung/digitalisierung", http.StatusSeeOther)
		return nil
	case errors.Is(err, web.ErrConflict):
		f.Values.Set("version", strconv.Itoa(st.Version))
		f.Fail("yearly_case_volume", "edit-volume", "catalog.edit.error.conflict")
		return render(http.StatusConflict, f)
	}
	return err
}
