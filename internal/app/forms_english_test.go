package app

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rathaus/rathaus/internal/forms"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/i18n"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// TestFormsInEnglish: an English visitor gets the form's English texts
// (title, steps, questions, options), English messages at the fields, an
// English check page and withdrawal; the API's 422 details follow
// Accept-Language.
func TestFormsInEnglish(t *testing.T) {
	in := installation{dir: t.TempDir()}
	s := in.start(t, "demo")
	b := newBrowser(t, s)
	u, _ := url.Parse(s.base)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: i18n.CookieName, Value: "en", Path: "/"}})
	b.expect(b.post("/anmelden", url.Values{"email": {DemoCitizen.Email}, "password": {DemoPassword}}), 303, "")

	has := func(what string, want ...string) {
		t.Helper()
		page := mainOf(b.body)
		if !strings.Contains(b.body, `<html lang="en"`) {
			t.Errorf("%s: not marked English", what)
		}
		for _, w := range want {
			if !strings.Contains(page, w) {
				t.Errorf("%s lacks %q: %s", what, w, page)
			}
		}
	}
	b.expect(b.get("/antrag/"+DemoServiceRef), 200, "")
	has("start page", "Dog tax registration", "Register your dog within two weeks")
	resp := b.post("/antrag/"+DemoServiceRef, nil)
	b.expect(resp, 303, "/antrag/entwurf/")
	base := "/antrag/entwurf/" + draftRE.FindStringSubmatch(resp.Header.Get("Location"))[1]
	b.expect(b.post(base+"/einwilligung", url.Values{"prefill": {"no"}}), 303, "")
	b.expect(b.get(base), 200, "")
	has("step 1", "About you", "Given name", "Address where the dog is kept")
	step := func(id string, v url.Values, status int) {
		t.Helper()
		v.Set("action", "next")
		b.expect(b.post(base+"?schritt="+id, v), status, "")
	}
	step("halter", url.Values{"given_name": {"Paul"}, "birth_date": {"23.04.1980"},
		"address.street": {"Lindenstraße"}, "address.postcode": {"9105"}, "address.city": {"Musterstadt"}}, 422)
	has("step 1 with errors", "Please fill in this field.", "Please enter a five-digit German postcode.")
	if strings.Contains(mainOf(b.body), "Bitte") {
		t.Errorf("German message on the English page: %s", mainOf(b.body))
	}
	step("halter", url.Values{"given_name": {"Paul"}, "family_name": {"Beispiel"}, "birth_date": {"23.04.1980"},
		"address.street": {"Lindenstraße"}, "address.postcode": {"91052"}, "address.city": {"Musterstadt"}}, 303)
	step("hund", url.Values{"dog_name": {"Bello"}, "breed": {"Dackel"}, "dog_birth_date": {"01.02.2022"}, "kept_since": {"01.11.2026"}, "dangerous": {"no"}, "other_dogs": {"no"}}, 303)
	step("ermaessigung", url.Values{"reduction": {"none"}}, 303)
	step("zahlung", url.Values{"direct_debit": {"no"}}, 303)
	b.expect(b.get(base+"/pruefen"), 200, "")
	has("check page", "About the dog", "Breed", "Bello", "Check your answers", "€96.00")
	resp = b.post(base+"/absenden", nil)
	b.expect(resp, 303, "/antraege/A-")
	appPath := strings.TrimSuffix(resp.Header.Get("Location"), "?hinweis=eingegangen")
	b.expect(b.get(appPath), 200, "")
	has("application page", "Dog tax registration")
	b.expect(b.post(appPath+"/zurueckziehen", nil), 422, "")
	has("withdrawal without confirmation")
	if strings.Contains(mainOf(b.body), "Bitte") {
		t.Errorf("German on the English withdrawal page: %s", mainOf(b.body))
	}

	// The API's problem details in English.
	e := demoEnv(t, in)
	cookie := demoCitizenCookie(t, e, DemoCitizen.Email)
	bad := forms.DogTaxAnswers(1)
	bad["address"] = map[string]any{"street": "Lindenstraße", "postcode": "9105", "city": "Musterstadt"}
	body, _ := json.Marshal(map[string]any{"service": DemoServiceRef, "answers": bad})
	req, _ := http.NewRequest("POST", s.base+"/api/v1/applications", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Language", "en")
	req.AddCookie(&http.Cookie{Name: identity.SessionCookie, Value: cookie})
	r, err := http.DefaultClient.Do(req)
	must(t, err)
	raw, _ := io.ReadAll(r.Body)
	r.Body.Close()
	var prob web.Problem
	json.Unmarshal(raw, &prob)
	if r.StatusCode != 422 || len(prob.Errors) != 1 || prob.Errors[0].Field != "address.postcode" || prob.Errors[0].Detail != "Please enter a five-digit German postcode." {
		t.Errorf("API in English: %d %s", r.StatusCode, raw)
	}
}
