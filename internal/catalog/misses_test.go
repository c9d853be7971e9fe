package catalog

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/web"
)

func TestMissWords(t *testing.T) {
	for in, want := range map[string]string{
		"Sperrmüll abholen":                  "sperrmüll abholen",
		"  Couch   LOSWERDEN!! ":             "couch loswerden",
		"Termin am 12.03.2026 um 0911-12345": "termin am um",
		"<script>alert(1)</script>":          "script alert script",
		"12345":                              "",
		"":                                   "",
		strings.Repeat("wort ", 30):          "wort wort wort wort wort wort wort wort",
	} {
		if got := MissWords(in); got != want {
			t.Errorf("MissWords(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMissesCountedAndShownFromFive(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		tn, other := newTenant(t, db, "musterstadt"), newTenant(t, db, "nachbarstadt")
		c := &Catalog{DB: db}
		admin := identity.Principal{Ref: "U-TEST-0001", TenantID: tn.ID, Roles: []identity.Role{identity.RoleAdmin}}
		for range 4 {
			c.RecordMiss(tn.ID, "Couch loswerden", MissNone)
		}
		c.RecordMiss(tn.ID, "couch LOSWERDEN", MissAbandoned)
		for range 4 {
			c.RecordMiss(tn.ID, "Meyer Mustergasse 7", MissNone) // four searches only: never shown
		}
		for range 6 {
			c.RecordMiss(other.ID, "Couch loswerden", MissNone) // another tenant's
		}
		c.RecordMiss(tn.ID, "Couch loswerden", "bogus")
		if got := count(t, db, "search_misses", tn.ID); got != 0 {
			t.Fatalf("%d rows before the flush: counting must not write", got)
		}
		if err := c.FlushMisses(ctx); err != nil {
			t.Fatal(err)
		}
		if err := c.FlushMisses(ctx); err != nil { // nothing buffered: no change
			t.Fatal(err)
		}
		got, err := c.Misses(ctx, admin, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		month := clk.Now().UTC().Format("2006-01")
		if diff := cmp.Diff([]Miss{{Month: month, Words: "couch loswerden", None: 4, Abandoned: 1}}, got); diff != "" {
			t.Errorf("misses (-want +got):\n%s", diff)
		}
		// Counts add up across flushes (and instances).
		c2 := &Catalog{DB: db}
		c2.RecordMiss(tn.ID, "Meyer Musterweg", MissNone)
		c2.RecordMiss(tn.ID, "couch loswerden", MissNone)
		if err := c2.FlushMisses(ctx); err != nil {
			t.Fatal(err)
		}
		got, _ = c.Misses(ctx, admin, tn.ID)
		if len(got) != 1 || got[0].None != 5 {
			t.Errorf("after a second instance's flush: %+v", got)
		}
		// A new month starts a new row.
		clk.Advance(40 * 24 * time.Hour)
		for range 5 {
			c.RecordMiss(tn.ID, "couch loswerden", MissNone)
		}
		if err := c.FlushMisses(ctx); err != nil {
			t.Fatal(err)
		}
		got, _ = c.Misses(ctx, admin, tn.ID)
		if len(got) != 2 || got[0].Month <= got[1].Month {
			t.Errorf("two months, newest first: %+v", got)
		}
		// A month that is over keeps no words with fewer than five
		// searches; the running month's small counts stay to add up.
		c.RecordMiss(tn.ID, "Schmidt Lindenweg", MissNone)
		if err := c.FlushMisses(ctx); err != nil {
			t.Fatal(err)
		}
		var rare []string
		rows, err := db.R.QueryContext(ctx, `SELECT month || ' ' || words FROM search_misses WHERE tenant_id = $1 ORDER BY month, words`, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var w string
			if err := rows.Scan(&w); err != nil {
				t.Fatal(err)
			}
			rare = append(rare, w)
		}
		rows.Close()
		now := clk.Now().UTC().Format("2006-01")
		if diff := cmp.Diff([]string{month + " couch loswerden", month + " couch loswerden", now + " couch loswerden", now + " schmidt lindenweg"}, rare); diff != "" {
			t.Errorf("kept rows (-want +got):\n%s", diff)
		}
		// Months older than the report are forgotten, even with no new
		// searches to flush.
		clk.Advance(5 * 31 * 24 * time.Hour)
		if err := c.FlushMisses(ctx); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "search_misses", tn.ID); n != 0 {
			t.Errorf("%d rows of old months kept", n)
		}
		// Only catalog editors of the tenant.
		for _, p := range []identity.Principal{
			{Ref: "U-TEST-0002", TenantID: tn.ID, Roles: []identity.Role{identity.RoleCaseWorker}},
			{Ref: "U-TEST-0003", TenantID: other.ID, Roles: []identity.Role{identity.RoleAdmin}},
			{},
		} {
			if _, err := c.Misses(ctx, p, tn.ID); err == nil {
				t.Errorf("%+v read the misses", p)
			}
		}
	})
}

func TestMissBufferIsBounded(t *testing.T) {
	c := &Catalog{}
	for i := range maxBufferedMisses + 50 {
		c.RecordMiss(1, "wort"+strings.Repeat("x", i%40)+string(rune('a'+i%26))+string(rune('a'+i/26%26))+string(rune('a'+i/676%26)), MissNone)
	}
	if n := len(c.misses.counts); n > maxBufferedMisses {
		t.Errorf("%d buffered keys, want at most %d", n, maxBufferedMisses)
	}
}

func TestAddPhrase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		tn, other := newTenant(t, db, "musterstadt"), newTenant(t, db, "nachbarstadt")
		c := &Catalog{DB: db}
		admin := identity.Principal{Ref: "U-TEST-0001", TenantID: tn.ID, Roles: []identity.Role{identity.RoleFormManager}}
		if _, err := importJSON(t, c, identity.System(tn.ID), fixtureJSON(false), false); err != nil {
			t.Fatal(err)
		}
		ref := Ref(SourceRathaus, "A2", "Sperrmüll anmelden")
		reader := &Catalog{DB: db} // another instance
		before := topNames(t, reader, tn.ID, "Couch loswerden")
		rev0, _ := c.Revision(ctx, tn.ID)
		st, err := c.AddPhrase(ctx, admin, tn.ID, strings.ToLower(ref), "  Couch   loswerden ")
		if err != nil {
			t.Fatal(err)
		}
		if st.Version != 2 || !contains(st.Keywords, "Couch loswerden") {
			t.Errorf("after adding: version %d, keywords %v", st.Version, st.Keywords)
		}
		if rev, _ := c.Revision(ctx, tn.ID); rev != rev0+1 {
			t.Errorf("revision %d, want %d", rev, rev0+1)
		}
		if got := topNames(t, reader, tn.ID, "Couch loswerden"); len(got) == 0 || got[0] != "Sperrmüll anmelden" {
			t.Errorf("other instance finds %v (before: %v), want the service first", got, before)
		}
		h, err := c.Versions(ctx, admin, tn.ID, ref)
		if err != nil || len(h.Changes) != 1 || contains(h.Changes[0].Document.Keywords, "Couch loswerden") {
			t.Errorf("history %+v, %v: want the previous document kept", h, err)
		}
		var n int
		if err := db.R.QueryRow(`SELECT COUNT(*) FROM audit_events WHERE tenant_id = $1 AND action = 'catalog.phrase' AND object_ref = $2`, tn.ID, ref).Scan(&n); err != nil || n != 1 {
			t.Errorf("%d audit events (%v), want 1", n, err)
		}
		// The same phrase again changes nothing.
		if st, err := c.AddPhrase(ctx, admin, tn.ID, ref, "couch LOSWERDEN"); err != nil || st.Version != 2 {
			t.Errorf("again: %+v, %v", st, err)
		}
		for _, tc := range []struct {
			name, ref, phrase string
			p                 identity.Principal
			check             func(error) bool
		}{
			{"empty", ref, "   ", admin, func(err error) bool { return fault.HasCode(err, "phrase", "required") }},
			{"long", ref, strings.Repeat("a", 101), admin, func(err error) bool { return fault.HasCode(err, "phrase", "too_long") }},
			{"no words", ref, "1234 !!", admin, func(err error) bool { return fault.HasCode(err, "phrase", "invalid") }},
			{"unknown service", "L-0000-0000", "sofa", admin, func(err error) bool { return errors.Is(err, ErrNotFound) }},
			{"case worker", ref, "sofa", identity.Principal{Ref: "U-TEST-0002", TenantID: tn.ID, Roles: []identity.Role{identity.RoleCaseWorker}}, func(err error) bool { return errors.Is(err, web.ErrNotFound) }},
			{"other tenant's admin", ref, "sofa", identity.Principal{Ref: "U-TEST-0003", TenantID: other.ID, Roles: []identity.Role{identity.RoleAdmin}}, func(err error) bool { return errors.Is(err, web.ErrNotFound) }},
		} {
			if _, err := c.AddPhrase(ctx, tc.p, tn.ID, tc.ref, tc.phrase); !tc.check(err) {
				t.Errorf("%s: %v", tc.name, err)
			}
		}
		if st, _ := c.Get(ctx, tn.ID, ref); st.Version != 2 {
			t.Errorf("refused phrases changed the service: version %d", st.Version)
		}
	})
}

