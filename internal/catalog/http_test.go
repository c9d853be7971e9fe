package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
	"github.com/rathaus/rathaus/internal/platform/i18n"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// site is the catalog mounted as the composition root mounts it: tenant
// middleware, identity for tokens, the renderer with the catalog's pages.
type site struct {
	c    *Catalog
	h    http.Handler
	a, b *identity.Tenant
}

func newRenderer(t *testing.T) *web.Renderer {
	t.Helper()
	cat, err := i18n.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	if err := cat.Load(Messages()); err != nil {
		t.Fatal(err)
	}
	if err := cat.Check(); err != nil {
		t.Fatal(err)
	}
	r, err := web.NewRenderer(cat, web.NewAssets())
	if err != nil {
		t.Fatal(err)
	}
	if err := AddTemplates(r); err != nil {
		t.Fatal(err)
	}
	return r
}

// token makes an API token of role in tn for the (sub)test; the secret
// names all three.
func token(t *testing.T, db *database.DB, tn *identity.Tenant, role identity.Role) string {
	t.Helper()
	name := string(role) + "-" + strings.ReplaceAll(t.Name(), "/", "-")
	secret := "rh_test_" + tn.Slug + "_" + name
	if _, _, err := (&identity.Service{DB: db}).CreateToken(context.Background(), identity.System(tn.ID), tn.ID, role, name, secret); err != nil {
		t.Fatal(err)
	}
	return secret
}

func newSite(t *testing.T, db *database.DB) *site {
	t.Helper()
	a, b := newTenant(t, db, "musterstadt"), newTenant(t, db, "nachbarstadt")
	c := &Catalog{DB: db}
	if err := SeedDemo(context.Background(), c, a.ID); err != nil {
		t.Fatal(err)
	}
	ids := &identity.Handler{Svc: &identity.Service{DB: db}}
	rt := web.NewRouter(nil)
	(&Handler{Catalog: c, Identity: ids, Pages: newRenderer(t)}).Routes(rt)
	return &site{c: c, h: ids.TenantMiddleware(rt), a: a, b: b}
}

func (s *site) do(t *testing.T, method, host, target, tok, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, "http://"+host+target, strings.NewReader(body))
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if method == http.MethodPost && !strings.HasPrefix(target, "/api/") {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	return rec
}

const hostA, hostB = "musterstadt.test", "nachbarstadt.test"

func hundesteuerRef() string { return Ref(SourceDemo, "99102013000000", "Hundesteuer") }

func TestServicesAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		s := newSite(t, db)
		ctx := context.Background()

		t.Run("find", func(t *testing.T) {
			tests := []struct {
				name, query string
				status      int
				some        int // 1: expects results, 0: none, -1: any (an ordinary result)
				max         int
			}{
				{"citizen words", "q=Steuer+f%C3%BCr+meinen+Hund", 200, 1, DefaultLimit},
				{"limit", "q=Ausweis&limit=3", 200, 1, 3},
				{"limit cut to 50", "q=anmelden&limit=500", 200, 1, MaxLimit},
				{"empty", "q=", 200, 0, 0},
				{"none", "", 200, 0, 0},
				{"sql", "q=" + url.QueryEscape("'; DROP TABLE services; --"), 200, -1, DefaultLimit},
				{"fts syntax", "q=" + url.QueryEscape(`"Hund* NEAR/2 (steuer OR -x)"`), 200, -1, DefaultLimit},
				{"html", "q=" + url.QueryEscape("<script>alert(1)</script>"), 200, -1, DefaultLimit},
				{"long", "q=" + strings.Repeat("Hund", 5000), 200, -1, DefaultLimit},
				{"bad limit", "q=Hund&limit=zehn", 400, 0, 0},
				{"zero limit", "q=Hund&limit=0", 400, 0, 0},
			}
			for _, tc := range tests {
				rec := s.do(t, "GET", hostA, "/api/v1/services?"+tc.query, "", "")
				if rec.Code != tc.status {
					t.Errorf("%s: status %d, want %d: %s", tc.name, rec.Code, tc.status, rec.Body)
					continue
				}
				if tc.status != 200 {
					continue
				}
				var doc FindResult
				dec := json.NewDecoder(rec.Body)
				dec.DisallowUnknownFields()
				if err := dec.Decode(&doc); err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				some := 0
				if len(doc.Results) > 0 {
					some = 1
				}
				if doc.Results == nil || (tc.some >= 0 && some != tc.some) || len(doc.Results) > tc.max {
					t.Errorf("%s: %d results %v, want some=%d at most %d", tc.name, len(doc.Results), doc.Results, tc.some, tc.max)
				}
			}
			// The document is exactly NewFindResult of the stored catalog.
			rec := s.do(t, "GET", hostA, "/api/v1/services?q=Hundesteuer+anmelden&limit=5", "", "")
			var got FindResult
			json.Unmarshal(rec.Body.Bytes(), &got)
			res, err := s.c.Find(ctx, s.a.ID, Query{Text: "Hundesteuer anmelden", Limit: 5})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(NewFindResult(res), got); diff != "" {
				t.Errorf("API document (-want +got):\n%s", diff)
			}
			if len(got.Results) == 0 || got.Results[0].ID != hundesteuerRef() || got.Results[0].ExternalID != "99102013000000" {
				t.Errorf("first result %+v, want Hundesteuer", got.Results)
			}
			// Tenant B has no services.
			rec = s.do(t, "GET", hostB, "/api/v1/services?q=Hundesteuer", "", "")
			if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != `{"query":"Hundesteuer","results":[]}` {
				t.Errorf("tenant B: %d %s", rec.Code, rec.Body)
			}
		})

		ref := hundesteuerRef()
		fm, cw, bAdmin := token(t, db, s.a, identity.RoleFormManager), token(t, db, s.a, identity.RoleCaseWorker), token(t, db, s.b, identity.RoleAdmin)

		t.Run("get", func(t *testing.T) {
			rec := s.do(t, "GET", hostA, "/api/v1/services/"+strings.ToLower(ref), "", "")
			var doc ServiceDocument
			if err := json.Unmarshal(rec.Body.Bytes(), &doc); rec.Code != 200 || err != nil {
				t.Fatalf("GET: %d %v %s", rec.Code, err, rec.Body)
			}
			if doc.ID != ref || doc.Name != "Hundesteuer" || doc.Version != 1 {
				t.Errorf("GET: %s %s v%d", doc.ID, doc.Name, doc.Version)
			}
			for _, c := range []struct{ host, path string }{{hostA, "/api/v1/services/L-0000-0000"}, {hostB, "/api/v1/services/" + ref}} {
				if rec := s.do(t, "GET", c.host, c.path, "", ""); rec.Code != 404 || rec.Header().Get("Content-Type") != "application/problem+json" {
					t.Errorf("GET %s on %s: %d %s, want problem 404", c.path, c.host, rec.Code, rec.Header().Get("Content-Type"))
				}
			}
		})

		t.Run("put", func(t *testing.T) {
			cur, err := s.c.Get(ctx, s.a.ID, ref)
			if err != nil {
				t.Fatal(err)
			}
			body := func(mut func(*ServiceDocument)) string {
				d := ServiceDocument{Service: cur.Service, Version: 1}
				mut(&d)
				b, _ := json.Marshal(d)
				return string(b)
			}
			valid := body(func(d *ServiceDocument) { d.YearlyCaseVolume = 1500 })
			tests := []struct {
				name, host, tok, body string
				status                int
				fields                []string
			}{
				{"no token", hostA, "", valid, 401, nil},
				{"case worker", hostA, cw, valid, 404, nil},
				{"B's admin on B's host", hostB, bAdmin, valid, 404, nil},
				{"B's admin on A's host", hostA, bAdmin, valid, 401, nil},
				{"broken JSON", hostA, fm, `{"name":`, 400, nil},
				{"unknown field", hostA, fm, `{"name":"x","colour":"red"}`, 400, nil},
				{"invalid", hostA, fm, body(func(d *ServiceDocument) { d.Name = ""; d.LeikaKeys = []string{"12"}; d.Fees = []Fee{{Kind: FeeFixed}} }), 422, []string{"fees.0", "leika_keys", "name"}},
				{"valid", hostA, fm, valid, 200, nil},
				{"stale", hostA, fm, valid, 409, nil},
			}
			for _, tc := range tests {
				rec := s.do(t, "PUT", tc.host, "/api/v1/services/"+ref, tc.tok, tc.body)
				if rec.Code != tc.status {
					t.Errorf("%s: status %d, want %d: %s", tc.name, rec.Code, tc.status, rec.Body)
					continue
				}
				if tc.fields != nil {
					var p web.Problem
					json.Unmarshal(rec.Body.Bytes(), &p)
					var got []string
					for _, f := range p.Errors {
						got = append(got, f.Field)
					}
					if diff := cmp.Diff(tc.fields, got, sortStrings); diff != "" {
						t.Errorf("%s: fields (-want +got):\n%s", tc.name, diff)
					}
				}
			}
			rec := s.do(t, "GET", hostA, "/api/v1/services/"+ref+"/versions", cw, "")
			var h History
			if err := json.Unmarshal(rec.Body.Bytes(), &h); rec.Code != 200 || err != nil {
				t.Fatalf("versions: %d %v", rec.Code, err)
			}
			if h.Version != 2 || len(h.Changes) != 1 || h.Changes[0].Document.YearlyCaseVolume != 1400 || h.Changes[0].ChangedBy == "" {
				t.Errorf("versions: %+v", h)
			}
			for _, c := range []struct {
				host, tok string
				status    int
			}{{hostA, "", 401}, {hostB, bAdmin, 404}} {
				if rec := s.do(t, "GET", c.host, "/api/v1/services/"+ref+"/versions", c.tok, ""); rec.Code != c.status {
					t.Errorf("versions on %s: %d, want %d", c.host, rec.Code, c.status)
				}
			}
		})
	})
}

