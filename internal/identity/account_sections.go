package identity

import "net/http"

// AccountSection is a part of the account page that another module fills
// (forms: the person's applications and prefill consents), registered by
// the composition root in Handler.AccountSections — identity imports none
// of those modules. Texts arrive translated for the request.
type AccountSection struct {
	ID    string // the section's HTML id (a link target: "/konto#antraege")
	Title string
	Intro string
	Empty string // shown when Items is empty
	Items []AccountItem
	// Link is a "see all" link below the items.
	Link, LinkText string
}

// AccountItem is one entry of a section: a text, optionally a link, a
// detail line, and a button that posts to Action (withdraw a consent).
type AccountItem struct {
	Text, Href, Detail string
	Action, ActionText string
}

// AccountSectionFunc returns a module's sections for the signed-in person.
type AccountSectionFunc func(r *http.Request, p Principal) ([]AccountSection, error)