func topNames(t *testing.T, c *Catalog, tenantID int64, q string) []string {
	t.Helper()
	res, err := c.Find(context.Background(), tenantID, Query{Text: q})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, h := range res.Hits {
		out = append(out, h.Name)
	}
	return out
}

func TestFinderPageWhenNothingFits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		s := newSite(t, db)
		ctx := context.Background()
		admin := identity.Principal{Ref: "U-TEST-0001", TenantID: s.a.ID, Roles: []identity.Role{identity.RoleAdmin}}

		rec := s.do(t, "GET", hostA, "/leistungen?q="+url.QueryEscape("xyzzy plugh"), "", "")
		doc := parse(t, rec)
		if rec.Code != 200 || len(all(doc, "a", "href", "/assistent?q=xyzzy+plugh")) != 1 {
			t.Errorf("no assistant link with the query (status %d)", rec.Code)
		}
		if !strings.Contains(text(doc), "Marktplatz 1") && !strings.Contains(text(doc), s.a.Settings.Address.Street) {
			t.Errorf("no contact of the town hall")
		}
		// A misspelt word: "did you mean" with a link to the corrected search.
		doc = parse(t, s.do(t, "GET", hostA, "/leistungen?q="+url.QueryEscape("Persnalausweis"), "", ""))
		if links := all(doc, "a", "href", "/leistungen?q=personalausweis"); len(links) != 1 {
			t.Errorf("no did-you-mean link")
		}
		// Results, but "nothing fitting": counted, on to the assistant.
		rec = s.do(t, "POST", hostA, "/leistungen/nichts-passendes", "", "q="+url.QueryEscape("Hund anmelden"))
		if rec.Code != 303 || rec.Header().Get("Location") != "/assistent?q=Hund+anmelden" {
			t.Errorf("nothing fitting: %d %s", rec.Code, rec.Header().Get("Location"))
		}
		for range 4 {
			s.do(t, "GET", hostA, "/leistungen?q="+url.QueryEscape("xyzzy plugh"), "", "")
			s.do(t, "POST", hostA, "/leistungen/nichts-passendes", "", "q="+url.QueryEscape("Hund anmelden"))
		}
		if err := s.c.FlushMisses(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := s.c.Misses(ctx, admin, s.a.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]Miss{"xyzzy plugh": {None: 5}, "hund anmelden": {Abandoned: 5}}
		if len(got) != 2 {
			t.Fatalf("misses %+v", got)
		}
		for _, m := range got {
			w := want[m.Words]
			if m.None != w.None || m.Abandoned != w.Abandoned {
				t.Errorf("miss %+v, want %+v", m, w)
			}
		}
	})
}