// parse returns the document of an HTML answer.
func parse(t *testing.T, rec *httptest.ResponseRecorder) *html.Node {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// all returns the elements named tag that carry every attribute of want
// (an empty value matches any value).
func all(root *html.Node, tag string, want ...string) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == tag {
			ok := true
			for i := 0; i+1 < len(want); i += 2 {
				v, has := attr(n, want[i])
				ok = ok && has && (want[i+1] == "" || v == want[i+1])
			}
			if ok {
				out = append(out, n)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	return out
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// noInlineCode: the strict CSP forbids inline script and style.
func noInlineCode(t *testing.T, doc *html.Node) {
	t.Helper()
	if n := len(all(doc, "script")) + len(all(doc, "style")); n > 0 {
		t.Errorf("%d script/style elements", n)
	}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if _, ok := attr(n, "style"); ok && n.Type == html.ElementNode {
			t.Errorf("inline style on <%s>", n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
}

func TestPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		s := newSite(t, db)
		ref := hundesteuerRef()

		t.Run("finder", func(t *testing.T) {
			for _, q := range []string{"", "'; DROP TABLE services; --", "<b>x</b>", strings.Repeat("ä", 3000), "Собака Hund 犬 🐕", "Hund\x00steuer\xff", strings.Repeat("Hund ", 2000), "%00%ff", "\u202eHund"} {
				rec := s.do(t, "GET", hostA, "/leistungen?q="+url.QueryEscape(q)+"&lebenslage="+url.QueryEscape(q), "", "")
				if rec.Code != 200 {
					t.Errorf("q=%.20q with life situation: status %d", q, rec.Code)
				}
				rec = s.do(t, "GET", hostA, "/api/v1/services?q="+url.QueryEscape(q), "", "")
				if rec.Code != 200 {
					t.Errorf("API q=%.20q: status %d", q, rec.Code)
				}
				rec = s.do(t, "GET", hostA, "/leistungen?q="+url.QueryEscape(q), "", "")
				if rec.Code != 200 {
					t.Errorf("q=%.20q: status %d", q, rec.Code)
				}
				noInlineCode(t, parse(t, rec))
			}
			rec := s.do(t, "GET", hostA, "/leistungen?q="+url.QueryEscape("Hund anmelden"), "", "")
			doc := parse(t, rec)
			noInlineCode(t, doc)
			if links := all(doc, "a", "href", "/leistungen/"+ref); len(links) != 1 || text(links[0]) != "Hundesteuer" {
				t.Errorf("no result link to the Hundesteuer page")
			}
			if n := len(all(doc, "input", "name", "q", "type", "search", "value", "Hund anmelden")); n != 1 {
				t.Errorf("search field keeps the query: %d", n)
			}
			facets := all(doc, "a", "href", "/leistungen?lebenslage=Tierhaltung&q=Hund+anmelden")
			if len(facets) != 1 {
				t.Fatalf("no life-situation facet link for Tierhaltung")
			}
			rec = s.do(t, "GET", hostA, "/leistungen?q=Hund+anmelden&lebenslage=Tierhaltung", "", "")
			doc = parse(t, rec)
			for _, a := range all(doc, "a", "href", "") {
				if h, _ := attr(a, "href"); strings.HasPrefix(h, "/leistungen/L-") {
					st, err := s.c.Get(context.Background(), s.a.ID, strings.TrimPrefix(h, "/leistungen/"))
					if err != nil || !contains(st.LifeSituations, "Tierhaltung") {
						t.Errorf("filtered list shows %s outside Tierhaltung (%v)", h, err)
					}
				}
			}
			if n := len(all(doc, "a", "aria-current", "true", "href", "/leistungen?q=Hund+anmelden")); n != 1 {
				t.Errorf("active facet is not a link that removes it")
			}
		})

		t.Run("service", func(t *testing.T) {
			rec := s.do(t, "GET", hostA, "/leistungen/"+ref, "", "")
			if rec.Code != 200 {
				t.Fatalf("status %d", rec.Code)
			}
			doc := parse(t, rec)
			noInlineCode(t, doc)
			art := all(doc, "article", "itemscope", "", "itemtype", "https://schema.org/GovernmentService")
			if len(art) != 1 {
				t.Fatal("no schema.org GovernmentService microdata")
			}
			if h := all(art[0], "h1", "itemprop", "name"); len(h) != 1 || text(h[0]) != "Hundesteuer" {
				t.Error("h1 is not the service name")
			}
			var h2 []string
			for _, n := range all(doc, "h2") {
				id, _ := attr(n, "id")
				h2 = append(h2, id)
			}
			if diff := cmp.Diff([]string{"schritte", "zustaendig", "beschreibung", "voraussetzungen", "gebuehren", "weiteres"}, h2); diff != "" {
				t.Errorf("sections (-want +got):\n%s", diff)
			}
			if n := len(all(doc, "a", "href", "https://musterstadt.example/formulare/hundesteuer")); n != 1 {
				t.Error("no link to the online form")
			}
			if !strings.Contains(rec.Body.String(), "5,00\u00a0€") {
				t.Error("fee not formatted in German")
			}
			if off := all(doc, "h3", "itemprop", "name"); len(off) != 1 || text(off[0]) != "Stadtkasse Musterstadt" {
				t.Error("responsible office not shown")
			}
			req := httptest.NewRequest("GET", "http://"+hostA+"/leistungen/"+ref, nil)
			req.Header.Set("Accept-Language", "en")
			en := httptest.NewRecorder()
			s.h.ServeHTTP(en, req)
			if !strings.Contains(en.Body.String(), "€5.00") || !strings.Contains(en.Body.String(), "What to do") {
				t.Error("English page lacks English fee format or headings")
			}
			if rec := s.do(t, "GET", hostB, "/leistungen/"+ref, "", ""); rec.Code != 404 {
				t.Errorf("tenant B shows A's service: %d", rec.Code)
			}
		})

		t.Run("service of another authority", func(t *testing.T) {
			key := "99001001000000"
			fed := Service{ID: Ref(SourceLeika, key), Source: SourceLeika, ExternalID: key, LeikaKeys: []string{key}, Name: "Bundesleistung", Availability: AvailabilityInformation}
			if _, err := s.c.Import(context.Background(), identity.System(s.a.ID), s.a.ID, SourceLeika, &ImportResult{Read: 1, Services: []Service{fed}}); err != nil {
				t.Fatal(err)
			}
			doc := parse(t, s.do(t, "GET", hostA, "/leistungen/"+fed.ID, "", ""))
			if len(all(doc, "a", "href", FederalPortal)) != 1 || len(all(doc, "div", "itemtype", "https://schema.org/ServiceChannel")) != 0 {
				t.Error("a service without a responsible office of the city does not link the federal portal")
			}
		})

		t.Run("postcode narrows offices", func(t *testing.T) {
			f, _ := s.c.Finder(context.Background(), s.a.ID)
			var svc Service
			for _, x := range f.Services() {
				if len(x.Offices) > 5 {
					svc = x
					break
				}
			}
			if svc.ID == "" {
				t.Fatal("no Munich service with several offices")
			}
			all0 := all(parse(t, s.do(t, "GET", hostA, "/leistungen/"+svc.ID, "", "")), "div", "itemtype", "https://schema.org/ServiceChannel")
			if len(all0) != len(svc.Offices) {
				t.Errorf("without postcode %d offices shown, want %d", len(all0), len(svc.Offices))
			}
			rec := s.do(t, "GET", hostA, "/leistungen/"+svc.ID+"?plz=80331", "", "")
			doc := parse(t, rec)
			if got := all(doc, "div", "itemtype", "https://schema.org/ServiceChannel"); rec.Code != 200 || len(got) == 0 || len(got) > 3 {
				t.Errorf("with postcode: %d, %d offices, want 1–3", rec.Code, len(got))
			}
			if n := len(all(doc, "input", "name", "plz", "value", "80331")); n != 1 {
				t.Error("postcode form does not keep the postcode")
			}
			rec = s.do(t, "GET", hostA, "/leistungen/"+svc.ID+"?plz=abc", "", "")
			if rec.Code != 422 || len(all(parse(t, rec), "input", "name", "plz", "aria-invalid", "true")) != 1 {
				t.Errorf("invalid postcode: %d, want 422 with the field marked", rec.Code)
			}
		})

		t.Run("assistant", func(t *testing.T) {
			doc := parse(t, s.do(t, "GET", hostA, "/assistent", "", ""))
			noInlineCode(t, doc)
			if len(all(doc, "textarea", "name", "q")) != 1 || len(all(doc, "input", "type", "hidden", "name", "state")) != 1 {
				t.Fatal("assistant form lacks the question field or the state")
			}
			rec := s.do(t, "POST", hostA, "/assistent", "", "q=")
			if rec.Code != 422 || len(all(parse(t, rec), "div", "role", "alert")) != 1 {
				t.Errorf("empty request: %d, want 422 with an error summary", rec.Code)
			}
			rec = s.do(t, "POST", hostA, "/assistent", "", "q="+url.QueryEscape("Ich habe einen Hund und muss Steuern zahlen"))
			if rec.Code != 303 || rec.Header().Get("Location") != "/leistungen/"+ref {
				t.Errorf("clear request: %d to %q, want 303 to the Hundesteuer page", rec.Code, rec.Header().Get("Location"))
			}
			// An ambiguous request gets a question with radio buttons; the
			// answer ends on the chosen service.
			rec = s.do(t, "POST", hostA, "/assistent", "", "q="+url.QueryEscape("Personalausweis verloren"))
			doc = parse(t, rec)
			radios := all(doc, "input", "type", "radio", "name", "answer")
			if rec.Code != 200 || len(radios) < 2 || len(all(doc, "legend")) != 1 {
				t.Fatalf("ambiguous request: %d with %d options", rec.Code, len(radios))
			}
			state, _ := attr(all(doc, "input", "name", "state")[0], "value")
			first, _ := attr(radios[0], "value")
			rec = s.do(t, "POST", hostA, "/assistent", "", "state="+state)
			if rec.Code != 422 || len(all(parse(t, rec), "input", "type", "radio")) != len(radios) {
				t.Errorf("no answer chosen: %d, want 422 with the question again", rec.Code)
			}
			rec = s.do(t, "POST", hostA, "/assistent", "", "state="+state+"&answer="+url.QueryEscape(first))
			if want := "/leistungen/" + strings.TrimPrefix(first, "service:"); rec.Code != 303 || rec.Header().Get("Location") != want {
				t.Errorf("answer: %d to %q, want 303 to %s", rec.Code, rec.Header().Get("Location"), want)
			}
			if rec := s.do(t, "POST", hostA, "/assistent", "", "state=%21%21forged&q=Hund"); rec.Code != 303 {
				t.Errorf("forged state: %d, want a fresh dialogue", rec.Code)
			}
		})

		t.Run("digitisation", func(t *testing.T) {
			head := token(t, db, s.a, identity.RoleUnitHead)
			rec := s.do(t, "GET", hostA, "/verwaltung/digitalisierung", head, "")
			if rec.Code != 200 {
				t.Fatalf("status %d", rec.Code)
			}
			doc := parse(t, rec)
			noInlineCode(t, doc)
			rows := all(doc, "tr", "class", "kern-table__row")
			if len(rows) < 5 {
				t.Fatalf("%d table rows", len(rows))
			}
			var tax []string
			for _, r := range rows {
				if th := all(r, "th", "scope", "row"); len(th) == 1 && text(th[0]) == "Stadtkasse – Steuern und Abgaben" {
					for _, td := range all(r, "td") {
						tax = append(tax, text(td))
					}
				}
			}
			if diff := cmp.Diff([]string{"1", "0", "0", "1", "0", "1400", "100 %"}, tax); diff != "" {
				t.Errorf("dog tax unit row (-want +got):\n%s", diff)
			}
			if !strings.Contains(rec.Body.String(), "keine Daten") {
				t.Error("units without case volumes do not say so")
			}
			for _, c := range []struct {
				tok    string
				status int
			}{{"", 303}, {token(t, db, s.a, identity.RoleCaseWorker), 403}} {
				if rec := s.do(t, "GET", hostA, "/verwaltung/digitalisierung", c.tok, ""); rec.Code != c.status {
					t.Errorf("token %q: %d, want %d", c.tok, rec.Code, c.status)
				}
			}
			if loc := s.do(t, "GET", hostA, "/verwaltung/digitalisierung", "", "").Header().Get("Location"); loc != "/anmelden?return_to=%2Fverwaltung%2Fdigitalisierung" {
				t.Errorf("not signed in: sent to %q, want the login coming back here", loc)
			}
		})

		t.Run("edit", func(t *testing.T) {
			fm := token(t, db, s.a, identity.RoleFormManager)
			path := "/verwaltung/leistungen/" + ref
			rec := s.do(t, "GET", hostA, path, fm, "")
			doc := parse(t, rec)
			noInlineCode(t, doc)
			if rec.Code != 200 || len(all(doc, "input", "name", "name", "value", "Hundesteuer")) != 1 ||
				len(all(doc, "input", "name", "online_availability", "value", "online_form", "checked", "")) != 1 ||
				len(all(doc, "input", "name", "yearly_case_volume", "value", "1400")) != 1 {
				t.Fatalf("edit form not filled with the current service (%d)", rec.Code)
			}
			form := func(name, volume, version string) string {
				return url.Values{"name": {name}, "summary": {"Hund anmelden."}, "online_availability": {"fully_digital"},
					"appointment_minutes": {"0"}, "yearly_case_volume": {volume}, "version": {version}}.Encode()
			}
			rec = s.do(t, "POST", hostA, path, fm, form("", "viele", "1"))
			doc = parse(t, rec)
			var summary []string
			for _, a := range all(doc, "a", "href", "") {
				if h, _ := attr(a, "href"); strings.HasPrefix(h, "#edit-") {
					summary = append(summary, h)
				}
			}
			if diff := cmp.Diff([]string{"#edit-name", "#edit-volume"}, summary); rec.Code != 422 || diff != "" {
				t.Errorf("invalid edit: %d, error summary links (-want +got):\n%s", rec.Code, diff)
			}
			if len(all(doc, "input", "name", "yearly_case_volume", "value", "viele", "aria-invalid", "true")) != 1 {
				t.Error("invalid edit does not keep and mark the entered value")
			}
			rec = s.do(t, "POST", hostA, path, fm, form("Hundesteuer", "1600", "1"))
			if rec.Code != 303 || rec.Header().Get("Location") != "/leistungen/"+ref {
				t.Fatalf("valid edit: %d to %q", rec.Code, rec.Header().Get("Location"))
			}
			st, err := s.c.Get(context.Background(), s.a.ID, ref)
			if err != nil || st.Version != 2 || st.YearlyCaseVolume != 1600 || st.Availability != AvailabilityFullyDigital {
				t.Errorf("after edit: %+v, %v", st, err)
			}
			if rec := s.do(t, "POST", hostA, path, fm, form("Hundesteuer", "1700", "1")); rec.Code != 409 {
				t.Errorf("stale edit: %d, want 409", rec.Code)
			}
			for _, c := range []struct {
				method, host, tok string
				status            int
			}{
				{"GET", hostA, "", 303},
				{"POST", hostA, "", 401},
				{"GET", hostA, token(t, db, s.a, identity.RoleCaseWorker), 404},
				{"GET", hostB, token(t, db, s.b, identity.RoleAdmin), 404},
				{"POST", hostB, token(t, db, s.b, identity.RoleFormManager), 404},
			} {
				if rec := s.do(t, c.method, c.host, path, c.tok, form("Übernommen", "1", "2")); rec.Code != c.status {
					t.Errorf("%s on %s: %d, want %d", c.method, c.host, rec.Code, c.status)
				}
			}

			// A unit head maintains the case volume only.
			head := token(t, db, s.a, identity.RoleUnitHead)
			doc = parse(t, s.do(t, "GET", hostA, path, head, ""))
			if len(all(doc, "input", "name", "name")) != 0 || len(all(doc, "input", "name", "yearly_case_volume", "value", "1600")) != 1 {
				t.Error("a unit head's form is not the case volume alone")
			}
			if rec := s.do(t, "POST", hostA, path, head, "version=2&yearly_case_volume=-5"); rec.Code != 422 {
				t.Errorf("negative volume: %d, want 422", rec.Code)
			}
			rec = s.do(t, "POST", hostA, path, head, "version=2&yearly_case_volume=2000&name=Umbenannt")
			if rec.Code != 303 || rec.Header().Get("Location") != "/verwaltung/digitalisierung" {
				t.Fatalf("unit head's volume: %d to %q", rec.Code, rec.Header().Get("Location"))
			}
			st, err = s.c.Get(context.Background(), s.a.ID, ref)
			if err != nil || st.Version != 3 || st.YearlyCaseVolume != 2000 || st.Name != "Hundesteuer" {
				t.Errorf("after the unit head's edit: v%d volume %d name %q, %v", st.Version, st.YearlyCaseVolume, st.Name, err)
			}
			if _, err := s.c.Update(context.Background(), identity.Principal{TenantID: s.a.ID, Ref: "U-HEAD", Kind: "staff", Roles: []identity.Role{identity.RoleUnitHead}}, s.a.ID, ref, 0, st.Service); web.StatusOf(err) != 404 {
				t.Errorf("unit head's full edit: %v, want 404", err)
			}
		})
	})
}

func TestMessagesComplete(t *testing.T) {
	cat, err := i18n.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	if err := cat.Load(Messages()); err != nil {
		t.Fatal(err)
	}
	if err := cat.Check(); err != nil {
		t.Error(err)
	}
}
