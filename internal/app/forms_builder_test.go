package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"
)

// pageForm is one <form> of a page as a browser without JavaScript would
// send it: its action and the successful controls (hidden inputs, text,
// checked boxes, selected options, textareas), and the text of its submit
// button, by which a person picks it.
type pageForm struct {
	action, method, button string
	values                 url.Values
}

// pageForms reads the forms of an HTML page.
func pageForms(t *testing.T, page string) []pageForm {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	attr := func(n *html.Node, k string) (string, bool) {
		for _, a := range n.Attr {
			if a.Key == k {
				return a.Val, true
			}
		}
		return "", false
	}
	var text func(n *html.Node) string
	text = func(n *html.Node) string {
		if n.Type == html.TextNode {
			return n.Data
		}
		var b strings.Builder
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			b.WriteString(text(c))
		}
		return b.String()
	}
	var out []pageForm
	var cur *pageForm
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "form":
				action, _ := attr(n, "action")
				method, _ := attr(n, "method")
				out = append(out, pageForm{action: html.UnescapeString(action), method: strings.ToUpper(method), values: url.Values{}})
				prev := cur
				cur = &out[len(out)-1]
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					walk(c)
				}
				cur.button = strings.Join(strings.Fields(cur.button), " ")
				cur = prev
				return
			case "input":
				name, _ := attr(n, "name")
				typ, _ := attr(n, "type")
				val, _ := attr(n, "value")
				_, checked := attr(n, "checked")
				if cur != nil && name != "" && typ != "submit" && typ != "file" && ((typ != "checkbox" && typ != "radio") || checked) {
					cur.values.Add(name, val)
				}
			case "textarea":
				if name, _ := attr(n, "name"); cur != nil && name != "" {
					cur.values.Add(name, strings.TrimPrefix(text(n), "\n"))
				}
				return
			case "select":
				name, _ := attr(n, "name")
				first, chosen := "", ""
				found, seen := false, false
				var opts func(*html.Node)
				opts = func(o *html.Node) {
					for c := o.FirstChild; c != nil; c = c.NextSibling {
						if c.Type == html.ElementNode && c.Data == "option" {
							v, ok := attr(c, "value")
							if !ok {
								v = strings.TrimSpace(text(c))
							}
							if !seen {
								first, seen = v, true
							}
							if _, sel := attr(c, "selected"); sel && !found {
								chosen, found = v, true
							}
						}
						opts(c)
					}
				}
				opts(n)
				if !found {
					chosen = first
				}
				if cur != nil && name != "" {
					cur.values.Add(name, chosen)
				}
				return
			case "button":
				if cur != nil {
					cur.button += " " + text(n)
				}
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

// press fills in and sends the form of the current page whose button
// reads button (and, when step is not empty, that belongs to that step):
// the inputs keep what the page put there unless set is given.
func (b *browser) press(button, step string, set url.Values) *http.Response {
	b.t.Helper()
	var names []string
	for _, f := range pageForms(b.t, b.body) {
		names = append(names, fmt.Sprintf("%q (step %s)", f.button, f.values.Get("step")))
		if f.button != button || step != "" && f.values.Get("step") != step {
			continue
		}
		for k, v := range set {
			f.values[k] = v
		}
		if f.method != "POST" {
			b.t.Fatalf("form %q is %s", button, f.method)
		}
		return b.post(f.action, f.values)
	}
	b.t.Fatalf("no form with the button %q (step %q) on the page; there are %s", button, step, strings.Join(names, ", "))
	return nil
}

// follow reads the page a redirect names.
func (b *browser) follow(resp *http.Response) {
	b.t.Helper()
	b.expect(resp, http.StatusSeeOther, "")
	b.expect(b.get(resp.Header.Get("Location")), http.StatusOK, "")
}

