package app

import (
	"fmt"
	"html/template"
	"net/http"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// mountPages registers the HTML pages of the web shell (home, legal pages).
func mountPages(rt *web.Router, e *env) {
	rt.HandleFunc("GET /{$}", handleHome)
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="de">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} – {{.Tenant}}</title></head>
<body>
<header><p>{{.Tenant}}</p></header>
<main id="inhalt">
<h1>{{.Title}}</h1>
{{range .Paragraphs}}<p>{{.}}</p>{{end}}
</main>
</body>
</html>
`))

type pageView struct {
	Tenant     string
	Title      string
	Paragraphs []string
}

func handleHome(w http.ResponseWriter, r *http.Request) error {
	t := identity.TenantFrom(r.Context())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	return pageTmpl.Execute(w, pageView{Tenant: t.Name, Title: "Willkommen im digitalen Rathaus",
		Paragraphs: []string{"Hier erledigen Sie Ihre Anliegen bei " + t.Name + " online – rund um die Uhr."}})
}

var errorTitles = map[int]string{
	400: "Die Anfrage ist fehlerhaft",
	401: "Bitte melden Sie sich an",
	403: "Kein Zugriff",
	404: "Seite nicht gefunden",
	405: "Diese Aktion ist hier nicht möglich",
	413: "Die Datei oder Anfrage ist zu groß",
	422: "Bitte prüfen Sie Ihre Eingaben",
	500: "Ein interner Fehler ist aufgetreten",
}

// renderError writes the HTML error page; it never shows internal error text.
func renderError(w http.ResponseWriter, r *http.Request, status int) {
	title := errorTitles[status]
	if title == "" {
		title = http.StatusText(status)
	}
	tenant := "Rathaus"
	if t := identity.TenantFrom(r.Context()); t != nil {
		tenant = t.Name
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	pageTmpl.Execute(w, pageView{Tenant: tenant, Title: title,
		Paragraphs: []string{fmt.Sprintf("Fehlercode %d. Wenn Sie uns kontaktieren, nennen Sie bitte die Vorgangsnummer %s.", status, web.RequestID(r.Context()))}})
}
