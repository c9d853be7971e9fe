//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rathaus/rathaus/internal/app"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/payments"
	"github.com/rathaus/rathaus/internal/platform/calendar"
)

// TestPaymentJourneyInTheBrowser is Paul's journey with payment, each
// person in a browser of their own. Paul applies for the resident parking
// permit through the form pages twice:
//
//   - paid after submission (the demo city's setting): Frau Müller claims
//     the case and requests the fee on the case page; Paul opens the
//     payment notice from his payments and pays with the demo provider;
//   - paid before submission (Karla Kasse sets it on the fee page): sending
//     the form leads Paul to the payment notice with the GiroCode; he pays
//     by bank transfer, Karla uploads the statement, it is matched, and the
//     paid draft is submitted for him.
//
// Each time the case continues and Frau Müller decides it. axe-core runs
// on every payment page and on the form pages (0 violations).
func TestPaymentJourneyInTheBrowser(t *testing.T) {
	prog := startProgram(t)
	paul := &journey{t: t, ctx: tab(t, newBrowser(t), true), base: prog.base}
	mueller := tab(t, newBrowser(t), true)
	kasse := &journey{t: t, ctx: tab(t, newBrowser(t), true), base: prog.base}
	paul.login(app.DemoCitizen.Email)
	signIn(t, mueller, prog.base, "mueller@musterstadt.example")
	kasse.login("kasse@musterstadt.example")

	visit := func(ctx context.Context, path string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(prog.base+path)); err != nil {
			t.Fatalf("open %s: %v", path, err)
		}
		waitJS(t, ctx, path, `document.readyState === "complete"`)
	}
	text := func(ctx context.Context, sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return strings.Join(strings.Fields(s), " ")
	}
	// decide: Frau Müller approves on the case page (the case is in progress).
	decide := func(appRef, caseRef string) {
		t.Helper()
		waitCase(t, prog.base, appRef, "in_progress")
		visit(mueller, "/verwaltung/vorgaenge/"+caseRef)
		if err := chromedp.Do(mueller, chromedp.SendKeys(chromedp.CSS("#fall-reason"), "Gebühr bezahlt, Voraussetzungen erfüllt.")); err != nil {
			t.Fatal(err)
		}
		press(t, mueller, `form:has(#fall-reason) button[type=submit]`, `document.readyState === "complete" && location.search.includes("hinweis=")`)
		waitCase(t, prog.base, appRef, "decided")
	}
	claim := func(caseRef string) {
		t.Helper()
		visit(mueller, "/verwaltung/vorgaenge/"+caseRef)
		press(t, mueller, `form[action$="/uebernehmen"] button`, `document.readyState === "complete" && document.querySelector('form[action$="/uebernehmen"]') === null`)
	}

	// Online, paid after submission.
	applyParking(paul, "12")
	if !strings.HasPrefix(paul.path(), "/antraege/A-") {
		t.Fatalf("paid after submission: sent to %s", paul.path())
	}
	appRef := refRE.FindString(paul.text("main"))
	onlineApp := appRef
	caseRef := waitCase(t, prog.base, appRef, "received")
	claim(caseRef)
	press(t, mueller, `form:has(input[name=transition][value=request_payment]) button`, `document.readyState === "complete" && document.querySelector('input[name=transition][value=request_payment]') === null`)
	waitCase(t, prog.base, appRef, "awaiting_payment")
	paul.nav("/konto/zahlungen")
	paul.check("my payments")
	req := paymentOf(t, prog.base, appRef)
	press(t, paul.ctx, `a[href="/zahlungen/`+req.Ref+`"]`, `location.pathname === "/zahlungen/`+req.Ref+`" && document.readyState === "complete"`)
	if got := paul.text("main"); !strings.Contains(got, "30,00") || !strings.Contains(got, epcGroup(req.RF)) {
		t.Errorf("notice shows %q", got)
	}
	paul.check("payment notice")
	press(t, paul.ctx, `form[action="/zahlungen/`+req.Ref+`/online"] button`, `location.pathname.startsWith("/demo-bezahldienst/") && document.readyState === "complete"`)
	if got := paul.text("main"); !strings.Contains(got, "keine echte Zahlung") {
		t.Errorf("demo provider page not labelled: %q", got)
	}
	paul.check("demo provider")
	press(t, paul.ctx, `button[value=pay]`, `location.pathname.includes("/online/") && document.querySelector(".kern-alert--success") !== null`)
	paul.check("online payment return")
	decide(appRef, caseRef)
	paul.nav("/zahlungen/" + req.Ref)
	if got := paul.text("main"); !strings.Contains(got, "Bezahlt") {
		t.Errorf("online: notice after payment %q", got)
	}
	paul.check("paid notice")

	// Karla Kasse sets the permit to be paid before submission, 2.50 EUR a month.
	kasse.nav("/verwaltung/zahlungen/gebuehren")
	kasse.check("fee settings")
	for name, value := range map[string]string{"service_id": app.ParkingServiceRef, "purpose": "Bewohnerparkausweis", "amount": app.ParkingFeePerMonth, "quantity_field": "duration",
		"unit": "Ordnungsamt", "cost_centre": "1220.4711", "due_days": "14", "reminder_days": "7"} {
		kasse.set(name, value)
	}
	kasse.choose("fee_kind", payments.FeePerQuantity)
	kasse.choose("timing", payments.BeforeSubmission)
	kasse.submit(`main form[action="/verwaltung/zahlungen/gebuehren"] button[type=submit]`)
	if got := kasse.text("main"); !strings.Contains(got, "vor dem Absenden") && !strings.Contains(got, "Vor dem Absenden") {
		t.Errorf("fee settings after saving: %s", got)
	}

	// By bank transfer, paid before submission: 24 months.
	applyParking(paul, "24")
	if !strings.HasPrefix(paul.path(), "/zahlungen/Z-") {
		t.Fatalf("paid before submission: sent to %s: %s", paul.path(), paul.text("main"))
	}
	reqRef := strings.TrimPrefix(paul.path(), "/zahlungen/")
	req = requestByRef(t, prog.base, reqRef)
	if got := paul.text("main"); !strings.Contains(got, "60,00") || !strings.Contains(got, epcGroup(req.RF)) {
		t.Errorf("notice before submission shows %q", got)
	}
	// The GiroCode is shown (a loaded image) with the reference.
	waitJS(t, paul.ctx, "the GiroCode", `(function(){var i=document.querySelector('img[src$="/qr.png"]'); return i !== null && i.complete && i.naturalWidth >= 200})()`)
	paul.check("payment notice before submission")
	// The bank's statement arrives; the treasury uploads it.
	stmt := payments.GenerateStatement("BROWSER-"+req.Ref, "DE89370400440532013000", time.Now(), []payments.Credit{
		{Amount: "60.00", Name: "Paul Beispiel", IBAN: "DE02120300000000202051", Reference: req.RF, ServicerRef: "B-" + req.Ref}})
	file := filepath.Join(t.TempDir(), "auszug.xml")
	if err := os.WriteFile(file, stmt, 0o600); err != nil {
		t.Fatal(err)
	}
	kasse.nav("/verwaltung/zahlungen/kontoauszuege")
	kasse.check("statement upload")
	if err := chromedp.Do(kasse.ctx, chromedp.SetUploadFiles(`#statement-file`, []string{file})); err != nil {
		t.Fatalf("choose the statement: %v", err)
	}
	press(t, kasse.ctx, `form[action="/verwaltung/zahlungen/kontoauszuege"] button[type=submit]`, `document.readyState === "complete" && document.querySelector(".kern-alert--success") !== null`)
	if got := text(kasse.ctx, ".kern-alert--success"); !strings.Contains(got, "1 zugeordnet") {
		t.Errorf("import result %q", got)
	}
	kasse.check("statement imported")
	for _, page := range []string{"/verwaltung/zahlungen?ansicht=bezahlt", "/verwaltung/zahlungen/aufgaben", "/verwaltung/zahlungen/aufgaben/" + payments.DemoTaskRef,
		"/verwaltung/zahlungen/lastschrift"} {
		kasse.nav(page)
		kasse.check(page)
	}
	// Matched and paid: the draft is submitted for Paul; the case goes on.
	appRef = waitSubject(t, prog.base, reqRef)
	caseRef = waitCase(t, prog.base, appRef, "received")
	claim(caseRef)
	decide(appRef, caseRef)
	paul.nav("/zahlungen/" + reqRef)
	if got := paul.text("main"); !strings.Contains(got, "Bezahlt") {
		t.Errorf("transfer: notice after payment %q", got)
	}
	paul.check("paid notice (transfer)")
	paul.nav("/antraege/" + appRef)
	paul.check("application paid before submission")
	t.Logf("payment journeys: %d axe runs without a violation; applications %s (online) and %s (transfer, paid before submission)", paul.axe+kasse.axe, onlineApp, appRef)
}

