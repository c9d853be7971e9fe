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
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/platform/leitweg"

	"github.com/rathaus/rathaus/internal/einvoice/inbox"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/payments"
	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/tooltest"
)

func init() {
	for _, route := range []string{
		"GET /api/v1/einvoices/{id}", "POST /api/v1/einvoices/{id}/approvals", "POST /api/v1/einvoices/{id}/assignment", "POST /api/v1/einvoices/{id}/rejection",
		"GET /verwaltung/rechnungen/{id}", "POST /verwaltung/rechnungen/{id}/ablehnung", "GET /verwaltung/rechnungen/{id}/ansicht.pdf",
		"POST /verwaltung/rechnungen/{id}/freigabe", "GET /verwaltung/rechnungen/{id}/original", "POST /verwaltung/rechnungen/{id}/zuordnung",
	} {
		isolationFixtures[route] = invoiceFixture
	}
	isolationFixtures["GET /api/v1/einvoices/payment-runs/{id}/pain.001.xml"] = paymentRunFixture
}

// invoiceFixture receives an invoice only this tenant has.
func invoiceFixture(t *testing.T, e *env, tn *identity.Tenant) string {
	ctx := context.Background()
	number := "FIX-" + tn.Slug
	var ref string
	if e.db.R.QueryRow(`SELECT ref FROM einvoice_invoices WHERE tenant_id = $1 AND number = $2`, tn.ID, number).Scan(&ref) == nil {
		return ref
	}
	clerk := identity.Principal{TenantID: tn.ID, Ref: "fixture", Kind: "token", Roles: []identity.Role{identity.RoleFinance}}
	s := inbox.DefaultSample(number)
	s.Leitweg = leitweg.New("09999000", "FIXTURE"+strings.ToUpper(strings.ReplaceAll(tn.Slug, "-", ""))).String() // nobody's: clarification
	inv, err := e.inbox().Submit(ctx, clerk, tn.ID, inbox.Submission{Channel: inbox.ChannelAPI, Data: inbox.SampleXML(s)})
	must(t, err)
	return inv.Ref
}

