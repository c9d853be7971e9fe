package app

import (
	"context"
	"fmt"
	"net/http"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/i18n"
	"github.com/rathaus/rathaus/internal/platform/ref"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// AccessibilityPage is the view model of the accessibility statement with
// the feedback form (empty, or as sent with its errors).
type AccessibilityPage struct {
	TextLang   string
	Paragraphs [][]string
	Form       web.Form
}

// Feedback is one message sent with the accessibility feedback form.
type Feedback struct {
	Ref       string    `json:"ref"`
	Message   string    `json:"message"`
	Page      string    `json:"page"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	Lang      i18n.Lang `json:"lang"`
	CreatedAt time.Time `json:"created_at"`
}

// Limits of the feedback fields, in characters (also CHECKed by the table).
const (
	feedbackMessageMax = 5000
	feedbackPageMax    = 500
	feedbackNameMax    = 200
	feedbackEmailMax   = 254
)

func (p *pages) accessibilityPage(r *http.Request, f web.Form) AccessibilityPage {
	var body string
	if t := identity.TenantFrom(r.Context()); t != nil {
		body = t.Settings.Legal.Accessibility
	}
	return AccessibilityPage{TextLang: string(i18n.De), Paragraphs: paragraphs(body), Form: f}
}

func (p *pages) handleAccessibility(w http.ResponseWriter, r *http.Request) error {
	return p.site.r.Render(w, r, http.StatusOK, "accessibility", shellFor(r), p.accessibilityPage(r, web.Form{}))
}

// handleFeedbackGet: the form's address opened directly leads to the form.
func (p *pages) handleFeedbackGet(w http.ResponseWriter, r *http.Request) error {
	to := "/barrierefreiheit"
	if l, ok := i18n.Parse(r.URL.Query().Get("lang")); ok {
		to += "?lang=" + string(l)
	}
	http.Redirect(w, r, to+"#feedback", http.StatusSeeOther)
	return nil
}

// validateFeedback checks the form's values and returns the feedback or the
// form with its errors, in the order of the fields on the page.
func validateFeedback(f web.Form, lang i18n.Lang) (Feedback, web.Form) {
	fb := Feedback{
		Message: strings.TrimSpace(f.Value("message")),
		Page:    strings.TrimSpace(f.Value("page")),
		Name:    strings.TrimSpace(f.Value("name")),
		Email:   strings.TrimSpace(f.Value("email")),
		Lang:    lang,
	}
	switch n := utf8.RuneCountInString(fb.Message); {
	case n == 0:
		f.Fail("message", "feedback-message", "feedback.error.message_required")
	case n > feedbackMessageMax:
		f.Fail("message", "feedback-message", "feedback.error.message_too_long")
	}
	if utf8.RuneCountInString(fb.Page) > feedbackPageMax {
		f.Fail("page", "feedback-page", "feedback.error.page_too_long")
	}
	if utf8.RuneCountInString(fb.Name) > feedbackNameMax {
		f.Fail("name", "feedback-name", "feedback.error.name_too_long")
	}
	if fb.Email != "" {
		a, err := mail.ParseAddress(fb.Email)
		if err != nil || a.Address != fb.Email || len(fb.Email) > feedbackEmailMax || !strings.Contains(fb.Email[strings.LastIndexByte(fb.Email, '@')+1:], ".") {
			f.Fail("email", "feedback-email", "feedback.error.email_invalid")
		}
	}
	return fb, f
}

// handleFeedback validates and stores the feedback, then sends the browser
// to the thank-you page (303, so a reload does not send it twice). Invalid
// input: 422 with the page, an error summary and the values kept. Nothing
// personal goes into a URL.
func (p *pages) handleFeedback(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	t := identity.TenantFrom(r.Context())
	if t == nil {
		return web.ErrNotFound
	}
	lang := p.site.r.Printer(r).Lang()
	fb, form := validateFeedback(web.Form{Values: r.PostForm}, lang)
	if form.Invalid() {
		web.Logger(r.Context()).Info("feedback refused", "fields", len(form.Errors))
		return p.site.r.Render(w, r, http.StatusUnprocessableEntity, "accessibility", shellFor(r), p.accessibilityPage(r, form))
	}
	if _, err := storeFeedback(r.Context(), p.env.db, t.ID, fb); err != nil {
		return err
	}
	http.Redirect(w, r, "/barrierefreiheit/danke", http.StatusSeeOther)
	return nil
}

// FeedbackThanksPage is the view model of the acknowledgement.
type FeedbackThanksPage struct{}

func (p *pages) handleFeedbackThanks(w http.ResponseWriter, r *http.Request) error {
	return p.site.r.Render(w, r, http.StatusOK, "feedback_thanks", shellFor(r), FeedbackThanksPage{})
}

// storeFeedback writes the feedback of a tenant in one transaction and
// returns its public reference.
func storeFeedback(ctx context.Context, db *database.DB, tenantID int64, fb Feedback) (string, error) {
	var reference string
	err := database.WithTx(ctx, db, func(tx *database.Tx) error {
		for range 3 {
			reference = ref.New("B")
			_, err := tx.ExecContext(ctx, `INSERT INTO accessibility_feedback
				(tenant_id, ref, message, page, name, email, lang, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
				tenantID, reference, fb.Message, fb.Page, fb.Name, fb.Email, string(fb.Lang), tx.Now())
			if database.IsUniqueViolation(err) {
				continue
			}
			return err
		}
		return fmt.Errorf("no free reference")
	})
	if err != nil {
		return "", fmt.Errorf("store accessibility feedback: %w", err)
	}
	return reference, nil
}

// listFeedback returns the feedback of a tenant, newest first.
func listFeedback(ctx context.Context, db *database.DB, tenantID int64, limit int) ([]Feedback, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT ref, message, page, name, email, lang, created_at
		FROM accessibility_feedback WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, tenantID, limit)
	if err != nil {
		return nil, fmt.Errorf("list accessibility feedback: %w", err)
	}
	defer rows.Close()
	out := []Feedback{}
	for rows.Next() {
		var f Feedback
		var lang string
		if err := rows.Scan(&f.Ref, &f.Message, &f.Page, &f.Name, &f.Email, &lang, &f.CreatedAt); err != nil {
			return nil, err
		}
		f.Lang = i18n.Lang(lang)
		f.CreatedAt = f.CreatedAt.UTC()
		out = append(out, f)
	}
	return out, rows.Err()
}

// feedbackAPI is the admin's view of the feedback (the JSON API): the
// municipality answers each message; nothing else reads the table.
func (p *pages) feedbackAPI(rt *web.Router) {
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/accessibility-feedback", ID: "listAccessibilityFeedback", Tag: "accessibility",
		Auth: []string{"admin"}, Summary: "Feedback sent with the form on the accessibility statement, newest first",
		Query:    []web.Param{{Name: "limit", Description: "at most this many (1-500, default 100)", Type: "integer"}},
		Response: []Feedback{{Ref: "B-7K3M-Q9TX", Message: "Der Kontrast der Links ist zu schwach.", Page: "/impressum", Lang: i18n.De, CreatedAt: time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)}}},
		func(w http.ResponseWriter, r *http.Request) error {
			pr, t, err := (&identity.Handler{Svc: p.env.identity}).PrincipalFrom(r)
			if err != nil {
				return err
			}
			if err := pr.Require(t.ID, identity.RoleAdmin); err != nil {
				return err
			}
			n, err := limit(r)
			if err != nil {
				return err
			}
			list, err := listFeedback(r.Context(), p.env.db, t.ID, n)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, list)
			return nil
		})
}
