package app

import (
	"context"

	"net/http"
	"strings"
	"testing"

	"github.com/rathaus/rathaus/internal/catalog"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/ref"
)

// fixture makes an object of a route in tenant tn and returns its id.
type fixture func(t *testing.T, e *env, tn *identity.Tenant) string

// publicObjects are routes whose objects every visitor of the tenant may
// see (the service catalog): only the cross-tenant half applies to them.
var publicObjects = map[string]bool{
	"GET /api/v1/services/{id}": true,
	"GET /leistungen/{id}":      true,
	"GET /antrag/{id}":          true, // a service's form: public
	"POST /antrag/{id}":         true, // any citizen may start an application
}

// isolationFixtures says, for every route with an id, how to make an
// object of that route in a tenant. The test fails for a route that has
// no entry here, so every new route with an id is covered.
var isolationFixtures = map[string]fixture{
	"DELETE /api/v1/tokens/{id}": func(t *testing.T, e *env, tn *identity.Tenant) string {
		_, tok, err := e.identity.CreateToken(context.Background(), identity.System(tn.ID), tn.ID, identity.RoleFinance, "fixture-"+tn.Slug, "")
		must(t, err)
		return tok.Ref
	},
	"GET /api/v1/units/{id}":                     unitFixture,
	"POST /api/v1/units/{id}/members":            unitFixture,
	"POST /verwaltung/einheiten/{id}/mitglieder": unitFixture,
	"POST /verwaltung/tokens/{id}/widerrufen": func(t *testing.T, e *env, tn *identity.Tenant) string {
		_, tok, err := e.identity.CreateToken(context.Background(), identity.System(tn.ID), tn.ID, identity.RoleFinance, "fixture-page-"+tn.Slug, "")
		must(t, err)
		return tok.Ref
	},
	"POST /verwaltung/mitarbeitende/{id}/rollen":  staffFixture,
	"GET /api/v1/services/{id}":                   serviceFixture,
	"GET /api/v1/accounts/{id}":                   citizenFixture,
	"PUT /api/v1/services/{id}":                   serviceFixture,
	"GET /api/v1/services/{id}/versions":          serviceFixture,
	"GET /leistungen/{id}":                        serviceFixture,
	"GET /verwaltung/leistungen/{id}":             serviceFixture,
	"POST /verwaltung/leistungen/{id}":            serviceFixture,
	"PUT /api/v1/staff/{id}/roles":                staffFixture,
	"DELETE /api/v1/account/tokens/{id}":          personalTokenFixture,
	"POST /konto/tokens/{id}/widerrufen":          personalTokenFixture,
	"GET /api/v1/applications/{id}":               applicationFixture,
	"GET /api/v1/applications/{id}/receipt":       applicationFixture,
	"POST /api/v1/applications/{id}/withdraw":     applicationFixture,
	"GET /antrag/{id}":                            serviceFormFixture,
	"POST /antrag/{id}":                           serviceFormFixture,
	"GET /antrag/entwurf/{id}":                    draftFixture,
	"POST /antrag/entwurf/{id}":                   draftFixture,
	"GET /antrag/entwurf/{id}/einwilligung":       draftFixture,
	"POST /antrag/entwurf/{id}/einwilligung":      draftFixture,
	"GET /antrag/entwurf/{id}/pruefen":            draftFixture,
	"POST /antrag/entwurf/{id}/absenden":          draftFixture,
	"POST /antrag/entwurf/{id}/email":             draftFixture,
	"GET /antrag/entwurf/{id}/gespeichert":        draftFixture,
	"POST /antrag/entwurf/{id}/link":              draftFixture,
	"POST /antrag/entwurf/{id}/verwerfen":         draftFixture,
	"GET /antraege/{id}":                          applicationFixture,
	"GET /antraege/{id}/eingangsbestaetigung.pdf": applicationFixture,
	"POST /antraege/{id}/zurueckziehen":           applicationFixture,
	"POST /konto/einwilligungen/{id}/widerrufen":  consentFixture,
}

// personalTokenFixture makes a personal token of a staff member of the
// tenant (not the citizen who makes the requests).
func personalTokenFixture(t *testing.T, e *env, tn *identity.Tenant) string {
	_, tok, err := e.identity.CreatePersonalToken(context.Background(), identity.System(tn.ID), tn.ID, staffFixture(t, e, tn), "fixture-"+ref.New("X"), "")
	must(t, err)
	return tok.Ref
}

func staffFixture(t *testing.T, e *env, tn *identity.Tenant) string {
	s := e.identity
	a, err := s.CreateStaff(context.Background(), identity.System(tn.ID), tn.ID, "fixture@"+tn.Slug+".example", "Fixture", "fixture-password-123", []identity.Role{identity.RoleCaseWorker})
	if fault.HasCode(err, "email", "duplicate") {
		staff, _ := s.Staff(context.Background(), identity.System(tn.ID), tn.ID)
		for _, st := range staff {
			if st.Email == "fixture@"+tn.Slug+".example" {
				return st.Ref
			}
		}
	}
	must(t, err)
	return a.Ref
}

