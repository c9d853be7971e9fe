package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/forms"
	"github.com/rathaus/rathaus/internal/platform/datasets"
)

// TestGewerbeanmeldungFromTheFIMFile: `rathaus forms import-fim
// ../shared/data/forms/S05000001296_fields.json --publish` on the demo
// makes a new version of the Gewerbeanmeldung and lists the inferred
// types; the service page offers it; the demo business fills it in
// completely (a GmbH, with the register extract as an upload) and sends
// it through POST /api/v1/applications with its token; the application
// keeps the imported version, and a citizen is refused.
func TestGewerbeanmeldungFromTheFIMFile(t *testing.T) {
	dir, err := datasets.Dir()
	if err != nil {
		if datasets.Required() {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	file := filepath.Join(dir, "forms", "S05000001296_fields.json")
	in := installation{dir: t.TempDir()}
	s := in.start(t, "demo")

	out, errOut, code := in.run(t, "forms", "import-fim", file, "--publish", "--json")
	var rep forms.ImportReport
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil {
		t.Fatalf("import-fim: exit %d\n%s\n%s", code, out, errOut)
	}
	types := map[forms.FieldType]int{}
	for _, i := range rep.Inferred {
		types[i.Type]++
	}
	if rep.FIMID != "S05000001296" || rep.Version != 2 || types[forms.TypeDate] == 0 || types[forms.TypePostcode] == 0 || types[forms.TypeFile] == 0 {
		t.Fatalf("report: %s version %d, inferred %v", rep.FIMID, rep.Version, types)
	}
	t.Logf("import: %d steps, %d fields, %d rules, %d skipped; inferred %v", rep.Steps, rep.Fields, rep.Rules, len(rep.Skipped), types)

	resp, b := s.do(t, "GET", "/leistungen/"+TradeServiceRef, "", "")
	if resp.StatusCode != 200 || !strings.Contains(string(b), `href="/antrag/`+TradeServiceRef+`"`) {
		t.Fatalf("service page does not offer the Gewerbeanmeldung: %d", resp.StatusCode)
	}

	e := demoEnv(t, in)
	tn, _ := e.identity.TenantBySlug(context.Background(), DemoSlug)
	def, formRef, version, err := e.formsService().CurrentForm(context.Background(), tn.ID, TradeServiceRef)
	if err != nil || version != 2 || formRef != rep.Form {
		t.Fatalf("current form: %s version %d %v", formRef, version, err)
	}
	// A GmbH, newly founded (Rechtsform 221110, Anlass 01).
	answers, uploads, err := forms.SampleAnswers(def, map[string]any{"f05000017511": "221110", "f05000017485": "01"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	send := func(token string) (*http.Response, []byte) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		doc, _ := json.Marshal(map[string]any{"service": TradeServiceRef, "answers": answers})
		mw.WriteField("application", string(doc))
		for _, path := range uploads {
			fw, _ := mw.CreateFormFile(path, "registerauszug.pdf")
			fw.Write([]byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"))
		}
		mw.Close()
		req, _ := http.NewRequest("POST", s.base+"/api/v1/applications", &body)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, b
	}
	resp, b = send(DemoToken("business"))
	if resp.StatusCode != 201 {
		t.Fatalf("business submits the Gewerbeanmeldung: %d %s", resp.StatusCode, b)
	}
	var created forms.SubmitResponse
	must(t, json.Unmarshal(b, &created))
	resp, b = s.do(t, "GET", "/api/v1/applications/"+created.Reference, DemoToken("business"), "")
	var got forms.Application
	json.Unmarshal(b, &got)
	if resp.StatusCode != 200 || got.FormVersion != 2 || got.AccountKind != "business" || len(got.Files) != len(uploads) {
		t.Errorf("application: %d version %d kind %q, %d files for %d uploads", resp.StatusCode, got.FormVersion, got.AccountKind, len(got.Files), len(uploads))
	}
	var top int
	if m, ok := got.Answers["f05000017511"]; !ok || fmt.Sprint(m) != "221110" {
		t.Errorf("Rechtsform not kept: %v", got.Answers["f05000017511"])
	}
	for range got.Answers {
		top++
	}
	t.Logf("a GmbH sent %d top-level answers and %d files as %s", top, len(got.Files), created.Reference)

	// The page of the form opens for the business; a citizen may not apply.
	b2 := newBrowser(t, s)
	b2.expect(b2.post("/anmelden", url.Values{"email": {DemoBusiness.Email}, "password": {DemoPassword}}), 303, "")
	b2.expect(b2.get("/antrag/"+TradeServiceRef), 200, "")
	if !strings.Contains(b2.body, "Gewerbeanmeldung") {
		t.Errorf("start page: %s", mainOf(b2.body))
	}
	// The replaced version 1 takes no new applications.
	old, _ := json.Marshal(map[string]any{"service": TradeServiceRef, "form_version": 1, "answers": answers})
	if resp, b := s.do(t, "POST", "/api/v1/applications", DemoToken("business"), string(old)); resp.StatusCode != 409 {
		t.Errorf("submission on the replaced version 1: %d %s", resp.StatusCode, b)
	}
	if resp, b := send(DemoToken("citizen")); resp.StatusCode != 422 || !strings.Contains(string(b), "account_kind") {
		t.Errorf("citizen submits the Gewerbeanmeldung: %d %s", resp.StatusCode, b)
	}
}