// applyParking goes through the parking permit's form pages (checking
// each with axe) and sends the application; j is then on the page the
// sending led to.
func applyParking(j *journey, months string) {
	j.t.Helper()
	j.nav("/antrag/" + app.ParkingServiceRef)
	j.check("parking permit: start")
	j.submit(`main form[action="/antrag/` + app.ParkingServiceRef + `"] button[type=submit]`)
	if strings.HasSuffix(j.path(), "/einwilligung") {
		j.check("parking permit: prefill consent")
		j.choose("prefill", "no")
		j.submit(`main form button[type=submit]`)
	}
	has := func(name string) bool {
		ok, _ := chromedp.Run(j.ctx, chromedp.Evaluate[bool](`document.querySelector('[name=`+jsString(name)+`]') !== null`))
		return ok
	}
	for step := 0; step < 6 && !strings.Contains(j.path(), "/pruefen"); step++ {
		j.check("parking permit: step " + j.path())
		if has("given_name") {
			j.set("given_name", "Paul")
			j.set("family_name", "Beispiel")
			j.set("address.street", "Lindenstraße")
			j.set("address.house_number", "7")
			j.set("address.postcode", "91052")
			j.set("address.city", "Musterstadt")
		}
		if has("vehicles.0.plate") {
			j.set("vehicles.0.plate", "M-AB 1234")
			j.choose("vehicles.0.holder", "self")
		}
		if has("duration") {
			j.choose("duration", months)
			j.set("start", time.Now().In(calendar.Berlin).AddDate(0, 0, 1).Format("02.01.2006"))
		}
		j.submit(`main form button[name=action][value=next]:not([tabindex])`)
	}
	if !strings.Contains(j.path(), "/pruefen") {
		j.t.Fatalf("never reached the check page: at %s: %s", j.path(), j.text("main"))
	}
	j.check("parking permit: check your answers")
	j.submit(`main form[action$="/absenden"] button[type=submit]`)
	j.check("parking permit: after sending " + j.path())
}

