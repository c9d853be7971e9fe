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
// person in a browser of their own: Paul applies for the resident parking
// permit (through the API until the form pages are on main), Frau Müller
// claims the case and requests the fee on the case page, Paul opens the
// payment notice and pays — once with the demo provider, once by bank
// transfer with the GiroCode shown, the statement uploaded by the city
// treasury (Karla Kasse) — and each time the case continues and Frau
// Müller decides it. axe-core runs on every payment page (0 violations).
func TestPaymentJourneyInTheBrowser(t *testing.T) {
	prog := startProgram(t)
	paul := tab(t, newBrowser(t), true)
	mueller := tab(t, newBrowser(t), true)
	kasse := tab(t, newBrowser(t), true)
	signIn(t, paul, prog.base, app.DemoCitizen.Email)
	signIn(t, mueller, prog.base, "mueller@musterstadt.example")
	signIn(t, kasse, prog.base, "kasse@musterstadt.example")

	axe := func(ctx context.Context, what string) {
		t.Helper()
		for _, w := range Widths {
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, 900)); err != nil {
				t.Fatal(err)
			}
			res, err := runAxe(ctx)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if len(res.Violations) > 0 {
				t.Errorf("%s at %d px: %s", what, w, res)
			}
		}
	}
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

	for _, how := range []string{"online", "transfer"} {
		appRef := submitParking(t, prog.base)
		caseRef := waitCase(t, prog.base, appRef, "received")

		// Frau Müller claims the case and requests the fee.
		visit(mueller, "/verwaltung/vorgaenge/"+caseRef)
		press(t, mueller, `form[action$="/uebernehmen"] button`, `document.readyState === "complete" && document.querySelector('input[name=transition][value=request_payment]') !== null`)
		press(t, mueller, `form:has(input[name=transition][value=request_payment]) button`, `document.readyState === "complete" && document.querySelector('input[name=transition][value=request_payment]') === null`)
		waitCase(t, prog.base, appRef, "awaiting_payment")

		// Paul finds the payment among his payments.
		visit(paul, "/konto/zahlungen")
		axe(paul, "my payments")
		req := paymentOf(t, prog.base, appRef)
		press(t, paul, `a[href="/zahlungen/`+req.Ref+`"]`, `location.pathname === "/zahlungen/`+req.Ref+`" && document.readyState === "complete"`)
		if got := text(paul, "main"); !strings.Contains(got, "30,00") || !strings.Contains(got, epcGroup(req.RF)) {
			t.Errorf("notice shows %q", got)
		}
		axe(paul, "payment notice")

		switch how {
		case "online":
			press(t, paul, `form[action="/zahlungen/`+req.Ref+`/online"] button`, `location.pathname.startsWith("/demo-bezahldienst/") && document.readyState === "complete"`)
			if got := text(paul, "main"); !strings.Contains(got, "keine echte Zahlung") {
				t.Errorf("demo provider page not labelled: %q", got)
			}
			axe(paul, "demo provider")
			press(t, paul, `button[value=pay]`, `location.pathname.includes("/online/") && document.querySelector(".kern-alert--success") !== null`)
			axe(paul, "online payment return")
		case "transfer":
			// The GiroCode is shown (a loaded image) with the reference.
			waitJS(t, paul, "the GiroCode", `(function(){var i=document.querySelector('img[src$="/qr.png"]'); return i !== null && i.complete && i.naturalWidth >= 200})()`)
			// The bank's statement arrives; the treasury uploads it.
			stmt := payments.GenerateStatement("BROWSER-"+req.Ref, "DE89370400440532013000", time.Now(), []payments.Credit{
				{Amount: "30.00", Name: "Paul Beispiel", IBAN: "DE02120300000000202051", Reference: req.RF, ServicerRef: "B-" + req.Ref}})
			file := filepath.Join(t.TempDir(), "auszug.xml")
			if err := os.WriteFile(file, stmt, 0o600); err != nil {
				t.Fatal(err)
			}
			visit(kasse, "/verwaltung/zahlungen/kontoauszuege")
			axe(kasse, "statement upload")
			if err := chromedp.Do(kasse, chromedp.SetUploadFiles(`#statement-file`, []string{file})); err != nil {
				t.Fatalf("choose the statement: %v", err)
			}
			press(t, kasse, `form[action="/verwaltung/zahlungen/kontoauszuege"] button[type=submit]`, `document.readyState === "complete" && document.querySelector(".kern-alert--success") !== null`)
			if got := text(kasse, ".kern-alert--success"); !strings.Contains(got, "1 zugeordnet") {
				t.Errorf("import result %q", got)
			}
			axe(kasse, "statement imported")
			visit(kasse, "/verwaltung/zahlungen?ansicht=bezahlt")
			axe(kasse, "finance view")
		}

		// The case continues; Frau Müller decides.
		waitCase(t, prog.base, appRef, "in_progress")
		visit(mueller, "/verwaltung/vorgaenge/"+caseRef)
		if err := chromedp.Do(mueller, chromedp.SendKeys(chromedp.CSS("#fall-reason"), "Gebühr bezahlt, Voraussetzungen erfüllt.")); err != nil {
			t.Fatal(err)
		}
		press(t, mueller, `form:has(#fall-reason) button[type=submit]`, `document.readyState === "complete" && location.search.includes("hinweis=")`)
		waitCase(t, prog.base, appRef, "decided")
		visit(paul, "/zahlungen/"+req.Ref)
		if got := text(paul, "main"); !strings.Contains(got, "Bezahlt") {
			t.Errorf("%s: notice after payment %q", how, got)
		}
		axe(paul, "paid notice")
	}
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

// submitParking submits Paul's parking permit application (his personal
// API token) and returns its reference.
func submitParking(t *testing.T, base string) string {
	t.Helper()
	answers := map[string]any{"given_name": "Paul", "family_name": "Beispiel",
		"address":  map[string]any{"street": "Lindenstraße", "house_number": "7", "postcode": "91052", "city": "Musterstadt"},
		"vehicles": []any{map[string]any{"plate": "M-AB 1234", "holder": "self"}},
		"duration": "12", "start": calendar.DateOf(time.Now(), calendar.Berlin).String()}
	body, _ := json.Marshal(map[string]any{"service": app.ParkingServiceRef, "answers": answers})
	var created struct {
		Reference string `json:"reference"`
	}
	json.Unmarshal(api(t, "POST", base+"/api/v1/applications", app.DemoToken("citizen"), "application/json", body), &created)
	if created.Reference == "" {
		t.Fatal("no application reference")
	}
	return created.Reference
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
