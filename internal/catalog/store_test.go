package catalog

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// newTenant creates a tenant; the first one of a database is the default.
func newTenant(t *testing.T, db *database.DB, slug string) *identity.Tenant {
	t.Helper()
	tn, err := (&identity.Service{DB: db}).CreateTenant(context.Background(), identity.Tenant{
		Slug: slug, Name: strings.ToUpper(slug[:1]) + slug[1:], IsDefault: slug == "musterstadt", Hosts: []string{slug + ".test"},
		Settings: identity.Settings{FederalState: "BY"}})
	if err != nil {
		t.Fatal(err)
	}
	return tn
}

func principal(tn *identity.Tenant, ref string, roles ...identity.Role) identity.Principal {
	return identity.Principal{TenantID: tn.ID, Ref: ref, Kind: "staff", Roles: roles}
}

// fixtureJSON is our own format with two valid services and, when broken
// is set, an invalid third one (line 4).
func fixtureJSON(broken bool) string {
	s := `{"format": "rathaus-catalog", "version": 1, "services": [
 {"external_id": "A1", "source": "rathaus", "leika_keys": ["99102013000000"], "name": "Hundesteuer", "summary": "Steuer für Ihren Hund anmelden.", "online_availability": "online_form", "bookable": false, "units": ["Steueramt"], "yearly_case_volume": 100, "keywords": ["Hund"]},
 {"external_id": "A2", "source": "rathaus", "leika_keys": ["99001009000000"], "name": "Sperrmüll anmelden", "summary": "Abholung von Sperrmüll bestellen.", "online_availability": "information", "bookable": true, "units": ["Abfallwirtschaft"]}`
	if broken {
		s += `,
 {"external_id": "A3", "source": "rathaus", "leika_keys": ["123"], "name": "Kaputt", "online_availability": "information", "bookable": false}`
	}
	return s + "\n]}\n"
}

func importJSON(t *testing.T, c *Catalog, p identity.Principal, data string, strict bool) (*ImportReport, error) {
	t.Helper()
	res, err := (&JSONImporter{Strict: strict}).Import(context.Background(), strings.NewReader(data))
	if err != nil {
		return nil, err
	}
	return c.Import(context.Background(), p, p.TenantID, SourceRathaus, res)
}

func count(t *testing.T, db *database.DB, table string, tenantID int64) int {
	t.Helper()
	var n int
	if err := db.R.QueryRow(`SELECT COUNT(*) FROM `+table+` WHERE tenant_id = $1`, tenantID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestImportSkipsStrictAbortsBrokenLeavesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		tn := newTenant(t, db, "musterstadt")
		c := &Catalog{DB: db}
		admin := identity.System(tn.ID)

		// A broken file and a strict import of an invalid entry leave nothing.
		if _, err := importJSON(t, c, admin, fixtureJSON(false)[:200], false); !errors.Is(err, ErrMalformed) {
			t.Fatalf("broken file: err = %v, want ErrMalformed", err)
		}
		_, err := importJSON(t, c, admin, fixtureJSON(true), true)
		var ie *ImportError
		if !errors.As(err, &ie) || ie.Line != 4 || !errors.Is(err, ErrInvalid) {
			t.Fatalf("strict: err = %v, want an ImportError on line 4 wrapping ErrInvalid", err)
		}
		if n := count(t, db, "services", tn.ID); n != 0 {
			t.Fatalf("after failed imports %d services stored, want 0", n)
		}

		// A failure late in the transaction (the audit event cannot be
		// written without an actor) rolls back the services already written.
		anonymous := identity.Principal{TenantID: tn.ID, Kind: "system", Roles: []identity.Role{identity.RoleAdmin}}
		if _, err := importJSON(t, c, anonymous, fixtureJSON(false), false); err == nil {
			t.Fatal("import without an audit actor succeeded")
		}
		if n := count(t, db, "services", tn.ID); n != 0 {
			t.Fatalf("after a failed transaction %d services stored, want 0", n)
		}
		if rev, _ := c.Revision(context.Background(), tn.ID); rev != 0 {
			t.Fatalf("revision after failed imports = %d, want 0", rev)
		}

		// Without --strict the valid entries are stored and the invalid one listed.
		rep, err := importJSON(t, c, admin, fixtureJSON(true), false)
		if err != nil {
			t.Fatal(err)
		}
		want := &ImportReport{Source: SourceRathaus, Read: 3, Created: 2, Revision: 1,
			Skipped: []Skipped{{Line: 4, Element: "services[2] external_id=A3", Reason: `invalid service: LeiKa key "123" is not 14 digits`}}}
		if diff := cmp.Diff(want, rep); diff != "" {
			t.Errorf("import report (-want +got):\n%s", diff)
		}

		// The same file again changes nothing; a changed entry is a new version.
		rep, err = importJSON(t, c, admin, fixtureJSON(false), false)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Created != 0 || rep.Updated != 0 || rep.Unchanged != 2 || rep.Revision != 1 {
			t.Errorf("re-import: %+v, want 2 unchanged at revision 1", rep)
		}
		clk.Advance(time.Hour)
		rep, err = importJSON(t, c, admin, strings.Replace(fixtureJSON(false), "Sperrmüll anmelden", "Sperrmüll abholen lassen", 1), false)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Updated != 1 || rep.Unchanged != 1 || rep.Revision != 2 {
			t.Errorf("changed import: %+v, want 1 updated, 1 unchanged at revision 2", rep)
		}
		ref := Ref(SourceRathaus, "A2", "Sperrmüll anmelden")
		h, err := c.Versions(context.Background(), admin, tn.ID, ref)
		if err != nil {
			t.Fatal(err)
		}
		if h.Version != 2 || len(h.Changes) != 1 || h.Changes[0].Change != ChangeImport || h.Changes[0].Document.Name != "Sperrmüll anmelden" {
			t.Errorf("history after changed import = %+v", h)
		}
	})
}