// citizenFixture makes a verified citizen account of the tenant (not the
// citizen who makes the requests).
func citizenFixture(t *testing.T, e *env, tn *identity.Tenant) string {
	ctx := context.Background()
	ref := "U-FIX0-" + strings.ToUpper(strings.ReplaceAll(tn.Slug, "-", "")[:4])
	var n int
	e.db.R.QueryRow(`SELECT COUNT(*) FROM accounts WHERE ref = $1`, ref).Scan(&n)
	if n == 0 {
		must(t, database.WithTx(ctx, e.db, func(tx *database.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO accounts (tenant_id, ref, kind, email, name, created_at) VALUES ($1, $2, 'citizen', $3, 'Fixture', $4)`,
				tn.ID, ref, "fixture-citizen@"+tn.Slug+".example", tx.Now())
			return err
		}))
	}
	return ref
}

// serviceFixture stores a service only this tenant has.
func serviceFixture(t *testing.T, e *env, tn *identity.Tenant) string {
	ctx := context.Background()
	c := &catalog.Catalog{DB: e.db}
	ext := "fixture-" + tn.Slug
	find := func() string {
		all, err := c.All(ctx, tn.ID)
		must(t, err)
		for _, s := range all {
			if s.ExternalID == ext {
				return s.ID
			}
		}
		return ""
	}
	if id := find(); id != "" {
		return id
	}
	_, err := c.Import(ctx, identity.System(tn.ID), tn.ID, "json", &catalog.ImportResult{Read: 1, Services: []catalog.Service{{
		ExternalID: ext, Name: "Fixture-Leistung " + tn.Name, Summary: "Nur für den Isolationstest.",
	}}})
	must(t, err)
	return find()
}

func unitFixture(t *testing.T, e *env, tn *identity.Tenant) string {
	s := e.identity
	units, err := s.Units(context.Background(), identity.System(tn.ID), tn.ID)
	must(t, err)
	for _, u := range units {
		if u.Name == "Fixture-Einheit" {
			return u.Ref
		}
	}
	u, err := s.CreateUnit(context.Background(), identity.System(tn.ID), tn.ID, "Fixture-Einheit", "")
	must(t, err)
	return u.Ref
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestTenantAndOwnerIsolation: for every registered route with an id, an
// admin of tenant A asking for tenant B's object, and a citizen of A asking
// for an object of A they do not own, both get 404 — whatever the method.
func TestTenantAndOwnerIsolation(t *testing.T) {
	in := installation{dir: t.TempDir()}
	s := in.start(t, "demo")
	ctx := context.Background()
	e, err := open(ctx, mustConfigDir(in.dir), discardLogger(), clock.System{})
	must(t, err)
	defer e.close()
	_, rt := e.handler(nil)

	a, err := e.identity.TenantBySlug(ctx, DemoSlug)
	must(t, err)
	b, err := e.identity.CreateTenant(ctx, identity.Tenant{Slug: "nachbarstadt", Name: "Nachbarstadt", Hosts: []string{"nachbarstadt.test"}, Settings: identity.Settings{FederalState: "BY"}})
	must(t, err)
	citizenCookie := citizenSession(t, e, a)

	checked := 0
	for _, r := range rt.Routes() {
		if !hasObjectID(r.Path) {
			continue
		}
		pattern := r.Method + " " + r.Path
		fix, ok := isolationFixtures[pattern]
		if !ok {
			t.Errorf("route %s has an id but no isolation fixture: add one to isolationFixtures", pattern)
			continue
		}
		fill := func(id string) string {
			p := r.Path
			for strings.Contains(p, "{") {
				i, j := strings.Index(p, "{"), strings.Index(p, "}")
				p = p[:i] + id + p[j+1:]
			}
			return p
		}
		body := ""
		if r.Method == "POST" || r.Method == "PUT" || r.Method == "PATCH" {
			body = "{}"
		}
		// Admin of A, object of B.
		resp, b1 := s.do(t, r.Method, fill(fix(t, e, b)), DemoToken("admin"), body)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s with tenant B's object as A's admin: %d, want 404 (%s)", pattern, resp.StatusCode, b1)
		}
		if publicObjects[pattern] {
			checked++
			continue
		}
		// Citizen of A, object of A they do not own.
		req, _ := http.NewRequest(r.Method, s.base+fill(fix(t, e, a)), strings.NewReader(body))
		req.AddCookie(&http.Cookie{Name: identity.SessionCookie, Value: citizenCookie})
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp2, err := http.DefaultClient.Do(req)
		must(t, err)
		resp2.Body.Close()
		if resp2.StatusCode != http.StatusNotFound {
			t.Errorf("%s with A's object as a citizen of A: %d, want 404", pattern, resp2.StatusCode)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no route with an id found; is the router empty?")
	}
	t.Logf("%d routes with ids checked", checked)
}

// citizenSession makes a verified citizen of tenant tn and logs them in.
func citizenSession(t *testing.T, e *env, tn *identity.Tenant) string {
	t.Helper()
	ctx := context.Background()
	err := database.WithTx(ctx, e.db, func(tx *database.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO accounts (tenant_id, ref, kind, email, name, password_hash, email_verified_at, created_at) VALUES ($1, 'U-PAUL-0001', 'citizen', 'paul@example.org', 'Paul', $2, $3, $3)`,
			tn.ID, identity.HashPassword("pauls-geheimes-passwort"), tx.Now())
		return err
	})
	must(t, err)
	cookie, _, err := e.identity.Login(ctx, tn.ID, identity.LoginInput{Email: "paul@example.org", Password: "pauls-geheimes-passwort", Addr: "test"})
	must(t, err)
	return cookie
}

func mustConfigDir(dir string) (c configT) {
	c = defaultConfig()
	c.DataDir = dir
	return c
}

// hasObjectID reports whether a route pattern names an object: a path
// parameter called id or ending in _id or ref ({id}, {case_id}, {ref}).
// Static files ({file...}) and the exact-match marker {$} are not objects.
func hasObjectID(path string) bool {
	for _, seg := range strings.Split(path, "/") {
		if !strings.HasPrefix(seg, "{") {
			continue
		}
		name := strings.TrimSuffix(strings.Trim(seg, "{}"), "...")
		if name == "id" || strings.HasSuffix(name, "_id") || strings.HasSuffix(name, "ref") {
			return true
		}
	}
	return false
}
