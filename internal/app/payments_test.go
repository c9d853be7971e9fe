package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/payments"
	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/jobs"
	"github.com/rathaus/rathaus/internal/platform/ref"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
)

func TestPaymentsEPCQRCommand(t *testing.T) {
	in := installation{dir: t.TempDir()}
	out := filepath.Join(t.TempDir(), "qr.png")
	stdout, _, code := in.run(t, "payments", "epc-qr", "--name", "Stadtkasse Müßstadt", "--iban", "DE89 3704 0044 0532 0130 00",
		"--amount", "30,50", "--reference", "RF18 5390 0754 7034", "--bic", "COBADEFFXXX", "--out", out)
	want := "BCD\n002\n2\nSCT\nCOBADEFFXXX\nStadtkasse Müßstadt\nDE89370400440532013000\nEUR30.50\n\nRF18539007547034\n"
	if code != 0 || stdout != want {
		t.Fatalf("exit %d, stdout %q, want %q", code, stdout, want)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	bmp, _ := gozxing.NewBinaryBitmapFromImage(img)
	res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_CHARACTER_SET: "ISO-8859-1"})
	if err != nil {
		t.Fatal(err)
	}
	// ISO 8859-1 bytes read as ISO 8859-1 are the payload's characters.
	if res.GetText()+"\n" != want {
		t.Errorf("QR holds %q", res.GetText())
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"bad IBAN", []string{"--iban", "DE89370400440532013001", "--amount", "1", "--remittance", "x"}},
		{"bad RF", []string{"--iban", "DE89370400440532013000", "--amount", "1", "--reference", "RF19539007547034"}},
		{"bad amount", []string{"--iban", "DE89370400440532013000", "--amount", "1.005", "--remittance", "x"}},
		{"amount too large", []string{"--iban", "DE89370400440532013000", "--amount", "1000000000", "--remittance", "x"}},
		{"both texts", []string{"--iban", "DE89370400440532013000", "--amount", "1", "--remittance", "x", "--reference", "RF18539007547034"}},
	} {
		os.Remove(out)
		args := append([]string{"payments", "epc-qr", "--name", "Stadt", "--out", out}, tc.args...)
		stdout, stderr, code := in.run(t, args...)
		if code != 2 || stdout != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", tc.name, code, stdout, stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: wrote a PNG", tc.name)
		}
	}
}

func TestPaymentsCamtCommand(t *testing.T) {
	in := installation{dir: t.TempDir()}
	dir := filepath.Join("..", "payments", "camt", "testdata")
	stdout, _, code := in.run(t, "payments", "camt", "--json", filepath.Join(dir, "camt053.v2.minimal.xml"))
	var doc struct {
		MessageID  string `json:"message_id"`
		Type       string `json:"type"`
		Statements []struct {
			ID      string `json:"id"`
			Account struct {
				IBAN string  `json:"iban"`
				Name *string `json:"name"`
			} `json:"account"`
			Balances []json.RawMessage `json:"balances"`
			Entries  []struct {
				Amount, Currency, CreditDebit, Status, BookingDate, ValueDate string
				AccountServicerReference                                      *string `json:"account_servicer_reference"`
				Details                                                       []struct {
					EndToEndID *string           `json:"end_to_end_id"`
					Remittance json.RawMessage   `json:"remittance"`
					Parties    []json.RawMessage `json:"parties"`
				} `json:"details"`
			} `json:"entries"`
		} `json:"statements"`
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &doc) != nil {
		t.Fatalf("exit %d: %s", code, stdout)
	}
	var loose map[string]any
	json.Unmarshal([]byte(stdout), &loose)
	e := loose["statements"].([]any)[0].(map[string]any)["entries"].([]any)[0].(map[string]any)
	for k, want := range map[string]string{"amount": "8.85", "currency": "EUR", "credit_debit": "CRDT", "status": "BOOK", "booking_date": "2014-12-31", "value_date": "2015-01-02", "account_servicer_reference": ""} {
		if e[k] != want {
			t.Errorf("entry %s = %v, want %q", k, e[k], want)
		}
	}
	st := doc.Statements[0]
	if doc.Type != "camt.053.001.02" || st.Account.IBAN != "NL26VAYB8060476890" || st.Account.Name == nil || len(st.Balances) != 4 ||
		st.Entries[0].Details[0].EndToEndID == nil || len(st.Entries[0].Details[0].Parties) != 2 {
		t.Errorf("document %s", stdout)
	}
	stdout, _, code = in.run(t, "payments", "camt", "--json", filepath.Join(dir, "camt053.v2.wrong.xml"))
	if code != 1 || !strings.Contains(stdout, `"valid": false`) {
		t.Errorf("wrong file: exit %d %s", code, stdout)
	}
	if _, _, code := in.run(t, "payments", "camt", filepath.Join(dir, "missing.xml")); code != 2 {
		t.Errorf("missing file: exit %d, want 2", code)
	}
}

