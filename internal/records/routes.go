package records

import (
	"bytes"
	"embed"
	"errors"
	"io/fs"
	"mime"
	"net/http"
	"net/url"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/web"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed messages/*.json
var messageFS embed.FS

// Messages are the records catalog files (keys "records.").
func Messages() fs.FS {
	sub, err := fs.Sub(messageFS, "messages")
	if err != nil {
		panic(err)
	}
	return sub
}

// AddTemplates parses the records pages into r.
func AddTemplates(r *web.Renderer) error {
	for _, p := range []string{"list", "file"} {
		if err := r.Add("records."+p, templateFS, "templates/"+p+".html"); err != nil {
			return err
		}
	}
	return nil
}

// Handler is the HTTP surface of records.
type Handler struct {
	Svc      *Service
	Identity *identity.Handler
	Pages    *web.Renderer
	Shell    func(*http.Request) web.Shell
	// Handover names sender and archive of an export for the request's tenant.
	Handover func(r *http.Request) Handover
}

// Routes lists every URL of records.
func (h *Handler) Routes(rt *web.Router) {
	ex := File{Ref: "F-7K3M-Q9TX", CaseRef: "C-7K3M-Q9TX", Status: StatusKept, RetentionYears: 10, RetainUntil: "2036-12-31", Metadata: map[string]string{}, Documents: []Document{}}
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/records", ID: "listRecords", Tag: "records", Auth: []string{"records_officer", "admin", "unit_head", "case_worker"},
		Summary:  "E-files with their documents' SHA-256 (closed=true: only closed files; due=YYYY-MM-DD: retention ended before that day)",
		Query:    []web.Param{{Name: "closed", Description: "only closed files", Type: "boolean"}, {Name: "due", Description: "kept files whose retention ended before this day", Type: "string"}},
		Response: []File{ex}}, h.handleListAPI)
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/records/{id}", ID: "getRecord", Tag: "records", Auth: []string{"records_officer", "admin", "unit_head", "case_worker"},
		Summary: "One e-file with its documents", Response: ex}, h.handleGetAPI)
	if h.Pages == nil {
		return
	}
	rt.HandleFunc("GET /verwaltung/akten", h.page(h.handleList))
	rt.HandleFunc("GET /verwaltung/akten/{id}", h.page(h.handleFile))
	rt.HandleFunc("GET /verwaltung/akten/{id}/aussonderung", h.page(h.handleExport))
	rt.HandleFunc("POST /verwaltung/akten/{id}/aussonderung", h.page(h.handleDispose))
}

func (h *Handler) page(fn web.HandlerFunc) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		err := fn(w, r)
		if err != nil && r.Method == http.MethodGet && errors.Is(err, fault.ErrUnauthorized) {
			http.Redirect(w, r, "/anmelden?"+url.Values{"return_to": {web.LocalPath(r.URL)}}.Encode(), http.StatusSeeOther)
			return nil
		}
		return err
	}
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) error {
	sh := h.Shell(r)
	sh.Area = web.AreaStaff
	return h.Pages.Render(w, r, status, "records."+name, sh, data)
}

func (h *Handler) handleListAPI(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := Filter{Closed: q.Get("closed") == "true", Due: q.Get("due")}
	files, err := h.Svc.List(r.Context(), p, t.ID, f)
	if err != nil {
		return err
	}
	web.WriteJSON(w, 200, files)
	return nil
}

func (h *Handler) handleGetAPI(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return err
	}
	f, err := h.Svc.Get(r.Context(), p, t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, 200, f)
	return nil
}

// ListPage is the e-files page.
type ListPage struct {
	Files  []File
	Closed bool
}

func (h *Handler) handleList(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return err
	}
	closed := r.URL.Query().Get("abgeschlossen") == "1"
	files, err := h.Svc.List(r.Context(), p, t.ID, Filter{Closed: closed})
	if err != nil {
		return err
	}
	return h.render(w, r, 200, "list", ListPage{Files: files, Closed: closed})
}

// FilePage is one e-file.
type FilePage struct {
	File       File
	CanDispose bool
	Today      string
	Form       web.Form
	Notice     string
}

func (h *Handler) filePage(r *http.Request, p identity.Principal, f *File) FilePage {
	return FilePage{File: *f, CanDispose: p.Has(identity.RoleRecordsOfficer, identity.RoleAdmin)}
}

func (h *Handler) handleFile(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return err
	}
	f, err := h.Svc.Get(r.Context(), p, t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	v := h.filePage(r, p, f)
	if r.URL.Query().Get("hinweis") == "disposed" {
		v.Notice = "records.notice.disposed"
	}
	return h.render(w, r, 200, "file", v)
}

// handleExport sends the xdomea hand-over zip (records officers, admins).
func (h *Handler) handleExport(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	f, err := h.Svc.Export(r.Context(), p, t.ID, r.PathValue("id"), h.Handover(r), &buf)
	if err != nil {
		return err
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/zip")
	hd.Set("Cache-Control", "private, no-store")
	hd.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "xdomea-0503-" + f.Ref + ".zip"}))
	w.Write(buf.Bytes())
	return nil
}

func (h *Handler) handleDispose(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	id := r.PathValue("id")
	err = h.Svc.Dispose(r.Context(), p, t.ID, id, r.PostForm.Get("outcome"))
	if err == nil {
		http.Redirect(w, r, "/verwaltung/akten/"+id+"?hinweis=disposed", http.StatusSeeOther)
		return nil
	}
	v, ok := fault.AsValidation(err)
	if !ok {
		return err
	}
	f, gerr := h.Svc.Get(r.Context(), p, t.ID, id)
	if gerr != nil {
		return gerr
	}
	page := h.filePage(r, p, f)
	page.Form.AddFault(v, "aussonderung-")
	return h.render(w, r, http.StatusUnprocessableEntity, "file", page)
}
