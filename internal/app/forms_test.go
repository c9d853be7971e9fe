package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rathaus/rathaus/internal/forms"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/ref"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// formsFixtureService is the service of the fixtures' published form in a
// tenant (each tenant its own, so another tenant's is not found).
func formsFixtureService(tn *identity.Tenant) string {
	return "L-F1XT-" + strings.ToUpper(strings.ReplaceAll(tn.Slug, "-", "")[:4])
}

// applicationFixture makes an application of tenant tn by a citizen of tn
// who is not the one making the requests.
func applicationFixture(t *testing.T, e *env, tn *identity.Tenant) string {
	svc := formsFixtureForm(t, e, tn)
	app, err := e.formsService().Submit(context.Background(), formsFixtureOwner(t, e, tn), tn.ID, forms.Submission{ServiceID: svc, Answers: forms.DogTaxAnswers(1)})
	must(t, err)
	return app.Ref
}

// demoCitizenCookie signs the demo citizen in and returns the session cookie.
func demoCitizenCookie(t *testing.T, e *env, email string) string {
	t.Helper()
	tn, err := e.identity.TenantBySlug(context.Background(), DemoSlug)
	must(t, err)
	cookie, _, err := e.identity.Login(context.Background(), tn.ID, identity.LoginInput{Email: email, Password: DemoPassword, Addr: "test"})
	must(t, err)
	return cookie
}

func doCookie(t *testing.T, s *server, method, path, cookie, ctype string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, s.base+path, bytes.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.AddCookie(&http.Cookie{Name: identity.SessionCookie, Value: cookie})
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, b
}