// paymentRequestFixture makes a payment request of tenant tn whose payer
// is the fixture citizen (not the citizen who makes the requests).
func paymentRequestFixture(t *testing.T, e *env, tn *identity.Tenant) string {
	ctx := context.Background()
	var account int64
	must(t, e.db.R.QueryRow(`SELECT id FROM accounts WHERE ref = $1`, citizenFixture(t, e, tn)).Scan(&account))
	c, err := e.payments().Create(ctx, identity.System(tn.ID), payments.NewRequest{TenantID: tn.ID, Subject: "FIXTURE", PayerAccountID: account,
		Amount: decimal.RequireFromString("9.99"), Purpose: "Fixture " + tn.Slug})
	must(t, err)
	return c.Ref
}

// onlinePaymentFixture starts a demo online payment of such a request.
func onlinePaymentFixture(t *testing.T, e *env, tn *identity.Tenant) string {
	ctx := context.Background()
	svc := e.payments()
	req := paymentRequestFixture(t, e, tn)
	to, err := svc.StartOnline(ctx, identity.System(tn.ID), tn.ID, req, "demo")
	must(t, err)
	u, _ := url.Parse(to)
	return strings.TrimPrefix(u.Path, "/demo-bezahldienst/")
}

// financeTaskFixture imports a statement with a transfer nobody asked for.
func financeTaskFixture(t *testing.T, e *env, tn *identity.Tenant) string {
	ctx := context.Background()
	svc := e.payments()
	stmt := payments.GenerateStatement("FIX-"+ref.New("X"), "DE89370400440532013000", time.Now(), []payments.Credit{{Amount: "1.23", Name: "Fixture", Text: "?", ServicerRef: ref.New("S")}})
	_, err := svc.ImportStatement(ctx, identity.System(tn.ID), tn.ID, payments.SourceCLI, "fixture.xml", stmt)
	must(t, err)
	ts, err := svc.Tasks(ctx, identity.System(tn.ID), tn.ID, "open", 1)
	must(t, err)
	return ts[0].Ref
}

// paymentSettingsFixture gives a service only this tenant has a fee.
func paymentSettingsFixture(t *testing.T, e *env, tn *identity.Tenant) string {
	id := serviceFixture(t, e, tn)
	_, err := e.payments().PutSettings(context.Background(), identity.System(tn.ID), tn.ID, payments.Settings{ServiceID: id, Timing: payments.AfterSubmission,
		FeeKind: payments.FeeFixed, Amount: decimal.RequireFromString("5.00"), Purpose: "Fixture", DueDays: 14, ReminderDays: 7})
	must(t, err)
	return id
}

func init() {
	for _, p := range []string{"GET /api/v1/payment-requests/{id}", "POST /api/v1/payment-requests/{id}/cancel", "GET /api/v1/payment-requests/{id}/payments",
		"GET /zahlungen/{id}", "GET /zahlungen/{id}/qr.png", "GET /zahlungen/{id}/zahlungshinweis.pdf", "POST /zahlungen/{id}/online",
		"GET /zahlungen/{id}/online/{online}", "GET /zahlungen/{id}/quittungen/{receipt}"} {
		isolationFixtures[p] = paymentRequestFixture
	}
	for _, p := range []string{"GET /demo-bezahldienst/{id}", "POST /demo-bezahldienst/{id}"} {
		isolationFixtures[p] = onlinePaymentFixture
	}
	for _, p := range []string{"POST /api/v1/finance-tasks/{id}/resolve", "GET /verwaltung/zahlungen/aufgaben/{id}", "POST /verwaltung/zahlungen/aufgaben/{id}"} {
		isolationFixtures[p] = financeTaskFixture
	}
	for _, p := range []string{"GET /api/v1/payment-settings/{id}", "PUT /api/v1/payment-settings/{id}"} {
		isolationFixtures[p] = paymentSettingsFixture
	}
}

