package app

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/payments"
	"github.com/rathaus/rathaus/internal/platform/calendar"
)

// applyParkingPages goes through the parking permit's form pages as b
// (signed in) for months and sends the draft; it returns the draft and
// the response of the send.
func applyParkingPages(t *testing.T, b *browser, months string) (string, *http.Response) {
	t.Helper()
	resp := b.post("/antrag/"+ParkingServiceRef, nil)
	b.expect(resp, 303, "/antrag/entwurf/")
	m := draftRE.FindStringSubmatch(resp.Header.Get("Location"))
	if m == nil {
		t.Fatalf("no draft: %q", resp.Header.Get("Location"))
	}
	draft := m[1]
	base := "/antrag/entwurf/" + draft
	if strings.HasSuffix(resp.Header.Get("Location"), "/einwilligung") {
		b.expect(b.post(base+"/einwilligung", url.Values{"prefill": {"no"}}), 303, base)
	}
	step := func(id string, v url.Values, next string) {
		t.Helper()
		v.Set("action", "next")
		b.expect(b.post(base+"?schritt="+id, v), 303, next)
	}
	step("person", url.Values{"given_name": {"Paul"}, "family_name": {"Beispiel"}, "address.street": {"Lindenstraße"}, "address.house_number": {"7"},
		"address.postcode": {"91052"}, "address.city": {"Musterstadt"}}, base+"?schritt=fahrzeuge")
	step("fahrzeuge", url.Values{"vehicles.0.plate": {"M-AB 1234"}, "vehicles.0.holder": {"self"}}, base+"?schritt=laufzeit")
	step("laufzeit", url.Values{"duration": {months}, "start": {calendar.DateOf(time.Now(), calendar.Berlin).AddDays(1).In(calendar.Berlin).Format("02.01.2006")}}, base+"/pruefen")
	return draft, b.post(base+"/absenden", nil)
}