func epcGroup(rf string) string {
	var b strings.Builder
	for i, r := range rf {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// signIn signs a demo person in.
func signIn(t *testing.T, ctx context.Context, base, email string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/anmelden"),
		chromedp.SendKeys(chromedp.CSS(`form input[name=email]`), email),
		chromedp.SendKeys(chromedp.CSS(`form input[name=password]`), app.DemoPassword),
	)
	if err != nil {
		t.Fatalf("sign in %s: %v", email, err)
	}
	press(t, ctx, `form:has(input[name=password]) button[type=submit]`, `document.readyState === "complete" && location.pathname !== "/anmelden"`)
}

func api(t *testing.T, method, url, token, ctype string, body []byte) []byte {
	t.Helper()
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, b)
	}
	return b
}

// requestByRef is a payment request as finance sees it.
func requestByRef(t *testing.T, base, ref string) payments.RequestDocument {
	t.Helper()
	var r payments.RequestDocument
	json.Unmarshal(api(t, "GET", base+"/api/v1/payment-requests/"+ref, app.DemoToken(identity.RoleFinance), "", nil), &r)
	return r
}

// waitSubject polls a request paid before submission until it names the
// application its draft became.
func waitSubject(t *testing.T, base, ref string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if r := requestByRef(t, base, ref); strings.HasPrefix(r.Subject, "A-") {
			return r.Subject
		}
		if time.Now().After(deadline) {
			t.Fatalf("request %s never named an application", ref)
		}
		time.Sleep(50 * time.Millisecond) // polling the server's job workers
	}
}

// waitCase polls the case API until the application's case is in state.
func waitCase(t *testing.T, base, appRef, state string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var rows []struct {
			Ref         string `json:"id"`
			State       string `json:"state"`
			Application string `json:"application"`
		}
		json.Unmarshal(api(t, "GET", base+"/api/v1/cases", app.DemoToken(identity.RoleCaseWorker), "", nil), &rows)
		for _, r := range rows {
			if r.Application == appRef && r.State == state {
				return r.Ref
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("case of %s never reached %s", appRef, state)
		}
		time.Sleep(50 * time.Millisecond) // polling the server's job workers
	}
}

// paymentOf is the payment request of an application.
func paymentOf(t *testing.T, base, appRef string) payments.RequestDocument {
	t.Helper()
	var reqs []payments.RequestDocument
	json.Unmarshal(api(t, "GET", base+"/api/v1/payment-requests?subject="+appRef, app.DemoToken(identity.RoleFinance), "", nil), &reqs)
	if len(reqs) != 1 {
		t.Fatalf("payment requests of %s: %v", appRef, reqs)
	}
	return reqs[0]
}