func TestEditIsVersionedAuditedAndValidated(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		tn := newTenant(t, db, "musterstadt")
		c := &Catalog{DB: db}
		if _, err := importJSON(t, c, identity.System(tn.ID), fixtureJSON(false), false); err != nil {
			t.Fatal(err)
		}
		ref := Ref(SourceRathaus, "A1", "Hundesteuer")
		st, err := c.Get(ctx, tn.ID, strings.ToLower(ref))
		if err != nil {
			t.Fatal(err)
		}
		fm := principal(tn, "U-FORM-0001", identity.RoleFormManager)

		edited := st.Service
		edited.YearlyCaseVolume = 1400
		edited.Summary = "Melden Sie Ihren Hund zur Hundesteuer an."
		clk.Advance(24 * time.Hour)
		got, err := c.Update(ctx, fm, tn.ID, ref, 1, edited)
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != 2 || got.YearlyCaseVolume != 1400 || got.UpdatedBy != "U-FORM-0001" {
			t.Errorf("after edit: version %d, volume %d, by %s", got.Version, got.YearlyCaseVolume, got.UpdatedBy)
		}
		h, err := c.Versions(ctx, principal(tn, "U-CW-0001", identity.RoleCaseWorker), tn.ID, ref)
		if err != nil {
			t.Fatal(err)
		}
		wantChange := Change{Version: 1, Change: ChangeEdit, ChangedBy: "U-FORM-0001", ChangedAt: dbtest.Epoch.Add(24 * time.Hour), Document: st.Service}
		if diff := cmp.Diff([]Change{wantChange}, h.Changes); diff != "" {
			t.Errorf("versions (-want +got):\n%s", diff)
		}
		entries, err := audit.List(ctx, db, tn.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range entries {
			actions = append(actions, e.Action+" "+e.ObjectRef+" "+e.After)
		}
		wantAudit := "catalog.service.update " + ref + ` {"changed":["summary","yearly_case_volume"],"version":2}`
		found := false
		for _, a := range actions {
			found = found || a == wantAudit
		}
		if !found {
			t.Errorf("audit trail %q lacks %q", actions, wantAudit)
		}
		if res, err := audit.Verify(ctx, db, tn.ID); err != nil || !res.OK {
			t.Errorf("audit chain: %+v, %v", res, err)
		}

		// Refused edits change nothing.
		bad := edited
		bad.Name = " "
		bad.YearlyCaseVolume = -3
		bad.Availability = "sometimes"
		tests := []struct {
			name   string
			p      identity.Principal
			ver    int
			in     Service
			status int
			fields []string
		}{
			{"invalid", fm, 0, bad, 422, []string{"name", "online_availability", "yearly_case_volume"}},
			{"stale version", fm, 1, edited, 409, nil},
			{"other id", fm, 0, Service{ID: "L-0000-0000", Name: "x", Availability: AvailabilityInformation}, 422, []string{"id"}},
			{"case worker", principal(tn, "U-CW-0001", identity.RoleCaseWorker), 0, edited, 404, nil},
			{"citizen", identity.Principal{TenantID: tn.ID, Ref: "U-PAUL-0001", Kind: "citizen"}, 0, edited, 404, nil},
			{"other tenant's admin", identity.Principal{TenantID: tn.ID + 1000, Ref: "U-X", Kind: "staff", Roles: []identity.Role{identity.RoleAdmin}}, 0, edited, 404, nil},
		}
		for _, tc := range tests {
			_, err := c.Update(ctx, tc.p, tn.ID, ref, tc.ver, tc.in)
			if got := web.StatusOf(err); got != tc.status {
				t.Errorf("%s: status %d (%v), want %d", tc.name, got, err, tc.status)
			}
			if ve, ok := fault.AsValidation(err); ok {
				var fields []string
				for _, f := range ve.Errors {
					fields = append(fields, f.Field)
				}
				if diff := cmp.Diff(tc.fields, fields, sortStrings); diff != "" {
					t.Errorf("%s: fields (-want +got):\n%s", tc.name, diff)
				}
			}
		}
		if n := count(t, db, "service_versions", tn.ID); n != 1 {
			t.Errorf("%d versions stored after refused edits, want 1", n)
		}
		// Re-saving the same document stores no version.
		if got, err := c.Update(ctx, fm, tn.ID, ref, 2, edited); err != nil || got.Version != 2 {
			t.Errorf("unchanged edit: %+v, %v", got, err)
		}
	})
}