// TestApplicationsAPI: the demo citizen submits the demo dog tax through
// POST /api/v1/applications (JSON and multipart), gets 422 with every
// invalid field, lists and reads their applications and the receipt; the
// catalog offers the form on the service page instead of the placeholder.
func TestApplicationsAPI(t *testing.T) {
	eachInstallation(t, func(t *testing.T, in installation) {
		s := in.start(t, "demo")
		e := demoEnv(t, in)
		cookie := demoCitizenCookie(t, e, DemoCitizen.Email)
		body, _ := json.Marshal(map[string]any{"service": DemoServiceRef, "answers": forms.DogTaxAnswers(1)})
		resp, b := doCookie(t, s, "POST", "/api/v1/applications", cookie, "application/json", body)
		if resp.StatusCode != 201 {
			t.Fatalf("submit: %d %s", resp.StatusCode, b)
		}
		var created forms.SubmitResponse
		must(t, json.Unmarshal(b, &created))
		if !ref.Valid("A", created.Reference) || created.Status != forms.StatusSubmitted || resp.Header.Get("Location") != "/api/v1/applications/"+created.Reference {
			t.Errorf("created = %+v, Location %q", created, resp.Header.Get("Location"))
		}

		bad := forms.DogTaxAnswers(2)
		delete(bad, "dog_name")
		bad["direct_debit"] = true
		bad["iban"] = "DE00 1234"
		bad["account_holder"] = "Paul"
		bad["kept_since"] = "31.02.2025"
		body, _ = json.Marshal(map[string]any{"service": DemoServiceRef, "answers": bad})
		resp, b = doCookie(t, s, "POST", "/api/v1/applications", cookie, "application/json", body)
		var prob web.Problem
		json.Unmarshal(b, &prob)
		if resp.StatusCode != 422 || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("invalid submission: %d %s", resp.StatusCode, b)
		}
		var got []string
		for _, fe := range prob.Errors {
			got = append(got, fe.Field+":"+fe.Code)
			if fe.Detail == "" || fe.Detail == fe.Code {
				t.Errorf("field %s has no translated detail: %+v", fe.Field, fe)
			}
		}
		if diff := cmp.Diff([]string{"dog_name:required", "kept_since:invalid_date", "iban:invalid_iban"}, got); diff != "" {
			t.Errorf("422 errors (-want +got):\n%s", diff)
		}

		// Multipart with an upload for the shelter reduction.
		var mp bytes.Buffer
		mw := multipart.NewWriter(&mp)
		withProof := forms.DogTaxAnswers(3)
		withProof["reduction"] = "shelter"
		doc, _ := json.Marshal(map[string]any{"service": DemoServiceRef, "answers": withProof})
		mw.WriteField("application", string(doc))
		fw, _ := mw.CreateFormFile("proof", "vertrag.pdf")
		fw.Write([]byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"))
		mw.Close()
		resp, b = doCookie(t, s, "POST", "/api/v1/applications", cookie, mw.FormDataContentType(), mp.Bytes())
		if resp.StatusCode != 201 {
			t.Fatalf("multipart submit: %d %s", resp.StatusCode, b)
		}
		var withFile forms.SubmitResponse
		json.Unmarshal(b, &withFile)
		resp, b = doCookie(t, s, "GET", "/api/v1/applications/"+withFile.Reference, cookie, "", nil)
		var app forms.Application
		json.Unmarshal(b, &app)
		if resp.StatusCode != 200 || len(app.Files) != 1 || app.Files[0].Name != "vertrag.pdf" || app.Files[0].MediaType != "application/pdf" {
			t.Errorf("application with file: %d %s", resp.StatusCode, b)
		}

		resp, b = doCookie(t, s, "GET", "/api/v1/applications", cookie, "", nil)
		var list []forms.Summary
		json.Unmarshal(b, &list)
		// The demo citizen's list also holds what the demo seeded (a closed
		// case); the two made here come first, newest first.
		if resp.StatusCode != 200 || len(list) < 2 || list[0].Ref != withFile.Reference || list[1].Ref != created.Reference {
			t.Errorf("list: %d %s", resp.StatusCode, b)
		}
		resp, b = doCookie(t, s, "GET", "/api/v1/applications/"+created.Reference+"/receipt", cookie, "", nil)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(b, []byte("%PDF-")) {
			t.Errorf("receipt: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}

		// An integration token is nobody's applicant; a staff member's
		// personal token is a person, but not one who applies.
		resp, _ = s.do(t, "POST", "/api/v1/applications", DemoIntegrationToken, string(body))
		if resp.StatusCode != 403 {
			t.Errorf("integration token submits: %d", resp.StatusCode)
		}
		resp, b = s.do(t, "POST", "/api/v1/applications", DemoToken(identity.RoleAdmin), string(body))
		if resp.StatusCode != 422 || !strings.Contains(string(b), "account_kind") {
			t.Errorf("staff token submits: %d %s", resp.StatusCode, b)
		}
		// Paul's personal token acts as Paul.
		body, _ = json.Marshal(map[string]any{"service": DemoServiceRef, "answers": forms.DogTaxAnswers(5)})
		resp, b = s.do(t, "POST", "/api/v1/applications", DemoToken("citizen"), string(body))
		if resp.StatusCode != 201 {
			t.Errorf("citizen token submits: %d %s", resp.StatusCode, b)
		}
		// The business may not apply for the citizens' dog tax.
		biz := demoCitizenCookie(t, e, DemoBusiness.Email)
		body, _ = json.Marshal(map[string]any{"service": DemoServiceRef, "answers": forms.DogTaxAnswers(4)})
		if resp, b := doCookie(t, s, "POST", "/api/v1/applications", biz, "application/json", body); resp.StatusCode != 422 || !strings.Contains(string(b), "account_kind") {
			t.Errorf("business submits the dog tax: %d %s", resp.StatusCode, b)
		}

		// The service page offers our own form, not the placeholder link.
		resp, b = s.do(t, "GET", "/leistungen/"+DemoServiceRef, "", "")
		page := string(b)
		if resp.StatusCode != 200 || !strings.Contains(page, `href="/antrag/`+DemoServiceRef+`"`) || strings.Contains(page, "musterstadt.example/formulare") {
			t.Errorf("service page does not offer the own form (or still links the placeholder): %d", resp.StatusCode)
		}
	})
}

// formsFixtureOwner returns a citizen of tn who is not the requester.
func formsFixtureOwner(t *testing.T, e *env, tn *identity.Tenant) identity.Principal {
	ctx := context.Background()
	owner := "U-F1XT-" + strings.ToUpper(strings.ReplaceAll(tn.Slug, "-", "")[:4])
	var id int64
	if err := e.db.R.QueryRow(`SELECT id FROM accounts WHERE ref = $1`, owner).Scan(&id); err != nil {
		must(t, database.WithTx(ctx, e.db, func(tx *database.Tx) error {
			return tx.QueryRowContext(ctx, `INSERT INTO accounts (tenant_id, ref, kind, email, name, created_at) VALUES ($1, $2, 'citizen', $3, 'Fixture', $4) RETURNING id`,
				tn.ID, owner, "fixture-applicant@"+tn.Slug+".example", tx.Now()).Scan(&id)
		}))
	}
	return identity.Principal{TenantID: tn.ID, AccountID: id, Ref: owner, Kind: "citizen"}
}

// formsFixtureForm publishes the fixtures' form in tn and returns its service.
func formsFixtureForm(t *testing.T, e *env, tn *identity.Tenant) string {
	ctx := context.Background()
	fs := e.formsService()
	if ref, err := fs.FormOfService(ctx, tn.ID, formsFixtureService(tn)); err != nil {
		t.Fatal(err)
	} else if ref == "" {
		def, err := forms.DemoForm("hundesteuer")
		must(t, err)
		f, err := fs.CreateForm(ctx, identity.System(tn.ID), tn.ID, forms.NewForm{ServiceID: formsFixtureService(tn), Def: def})
		must(t, err)
		must(t, fs.Publish(ctx, identity.System(tn.ID), tn.ID, f.Ref, 1))
	}
	return formsFixtureService(tn)
}

// draftFixture makes a draft of another citizen of tn.
func draftFixture(t *testing.T, e *env, tn *identity.Tenant) string {
	svc := formsFixtureForm(t, e, tn)
	d, _, err := e.formsService().StartDraft(context.Background(), forms.Visitor{P: formsFixtureOwner(t, e, tn)}, tn.ID, svc, "de")
	must(t, err)
	return d.Ref
}

// consentFixture makes a prefill consent of another citizen of tn.
func consentFixture(t *testing.T, e *env, tn *identity.Tenant) string {
	ctx := context.Background()
	p := formsFixtureOwner(t, e, tn)
	must(t, database.WithTx(ctx, e.db, func(tx *database.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE accounts SET profile = $1 WHERE id = $2`, `{"given_name":"Fix"}`, p.AccountID)
		return err
	}))
	d, _, err := e.formsService().StartDraft(ctx, forms.Visitor{P: p}, tn.ID, formsFixtureForm(t, e, tn), "de")
	must(t, err)
	must(t, e.formsService().DecidePrefill(ctx, p, tn.ID, d.Ref, true))
	cs, err := e.formsService().Consents(ctx, p, tn.ID)
	must(t, err)
	return cs[0].Ref
}

// serviceFormFixture is a service with a published form (public pages).
func serviceFormFixture(t *testing.T, e *env, tn *identity.Tenant) string {
	return formsFixtureForm(t, e, tn)
}