// TestPaymentsOverHTTP goes through the demo city's payment pages and
// API as a payer and as finance: the notice with its QR code and PDF, the
// demo provider (pay → signed callback → paid), a forged callback, and a
// bank transfer booked from a statement posted to the API.
func TestPaymentsOverHTTP(t *testing.T) {
	in := installation{dir: t.TempDir()}
	s := in.start(t, "demo")
	var demoReqs []payments.RequestDocument
	_, b := s.do(t, "GET", "/api/v1/payment-requests?subject=DEMO-HUNDESTEUER", DemoToken(identity.RoleFinance), "")
	if json.Unmarshal(b, &demoReqs) != nil || len(demoReqs) != 1 {
		t.Fatalf("demo payment request: %s", b)
	}
	reqRef := demoReqs[0].Ref
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (*http.Response, []byte) {
		req, _ := http.NewRequest("GET", s.base+path, nil)
		req.Header.Set("Accept-Language", "de")
		resp, err := noRedirect.Do(req)
		must(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, b
	}
	post := func(path string, form url.Values) *http.Response {
		resp, err := noRedirect.PostForm(s.base+path, form)
		must(t, err)
		resp.Body.Close()
		return resp
	}
	resp, body := get("/zahlungen/" + reqRef)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "DE89 3704 0044 0532 0130 00") || !strings.Contains(string(body), "Zahlungshinweis") {
		t.Fatalf("notice: %d %s", resp.StatusCode, body)
	}
	resp, body = get("/zahlungen/" + reqRef + "/qr.png")
	img, err := png.Decode(bytes.NewReader(body))
	if resp.StatusCode != 200 || err != nil {
		t.Fatalf("qr: %d %v", resp.StatusCode, err)
	}
	bmp, _ := gozxing.NewBinaryBitmapFromImage(img)
	res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_CHARACTER_SET: "ISO-8859-1"})
	if err != nil || !strings.HasPrefix(res.GetText(), "BCD\n002\n2\nSCT\nCOBADEFFXXX\nStadtkasse Musterstadt\nDE89370400440532013000\nEUR75.00\n\nRF") {
		t.Errorf("qr holds %q (%v)", res, err)
	}
	if resp, body = get("/zahlungen/" + reqRef + "/zahlungshinweis.pdf"); resp.StatusCode != 200 || !bytes.HasPrefix(body, []byte("%PDF")) {
		t.Errorf("pdf: %d", resp.StatusCode)
	}
	// Pay with the demo provider.
	resp = post("/zahlungen/"+reqRef+"/online", url.Values{"provider": {"demo"}})
	checkout := resp.Header.Get("Location")
	if resp.StatusCode != 303 || !strings.HasPrefix(checkout, "/demo-bezahldienst/O-") {
		t.Fatalf("start online: %d %q", resp.StatusCode, checkout)
	}
	page := strings.SplitN(checkout, "?", 2)[0]
	if resp, body = get(page); resp.StatusCode != 200 || !strings.Contains(string(body), "keine echte Zahlung") {
		t.Fatalf("demo page: %d %s", resp.StatusCode, body)
	}
	resp = post(page, url.Values{"choice": {"pay"}})
	back := resp.Header.Get("Location")
	if resp.StatusCode != 303 || !strings.HasPrefix(back, "/zahlungen/"+reqRef+"/online/O-") {
		t.Fatalf("demo pay: %d %q", resp.StatusCode, back)
	}
	if resp, body = get(back); resp.StatusCode != 200 || !strings.Contains(string(body), "Zahlung eingegangen") {
		t.Errorf("return page: %d %s", resp.StatusCode, body)
	}
	fin := DemoToken(identity.RoleFinance)
	var doc payments.RequestDocument
	_, b = s.do(t, "GET", "/api/v1/payment-requests/"+reqRef, fin, "")
	json.Unmarshal(b, &doc)
	if doc.Status != payments.StatusPaid || doc.Outstanding != "0.00" {
		t.Errorf("after the demo payment: %s", b)
	}
	// Paying again through a second checkout is refused: nothing open.
	if resp := post("/zahlungen/"+reqRef+"/online", url.Values{"provider": {"demo"}}); resp.StatusCode != 409 {
		t.Errorf("second online payment: %d", resp.StatusCode)
	}
	// A forged callback.
	r2, b := s.do(t, "POST", "/api/v1/payments/callback/demo", "", `{"event_id":"x","payment":"O-AAAA-BBBB","status":"paid","amount":"75.00"}`)
	if r2.StatusCode != 400 || !strings.Contains(string(b), "signature") {
		t.Errorf("forged callback: %d %s", r2.StatusCode, b)
	}
	// A bank transfer: request by API, statement by API.
	r2, b = s.do(t, "POST", "/api/v1/payment-requests", fin, `{"subject":"A-TEST-0001","amount":"30,50","purpose":"Bewohnerparkausweis","payer_name":"Paul Payer"}`)
	if r2.StatusCode != 201 || json.Unmarshal(b, &doc) != nil {
		t.Fatalf("create: %d %s", r2.StatusCode, b)
	}
	stmt := payments.GenerateStatement("HTTP-1", "DE89370400440532013000", time.Now(), []payments.Credit{{Amount: "30.50", Name: "Paul Payer", Reference: doc.RF, ServicerRef: "H1"}})
	importStmt := func() payments.ImportResult {
		req, _ := http.NewRequest("POST", s.base+"/api/v1/bank-statements?name=auszug.xml", bytes.NewReader(stmt))
		req.Header.Set("Authorization", "Bearer "+fin)
		req.Header.Set("Content-Type", "application/xml")
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		defer resp.Body.Close()
		var ir payments.ImportResult
		json.NewDecoder(resp.Body).Decode(&ir)
		if resp.StatusCode != 201 {
			t.Fatalf("import: %d", resp.StatusCode)
		}
		return ir
	}
	if ir := importStmt(); ir.Booked != 1 || ir.Settled != 1 {
		t.Errorf("import: %+v", ir)
	}
	if ir := importStmt(); !ir.Duplicate || ir.Booked != 0 {
		t.Errorf("second import: %+v", ir)
	}
	_, b = s.do(t, "GET", "/api/v1/payment-requests/"+doc.Ref, fin, "")
	json.Unmarshal(b, &doc)
	if doc.Status != payments.StatusPaid {
		t.Errorf("after the transfer: %s", b)
	}
	r2, b = s.do(t, "POST", "/api/v1/bank-statements", fin, "<Document")
	if r2.StatusCode != 422 || !strings.Contains(string(b), "malformed_statement") {
		t.Errorf("broken statement: %d %s", r2.StatusCode, b)
	}
	r2, b = s.do(t, "GET", "/verwaltung/zahlungen/export.csv?ansicht=bezahlt", fin, "")
	if r2.StatusCode != 200 || !strings.HasPrefix(string(b), "zahlungsnummer;kassenzeichen;") || !strings.Contains(string(b), doc.Ref) {
		t.Errorf("export: %d %s", r2.StatusCode, b)
	}
	if r2, _ = s.do(t, "GET", "/api/v1/payment-requests", "rh_demo_citizen_musterstadt", ""); r2.StatusCode != 403 {
		t.Errorf("citizen lists requests: %d", r2.StatusCode)
	}
	// The fee page: refused at the fields, then saved.
	postFees := func(form url.Values) *http.Response {
		req, _ := http.NewRequest("POST", s.base+"/verwaltung/zahlungen/gebuehren", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer "+fin)
		resp, err := noRedirect.Do(req)
		must(t, err)
		resp.Body.Close()
		return resp
	}
	fee := url.Values{"service_id": {DemoServiceRef}, "purpose": {"Hundesteuer"}, "fee_kind": {"fixed"}, "amount": {"75,001"}, "timing": {"after_submission"}, "due_days": {"30"}, "reminder_days": {"14"}}
	if resp := postFees(fee); resp.StatusCode != 422 {
		t.Errorf("fee with three decimals: %d", resp.StatusCode)
	}
	fee.Set("amount", "75,00")
	fee.Set("service_id", "L-NOPE-NOPE")
	if resp := postFees(fee); resp.StatusCode != 422 {
		t.Errorf("fee of an unknown service: %d", resp.StatusCode)
	}
	fee.Set("service_id", DemoServiceRef)
	if resp := postFees(fee); resp.StatusCode != 303 {
		t.Errorf("fee saved: %d", resp.StatusCode)
	}
	_, b = s.do(t, "GET", "/api/v1/payment-settings/"+DemoServiceRef, fin, "")
	var st payments.Settings
	if json.Unmarshal(b, &st) != nil || st.FeeKind != payments.FeeFixed || st.Amount.StringFixed(2) != "75.00" || st.DueDays != 30 {
		t.Errorf("settings after the page: %s", b)
	}
}

