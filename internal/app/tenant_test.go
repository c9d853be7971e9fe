package app

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/leitweg"
)

// TestTenantLeitwegIDByOperator: the municipality's own Leitweg-ID is the
// operator's (`tenant create --leitweg-id`, `tenant set`), one
// Grobadressierung per municipality; an admin cannot change it through
// the API, and routes under another Grobadressierung are refused.
func TestTenantLeitwegIDByOperator(t *testing.T) {
	eachInstallation(t, func(t *testing.T, in installation) {
		s := in.start(t, "demo") // Musterstadt: 09162000-MUSTERSTADT-10
		admin := DemoToken(identity.RoleAdmin)

		// The demo still seeds its routes, all under its Grobadressierung.
		resp, body := s.do(t, "GET", "/api/v1/einvoices/routes", admin, "")
		var routes []struct {
			LeitwegID string `json:"leitweg_id"`
		}
		if err := json.Unmarshal(body, &routes); resp.StatusCode != 200 || err != nil || len(routes) < 2 {
			t.Fatalf("demo routes: %d %s", resp.StatusCode, body)
		}
		for _, r := range routes {
			if !strings.HasPrefix(r.LeitwegID, "09162000-") {
				t.Errorf("demo route %s outside 09162000", r.LeitwegID)
			}
		}

		// The CLI refuses a Grobadressierung another municipality holds.
		taken := leitweg.New("09162000", "NACHBAR").String()
		create := func(slug, host, id string) (string, int) {
			_, errs, code := in.runWith(t, nil, "tenant", "create", "--slug", slug, "--name", slug, "--host", host, "--admin-email", "it@"+host, "--leitweg-id", id)
			return errs, code
		}
		if errs, code := create("nachbar", "nachbar.test", taken); code != 2 || !strings.Contains(errs, "leitweg_coarse_taken") {
			t.Errorf("create with Musterstadt's Grobadressierung: exit %d %s", code, errs)
		}
		nuernberg := leitweg.New("09564000", "").String()
		if errs, code := create("nuernberg", "nuernberg.test", nuernberg); code != 0 {
			t.Fatalf("create Nürnberg: exit %d %s", code, errs)
		}
		if _, errs, code := in.runWith(t, nil, "tenant", "set", "--slug", "nuernberg", "--leitweg-id", taken); code != 2 || !strings.Contains(errs, "leitweg_coarse_taken") {
			t.Errorf("set Musterstadt's Grobadressierung: exit %d %s", code, errs)
		}
		if _, errs, code := in.runWith(t, nil, "tenant", "set", "--slug", "nuernberg", "--leitweg-id", "09564000-00"); code != 2 || !strings.Contains(errs, "invalid_leitweg_id") {
			t.Errorf("set wrong check digits: exit %d %s", code, errs)
		}
		nuernbergFine := leitweg.New("09564000", "STADT").String()
		if _, errs, code := in.runWith(t, nil, "tenant", "set", "--slug", "nuernberg", "--leitweg-id", strings.ToLower(nuernbergFine)); code != 0 {
			t.Errorf("set own Leitweg-ID: exit %d %s", code, errs)
		}
		out, _, _ := in.runWith(t, nil, "tenant", "list", "--json")
		var list []struct {
			Slug      string `json:"slug"`
			LeitwegID string `json:"leitweg_id"`
		}
		if err := json.Unmarshal([]byte(out), &list); err != nil {
			t.Fatalf("tenant list --json: %v\n%s", err, out)
		}
		got := map[string]string{}
		for _, r := range list {
			got[r.Slug] = r.LeitwegID
		}
		if got["musterstadt"] != "09162000-MUSTERSTADT-10" || got["nuernberg"] != nuernbergFine || len(got) != 2 {
			t.Errorf("tenant list: %v", got)
		}

		// Musterstadt's admin cannot change its Leitweg-ID through the API.
		resp, body = s.do(t, "GET", "/api/v1/tenant/settings", admin, "")
		var st map[string]any
		if err := json.Unmarshal(body, &st); resp.StatusCode != 200 || err != nil {
			t.Fatalf("settings: %d %s", resp.StatusCode, body)
		}
		st["leitweg_id"] = nuernbergFine
		b, _ := json.Marshal(st)
		resp, body = s.do(t, "PUT", "/api/v1/tenant/settings", admin, string(b))
		if resp.StatusCode != 422 || !strings.Contains(string(body), `"code":"set_by_operator"`) {
			t.Errorf("admin changes the Leitweg-ID: %d %s", resp.StatusCode, body)
		}
		st["leitweg_id"] = "09162000-MUSTERSTADT-10"
		b, _ = json.Marshal(st)
		if resp, body := s.do(t, "PUT", "/api/v1/tenant/settings", admin, string(b)); resp.StatusCode != 200 {
			t.Errorf("settings with the same Leitweg-ID: %d %s", resp.StatusCode, body)
		}

		// Nor can it route another body's Leitweg-IDs (set up or not yet).
		for _, id := range []string{nuernbergFine, leitweg.New("09564000", "KAEMMEREI").String(), leitweg.New("09761000", "").String()} {
			for _, tok := range []string{admin, DemoToken(identity.RoleFinance)} {
				resp, body := s.do(t, "POST", "/api/v1/einvoices/routes", tok, `{"leitweg_id":"`+id+`","unit":"`+routesUnit(t, s, admin)+`"}`)
				if resp.StatusCode != 422 || !strings.Contains(string(body), `"code":"leitweg_foreign"`) {
					t.Errorf("route %s of another body: %d %s", id, resp.StatusCode, body)
				}
			}
		}
	})
}

// routesUnit is the unit of the demo's first route.
func routesUnit(t *testing.T, s *server, token string) string {
	t.Helper()
	_, body := s.do(t, "GET", "/api/v1/einvoices/routes", token, "")
	var routes []struct {
		Unit string `json:"unit"`
	}
	if err := json.Unmarshal(body, &routes); err != nil || len(routes) == 0 {
		t.Fatalf("routes: %v %s", err, body)
	}
	return routes[0].Unit
}
