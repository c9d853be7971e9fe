package feedback

import (
	"net/http"
	"strconv"
	"time"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/i18n"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// Handler is the HTTP surface: the accessibility statement with the form,
// the acknowledgement and the admin's API.
type Handler struct {
	Svc      *Service
	Identity *identity.Handler
	Pages    *web.Renderer
	// Shell fills the layout for a request (the composition root's).
	Shell func(*http.Request) web.Shell
}

// AddTemplates parses the pages into r.
func AddTemplates(r *web.Renderer) error {
	for _, name := range []string{"accessibility", "thanks"} {
		if err := r.Add("feedback."+name, templateFS, "templates/"+name+".html"); err != nil {
			return err
		}
	}
	return nil
}

// Routes lists every URL of feedback.
func (h *Handler) Routes(rt *web.Router) {
	rt.HandleFunc("GET /barrierefreiheit", h.handleAccessibility)
	rt.HandleFunc("GET /barrierefreiheit/feedback", h.handleFormGet)
	rt.HandleFunc("POST /barrierefreiheit/feedback", h.handleSubmit)
	rt.HandleFunc("GET /barrierefreiheit/danke", h.handleThanks)
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/accessibility-feedback", ID: "listAccessibilityFeedback", Tag: "accessibility",
		Auth: []string{"admin"}, Summary: "Feedback sent with the form on the accessibility statement, newest first",
		Query:    []web.Param{{Name: "limit", Description: "at most this many (1-500, default 100)", Type: "integer"}},
		Response: []Feedback{{Ref: "B-7K3M-Q9TX", Message: "Der Kontrast der Links ist zu schwach.", Page: "/impressum", Lang: i18n.De, CreatedAt: time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)}}},
		h.handleList)
}

// AccessibilityPage is the view model of the accessibility statement with
// the feedback form (empty, or as sent with its errors). The statement is
// the tenant's text, kept in German (TextLang).
type AccessibilityPage struct {
	TextLang   string
	Paragraphs [][]string
	Form       web.Form
}

// ThanksPage is the view model of the acknowledgement.
type ThanksPage struct{}

func (h *Handler) page(r *http.Request, f web.Form) AccessibilityPage {
	var body string
	if t := identity.TenantFrom(r.Context()); t != nil {
		body = t.Settings.Legal.Accessibility
	}
	return AccessibilityPage{TextLang: string(i18n.De), Paragraphs: web.Paragraphs(body), Form: f}
}

func (h *Handler) handleAccessibility(w http.ResponseWriter, r *http.Request) error {
	return h.Pages.Render(w, r, http.StatusOK, "feedback.accessibility", h.Shell(r), h.page(r, web.Form{}))
}

// handleFormGet: the form's address opened directly leads to the form.
func (h *Handler) handleFormGet(w http.ResponseWriter, r *http.Request) error {
	to := "/barrierefreiheit"
	if l, ok := i18n.Parse(r.URL.Query().Get("lang")); ok {
		to += "?lang=" + string(l)
	}
	http.Redirect(w, r, to+"#feedback", http.StatusSeeOther)
	return nil
}

// formFields are the form's fields in page order with their HTML ids.
var formFields = []struct{ name, id string }{{"message", "feedback-message"}, {"page", "feedback-page"}, {"name", "feedback-name"}, {"email", "feedback-email"}}

// handleSubmit stores the feedback, then sends the browser to the
// thank-you page (303, so a reload does not send it twice). Invalid input:
// 422 with the page, an error summary and the values kept.
func (h *Handler) handleSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	t := identity.TenantFrom(r.Context())
	if t == nil {
		return fault.ErrNotFound
	}
	f := web.Form{Values: r.PostForm}
	in := Feedback{Message: f.Value("message"), Page: f.Value("page"), Name: f.Value("name"), Email: f.Value("email"), Lang: h.Pages.Printer(r).Lang()}
	_, err := h.Svc.Submit(r.Context(), t.ID, in, web.ClientFrom(r).Addr)
	if v, ok := fault.AsValidation(err); ok {
		for _, ff := range formFields {
			for _, e := range v.Errors {
				if e.Field == ff.name {
					f.Errors = append(f.Errors, web.FieldError{Field: e.Field, ID: ff.id, Message: "fault." + e.Code, Args: e.Args})
				}
			}
		}
		web.Logger(r.Context()).Info("feedback refused", "fields", len(v.Errors))
		return h.Pages.Render(w, r, http.StatusUnprocessableEntity, "feedback.accessibility", h.Shell(r), h.page(r, f))
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/barrierefreiheit/danke", http.StatusSeeOther)
	return nil
}

func (h *Handler) handleThanks(w http.ResponseWriter, r *http.Request) error {
	return h.Pages.Render(w, r, http.StatusOK, "feedback.thanks", h.Shell(r), ThanksPage{})
}

func (h *Handler) handleList(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return err
	}
	n := 100
	if s := r.URL.Query().Get("limit"); s != "" {
		if n, err = strconv.Atoi(s); err != nil {
			return fault.Invalid("limit", "not_a_number")
		}
	}
	list, err := h.Svc.List(r.Context(), p, t.ID, n)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, list)
	return nil
}