func TestMissesPage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		s := newSite(t, db)
		admin := token(t, db, s.a, identity.RoleFormManager)
		worker := token(t, db, s.a, identity.RoleCaseWorker)
		otherAdmin := token(t, db, s.b, identity.RoleAdmin)
		for range 5 {
			s.c.RecordMiss(s.a.ID, "Couch loswerden", MissNone)
		}
		if err := s.c.FlushMisses(context.Background()); err != nil {
			t.Fatal(err)
		}
		rec := s.do(t, "GET", hostA, "/verwaltung/suchanfragen", admin, "")
		doc := parse(t, rec)
		noInlineCode(t, doc)
		if rec.Code != 200 || !strings.Contains(text(doc), "couch loswerden") {
			t.Fatalf("staff page: %d, words missing", rec.Code)
		}
		for _, tok := range []string{worker, otherAdmin} {
			rec := s.do(t, "GET", hostA, "/verwaltung/suchanfragen", tok, "")
			login := rec.Code == 303 && strings.HasPrefix(rec.Header().Get("Location"), "/anmelden")
			if rec.Code != 403 && rec.Code != 404 && !login || strings.Contains(rec.Body.String(), "couch") {
				t.Errorf("foreign or unprivileged reader: %d", rec.Code)
			}
		}
		ref := hundesteuerRef()
		rec = s.do(t, "POST", hostA, "/verwaltung/suchanfragen", admin, "phrase=Steuer+f%C3%BCr+Vierbeiner&service=L-0000-0000")
		if rec.Code != 422 || len(all(parse(t, rec), "a", "href", "#misses-service")) != 1 {
			t.Errorf("unknown service: %d, want 422 with the field in the error summary", rec.Code)
		}
		rec = s.do(t, "POST", hostA, "/verwaltung/suchanfragen", admin, "phrase=&service="+ref)
		if rec.Code != 422 || len(all(parse(t, rec), "a", "href", "#misses-phrase")) != 1 {
			t.Errorf("empty phrase: %d, want 422", rec.Code)
		}
		rec = s.do(t, "POST", hostA, "/verwaltung/suchanfragen", admin, "phrase=Steuer+f%C3%BCr+Vierbeiner&service="+ref)
		if rec.Code != 200 {
			t.Fatalf("add phrase: %d", rec.Code)
		}
		if st, _ := s.c.Get(context.Background(), s.a.ID, ref); !contains(st.Keywords, "Steuer für Vierbeiner") {
			t.Errorf("keywords %v", st.Keywords)
		}
		if rec := s.do(t, "POST", hostA, "/verwaltung/suchanfragen", worker, "phrase=x+y&service="+ref); rec.Code == 200 {
			t.Errorf("a case worker added a phrase")
		}
	})
}
