package app

import (
	"bytes"
	"mime/multipart"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/rathaus/rathaus/internal/forms"
)

// TestFormPagesRefuseBadInputAtTheField: on the dog tax's pages (plain
// form posts), an invalid postcode, an impossible date, an invalid IBAN,
// an oversized upload, an executable named .pdf and a PDF named .png are
// each refused with 422, a message at the field (its error text, linked
// from the summary) and the entered values kept; an answer for a question
// the conditions hide is dropped, not stored; nothing reaches the
// applications.
func TestFormPagesRefuseBadInputAtTheField(t *testing.T) {
	in := installation{dir: t.TempDir()}
	s := in.start(t, "demo")
	e := demoEnv(t, in)
	var before int
	must(t, e.db.R.QueryRow(`SELECT COUNT(*) FROM applications`).Scan(&before))
	b := newBrowser(t, s)
	b.expect(b.post("/anmelden", url.Values{"email": {DemoCitizen.Email}, "password": {DemoPassword}}), 303, "")
	resp := b.post("/antrag/"+DemoServiceRef, nil)
	b.expect(resp, 303, "/antrag/entwurf/")
	base := "/antrag/entwurf/" + draftRE.FindStringSubmatch(resp.Header.Get("Location"))[1]
	b.expect(b.post(base+"/einwilligung", url.Values{"prefill": {"no"}}), 303, "")

	// atField checks a refused step: 422, the summary links the field and
	// the field shows its message.
	atField := func(what, id string) {
		t.Helper()
		if !strings.Contains(b.body, `href="#`+id+`"`) || !strings.Contains(b.body, `id="`+id+`-error"`) {
			t.Errorf("%s: not refused at #%s: %s", what, id, mainOf(b.body))
		}
	}
	step := func(id string, v url.Values) {
		t.Helper()
		v.Set("action", "next")
		b.expect(b.post(base+"?schritt="+id, v), 422, "")
	}
	halter := url.Values{"given_name": {"Paul"}, "family_name": {"Beispiel"}, "birth_date": {"23.04.1980"},
		"address.street": {"Lindenstraße"}, "address.house_number": {"4"}, "address.postcode": {"9105"}, "address.city": {"Musterstadt"}}
	step("halter", halter)
	atField("postcode 9105", "f-address-postcode")
	if !strings.Contains(b.body, `value="9105"`) {
		t.Error("entered postcode lost")
	}
	halter.Set("address.postcode", "00000")
	step("halter", halter)
	atField("postcode 00000", "f-address-postcode")
	halter.Set("address.postcode", "91052")
	halter.Set("birth_date", "30.02.1980")
	step("halter", halter)
	atField("30 February", "f-birth-date")
	halter.Set("birth_date", "23.04.1980")
	halter.Set("action", "next")
	b.expect(b.post(base+"?schritt=halter", halter), 303, base+"?schritt=hund")
	// An answer for a hidden question (the IBAN without direct debit) is dropped.
	b.expect(b.post(base+"?schritt=hund", url.Values{"action": {"next"}, "dog_name": {"Bello"}, "breed": {"Dackel"}, "dog_birth_date": {"01.02.2022"},
		"kept_since": {"01.11.2026"}, "dangerous": {"no"}, "other_dogs": {"no"}}), 303, base+"?schritt=ermaessigung")

	upload := func(name string, data []byte) {
		t.Helper()
		var mp bytes.Buffer
		mw := multipart.NewWriter(&mp)
		mw.WriteField("reduction", "shelter")
		mw.WriteField("action", "next")
		fw, _ := mw.CreateFormFile("proof", name)
		fw.Write(data)
		mw.Close()
		b.expect(b.send("POST", base+"?schritt=ermaessigung", mw.FormDataContentType(), &mp), 422, "")
	}
	pdf := []byte("%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n")
	big := append(append(append([]byte{}, pdf[:9]...), bytes.Repeat([]byte("x"), forms.DefaultMaxSize)...), []byte("\n%%EOF\n")...)
	for _, u := range []struct {
		what, name string
		data       []byte
		message    string
	}{
		{"oversized", "gross.pdf", big, "10"},
		{"executable named .pdf", "vertrag.pdf", []byte("MZ\x90\x00\x03\x00\x00\x00 this program cannot be run in DOS mode"), ""},
		{"PDF named .png", "vertrag.png", pdf, ""},
	} {
		upload(u.name, u.data)
		atField(u.what, "f-proof")
		if msg := regexp.MustCompile(`(?s)id="f-proof-error"[^>]*>(.*?)</p>`).FindStringSubmatch(b.body); msg == nil || !strings.Contains(msg[1], u.message) {
			t.Errorf("%s: message at the field %v", u.what, msg)
		}
	}
	upload2 := func() {
		var mp bytes.Buffer
		mw := multipart.NewWriter(&mp)
		mw.WriteField("reduction", "shelter")
		mw.WriteField("action", "next")
		fw, _ := mw.CreateFormFile("proof", "vertrag.pdf")
		fw.Write(pdf)
		mw.Close()
		b.expect(b.send("POST", base+"?schritt=ermaessigung", mw.FormDataContentType(), &mp), 303, base+"?schritt=zahlung")
	}
	upload2()
	step("zahlung", url.Values{"direct_debit": {"yes"}, "iban": {"DE89 3704 0044 0532 0130 01"}, "account_holder": {"Paul Beispiel"}})
	atField("IBAN check digits", "f-iban")
	if !strings.Contains(b.body, `value="DE89 3704 0044 0532 0130 01"`) {
		t.Error("entered IBAN lost")
	}

	var files string
	must(t, e.db.R.QueryRow(`SELECT files FROM form_drafts WHERE ref = $1`, strings.TrimPrefix(base, "/antrag/entwurf/")).Scan(&files))
	if strings.Count(files, `"name"`) != 1 || !strings.Contains(files, `"vertrag.pdf"`) {
		t.Errorf("draft files after refused uploads: %s", files)
	}
	var n int
	must(t, e.db.R.QueryRow(`SELECT COUNT(*) FROM applications`).Scan(&n))
	if n != before {
		t.Errorf("%d applications after refused input", n)
	}
}
