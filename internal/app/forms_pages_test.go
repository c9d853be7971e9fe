package app

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/catalog"
	"github.com/rathaus/rathaus/internal/forms"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/mail/mailtest"
)

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	t    *testing.T
	s    *server
	c    *http.Client
	body string
}

func newBrowser(t *testing.T, s *server) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, s: s, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) send(method, path, ctype string, body io.Reader) *http.Response {
	b.t.Helper()
	req, _ := http.NewRequest(method, b.s.base+path, body)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	b.body = string(raw)
	return resp
}

func (b *browser) get(path string) *http.Response { return b.send("GET", path, "", nil) }

func (b *browser) post(path string, v url.Values) *http.Response {
	return b.send("POST", path, "application/x-www-form-urlencoded", strings.NewReader(v.Encode()))
}

// expect checks the status (and for a redirect its target's prefix).
func (b *browser) expect(resp *http.Response, status int, location string) {
	b.t.Helper()
	if resp.StatusCode != status || location != "" && !strings.HasPrefix(resp.Header.Get("Location"), location) {
		b.t.Fatalf("%s %s: %d → %q, want %d → %q\n%s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, resp.Header.Get("Location"), status, location, mainOf(b.body))
	}
}

var tagRE = regexp.MustCompile(`<[^>]+>`)

// mainOf is the text of the page's main element.
func mainOf(page string) string {
	if i := strings.Index(page, "<main"); i >= 0 {
		page = page[i:]
	}
	if i := strings.Index(page, "</main>"); i >= 0 {
		page = page[:i]
	}
	return strings.Join(strings.Fields(tagRE.ReplaceAllString(page, " ")), " ")
}

var draftRE = regexp.MustCompile(`/antrag/entwurf/(D-[0-9A-Z]{4}-[0-9A-Z]{4})`)

// TestFormPagesJourney: Paul signs in, starts the dog tax, agrees to
// prefill, goes through the steps (an error summary linked to the fields,
// a conditional upload), checks his answers and sends; the account page
// shows the application and the consent, which he withdraws — the next
// application asks again. All without JavaScript: plain form posts.
func TestFormPagesJourney(t *testing.T) {
	in := installation{dir: t.TempDir()}
	s := in.start(t, "demo")
	b := newBrowser(t, s)
	b.expect(b.post("/anmelden", url.Values{"email": {DemoCitizen.Email}, "password": {DemoPassword}}), 303, "")

	b.expect(b.get("/antrag/"+DemoServiceRef), 200, "")
	if !strings.Contains(b.body, "Hundesteuer-Anmeldung") || !strings.Contains(b.body, "96,00") {
		t.Fatalf("start page lacks title or fee: %s", mainOf(b.body))
	}
	resp := b.post("/antrag/"+DemoServiceRef, nil)
	b.expect(resp, 303, "/antrag/entwurf/")
	m := draftRE.FindStringSubmatch(resp.Header.Get("Location"))
	if m == nil || !strings.HasSuffix(resp.Header.Get("Location"), "/einwilligung") {
		t.Fatalf("no consent question: %q", resp.Header.Get("Location"))
	}
	draft := m[1]
	base := "/antrag/entwurf/" + draft

	// The consent question shows what would be taken over; no answer is an error.
	b.expect(b.get(base+"/einwilligung"), 200, "")
	if !strings.Contains(b.body, "Lindenstraße 4, 91052 Musterstadt") || !strings.Contains(b.body, "23.04.1980") {
		t.Errorf("consent page does not show the values: %s", mainOf(b.body))
	}
	b.expect(b.post(base+"/einwilligung", nil), 422, "")
	if !strings.Contains(b.body, `href="#f-prefill"`) {
		t.Error("consent error not linked")
	}
	b.expect(b.post(base+"/einwilligung", url.Values{"prefill": {"yes"}}), 303, base+"?hinweis=prefilled")
	b.expect(b.get(base+"?hinweis=prefilled"), 200, "")
	if !strings.Contains(b.body, `value="Paul"`) || !strings.Contains(b.body, `value="Lindenstraße"`) || !strings.Contains(b.body, `value="23.04.1980"`) {
		t.Fatalf("step 1 not prefilled: %s", mainOf(b.body))
	}

	step := func(id string, v url.Values) *http.Response {
		v.Set("action", "next")
		return b.post(base+"?schritt="+id, v)
	}
	b.expect(step("halter", url.Values{"given_name": {"Paul"}, "family_name": {"Beispiel"}, "birth_date": {"23.04.1980"},
		"address.street": {"Lindenstraße"}, "address.house_number": {"4"}, "address.postcode": {"91052"}, "address.city": {"Musterstadt"}}), 303, base+"?schritt=hund")
	// Errors: summary linked to the fields, in field order, named.
	b.expect(step("hund", url.Values{"dog_name": {"Bello"}, "dog_birth_date": {"31.02.2022"}, "kept_since": {"01.11.2026"}, "dangerous": {"no"}}), 422, "")
	links := regexp.MustCompile(`<li><a class="kern-link" href="#([^"]+)">([^<]*)</a>`).FindAllStringSubmatch(b.body, -1)
	var got []string
	for _, l := range links {
		got = append(got, l[1])
	}
	if strings.Join(got, " ") != "f-breed f-dog-birth-date f-other-dogs" || !strings.HasPrefix(links[0][2], "Rasse: ") {
		t.Errorf("error summary = %v", links)
	}
	if !strings.Contains(b.body, `id="f-breed-error"`) || !strings.Contains(b.body, `aria-describedby="f-breed-hint f-breed-error"`) || !strings.Contains(b.body, `value="Bello"`) {
		t.Error("field error not at the field, or the entered value lost")
	}
	if !strings.HasPrefix(b.body, "<!doctype html>") || !strings.Contains(b.body, "<title>Fehler: ") {
		t.Error("title does not announce the error")
	}
	b.expect(step("hund", url.Values{"dog_name": {"Bello"}, "breed": {"Dackel"}, "dog_birth_date": {"01.02.2022"}, "kept_since": {"01.11.2026"},
		"dangerous": {"no"}, "other_dogs": {"no"}}), 303, base+"?schritt=ermaessigung")
	// Choosing the shelter reveals the upload: asked, not reported missing.
	b.expect(step("ermaessigung", url.Values{"reduction": {"shelter"}}), 200, "")
	if !strings.Contains(b.body, `type="file"`) || strings.Contains(b.body, `id="fehler"`) || !strings.Contains(b.body, `enctype="multipart/form-data"`) {
		t.Fatalf("upload not asked on the revealed question: %s", mainOf(b.body))
	}
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	mw.WriteField("reduction", "shelter")
	mw.WriteField("action", "next")
	fw, _ := mw.CreateFormFile("proof", "vertrag.png")
	fw.Write([]byte("%PDF-1.4\n%%EOF\n")) // a PDF named .png: refused as a disguise
	mw.Close()
	b.expect(b.send("POST", base+"?schritt=ermaessigung", mw.FormDataContentType(), &mp), 422, "")
	if !strings.Contains(b.body, `href="#f-proof"`) {
		t.Errorf("disguised upload not refused at the field: %s", mainOf(b.body))
	}
	mp.Reset()
	mw = multipart.NewWriter(&mp)
	mw.WriteField("reduction", "shelter")
	mw.WriteField("action", "next")
	fw, _ = mw.CreateFormFile("proof", "vertrag.pdf")
	fw.Write([]byte("%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"))
	mw.Close()
	b.expect(b.send("POST", base+"?schritt=ermaessigung", mw.FormDataContentType(), &mp), 303, base+"?schritt=zahlung")
	b.expect(step("zahlung", url.Values{"direct_debit": {"yes"}, "iban": {"DE89 3704 0044 0532 0130 01"}, "account_holder": {"Paul Beispiel"}}), 422, "")
	if !strings.Contains(b.body, "IBAN: ") {
		t.Errorf("invalid IBAN not named: %s", mainOf(b.body))
	}
	b.expect(step("zahlung", url.Values{"direct_debit": {"yes"}, "iban": {"DE89 3704 0044 0532 0130 00"}, "account_holder": {"Paul Beispiel"}}), 303, base+"/pruefen")

	b.expect(b.get(base+"/pruefen"), 200, "")
	page := mainOf(b.body)
	for _, want := range []string{"Dackel", "Ermäßigung für einen Hund aus dem Tierheim", "vertrag.pdf", "DE89 3704 0044 0532 0130 00", "Antrag verbindlich absenden"} {
		if !strings.Contains(page, want) {
			t.Errorf("check page lacks %q: %s", want, page)
		}
	}
	resp = b.post(base+"/absenden", nil)
	b.expect(resp, 303, "/antraege/A-")
	appPath := strings.TrimSuffix(resp.Header.Get("Location"), "?hinweis=eingegangen")
	ref := strings.TrimPrefix(appPath, "/antraege/")
	// Sending twice stores one application: the draft is gone.
	if resp := b.post(base+"/absenden", nil); resp.StatusCode != 404 {
		t.Errorf("second send: %d", resp.StatusCode)
	}
	b.expect(b.get(appPath), 200, "")
	if !strings.Contains(b.body, ref) || !strings.Contains(b.body, "eingangsbestaetigung.pdf") {
		t.Errorf("application page: %s", mainOf(b.body))
	}
	if resp := b.get(appPath + "/eingangsbestaetigung.pdf"); resp.StatusCode != 200 || !strings.HasPrefix(b.body, "%PDF-") {
		t.Errorf("receipt: %d", resp.StatusCode)
	}

	// The account page lists the application and the recorded consent.
	b.expect(b.get("/konto"), 200, "")
	if !strings.Contains(b.body, ref) || !strings.Contains(b.body, `id="einwilligungen"`) || !strings.Contains(b.body, "Hundesteuer-Anmeldung") {
		t.Fatalf("account page lacks application or consent: %s", mainOf(b.body))
	}
	cm := regexp.MustCompile(`action="(/konto/einwilligungen/C-[0-9A-Z-]+/widerrufen)"`).FindStringSubmatch(b.body)
	if cm == nil {
		t.Fatal("no withdraw button for the consent")
	}
	e := demoEnv(t, in)
	tn, _ := e.identity.TenantBySlug(context.Background(), DemoSlug)
	var fields string
	e.db.R.QueryRow(`SELECT fields FROM prefill_consents WHERE tenant_id = $1 AND withdrawn_at IS NULL`, tn.ID).Scan(&fields)
	if fields != `["address","birth_date","email","family_name","given_name","phone"]` {
		t.Errorf("recorded consent fields = %s", fields)
	}
	b.expect(b.post(cm[1], nil), 303, "/konto")
	// Withdrawn: the next application asks again and fills nothing before.
	resp = b.post("/antrag/"+DemoServiceRef, nil)
	b.expect(resp, 303, "/antrag/entwurf/")
	if !strings.HasSuffix(resp.Header.Get("Location"), "/einwilligung") {
		t.Errorf("after withdrawal not asked again: %s", resp.Header.Get("Location"))
	}
	d2 := draftRE.FindStringSubmatch(resp.Header.Get("Location"))[1]
	b.expect(b.post("/antrag/entwurf/"+d2+"/einwilligung", url.Values{"prefill": {"no"}}), 303, "")
	b.expect(b.get("/antrag/entwurf/"+d2), 200, "")
	if strings.Contains(b.body, `value="Paul"`) {
		t.Error("prefilled without consent")
	}

	// Withdraw the application.
	b.expect(b.post(appPath+"/zurueckziehen", nil), 422, "")
	b.expect(b.post(appPath+"/zurueckziehen", url.Values{"confirm": {"yes"}}), 303, appPath)
	a, err := e.formsService().Application(context.Background(), tn.ID, ref)
	if err != nil || a.Status != forms.StatusWithdrawn {
		t.Errorf("after withdrawal: %+v %v", a, err)
	}

	// Another citizen does not see Paul's draft or application.
	other := newBrowser(t, s)
	other.expect(other.post("/anmelden", url.Values{"email": {DemoBusiness.Email}, "password": {DemoPassword}}), 303, "")
	if resp := other.get("/antrag/entwurf/" + d2); resp.StatusCode != 404 {
		t.Errorf("someone else's draft: %d", resp.StatusCode)
	}
	if resp := other.get(appPath); resp.StatusCode != 404 {
		t.Errorf("someone else's application: %d", resp.StatusCode)
	}
	_ = identity.SessionCookie
}

// TestFormBuilderJourney: the form manager creates a form in the directory,
// builds it with form controls (steps, questions, options, a rule and a
// condition — no JSON), previews and publishes it; a citizen applies; the
// directory counts the submission. A stale builder page is refused.
func TestFormBuilderJourney(t *testing.T) {
	in := installation{dir: t.TempDir()}
	s := in.start(t, "demo")
	m := newBrowser(t, s)
	m.expect(m.post("/anmelden", url.Values{"email": {"formulare@musterstadt.example"}, "password": {DemoPassword}}), 303, "")
	m.expect(m.get("/verwaltung/formulare"), 200, "")
	if !strings.Contains(m.body, "Hundesteuer-Anmeldung") || !strings.Contains(m.body, "Gewerbeanmeldung") {
		t.Fatalf("directory lacks the demo forms: %s", mainOf(m.body))
	}
	// A service of the catalog without a form yet.
	svc := catalogRefByName(t, in, "Führungszeugnis")
	resp := m.post("/verwaltung/formulare", url.Values{"name": {"Führungszeugnis beantragen"}, "service": {svc}, "channel": {"online"}})
	m.expect(resp, 303, "/verwaltung/formulare/F-")
	formPath := resp.Header.Get("Location")
	m.expect(m.get(formPath+"/bearbeiten"), 200, "")
	version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(m.body)[1]
	edit := func(v url.Values) *http.Response {
		v.Set("version", version)
		return m.post(formPath+"/bearbeiten", v)
	}
	m.expect(edit(url.Values{"action": {"meta"}, "title_de": {"Führungszeugnis"}, "title_en": {"Certificate of good conduct"}, "audience": {"citizen"}, "fee": {"13"}, "fee_de": {"je Zeugnis"}}), 303, "")
	resp = edit(url.Values{"action": {"add_field"}, "step": {"0"}, "type": {"radio"}, "label": {"Art des Zeugnisses"}})
	m.expect(resp, 303, formPath+"/feld?schritt=0&feld=art_des_zeugnisses")
	m.expect(m.get(resp.Header.Get("Location")), 200, "")
	m.expect(m.post(resp.Header.Get("Location"), url.Values{"version": {version}, "type": {"radio"}, "label_de": {"Art des Zeugnisses"}, "label_en": {"Kind of certificate"},
		"required": {"yes"}, "options": {"privat = Privatführungszeugnis | private\nbehoerde = Behördenführungszeugnis | for an authority"}}), 303, "")
	resp = edit(url.Values{"action": {"add_field"}, "step": {"0"}, "type": {"text"}, "label": {"Empfangende Behörde"}})
	m.expect(resp, 303, "")
	m.expect(m.post(resp.Header.Get("Location"), url.Values{"version": {version}, "type": {"text"}, "label_de": {"Empfangende Behörde"}, "required": {"yes"},
		"max_length": {"80"}, "vis_field": {"art_des_zeugnisses"}, "vis_op": {"equals"}, "vis_value": {"behoerde"}}), 303, "")
	// A rule that is not a number is refused at its input.
	m.expect(m.post(resp.Header.Get("Location"), url.Values{"version": {version}, "type": {"text"}, "label_de": {"Empfangende Behörde"}, "max_length": {"viele"}}), 422, "")
	if !strings.Contains(m.body, `href="#feld-max-length"`) {
		t.Errorf("bad rule not linked: %s", mainOf(m.body))
	}
	m.expect(edit(url.Values{"action": {"add_step"}, "title": {"Zustellung"}}), 303, "")
	m.expect(edit(url.Values{"action": {"add_field"}, "step": {"1"}, "type": {"yesno"}, "label": {"Soll das Zeugnis zugestellt werden?"}}), 303, "")
	m.expect(edit(url.Values{"action": {"step_up"}, "step": {"1"}}), 303, "")
	m.expect(edit(url.Values{"action": {"step_down"}, "step": {"0"}}), 303, "")
	m.expect(m.get(formPath+"/bearbeiten"), 200, "")
	if !strings.Contains(m.body, "Empfangende Behörde") || !strings.Contains(m.body, "mit Bedingung") || !strings.Contains(m.body, `value="13.00"`) {
		t.Errorf("builder does not show the built form: %s", mainOf(m.body))
	}
	// A page of an older draft state: refused, nothing changed.
	m.expect(m.post(formPath+"/bearbeiten", url.Values{"version": {"99"}, "action": {"step_remove"}, "step": {"0"}}), 409, "")
	m.expect(m.get(formPath+"/vorschau"), 200, "")
	if !strings.Contains(m.body, "Privatführungszeugnis") || !strings.Contains(m.body, "Empfangende Behörde") {
		t.Errorf("preview lacks the questions: %s", mainOf(m.body))
	}
	m.expect(m.post(formPath+"/veroeffentlichen", url.Values{"version": {version}}), 303, formPath+"?hinweis=veroeffentlicht")

	// The citizen applies through the new form (the condition works).
	c := newBrowser(t, s)
	c.expect(c.post("/anmelden", url.Values{"email": {DemoCitizen.Email}, "password": {DemoPassword}}), 303, "")
	c.expect(c.get("/leistungen/"+svc), 200, "")
	if !strings.Contains(c.body, `href="/antrag/`+svc+`"`) {
		t.Fatal("service page does not offer the new form")
	}
	resp = c.post("/antrag/"+svc, nil)
	c.expect(resp, 303, "/antrag/entwurf/")
	base := "/antrag/entwurf/" + draftRE.FindStringSubmatch(resp.Header.Get("Location"))[1]
	c.expect(c.post(base+"?schritt=angaben", url.Values{"action": {"next"}, "art_des_zeugnisses": {"behoerde"}}), 200, "") // reveals the authority question
	c.expect(c.post(base+"?schritt=angaben", url.Values{"action": {"next"}, "art_des_zeugnisses": {"behoerde"}, "empfangende_behoerde": {"Landratsamt"}}), 303, base+"?schritt=zustellung")
	c.expect(c.post(base+"?schritt=zustellung", url.Values{"action": {"next"}, "soll_das_zeugnis_zugestellt_werden": {"no"}}), 303, base+"/pruefen")
	c.expect(c.post(base+"/absenden", nil), 303, "/antraege/A-")

	m.expect(m.get("/verwaltung/formulare"), 200, "")
	row := regexp.MustCompile(`(?s)Führungszeugnis beantragen</a>.*?kern-table__cell--numeric">(\d+)<br>`).FindStringSubmatch(m.body)
	if row == nil || row[1] != "1" {
		t.Errorf("directory does not count the submission: %v", row)
	}
}

// catalogRefByName finds a service of the demo catalog by its name.
func catalogRefByName(t *testing.T, in installation, name string) string {
	t.Helper()
	e := demoEnv(t, in)
	tn, _ := e.identity.TenantBySlug(context.Background(), DemoSlug)
	all, err := (&catalog.Catalog{DB: e.db}).All(context.Background(), tn.ID)
	must(t, err)
	for _, s := range all {
		if strings.HasPrefix(s.Name, name) {
			return s.ID
		}
	}
	t.Fatalf("no service %q", name)
	return ""
}

var tokenRE = regexp.MustCompile(`token=([A-Za-z0-9_-]+)`)

// TestAnonymousApplicationJourney: the loss report may be made without an
// account. The visitor fills it in, saves it and gets a resume link by
// mail (a link, no answers), continues in another browser (the first
// browser's key stops working), confirms the e-mail address through a
// second link and sends; the link is used up.
func TestAnonymousApplicationJourney(t *testing.T) {
	in := installation{dir: t.TempDir()}
	smtp := mailtest.Start(t)
	in.env = map[string]string{"RATHAUS_SMTP_URL": "smtp://" + smtp.Host + ":" + strconv.Itoa(smtp.Port) + "?tls=none"}
	s := in.start(t, "demo")
	a := newBrowser(t, s)
	a.expect(a.get("/antrag/"+LostPropertyServiceRef), 200, "")
	if !strings.Contains(a.body, "Antrag beginnen") {
		t.Fatalf("no start without an account: %s", mainOf(a.body))
	}
	// The dog tax needs an account: starting it sends the visitor to sign in.
	a.expect(a.post("/antrag/"+DemoServiceRef, nil), 303, "/anmelden?")
	resp := a.post("/antrag/"+LostPropertyServiceRef, nil)
	a.expect(resp, 303, "/antrag/entwurf/D-")
	base := strings.TrimSuffix(resp.Header.Get("Location"), "/einwilligung")
	secretDescription := "Schwarze Geldbörse mit Foto meiner Tochter"
	a.expect(a.post(base+"?schritt=gegenstand", url.Values{"action": {"save"}, "category": {"wallet"}, "description": {secretDescription},
		"lost_on": {"01.03.2026"}, "lost_where": {"Buslinie 7"}}), 303, base+"/gespeichert")
	a.expect(a.get(base+"/gespeichert"), 200, "")
	a.expect(a.post(base+"/link", url.Values{"email": {"kein-at"}}), 422, "")
	a.expect(a.post(base+"/link", url.Values{"email": {"finder@example.org"}}), 303, base+"/gespeichert?hinweis=gesendet")
	m, err := smtp.WaitFor("finder@example.org", "/antrag/fortsetzen?token=", 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.Body, "Geldbörse") || strings.Contains(m.Body, "Buslinie") || strings.Contains(m.Body, path.Base(base)) {
		t.Errorf("resume mail carries personal data or the draft:\n%s", m.Body)
	}
	token := tokenRE.FindStringSubmatch(m.Body)[1]

	// Another browser resumes; the first one's key no longer opens the draft.
	b := newBrowser(t, s)
	b.expect(b.get("/antrag/fortsetzen?token="+token), 200, "")
	b.expect(b.post("/antrag/fortsetzen", url.Values{"token": {token}}), 303, base)
	b.expect(b.get(base+"?schritt=gegenstand"), 200, "")
	if !strings.Contains(b.body, secretDescription) {
		t.Fatal("resumed draft lost its answers")
	}
	if resp := a.get(base + "?schritt=gegenstand"); resp.StatusCode != 401 && resp.StatusCode != 404 && resp.StatusCode != 303 {
		t.Errorf("old browser after resume: %d", resp.StatusCode)
	}
	if resp := b.post("/antrag/fortsetzen", url.Values{"token": {token}}); resp.StatusCode != 404 {
		t.Errorf("resume link used twice: %d", resp.StatusCode)
	}
	b.expect(b.post(base+"?schritt=gegenstand", url.Values{"action": {"next"}, "category": {"wallet"}, "description": {secretDescription},
		"lost_on": {"01.03.2026"}, "lost_where": {"Buslinie 7"}}), 303, base+"?schritt=kontakt")
	b.expect(b.post(base+"?schritt=kontakt", url.Values{"action": {"next"}, "name": {"Fina Finder"}}), 303, base+"/pruefen")
	b.expect(b.get(base+"/pruefen"), 200, "")
	if strings.Contains(b.body, "/absenden") {
		t.Fatal("an anonymous draft can be sent before its address is confirmed")
	}
	if resp := b.post(base+"/absenden", nil); resp.StatusCode != 422 {
		t.Errorf("sending unconfirmed: %d", resp.StatusCode)
	}
	b.expect(b.post(base+"/email", url.Values{"email": {"fina@example.org"}}), 303, base+"/pruefen?hinweis=gesendet")
	m, err = smtp.WaitFor("fina@example.org", "/antrag/bestaetigen?token=", 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.Body, "Geldbörse") || strings.Contains(m.Body, "Fina") {
		t.Errorf("confirmation mail carries personal data:\n%s", m.Body)
	}
	ctoken := tokenRE.FindStringSubmatch(m.Body)[1]
	b.expect(b.get("/antrag/bestaetigen?token="+ctoken), 200, "")
	b.expect(b.post("/antrag/bestaetigen", url.Values{"token": {ctoken}}), 303, base+"/pruefen?hinweis=confirmed")
	b.expect(b.get(base+"/pruefen?hinweis=confirmed"), 200, "")
	resp = b.post(base+"/absenden", nil)
	b.expect(resp, 200, "")
	ref := regexp.MustCompile(`A-[0-9A-Z]{4}-[0-9A-Z]{4}`).FindString(b.body)
	if ref == "" || !strings.Contains(b.body, "fina@example.org") {
		t.Fatalf("confirmation page: %s", mainOf(b.body))
	}
	e := demoEnv(t, in)
	tn, _ := e.identity.TenantBySlug(context.Background(), DemoSlug)
	app, err := e.formsService().Application(context.Background(), tn.ID, ref)
	if err != nil || app.AccountID != 0 || app.Email != "fina@example.org" || app.Answers["description"] != secretDescription {
		t.Errorf("anonymous application = %+v %v", app, err)
	}
	if _, ok := app.Answers["name"]; !ok {
		t.Error("contact name not stored")
	}
}