// TestFormBuilderThroughItsForms: the form manager builds a form only by
// sending the forms the builder's pages show (no JavaScript, no JSON,
// no hand-made requests): adds questions and steps, sets labels, help
// texts, types, options, a rule and a condition, moves questions and
// steps up and down, removes a question and a step, renames a step,
// previews and publishes. The published definition is exactly what was
// built.
func TestFormBuilderThroughItsForms(t *testing.T) {
	in := installation{dir: t.TempDir()}
	s := in.start(t, "demo")
	m := newBrowser(t, s)
	m.expect(m.post("/anmelden", url.Values{"email": {"formulare@musterstadt.example"}, "password": {DemoPassword}}), 303, "")
	svc := catalogRefByName(t, in, "Führungszeugnis")

	m.expect(m.get("/verwaltung/formulare"), 200, "")
	resp := m.press("Formular anlegen", "", url.Values{"name": {"Bauzaun anmelden"}, "service": {svc}})
	m.expect(resp, 303, "/verwaltung/formulare/F-")
	formPath := resp.Header.Get("Location")
	builder := func() { m.t.Helper(); m.expect(m.get(formPath+"/bearbeiten"), 200, "") }

	// A question: the add form, then its editor.
	question := func(step, label, typ string, edit url.Values) {
		t.Helper()
		builder()
		m.follow(m.press("Frage hinzufügen", step, url.Values{"label": {label}, "type": {typ}}))
		resp := m.press("Speichern", "", edit)
		m.expect(resp, 303, formPath+"/bearbeiten")
	}
	question("0", "Vorname", "text", url.Values{"help_de": {"Wie im Ausweis"}, "help_en": {"As in your ID"}, "label_en": {"Given name"}, "required": {"yes"}, "max_length": {"40"}})
	question("0", "Nachname", "text", url.Values{"required": {"yes"}})
	// Created as text, made a radio question with options in the editor.
	question("0", "Farbe", "text", url.Values{"type": {"radio"}, "options": {"rot = Rot | red\nblau = Blau | blue"}, "required": {"yes"}})
	question("0", "Farbton", "text", url.Values{"vis_field": {"farbe"}, "vis_op": {"equals"}, "vis_value": {"blau"}})
	question("0", "Notiz", "textarea", nil)

	// Reorder and remove with the buttons beside each question.
	for _, b := range []string{"Nach unten: Vorname", "Nach oben: Farbe", "Nach unten: Farbe", "Entfernen: Notiz"} {
		builder()
		m.expect(m.press(b, "", nil), 303, formPath+"/bearbeiten")
	}

	// Steps: add two, rename one, give it a question, move it up and
	// back, remove the other.
	builder()
	m.expect(m.press("Schritt hinzufügen", "", url.Values{"title": {"Zweiter Schritt"}}), 303, "")
	builder()
	m.expect(m.press("Schritt hinzufügen", "", url.Values{"title": {"Überflüssig"}}), 303, "")
	builder()
	m.expect(m.press("Titel speichern", "1", url.Values{"step_title_de": {"Termin"}}), 303, "")
	question("1", "Ab wann?", "date", url.Values{"required": {"yes"}, "min_date": {"today"}})
	for _, b := range []string{"Nach oben: Termin", "Nach unten: Termin", "Schritt entfernen: Überflüssig"} {
		builder()
		m.expect(m.press(b, "", nil), 303, formPath+"/bearbeiten")
	}

	// The preview shows the questions in their order with the help text.
	builder()
	m.expect(m.get(formPath+"/vorschau"), 200, "")
	page := mainOf(m.body)
	if i, j := strings.Index(page, "Nachname"), strings.Index(page, "Vorname"); i < 0 || j < i || !strings.Contains(page, "Wie im Ausweis") || !strings.Contains(page, "Ab wann?") {
		t.Errorf("preview: %s", page)
	}

	// Only a draft: the service page offers no online application, and
	// the form's address has nothing to start.
	offered := func() bool {
		t.Helper()
		resp, b := s.do(t, "GET", "/leistungen/"+svc, "", "")
		if resp.StatusCode != 200 {
			t.Fatalf("service page: %d", resp.StatusCode)
		}
		return strings.Contains(string(b), `href="/antrag/`+svc+`"`)
	}
	if offered() {
		t.Error("service page offers a form that is only a draft")
	}
	if resp, _ := s.do(t, "GET", "/antrag/"+svc, "", ""); resp.StatusCode != 404 {
		t.Errorf("/antrag/ of an unpublished form: %d", resp.StatusCode)
	}
	m.expect(m.get(formPath), 200, "")
	m.expect(m.press("Veröffentlichen 1", "", nil), 303, formPath+"?hinweis=veroeffentlicht")
	if !offered() {
		t.Error("service page does not offer the published form")
	}

	e := demoEnv(t, in)
	tn, _ := e.identity.TenantBySlug(context.Background(), DemoSlug)
	def, _, version, err := e.formsService().CurrentForm(context.Background(), tn.ID, svc)
	if err != nil || version != 1 {
		t.Fatalf("published form: version %d, %v", version, err)
	}
	type field struct {
		ID, Type, Label, Help string
		Required              bool
		Options               []string
		Rules, Visible        string
	}
	type step struct {
		Title  string
		Fields []field
	}
	var got []step
	for _, s := range def.Steps {
		st := step{Title: s.Title["de"]}
		for _, f := range s.Fields {
			ff := field{ID: f.ID, Type: string(f.Type), Label: f.Label["de"] + "|" + f.Label["en"], Help: f.Help["de"] + "|" + f.Help["en"], Required: f.Required}
			for _, o := range f.Options {
				ff.Options = append(ff.Options, o.Value+"="+o.Label["de"]+"|"+o.Label["en"])
			}
			if f.Rules.MaxLength != nil {
				ff.Rules += fmt.Sprintf("max_length=%d ", *f.Rules.MaxLength)
			}
			ff.Rules += f.Rules.MinDate
			if f.VisibleIf != nil {
				c, _ := f.VisibleIf.Simple()
				ff.Visible = c.Field + " " + c.Op + " " + c.Value
			}
			st.Fields = append(st.Fields, ff)
		}
		got = append(got, st)
	}
	want := []step{
		{Title: "Angaben", Fields: []field{
			{ID: "nachname", Type: "text", Label: "Nachname|", Help: "|", Required: true},
			{ID: "vorname", Type: "text", Label: "Vorname|Given name", Help: "Wie im Ausweis|As in your ID", Required: true, Rules: "max_length=40 "},
			{ID: "farbe", Type: "radio", Label: "Farbe|", Help: "|", Required: true, Options: []string{"rot=Rot|red", "blau=Blau|blue"}},
			{ID: "farbton", Type: "text", Label: "Farbton|", Help: "|", Visible: "farbe equals blau"},
		}},
		{Title: "Termin", Fields: []field{{ID: "ab_wann", Type: "date", Label: "Ab wann?|", Help: "|", Required: true, Rules: "today"}}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("published definition (-want +got):\n%s", diff)
	}

	// The published version is not edited through the builder's forms
	// posted again (a stale tab, a hand-made request): refused, unchanged.
	// (Read from the database: the service caches published definitions.)
	stored := func() string {
		t.Helper()
		var sha, status string
		var n int
		must(t, e.db.R.QueryRow(`SELECT v.sha256, v.status, (SELECT COUNT(*) FROM form_versions w WHERE w.form_id = f.id) FROM form_versions v JOIN forms f ON f.id = v.form_id
			WHERE f.tenant_id = $1 AND f.service_id = $2 AND v.version = 1`, tn.ID, svc).Scan(&sha, &status, &n))
		return fmt.Sprintf("%s %s, %d versions", sha, status, n)
	}
	before := stored()
	for _, v := range []url.Values{
		{"version": {"1"}, "action": {"add_step"}, "title": {"Eingeschmuggelt"}},
		{"version": {"1"}, "action": {"field_remove"}, "step": {"0"}, "field": {"nachname"}},
		{"version": {"1"}, "action": {"meta"}, "title_de": {"Anders"}},
	} {
		if resp := m.post(formPath+"/bearbeiten", v); resp.StatusCode < 400 && resp.Header.Get("Location") != formPath {
			t.Errorf("editing the published version (%s): %d → %q", v.Get("action"), resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if resp := m.post(formPath+"/feld?schritt=0&feld=vorname", url.Values{"version": {"1"}, "type": {"text"}, "label_de": {"Geändert"}}); resp.StatusCode < 400 {
		t.Errorf("editing a published field: %d", resp.StatusCode)
	}
	if resp := m.post(formPath+"/veroeffentlichen", url.Values{"version": {"1"}}); resp.StatusCode < 400 {
		t.Errorf("publishing version 1 again: %d", resp.StatusCode)
	}
	if after := stored(); after != before {
		t.Errorf("published version changed: %s → %s", before, after)
	}
}
