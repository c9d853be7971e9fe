package app

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/rathaus/rathaus/internal/forms"
	"github.com/rathaus/rathaus/internal/identity"
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