// paymentRunFixture records a payment run of the tenant.
func paymentRunFixture(t *testing.T, e *env, tn *identity.Tenant) string {
	ctx := context.Background()
	ref := "Z-F1X0-" + map[bool]string{true: "000A", false: "000B"}[tn.Slug == DemoSlug]
	var n int
	e.db.R.QueryRow(`SELECT COUNT(*) FROM einvoice_payment_runs WHERE ref = $1`, ref).Scan(&n)
	if n == 0 {
		must(t, database.WithTx(ctx, e.db, func(tx *database.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO einvoice_payment_runs (tenant_id, ref, count, control_sum, file_key, file_size, created_by, created_at) VALUES ($1, $2, 0, '0.00', '', 0, 'fixture', $3)`,
				tn.ID, ref, tx.Now())
			return err
		}))
	}
	return ref
}

// TestEinvoiceAPI drives the inbox through the HTTP API of the demo city:
// intake (201, 409, 422 with every rule, also without a scenario), the
// four-eyes approvals as two signed-in clerks, a payment run whose file
// validates against the schema, and the CLI after it.
func TestEinvoiceAPI(t *testing.T) {
	in := installation{dir: t.TempDir()}
	s := in.start(t, "demo")
	ctx := context.Background()
	e, err := open(ctx, mustConfigDir(in.dir), discardLogger(), clock.System{})
	must(t, err)
	defer e.close()
	token := DemoToken(identity.RoleFinance)
	post := func(body []byte, ctype, auth string) (*http.Response, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest("POST", s.base+"/api/v1/einvoices", bytes.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("Authorization", "Bearer "+auth)
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		defer resp.Body.Close()
		var doc map[string]any
		json.NewDecoder(resp.Body).Decode(&doc)
		return resp, doc
	}
	sample := inbox.DefaultSample("API-2026-1")
	resp, doc := post(inbox.SampleXML(sample), "application/xml", token)
	if resp.StatusCode != 201 || doc["status"] != "new" || doc["unit_name"] != "Kämmerei" || doc["unit"] == "" {
		t.Fatalf("submit: %d %v", resp.StatusCode, doc)
	}
	val, _ := doc["validation"].(map[string]any)
	if val["accept"] != true || !strings.Contains(fmt.Sprint(val["scenario"]), "XRechnung") || val["errors"] == nil || val["warnings"] == nil {
		t.Errorf("validation %v", val)
	}
	id := doc["id"].(string)
	if resp, doc := post(inbox.SampleXML(sample), "application/xml", token); resp.StatusCode != 409 || doc["existing"] != id {
		t.Errorf("duplicate: %d %v", resp.StatusCode, doc)
	}
	broken := inbox.DefaultSample("API-2026-2")
	broken.Leitweg = ""
	resp, doc = post(inbox.SampleXML(broken), "application/xml", token)
	if resp.StatusCode != 422 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") || !strings.Contains(fmt.Sprint(doc["errors"]), "BR-DE-15") ||
		!strings.Contains(fmt.Sprint(doc["errors"]), "Leitweg-ID bzw. Käuferreferenz (BT-10) fehlt") {
		t.Errorf("rejected: %d %v", resp.StatusCode, doc)
	}
	noScenario := strings.Replace(string(inbox.SampleXML(inbox.DefaultSample("API-2026-3"))), "#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0", "#conformant#urn:factur-x.eu:1p0:extended", 1)
	resp, doc = post([]byte(noScenario), "application/xml", token)
	if resp.StatusCode != 422 || !strings.Contains(fmt.Sprint(doc["errors"]), "NO-SCENARIO") {
		t.Errorf("no scenario: %d %v", resp.StatusCode, doc)
	}
	if resp, _ := post(bytes.Repeat([]byte("<x>"), 7<<20), "application/xml", token); resp.StatusCode != 413 {
		t.Errorf("21 MiB body: %d, want 413", resp.StatusCode)
	}
	if resp, _ := post([]byte("%PDF-1.4 nothing"), "application/pdf", token); resp.StatusCode != 422 {
		t.Errorf("pdf without invoice: %d", resp.StatusCode)
	}
	if resp, _ := post(inbox.SampleXML(inbox.DefaultSample("API-2026-4")), "application/xml", DemoToken(identity.RoleCaseWorker)); resp.StatusCode != 403 {
		t.Errorf("case worker token submitted: %d", resp.StatusCode)
	}
	// Approvals: the integration token is never a person; two clerks sign.
	approve := func(auth, cookie, step string, version int) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest("POST", s.base+"/api/v1/einvoices/"+id+"/approvals", strings.NewReader(`{"step":"`+step+`"}`))
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: identity.SessionCookie, Value: cookie})
		}
		if version > 0 {
			req.Header.Set("If-Match", fmt.Sprintf(`"%d"`, version))
		}
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		defer resp.Body.Close()
		var doc map[string]any
		json.NewDecoder(resp.Body).Decode(&doc)
		return resp.StatusCode, doc
	}
	if st, doc := approve(DemoIntegrationToken, "", "sachlich", 0); st != 403 || doc["code"] != "not_a_person" {
		t.Errorf("integration token approved: %d %v", st, doc)
	}
	tn, err := e.identity.TenantBySlug(ctx, DemoSlug)
	must(t, err)
	login := func(email string) string {
		c, _, err := e.identity.Login(ctx, tn.ID, identity.LoginInput{Email: email, Password: DemoPassword, Addr: "test"})
		must(t, err)
		return c
	}
	karla := login("kasse@musterstadt.example")
	kt, konrad := DemoToken(identity.RoleFinance), DemoClerk2Token // personal tokens of the two clerks
	if st, doc := approve(kt, "", "anordnung", 0); st != 409 || doc["code"] != "wrong_order" {
		t.Errorf("anordnung first: %d %v", st, doc)
	}
	if st, doc := approve("", karla, "sachlich", 1); st != 201 || doc["step"].(map[string]any)["invoice_hash"] == "" {
		t.Fatalf("sachlich: %d %v", st, doc)
	}
	if st, doc := approve("", karla, "rechnerisch", 0); st != 403 || doc["code"] != "same_person" {
		t.Errorf("same person twice: %d %v", st, doc)
	}
	if st, doc := approve(konrad, "", "rechnerisch", 1); st != 409 || doc["code"] != "stale" {
		t.Errorf("stale version: %d %v", st, doc)
	}
	if st, doc := approve(konrad, "", "rechnerisch", 2); st != 201 {
		t.Fatalf("rechnerisch: %d %v", st, doc)
	}
	if st, doc := approve("", "", "bogus", 0); st != 401 {
		t.Errorf("anonymous: %d %v", st, doc)
	}
	if st, doc := approve("", karla, "bogus", 0); st != 422 {
		t.Errorf("unknown step: %d %v", st, doc)
	}
	if st, doc := approve(kt, "", "anordnung", 3); st != 201 || doc["invoice"].(map[string]any)["status"] != "approved" {
		t.Fatalf("anordnung: %d %v", st, doc)
	}
	// The payment run pays it and the demo's approved invoice (netted with its credit note).
	resp, body := s.do(t, "POST", "/api/v1/einvoices/payment-runs", token, "")
	var run inbox.PaymentRun
	json.Unmarshal(body, &run)
	if resp.StatusCode != 201 || run.Count != 2 || run.File != "/api/v1/einvoices/payment-runs/"+run.Ref+"/pain.001.xml" || run.ControlSum != "7187.60" || run.Skipped == nil {
		t.Fatalf("payment run: %d %s", resp.StatusCode, body)
	}
	resp, file := s.do(t, "GET", run.File, token, "")
	if resp.StatusCode != 200 || !bytes.Contains(file, []byte("<CtrlSum>7187.60</CtrlSum>")) {
		t.Fatalf("payment file: %d %s", resp.StatusCode, file)
	}
	lintPain(t, file)
	// The run's debits are registered with payments; the bank statement
	// (camt.053) shows them, payments matches them and enqueues
	// payments.debit_matched, the server's job workers mark the invoices paid.
	var expected int
	must(t, e.db.R.QueryRow(`SELECT COUNT(*) FROM expected_debits WHERE run = $1`, run.Ref).Scan(&expected))
	if expected != 2 {
		t.Errorf("%d expected debits registered with payments", expected)
	}
	var debits []payments.Credit
	for _, p := range run.Payments {
		debits = append(debits, payments.Credit{Amount: p.Amount, Debit: true, Name: p.Creditor, IBAN: "DE02120300000000202051", EndToEndID: p.EndToEndID, Text: "Rechnung"})
	}
	stmt := payments.GenerateStatement("STMT-"+run.Ref, "DE89370400440532013000", time.Now(), debits)
	req, _ := http.NewRequest("POST", s.base+"/api/v1/bank-statements", bytes.NewReader(stmt))
	req.Header.Set("Content-Type", "application/xml")
	req.Header.Set("Authorization", "Bearer "+token)
	sresp, err := http.DefaultClient.Do(req)
	must(t, err)
	sbody, _ := io.ReadAll(sresp.Body)
	sresp.Body.Close()
	if sresp.StatusCode != 201 {
		t.Fatalf("statement import: %d %s", sresp.StatusCode, sbody)
	}
	paid := false
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && !paid; {
		_, body := s.do(t, "GET", "/api/v1/einvoices/"+id, token, "")
		paid = bytes.Contains(body, []byte(`"status":"paid"`))
		if !paid {
			time.Sleep(100 * time.Millisecond) // polling another process's job worker
		}
	}
	if !paid {
		t.Error("matched debit did not mark the invoice paid")
	}
	// A supplier with a business account hands in its own invoice and sees
	// only what it sent.
	must(t, database.WithTx(ctx, e.db, func(tx *database.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO accounts (tenant_id, ref, kind, email, name, email_verified_at, created_at) VALUES ($1, 'U-L1EF-0001', 'business', 'rechnung@schmidt.example', 'Bürobedarf Schmidt GmbH', $2, $2)`, tn.ID, tx.Now())
		return err
	}))
	supplier, _, err := e.identity.CreatePersonalToken(ctx, identity.System(tn.ID), tn.ID, "U-L1EF-0001", "buchhaltung", "rh_test_supplier_schmidt_0001")
	must(t, err)
	resp, doc = post(inbox.SampleXML(inbox.DefaultSample("API-2026-9")), "application/xml", supplier)
	if resp.StatusCode != 201 {
		t.Fatalf("supplier submit: %d %v", resp.StatusCode, doc)
	}
	own := doc["id"].(string)
	if resp, body := s.do(t, "GET", "/api/v1/einvoices/"+own, supplier, ""); resp.StatusCode != 200 || bytes.Contains(body, []byte(`"actor"`)) || !bytes.Contains(body, []byte(`"status":"new"`)) {
		t.Errorf("supplier reads its invoice (status, not the city's workflow): %d %s", resp.StatusCode, body)
	}
	if resp, _ := s.do(t, "GET", "/api/v1/einvoices/"+id, supplier, ""); resp.StatusCode != 404 {
		t.Errorf("supplier reads another's invoice: %d", resp.StatusCode)
	}
	if resp, body := s.do(t, "GET", "/api/v1/einvoices?list=new", supplier, ""); resp.StatusCode != 200 || strings.Count(string(body), `"id":"R-`) != 1 {
		t.Errorf("supplier list: %d %s", resp.StatusCode, body)
	}
	if st, _ := approve(supplier, "", "sachlich", 0); st != 404 {
		t.Errorf("supplier approves another's invoice: %d", st)
	}
	must(t, s.stop())
	printed := strings.Join(s.lines, "\n")
	if !strings.Contains(printed, "Leitweg-ID of the city 09162000-MUSTERSTADT-10") || !strings.Contains(printed, "finance clerks") {
		t.Errorf("demo output lacks the Leitweg-ID or the clerks:\n%s", printed)
	}
	if out, errOut, code := in.run(t, "einvoice", "payment-run", "--data", in.dir, "--out", filepath.Join(t.TempDir(), "p.xml")); code != 1 {
		t.Errorf("second run by CLI: exit %d %s %s", code, out, errOut)
	}
}