// TestStatementFolder: files in the watched folder are imported by the
// durable job and moved; a broken one is moved aside with its reason; the
// job schedules its next look.
func TestStatementFolder(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	watch := t.TempDir()
	cfg := mustConfigDir(dir)
	cfg.Getenv = func(k string) string {
		if k == StatementDirVar {
			return watch
		}
		return ""
	}
	e, err := open(ctx, cfg, discardLogger(), clock.System{})
	must(t, err)
	defer e.close()
	tn, err := e.identity.CreateTenant(ctx, identity.Tenant{Slug: "musterstadt", Name: "Musterstadt", IsDefault: true, Settings: identity.Settings{FederalState: "BY",
		Creditor: identity.Creditor{Name: "Stadtkasse", IBAN: "DE89370400440532013000"}}})
	must(t, err)
	c, err := e.payments().Create(ctx, identity.System(tn.ID), payments.NewRequest{TenantID: tn.ID, Amount: decimal.RequireFromString("12.00"), Purpose: "Kopien"})
	must(t, err)
	stmt := payments.GenerateStatement("FOLDER-1", "DE89370400440532013000", time.Now(), []payments.Credit{{Amount: "12.00", Reference: c.RF, ServicerRef: "F1"}})
	must(t, os.WriteFile(filepath.Join(watch, "a.xml"), stmt, 0o600))
	must(t, os.WriteFile(filepath.Join(watch, "b.xml"), []byte("<kaputt"), 0o600))
	q := e.jobs() // schedules the folder job
	for i := 0; i < 10; i++ {
		if err := q.RunOnce(ctx); errors.Is(err, jobs.ErrNoJob) {
			break
		} else {
			must(t, err)
		}
	}
	if _, err := os.Stat(filepath.Join(watch, "imported", "a.xml")); err != nil {
		t.Errorf("a.xml not moved to imported/: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(watch, "refused", "b.xml.error.txt")); err != nil || !strings.Contains(string(b), "malformed_statement") {
		t.Errorf("b.xml refusal: %q %v", b, err)
	}
	r, err := e.payments().Request(ctx, identity.System(tn.ID), tn.ID, c.Ref)
	must(t, err)
	if r.Status != payments.StatusPaid {
		t.Errorf("request after the folder import: %s", r.Status)
	}
	queued, err := jobs.List(ctx, e.db, "queued", 20)
	must(t, err)
	next := false
	for _, j := range queued {
		next = next || j.Kind == statementFolderJob
	}
	if !next {
		t.Error("the folder job did not schedule its next look")
	}
}

// TestRemindersThroughTheMailbox: an overdue request of a payer with an
// account is reminded in the mailbox; one of an applicant without an
// account by the mail job.
func TestRemindersThroughTheMailbox(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	e, err := open(ctx, mustConfigDir(t.TempDir()), discardLogger(), clk)
	must(t, err)
	defer e.close()
	tn, err := e.identity.CreateTenant(ctx, identity.Tenant{Slug: "musterstadt", Name: "Musterstadt", IsDefault: true, Settings: identity.Settings{FederalState: "BY",
		MailFrom: "rathaus@musterstadt.example", Creditor: identity.Creditor{Name: "Stadtkasse", IBAN: "DE89370400440532013000"}}})
	must(t, err)
	var account int64
	must(t, e.db.R.QueryRow(`SELECT id FROM accounts WHERE ref = $1`, citizenFixture(t, e, tn)).Scan(&account))
	svc := e.payments()
	sys := identity.System(tn.ID)
	_, err = svc.Create(ctx, sys, payments.NewRequest{TenantID: tn.ID, PayerAccountID: account, Amount: decimal.RequireFromString("30.50"), Purpose: "Bewohnerparkausweis", DueDate: "2026-03-10", ReminderDays: 3})
	must(t, err)
	_, err = svc.Create(ctx, sys, payments.NewRequest{TenantID: tn.ID, PayerEmail: "gast@example.org", Amount: decimal.RequireFromString("5.00"), Purpose: "Kopien", DueDate: "2026-03-10", ReminderDays: 3})
	must(t, err)
	clk.Set(time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC))
	n, err := svc.Remind(ctx, e.tenantBaseURL)
	must(t, err)
	var inMailbox, mails int
	e.db.R.QueryRow(`SELECT COUNT(*) FROM mailbox_messages WHERE account_id = $1 AND title LIKE 'Zahlungserinnerung%'`, account).Scan(&inMailbox)
	e.db.R.QueryRow(`SELECT COUNT(*) FROM jobs WHERE kind = 'mail.send' AND payload LIKE '%gast@example.org%'`).Scan(&mails)
	if n != 2 || inMailbox != 1 || mails != 1 {
		t.Errorf("%d reminders: %d in the mailbox, %d mails", n, inMailbox, mails)
	}
}
