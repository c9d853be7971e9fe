package catalog

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// handleNothingFitting counts a search the citizen gave up ("nothing
// fitting") and hands the question to the assistant. A POST, so that
// following links (crawlers, prefetching) counts nothing.
func (h *Handler) handleNothingFitting(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	q := strings.TrimSpace(cutQuery(r.PostForm.Get("q")))
	h.Catalog.RecordMiss(t.ID, q, MissAbandoned)
	to := "/assistent"
	if q != "" {
		to += "?" + url.Values{"q": {q}}.Encode()
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// MissesPage is the view model of GET/POST /verwaltung/suchanfragen.
type MissesPage struct {
	Misses []Miss
	Min    int
	Form   web.Form
	// Added names the phrase and the service after a successful POST.
	AddedPhrase, AddedService string
}

func (h *Handler) handleMisses(w http.ResponseWriter, r *http.Request) error {
	p, t, done, err := h.staffPrincipal(w, r)
	if done || err != nil {
		return err
	}
	render := func(status int, v MissesPage) error {
		misses, err := h.Catalog.Misses(r.Context(), p, t.ID)
		if err != nil {
			return err
		}
		v.Misses, v.Min = misses, MinMissSearches
		return h.Pages.Render(w, r, status, "catalog_misses", h.shell(r, web.AreaStaff), v)
	}
	if r.Method == http.MethodGet {
		return render(http.StatusOK, MissesPage{Form: web.Form{Values: url.Values{"phrase": {r.URL.Query().Get("worte")}}}})
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	f := web.Form{Values: r.PostForm}
	phrase, ref := strings.TrimSpace(f.Value("phrase")), strings.TrimSpace(f.Value("service"))
	st, err := h.Catalog.AddPhrase(r.Context(), p, t.ID, ref, phrase)
	var v *fault.Validation
	switch {
	case err == nil:
		return render(http.StatusOK, MissesPage{AddedPhrase: phrase, AddedService: st.Name, Form: web.Form{Values: url.Values{}}})
	case errors.As(err, &v):
		f.Fail("phrase", "misses-phrase", "catalog.misses.error.phrase")
	case errors.Is(err, ErrNotFound):
		f.Fail("service", "misses-service", "catalog.misses.error.service")
	default:
		return err
	}
	return render(http.StatusUnprocessableEntity, MissesPage{Form: f})
}