func lintPain(t *testing.T, doc []byte) {
	t.Helper()
	lint := tooltest.Path(t, "xmllint", "libxml2-utils")
	f := filepath.Join(t.TempDir(), "pain.xml")
	os.WriteFile(f, doc, 0o600)
	xsd := filepath.Join(repoRoot(t), "internal", "einvoice", "sepa", "testdata", "pain.001.001.09.xsd")
	if out, err := exec.Command(lint, "--noout", "--schema", xsd, f).CombinedOutput(); err != nil {
		t.Fatalf("xmllint: %v %s", err, out)
	}
}

// TestEinvoicePages: the finance pages work without JavaScript: the
// worklist highlights due dates, a rejected upload lists its rules (422),
// an accepted one opens its page, and the signing forms enforce four eyes.
func TestEinvoicePages(t *testing.T) {
	in := installation{dir: t.TempDir()}
	s := in.start(t, "demo")
	ctx := context.Background()
	e, err := open(ctx, mustConfigDir(in.dir), discardLogger(), clock.System{})
	must(t, err)
	defer e.close()
	tn, err := e.identity.TenantBySlug(ctx, DemoSlug)
	must(t, err)
	login := func(email string) string {
		c, _, err := e.identity.Login(ctx, tn.ID, identity.LoginInput{Email: email, Password: DemoPassword, Addr: "test"})
		must(t, err)
		return c
	}
	karla, konrad := login("kasse@musterstadt.example"), login(demoClerk2)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	page := func(method, path, cookie, ctype string, body io.Reader) (int, string, string) {
		t.Helper()
		req, _ := http.NewRequest(method, s.base+path, body)
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		req.AddCookie(&http.Cookie{Name: identity.SessionCookie, Value: cookie})
		resp, err := noRedirect.Do(req)
		must(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Location"), string(b)
	}
	st, _, html := page("GET", "/verwaltung/rechnungen", konrad, "", nil)
	if st != 200 || !strings.Contains(html, "/verwaltung/rechnungen/R-DEM0-0006") || !strings.Contains(html, "überfällig") || !strings.Contains(html, "Skonto möglich") {
		t.Errorf("worklist %d", st)
	}
	upload := func(name string, data []byte) (int, string, string) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		fw, _ := mw.CreateFormFile("invoice", name)
		fw.Write(data)
		mw.Close()
		return page("POST", "/verwaltung/rechnungen/hochladen", karla, mw.FormDataContentType(), &b)
	}
	bad := inbox.DefaultSample("PAGE-1")
	bad.Leitweg = ""
	if st, _, html := upload("bad.xml", inbox.SampleXML(bad)); st != 422 || !strings.Contains(html, "BR-DE-15") || !strings.Contains(html, "Leitweg-ID bzw. Käuferreferenz") {
		t.Errorf("rejected upload %d", st)
	}
	st, loc, _ := upload("good.xml", inbox.SampleXML(inbox.DefaultSample("PAGE-2")))
	if st != 303 || !strings.HasPrefix(loc, "/verwaltung/rechnungen/R-") {
		t.Fatalf("upload %d %s", st, loc)
	}
	st, _, html = page("GET", loc, karla, "", nil)
	if st != 200 || !strings.Contains(html, "Sachlich richtig zeichnen") || !strings.Contains(html, "Druckerpapier A4") || !strings.Contains(html, "(BT-115)") {
		t.Fatalf("invoice page %d", st)
	}
	form := func(cookie, step, version string) (int, string, string) {
		v := url.Values{"step": {step}, "version": {version}, "cost_centre": {"1100"}, "budget_line": {"1.0200.6500"}}
		return page("POST", loc+"/freigabe", cookie, "application/x-www-form-urlencoded", strings.NewReader(v.Encode()))
	}
	if st, to, _ := form(karla, "sachlich", "1"); st != 303 || !strings.HasSuffix(to, "?erledigt=sachlich") {
		t.Fatalf("sachlich by form %d %s", st, to)
	}
	if st, _, html := form(karla, "rechnerisch", "2"); st != 403 || !strings.Contains(html, "Vier-Augen-Prinzip") {
		t.Errorf("same person by form: %d", st)
	}
	if st, _, html := form(konrad, "rechnerisch", "1"); st != 409 || !strings.Contains(html, "inzwischen geändert") {
		t.Errorf("stale form: %d", st)
	}
	if st, _, _ := form(konrad, "rechnerisch", "2"); st != 303 {
		t.Errorf("rechnerisch by form: %d", st)
	}
	// Paper invoice: every missing field at once, then the real thing.
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("supplier", "Malerbetrieb Kunz")
	mw.Close()
	if st, _, html := page("POST", "/verwaltung/rechnungen/papier", karla, mw.FormDataContentType(), &b); st != 422 || !strings.Contains(html, `href="#paper-scan"`) || !strings.Contains(html, `href="#paper-amount"`) {
		t.Errorf("paper form without fields: %d", st)
	}
	b.Reset()
	mw = multipart.NewWriter(&b)
	fw, _ := mw.CreateFormFile("scan", "scan.pdf")
	fw.Write([]byte("%PDF-1.4\n% scanned paper\n%%EOF\n"))
	for k, v := range map[string]string{"supplier": "Malerbetrieb Kunz", "number": "K-17", "issue_date": "2026-11-02", "due_date": "2026-12-02", "amount": "595,00", "currency": "EUR", "iban": "DE02120300000000202051"} {
		mw.WriteField(k, v)
	}
	mw.Close()
	if st, to, _ := page("POST", "/verwaltung/rechnungen/papier", karla, mw.FormDataContentType(), &b); st != 303 || !strings.HasPrefix(to, "/verwaltung/rechnungen/R-") {
		t.Errorf("paper invoice: %d %s", st, to)
	}
	// A citizen sees no inbox.
	if st, _, _ := page("GET", "/verwaltung/rechnungen", citizenSession(t, e, tn), "", nil); st != 403 {
		t.Errorf("citizen: %d", st)
	}
	// A supplier hands in through its own page and is told the reference.
	must(t, database.WithTx(ctx, e.db, func(tx *database.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO accounts (tenant_id, ref, kind, email, name, password_hash, email_verified_at, created_at) VALUES ($1, 'U-L1EF-0002', 'business', 'buchhaltung@blitz.example', 'Blitz KG', $2, $3, $3)`,
			tn.ID, identity.HashPassword("blitz-sauberes-passwort"), tx.Now())
		return err
	}))
	supplier, _, err := e.identity.Login(ctx, tn.ID, identity.LoginInput{Email: "buchhaltung@blitz.example", Password: "blitz-sauberes-passwort", Addr: "test"})
	must(t, err)
	if st, _, html := page("GET", "/rechnungen/einreichen", supplier, "", nil); st != 200 || !strings.Contains(html, `name="invoice"`) {
		t.Errorf("supplier page %d", st)
	}
	b.Reset()
	mw = multipart.NewWriter(&b)
	fw, _ = mw.CreateFormFile("invoice", "re.xml")
	fw.Write(inbox.SampleXML(inbox.DefaultSample("BLITZ-1")))
	mw.Close()
	st, to, _ := page("POST", "/rechnungen/einreichen", supplier, mw.FormDataContentType(), &b)
	if st != 303 || !strings.HasPrefix(to, "/rechnungen/einreichen?eingegangen=R-") {
		t.Fatalf("supplier upload %d %s", st, to)
	}
	if st, _, html := page("GET", to, supplier, "", nil); st != 200 || !strings.Contains(html, "Ihre Rechnung ist eingegangen") {
		t.Errorf("supplier notice %d", st)
	}
	if st, _, _ := page("GET", "/verwaltung/rechnungen/"+strings.TrimPrefix(to, "/rechnungen/einreichen?eingegangen="), supplier, "", nil); st != 403 && st != 404 {
		t.Errorf("supplier in the staff pages: %d", st)
	}
	// The CLI pays the demo's approved invoice (netted with its credit note).
	must(t, s.stop())
	file := filepath.Join(t.TempDir(), "pain.001.xml")
	out, errOut, code := in.run(t, "einvoice", "payment-run", "--data", in.dir, "--out", file, "--json")
	var run inbox.PaymentRun
	if code != 0 || json.Unmarshal([]byte(out), &run) != nil || run.Count != 1 || run.ControlSum != "5997.60" || len(run.Netted) != 1 {
		t.Fatalf("payment-run: exit %d %s %s", code, out, errOut)
	}
	data, err := os.ReadFile(file)
	must(t, err)
	lintPain(t, data)
}

// BenchmarkEinvoiceAPI is the intake through the HTTP API of a running
// demo city (SQLite): POST /api/v1/einvoices with a fresh XRechnung each
// time, answered 201 — validation, parsing, routing, storage and audit.
func BenchmarkEinvoiceAPI(b *testing.B) {
	in := installation{dir: b.TempDir()}
	s := in.start(b, "demo")
	token := DemoToken(identity.RoleFinance)
	i := 0
	for b.Loop() {
		i++
		req, _ := http.NewRequest("POST", s.base+"/api/v1/einvoices", bytes.NewReader(inbox.SampleXML(inbox.DefaultSample(fmt.Sprintf("LOAD-%d", i)))))
		req.Header.Set("Content-Type", "application/xml")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 201 {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "invoices/s")
}