func TestTenantsNeverSeeEachOthersServices(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		a, b := newTenant(t, db, "musterstadt"), newTenant(t, db, "nachbarstadt")
		c := &Catalog{DB: db}
		if _, err := importJSON(t, c, identity.System(a.ID), fixtureJSON(false), false); err != nil {
			t.Fatal(err)
		}
		ref := Ref(SourceRathaus, "A1", "Hundesteuer")
		if res, err := c.Find(ctx, a.ID, Query{Text: "Hund"}); err != nil || len(res.Hits) == 0 {
			t.Fatalf("A finds nothing: %v", err)
		}
		if res, err := c.Find(ctx, b.ID, Query{Text: "Hund"}); err != nil || len(res.Hits) != 0 {
			t.Errorf("B finds A's services: %+v, %v", res.Hits, err)
		}
		if _, err := c.Get(ctx, b.ID, ref); !errors.Is(err, web.ErrNotFound) {
			t.Errorf("B reads A's service: %v", err)
		}
		bAdmin := principal(b, "U-B-ADMIN", identity.RoleAdmin)
		if _, err := c.Update(ctx, bAdmin, b.ID, ref, 0, Service{Name: "übernommen", Availability: AvailabilityInformation}); web.StatusOf(err) != 404 {
			t.Errorf("B's admin edits A's service: %v, want 404", err)
		}
		if _, err := c.Versions(ctx, bAdmin, b.ID, ref); web.StatusOf(err) != 404 {
			t.Errorf("B's admin reads A's history: %v, want 404", err)
		}
		if _, err := c.Update(ctx, bAdmin, a.ID, ref, 0, Service{Name: "übernommen", Availability: AvailabilityInformation}); web.StatusOf(err) != 404 {
			t.Errorf("B's admin edits in A: %v, want 404", err)
		}
		if _, err := c.Import(ctx, bAdmin, a.ID, SourceRathaus, &ImportResult{}); web.StatusOf(err) != 404 {
			t.Errorf("B's admin imports into A: %v, want 404", err)
		}
		all, _ := c.All(ctx, a.ID)
		if len(all) != 2 || all[0].Name != "Hundesteuer" {
			t.Errorf("A's catalog changed: %+v", all)
		}
	})
}

// TestIndexFollowsRevisionAcrossInstances: two Catalogs on one database
// (two processes serving one tenant) see each other's changes on the next
// search.
func TestIndexFollowsRevisionAcrossInstances(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		tn := newTenant(t, db, "musterstadt")
		one, two := &Catalog{DB: db}, &Catalog{DB: db}
		names := func(c *Catalog, q string) []string {
			t.Helper()
			res, err := c.Find(ctx, tn.ID, Query{Text: q})
			if err != nil {
				t.Fatal(err)
			}
			out := []string{}
			for _, h := range res.Hits {
				out = append(out, h.Name)
			}
			return out
		}
		if got := names(one, "Hund"); len(got) != 0 {
			t.Fatalf("empty catalog finds %v", got)
		}
		f0, _ := one.Finder(ctx, tn.ID)
		if _, err := importJSON(t, two, identity.System(tn.ID), fixtureJSON(false), false); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"Hundesteuer"}, names(one, "Hund")); diff != "" {
			t.Errorf("instance one after import by two (-want +got):\n%s", diff)
		}
		f1, _ := one.Finder(ctx, tn.ID)
		if f1 == f0 {
			t.Error("finder not rebuilt after the revision changed")
		}
		if f2, _ := one.Finder(ctx, tn.ID); f2 != f1 {
			t.Error("finder rebuilt although the revision did not change")
		}
		st, _ := two.Get(ctx, tn.ID, Ref(SourceRathaus, "A1", "Hundesteuer"))
		ed := st.Service
		ed.Name = "Steuer für Vierbeiner"
		ed.Keywords = []string{"Hund", "Vierbeiner"}
		if _, err := two.Update(ctx, identity.System(tn.ID), tn.ID, ed.ID, 0, ed); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"Steuer für Vierbeiner"}, names(one, "Vierbeiner")); diff != "" {
			t.Errorf("instance one after edit by two (-want +got):\n%s", diff)
		}
	})
}

func TestSeedDemoOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		tn := newTenant(t, db, "musterstadt")
		c := &Catalog{DB: db}
		for range 2 {
			if err := SeedDemo(ctx, c, tn.ID); err != nil {
				t.Fatal(err)
			}
		}
		fed, err := FederalCatalog(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// 287 Munich + Hundesteuer, and the federal entries whose key no
		// city service carries.
		want := len(WithFederal(mustDemoFinder(t).Services(), fed.Services))
		if n := count(t, db, "services", tn.ID); n != want || n < 5000 {
			t.Errorf("%d services after seeding twice, want %d", n, want)
		}
		if rev, _ := c.Revision(ctx, tn.ID); rev != 2 {
			t.Errorf("revision %d after seeding twice, want 2 (city, federal)", rev)
		}
		res, err := c.Find(ctx, tn.ID, Query{Text: "Steuer für meinen Hund", Limit: 3})
		if err != nil || len(res.Hits) == 0 || res.Hits[0].Name != "Hundesteuer" {
			t.Errorf("Hundesteuer not found first: %+v, %v", res.Hits, err)
		}
	})
}

var sortStrings = cmpopts.SortSlices(func(a, b string) bool { return a < b })

// TestLeikaEntriesCoveredByOwnServicesAreLeftOut: the federal description
// of a service the city offers itself is not stored a second time.
func TestLeikaEntriesCoveredByOwnServicesAreLeftOut(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		tn := newTenant(t, db, "musterstadt")
		c := &Catalog{DB: db}
		sys := identity.System(tn.ID)
		if _, err := importJSON(t, c, sys, fixtureJSON(false), false); err != nil {
			t.Fatal(err)
		}
		federal := func(key, name string) Service {
			return Service{ID: Ref(SourceLeika, key), Source: SourceLeika, ExternalID: key, LeikaKeys: []string{key}, Name: name, Availability: AvailabilityInformation}
		}
		res := &ImportResult{Read: 2, Services: []Service{federal("99102013000000", "Hundesteuer Festsetzung"), federal("99050012104000", "Sperrmüll Abholung")}}
		rep, err := c.Import(context.Background(), sys, tn.ID, SourceLeika, res)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Created != 1 || rep.Covered != 1 {
			t.Errorf("LeiKa import: %+v, want 1 created and 1 covered by the city's own service", rep)
		}
		all, _ := c.All(context.Background(), tn.ID)
		var names []string
		for _, s := range all {
			names = append(names, s.Name)
		}
		if diff := cmp.Diff([]string{"Hundesteuer", "Sperrmüll anmelden", "Sperrmüll Abholung"}, names); diff != "" {
			t.Errorf("catalog (-want +got):\n%s", diff)
		}
	})
}

// TestFindWhileTheCatalogChanges: searches running while another
// instance edits always get a finder (the previous or the new one), and
// end on the latest revision.
func TestFindWhileTheCatalogChanges(t *testing.T) {
	db := dbtest.OpenSQLite(t, clock.NewFake(dbtest.Epoch))
	ctx := context.Background()
	tn := newTenant(t, db, "musterstadt")
	reader, writer := &Catalog{DB: db}, &Catalog{DB: db}
	if _, err := importJSON(t, writer, identity.System(tn.ID), fixtureJSON(false), false); err != nil {
		t.Fatal(err)
	}
	ref := Ref(SourceRathaus, "A1", "Hundesteuer")
	done := make(chan struct{})
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			for {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				res, err := reader.Find(ctx, tn.ID, Query{Text: "Hund"})
				if err == nil && len(res.Hits) != 1 {
					err = errors.New("the dog tax is not found while it is being edited")
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for i := range 20 {
		st, err := writer.Get(ctx, tn.ID, ref)
		if err != nil {
			t.Fatal(err)
		}
		ed := st.Service
		ed.YearlyCaseVolume = i + 1
		if _, err := writer.Update(ctx, identity.System(tn.ID), tn.ID, ref, 0, ed); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	f, err := reader.Finder(ctx, tn.ID)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := f.Service(ref); s.YearlyCaseVolume != 20 {
		t.Errorf("finder after the edits has volume %d, want 20", s.YearlyCaseVolume)
	}
}
