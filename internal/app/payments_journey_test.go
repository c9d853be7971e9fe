package app

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/forms"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/payments"
	"github.com/rathaus/rathaus/internal/platform/calendar"
)

// parkingAnswers are valid answers of the demo parking permit form (12
// months: 30 EUR).
func parkingAnswers() map[string]any {
	return map[string]any{"given_name": "Paul", "family_name": "Beispiel",
		"address":  map[string]any{"street": "Lindenstraße", "house_number": "7", "postcode": "91052", "city": "Musterstadt"},
		"vehicles": []any{map[string]any{"plate": "M-AB 1234", "holder": "self"}},
		"duration": "12", "start": calendar.DateOf(time.Now(), calendar.Berlin).String()}
}

// TestParkingPermitPaymentJourney is Paul's journey through the whole
// program on both engines: he applies for the parking permit; Frau Müller
// claims the case and requests the fee; Paul pays it once with the demo
// provider and once by bank transfer (the statement imported through the
// API); each time payments.settled moves the case on and Frau Müller
// decides.
func TestParkingPermitPaymentJourney(t *testing.T) {
	eachInstallation(t, func(t *testing.T, in installation) {
		s := in.start(t, "demo")
		e := demoEnv(t, in)
		paul := demoCitizenCookie(t, e, DemoCitizen.Email)
		mueller := DemoToken(identity.RoleCaseWorker)
		finance := DemoToken(identity.RoleFinance)
		noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		asPaul := func(method, path string, form url.Values) *http.Response {
			req, _ := http.NewRequest(method, s.base+path, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(&http.Cookie{Name: identity.SessionCookie, Value: paul})
			resp, err := noRedirect.Do(req)
			must(t, err)
			resp.Body.Close()
			return resp
		}
		caseOf := func(app, state string) string { return caseInState(t, s, mueller, app, state) }
		step := func(caseRef, transition string) {
			t.Helper()
			body, _ := json.Marshal(map[string]string{"transition": transition, "reason": "Alle Voraussetzungen erfüllt."})
			if resp, b := s.do(t, "POST", "/api/v1/cases/"+caseRef+"/steps", mueller, string(body)); resp.StatusCode != 204 {
				t.Fatalf("%s: %d %s", transition, resp.StatusCode, b)
			}
		}
		apply := func() (app, caseRef string, req payments.RequestDocument) {
			t.Helper()
			body, _ := json.Marshal(map[string]any{"service": ParkingServiceRef, "answers": parkingAnswers()})
			resp, b := doCookie(t, s, "POST", "/api/v1/applications", paul, "application/json", body)
			var created forms.SubmitResponse
			if resp.StatusCode != 201 || json.Unmarshal(b, &created) != nil {
				t.Fatalf("submit: %d %s", resp.StatusCode, b)
			}
			caseRef = caseOf(created.Reference, "received")
			if resp, b := s.do(t, "POST", "/api/v1/cases/"+caseRef+"/claim", mueller, "{}"); resp.StatusCode != 204 {
				t.Fatalf("claim: %d %s", resp.StatusCode, b)
			}
			step(caseRef, "request_payment")
			caseOf(created.Reference, "awaiting_payment")
			_, b = s.do(t, "GET", "/api/v1/payment-requests?subject="+created.Reference, finance, "")
			var reqs []payments.RequestDocument
			if json.Unmarshal(b, &reqs) != nil || len(reqs) != 1 {
				t.Fatalf("payment request of %s: %s", created.Reference, b)
			}
			r := reqs[0]
			if r.Amount.StringFixed(2) != ParkingFee || r.Status != payments.StatusOpen || r.ServiceID != ParkingServiceRef || r.CostCentre != "1220.4711" {
				t.Errorf("request %+v", r)
			}
			// Paul sees it among his payments.
			if resp := asPaul("GET", "/zahlungen/"+r.Ref, nil); resp.StatusCode != 200 {
				t.Errorf("Paul's notice: %d", resp.StatusCode)
			}
			return created.Reference, caseRef, r
		}

		// Paid online with the demo provider.
		app, caseRef, req := apply()
		resp := asPaul("POST", "/zahlungen/"+req.Ref+"/online", url.Values{"provider": {"demo"}})
		checkout := strings.SplitN(resp.Header.Get("Location"), "?", 2)[0]
		if resp.StatusCode != 303 || !strings.HasPrefix(checkout, "/demo-bezahldienst/") {
			t.Fatalf("checkout: %d %q", resp.StatusCode, checkout)
		}
		if resp := asPaul("POST", checkout, url.Values{"choice": {"pay"}}); resp.StatusCode != 303 {
			t.Fatalf("pay: %d", resp.StatusCode)
		}
		caseOf(app, "in_progress")
		step(caseRef, "approve")
		caseOf(app, "decided")

		// Paid by bank transfer: the statement arrives through the API.
		app, caseRef, req = apply()
		stmt := payments.GenerateStatement("JOURNEY-"+req.Ref, "DE89370400440532013000", time.Now(), []payments.Credit{
			{Amount: ParkingFee, Name: "Paul Beispiel", IBAN: "DE02120300000000202051", Reference: req.RF, ServicerRef: "J-" + req.Ref}})
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
		caseOf(app, "in_progress")
		step(caseRef, "approve")
		caseOf(app, "decided")
	})
}

// caseInState waits (polling the server, whose job workers run
// asynchronously) until the application's case is in state, and returns
// the case's reference.
func caseInState(t *testing.T, s *server, token, app, state string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, b := s.do(t, "GET", "/api/v1/cases", token, "")
		var rows []struct {
			Ref         string `json:"id"`
			State       string `json:"state"`
			Application string `json:"application"`
		}
		json.Unmarshal(b, &rows)
		for _, r := range rows {
			if r.Application == app && r.State == state {
				return r.Ref
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("case of %s never reached %s: %s", app, state, b)
		}
		time.Sleep(20 * time.Millisecond) // polling a server, not timing behaviour
	}
}
