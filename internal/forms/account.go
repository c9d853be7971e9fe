package forms

import (
	"net/http"

	"github.com/rathaus/rathaus/internal/identity"
)

// AccountSections are forms' parts of the account page: the person's
// latest applications, open drafts and prefill consents (with a button to
// withdraw each live one). Registered in identity.Handler.AccountSections.
func (h *Handler) AccountSections(r *http.Request, p identity.Principal) ([]identity.AccountSection, error) {
	if !p.IsPerson() || p.Kind == "staff" {
		return nil, nil
	}
	ctx := r.Context()
	pr := h.Pages.Printer(r)
	apps, err := h.Forms.Applications(ctx, p, p.TenantID)
	if err != nil {
		return nil, err
	}
	drafts, err := h.Forms.OpenDrafts(ctx, p, p.TenantID)
	if err != nil {
		return nil, err
	}
	consents, err := h.Forms.Consents(ctx, p, p.TenantID)
	if err != nil {
		return nil, err
	}
	a := identity.AccountSection{ID: "antraege", Title: pr.T("forms.applications.title"), Empty: pr.T("forms.applications.none"),
		Link: "/antraege", LinkText: pr.T("forms.account.all")}
	for i, x := range apps {
		if i == 5 {
			break
		}
		a.Items = append(a.Items, identity.AccountItem{Text: x.FormTitle + " (" + x.Ref + ")", Href: "/antraege/" + x.Ref,
			Detail: pr.T("forms.status."+string(x.Status)) + ", " + pr.Date(x.SubmittedAt.In(berlin))})
	}
	for _, d := range drafts {
		a.Items = append(a.Items, identity.AccountItem{Text: d.FormTitle, Href: "/antrag/entwurf/" + d.Ref,
			Detail: pr.T("forms.applications.draft_until", pr.Date(d.ExpiresAt.In(berlin)))})
	}
	c := identity.AccountSection{ID: "einwilligungen", Title: pr.T("forms.account.consents"), Intro: pr.T("forms.account.consents_intro"), Empty: pr.T("forms.account.no_consents")}
	for _, x := range consents {
		names := ""
		for i, f := range x.Fields {
			if i > 0 {
				names += ", "
			}
			names += pr.T("forms.prefill.key." + f)
		}
		title := x.FormTitle
		if title == "" {
			title = x.ServiceID
		}
		item := identity.AccountItem{Text: title, Detail: pr.T("forms.account.consent_detail", pr.DateTime(x.GrantedAt.In(berlin)), names)}
		if x.WithdrawnAt != nil {
			item.Detail += " – " + pr.T("forms.account.withdrawn", pr.DateTime(x.WithdrawnAt.In(berlin)))
		} else {
			item.Action, item.ActionText = "/konto/einwilligungen/"+x.Ref+"/widerrufen", pr.T("forms.account.withdraw")
		}
		c.Items = append(c.Items, item)
	}
	return []identity.AccountSection{a, c}, nil
}