// TestParkingPaidBeforeSubmission: with the resident parking permit set
// to be paid before submission, sending the form's draft leads Paul to the
// payment notice (the fee from his answer: 24 months, 60 EUR) and stores
// nothing yet; once paid — with the demo provider, and by bank transfer
// with the statement imported — the draft is submitted for him, the
// request names the application, and the case goes on to the decision.
// Submitting through the API is refused (the fee comes first); set back
// to after submission, the same form pages submit at once.
func TestParkingPaidBeforeSubmission(t *testing.T) {
	eachInstallation(t, func(t *testing.T, in installation) {
		s := in.start(t, "demo")
		mueller := DemoToken(identity.RoleCaseWorker)
		finance := DemoToken(identity.RoleFinance)
		settings := func(timing string) {
			t.Helper()
			body, _ := json.Marshal(payments.Settings{Timing: timing, FeeKind: payments.FeePerQuantity, Amount: decimal.RequireFromString(ParkingFeePerMonth), QuantityField: "duration",
				Purpose: "Bewohnerparkausweis", Unit: "Ordnungsamt", CostCentre: "1220.4711", DueDays: 14, ReminderDays: 7})
			if resp, b := s.do(t, "PUT", "/api/v1/payment-settings/"+ParkingServiceRef, finance, string(body)); resp.StatusCode != 200 {
				t.Fatalf("settings: %d %s", resp.StatusCode, b)
			}
		}
		settings(payments.BeforeSubmission)
		b := newBrowser(t, s)
		b.expect(b.post("/anmelden", url.Values{"email": {DemoCitizen.Email}, "password": {DemoPassword}}), 303, "")

		// request polls the request until its subject is an application.
		request := func(ref string) payments.RequestDocument {
			t.Helper()
			deadline := time.Now().Add(30 * time.Second)
			for {
				_, body := s.do(t, "GET", "/api/v1/payment-requests/"+ref, finance, "")
				var r payments.RequestDocument
				json.Unmarshal(body, &r)
				if strings.HasPrefix(r.Subject, "A-") || time.Now().After(deadline) {
					return r
				}
				time.Sleep(20 * time.Millisecond) // polling the server's job workers
			}
		}
		caseOf := func(app, state string) string { return caseInState(t, s, mueller, app, state) }
		decide := func(app string) {
			t.Helper()
			c := caseOf(app, "received")
			if resp, body := s.do(t, "POST", "/api/v1/cases/"+c+"/claim", mueller, "{}"); resp.StatusCode != 204 {
				t.Fatalf("claim: %d %s", resp.StatusCode, body)
			}
			// The fee paid before submission is not asked for again.
			if resp, body := s.do(t, "POST", "/api/v1/cases/"+c+"/steps", mueller, `{"transition":"request_payment"}`); resp.StatusCode != 409 {
				t.Errorf("fee requested again: %d %s", resp.StatusCode, body)
			}
			if resp, body := s.do(t, "POST", "/api/v1/cases/"+c+"/steps", mueller, `{"transition":"approve","reason":"Gebühr bezahlt."}`); resp.StatusCode != 204 {
				t.Fatalf("approve: %d %s", resp.StatusCode, body)
			}
			caseOf(app, "decided")
		}
		held := func(months, fee string) (string, payments.RequestDocument) {
			t.Helper()
			draft, resp := applyParkingPages(t, b, months)
			b.expect(resp, 303, "/zahlungen/Z-")
			notice := resp.Header.Get("Location")
			b.expect(b.get(notice), 200, "")
			if page := mainOf(b.body); !strings.Contains(page, fee) || !strings.Contains(page, "GiroCode") || !strings.Contains(page, "abgesendet, sobald die Gebühr bezahlt ist") {
				t.Errorf("notice: %s", page)
			}
			// Sent again before paying: the same notice, no second request.
			b.expect(b.post("/antrag/entwurf/"+draft+"/absenden", nil), 303, notice)
			_, body := s.do(t, "GET", "/api/v1/payment-requests/"+strings.TrimPrefix(notice, "/zahlungen/"), finance, "")
			var r payments.RequestDocument
			json.Unmarshal(body, &r)
			if r.Subject != draft || r.Status != payments.StatusOpen || r.Amount.StringFixed(2) != strings.ReplaceAll(fee, ",", ".") {
				t.Fatalf("request before submission %s", body)
			}
			return draft, r
		}

		// 24 months, paid online with the demo provider.
		draft, r := held("24", "60,00")
		resp := b.post("/zahlungen/"+r.Ref+"/online", url.Values{"provider": {"demo"}})
		b.expect(resp, 303, "/demo-bezahldienst/")
		checkout := strings.SplitN(resp.Header.Get("Location"), "?", 2)[0]
		b.expect(b.post(checkout, url.Values{"choice": {"pay"}}), 303, "")
		r = request(r.Ref)
		if r.Status != payments.StatusPaid || !strings.HasPrefix(r.Subject, "A-") {
			t.Fatalf("paid online, request %+v", r)
		}
		b.expect(b.get("/zahlungen/"+r.Ref), 200, "")
		if page := mainOf(b.body); !strings.Contains(page, "Ihrem Antrag "+r.Subject) || !strings.Contains(b.body, `href="/antraege/`+r.Subject+`"`) {
			t.Errorf("paid notice does not name the application: %s", page)
		}
		if resp := b.get("/antrag/entwurf/" + draft + "/pruefen"); resp.StatusCode != 404 {
			t.Errorf("draft still there after its submission: %d", resp.StatusCode)
		}
		decide(r.Subject)

		// 12 months, paid by bank transfer: the statement through the API.
		_, r = held("12", "30,00")
		stmt := payments.GenerateStatement("BEFORE-"+r.Ref, "DE89370400440532013000", time.Now(), []payments.Credit{
			{Amount: ParkingFee, Name: "Paul Beispiel", IBAN: "DE02120300000000202051", Reference: r.RF, ServicerRef: "BS-" + r.Ref}})
		hr, _ := http.NewRequest("POST", s.base+"/api/v1/bank-statements", bytes.NewReader(stmt))
		hr.Header.Set("Authorization", "Bearer "+finance)
		hr.Header.Set("Content-Type", "application/xml")
		hresp, err := http.DefaultClient.Do(hr)
		must(t, err)
		var ir payments.ImportResult
		json.NewDecoder(hresp.Body).Decode(&ir)
		hresp.Body.Close()
		if hresp.StatusCode != 201 || ir.Booked != 1 || ir.Settled != 1 {
			t.Fatalf("import: %d %+v", hresp.StatusCode, ir)
		}
		r = request(r.Ref)
		if !strings.HasPrefix(r.Subject, "A-") {
			t.Fatalf("paid by transfer, request %+v", r)
		}
		decide(r.Subject)

		// The API cannot skip the fee.
		body, _ := json.Marshal(map[string]any{"service": ParkingServiceRef, "answers": parkingAnswers()})
		if resp, b := s.do(t, "POST", "/api/v1/applications", DemoToken("citizen"), string(body)); resp.StatusCode != 422 || !strings.Contains(string(b), "payment_first") {
			t.Errorf("API submission before payment: %d %s", resp.StatusCode, b)
		}

		// Paid after submission: the same pages submit at once, no request yet.
		settings(payments.AfterSubmission)
		_, resp = applyParkingPages(t, b, "12")
		b.expect(resp, 303, "/antraege/A-")
		app := strings.TrimSuffix(strings.TrimPrefix(resp.Header.Get("Location"), "/antraege/"), "?hinweis=eingegangen")
		caseOf(app, "received")
		if _, body := s.do(t, "GET", "/api/v1/payment-requests?subject="+app, finance, ""); strings.TrimSpace(string(body)) != "[]" {
			t.Errorf("request before the case asked: %s", body)
		}
	})
}

// TestFeeProposalFromTheCatalog: the fee page fills its form from a
// catalog service's fee lines; an unknown service is an error at the field.
func TestFeeProposalFromTheCatalog(t *testing.T) {
	in := installation{dir: t.TempDir()}
	s := in.start(t, "demo")
	b := newBrowser(t, s)
	b.expect(b.post("/anmelden", url.Values{"email": {"kasse@musterstadt.example"}, "password": {DemoPassword}}), 303, "")
	b.expect(b.get("/verwaltung/zahlungen/gebuehren?leistung="+DemoServiceRef), 200, "")
	if page := mainOf(b.body); !strings.Contains(page, "Leistungskatalog") || !strings.Contains(b.body, `name="service_id" type="text" value="`+DemoServiceRef+`"`) {
		t.Errorf("no proposal for %s: %s", DemoServiceRef, page)
	}
	if got := regexp.MustCompile(`<p class="kern-body" role="status">[^<]*`).FindString(b.body); !strings.Contains(got, "übernommen") {
		t.Errorf("proposal notice %q", got)
	}
	b.expect(b.get("/verwaltung/zahlungen/gebuehren?leistung=L-XXXX-XXXX"), 422, "")
	if !strings.Contains(b.body, `href="#fee-leistung"`) {
		t.Errorf("unknown service not named at its field: %s", mainOf(b.body))
	}
}
