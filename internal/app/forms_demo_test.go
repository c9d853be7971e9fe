package app

import (
	"net/url"
	"strings"
	"testing"

	"github.com/rathaus/rathaus/internal/identity"
)

// TestDemoFormsAndApplicants: the demo publishes the dog tax, the
// resident parking permit (its fee on the start page) and the imported
// Gewerbeanmeldung (for businesses only); Paul Beispiel and the demo
// business sign in with the password and use the API token that the demo
// prints on a line naming the role.
func TestDemoFormsAndApplicants(t *testing.T) {
	in := installation{dir: t.TempDir()}
	s := in.start(t, "demo")
	lineWith := func(parts ...string) bool {
		for _, l := range s.lines {
			f := strings.Fields(l)
			all := true
			for _, p := range parts {
				found := false
				for _, w := range f {
					found = found || w == p
				}
				all = all && found
			}
			if all {
				return true
			}
		}
		return false
	}
	for _, a := range []struct{ role, email, name string }{{"citizen", DemoCitizen.Email, DemoCitizen.Name}, {"business", DemoBusiness.Email, DemoBusiness.Name}} {
		token := DemoToken(identity.Role(a.role))
		resp, b := s.do(t, "GET", "/api/v1/applications", token, "")
		if resp.StatusCode != 200 {
			t.Errorf("%s token: %d %s", a.role, resp.StatusCode, b)
		}
		br := newBrowser(t, s)
		br.expect(br.post("/anmelden", url.Values{"email": {a.email}, "password": {DemoPassword}}), 303, "")
		br.expect(br.get("/konto"), 200, "")
		if !strings.Contains(br.body, a.name) && !strings.Contains(br.body, strings.Fields(a.name)[0]) {
			t.Errorf("%s account page does not name %s", a.role, a.name)
		}
		for _, f := range []struct{ service, title, want string }{
			{DemoServiceRef, "Hundesteuer-Anmeldung", "96,00"},
			{ParkingServiceRef, "Bewohnerparkausweis", "30,00"},
			{TradeServiceRef, "Gewerbeanmeldung", ""},
		} {
			br.expect(br.get("/antrag/"+f.service), 200, "")
			page := mainOf(br.body)
			if !strings.Contains(page, f.title) || !strings.Contains(page, f.want) {
				t.Errorf("%s sees the start page of %s without %q: %s", a.role, f.title, f.want, page)
			}
			// Who may apply: the business not for the dog tax, the citizen
			// not for the Gewerbeanmeldung.
			resp := br.post("/antrag/"+f.service, nil)
			mayApply := a.role == "citizen" && f.service != TradeServiceRef || a.role == "business" && f.service == TradeServiceRef
			if started := resp.StatusCode == 303 && strings.HasPrefix(resp.Header.Get("Location"), "/antrag/entwurf/"); started != mayApply {
				t.Errorf("%s starts %s: %d %s (may apply: %v)", a.role, f.title, resp.StatusCode, resp.Header.Get("Location"), mayApply)
			}
		}
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	for _, role := range []string{"citizen", "business"} {
		if !lineWith(role, DemoToken(identity.Role(role))) {
			t.Errorf("no line names %s with its token:\n%s", role, strings.Join(s.lines, "\n"))
		}
	}
	if !lineWith(DemoCitizen.Email) || !lineWith(DemoBusiness.Email, "business") {
		t.Errorf("no login lines for the applicants:\n%s", strings.Join(s.lines, "\n"))
	}
}
