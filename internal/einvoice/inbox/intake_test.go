package inbox

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/leitweg"
)

func TestSubmitRoutesAndStores(t *testing.T) {
	each(t, func(t *testing.T, w *world) {
		s := DefaultSample("RE-2026-001")
		inv := w.submit(t, s)
		if inv.Status != StatusNew || inv.Unit != w.unit || inv.UnitName != "Bauamt" || inv.Amount != "1190.00" || inv.Supplier != "Bürobedarf Schmidt GmbH" {
			t.Errorf("received %+v", inv)
		}
		if !inv.Validation.Accept || inv.Validation.Scenario == nil || !strings.Contains(*inv.Validation.Scenario, "XRechnung") {
			t.Errorf("validation %+v", inv.Validation)
		}
		if inv.Hash != sha(SampleXML(s)) || inv.Original.Type != TypeXML {
			t.Errorf("original %s %+v", inv.Hash, inv.Original)
		}
		if n := count(t, w.db, `SELECT COUNT(*) FROM blob_refs WHERE sha256 = $1 AND owner = $2`, inv.Hash, owner(inv.Ref)); n != 1 {
			t.Errorf("blob references: %d", n)
		}
		if n := count(t, w.db, `SELECT COUNT(*) FROM audit_events WHERE action = 'einvoice.receive' AND object_ref = $1`, inv.Ref); n != 1 {
			t.Errorf("audit entries: %d", n)
		}
		got, err := w.s.Get(context.Background(), w.clerkA, w.t.ID, inv.Ref)
		if err != nil || got.Document.Number != "RE-2026-001" || len(got.Steps) != 1 || got.Steps[0].Step != StepReceived {
			t.Fatalf("get: %v %+v", err, got)
		}
		// Same supplier, number and amount again: 409, nothing stored.
		_, err = w.s.Submit(context.Background(), w.clerkA, w.t.ID, Submission{Channel: ChannelAPI, Data: SampleXML(s)})
		var dup *Duplicate
		if !errors.As(err, &dup) || dup.Existing != inv.Ref || !errors.Is(err, fault.ErrConflict) {
			t.Errorf("duplicate: %v", err)
		}
		// Another number is a new invoice.
		w.submit(t, DefaultSample("RE-2026-002"))
		if n := count(t, w.db, `SELECT COUNT(*) FROM einvoice_invoices`); n != 2 {
			t.Errorf("%d invoices", n)
		}
	})
}

func TestSubmitRefusesAndStoresNothing(t *testing.T) {
	noScenario := strings.Replace(string(SampleXML(DefaultSample("X-1"))), "#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0", "#conformant#urn:factur-x.eu:1p0:extended", 1)
	missingLeitweg := DefaultSample("X-2")
	missingLeitweg.Leitweg = ""
	dtd := `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>`
	cases := []struct {
		name, data, ctype string
		rule              string // expected rule id in the rejection, "" for another kind
		kind              error
	}{
		{"rules", string(SampleXML(missingLeitweg)), "application/xml", "BR-DE-15", nil},
		{"no scenario", noScenario, "application/xml", "NO-SCENARIO", nil},
		{"dtd", dtd, "application/xml", "XML", nil},
		{"not well-formed", "<Invoice><x></Invoice>", "", "XML", nil},
		{"not an invoice", "hello", "text/plain", "", fault.ErrBadRequest},
		{"pdf without xml", "%PDF-1.4\n1 0 obj << >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF", "application/pdf", "PDF", nil},
		{"type mismatch", string(SampleXML(DefaultSample("X-3"))), "application/pdf", "", fault.ErrBadRequest},
	}
	each(t, func(t *testing.T, w *world) {
		for _, c := range cases {
			_, err := w.s.Submit(context.Background(), w.clerkA, w.t.ID, Submission{Channel: ChannelAPI, Data: []byte(c.data), ContentType: c.ctype})
			var rej *Rejection
			switch {
			case c.rule != "":
				if !errors.As(err, &rej) {
					t.Errorf("%s: %v, want a rejection", c.name, err)
					continue
				}
				found := false
				for _, m := range rej.Errors() {
					found = found || m.ID == c.rule
				}
				if !found {
					t.Errorf("%s: errors %+v lack %s", c.name, rej.Errors(), c.rule)
				}
				if _, ok := fault.AsValidation(err); !ok {
					t.Errorf("%s: a rejection is not a 422", c.name)
				}
			case !errors.Is(err, c.kind):
				t.Errorf("%s: %v, want %v", c.name, err, c.kind)
			}
		}
		if n := count(t, w.db, `SELECT COUNT(*) FROM einvoice_invoices`); n != 0 {
			t.Errorf("%d invoices stored", n)
		}
		if n := count(t, w.db, `SELECT COUNT(*) FROM blob_refs`); n != 0 {
			t.Errorf("%d blobs referenced", n)
		}
		if n := count(t, w.db, `SELECT COUNT(*) FROM audit_events WHERE action = 'einvoice.refused'`); n != len(cases) {
			t.Errorf("%d refusals audited, want %d", n, len(cases))
		}
		// Too large: refused before anything is read.
		big := make([]byte, 20<<20+1)
		if _, err := w.s.Submit(context.Background(), w.clerkA, w.t.ID, Submission{Channel: ChannelAPI, Data: big}); !errors.Is(err, fault.ErrTooLarge) {
			t.Errorf("too large: %v", err)
		}
	})
}

func TestSubmitRouting(t *testing.T) {
	each(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		check := func(leitweg, wantProblem string) {
			t.Helper()
			s := DefaultSample("L-" + leitweg)
			s.Leitweg = leitweg
			inv := w.submit(t, s)
			if inv.Status != StatusClarification || inv.RoutingProblem != wantProblem || inv.Unit != "" {
				t.Errorf("%q: %s %q %q, want clarification %s", leitweg, inv.Status, inv.RoutingProblem, inv.Unit, wantProblem)
			}
		}
		check("09162000-MUSTERSTADT-11", "leitweg_check_digits")
		check("0916200-MUSTERSTADT-10", "leitweg_format")
		check("04011000-1234512345-06", "leitweg_unknown")
		check("17162000-MUSTER-51", "leitweg_state")
		// Lower case letters are the same ID.
		s := DefaultSample("L-lower")
		s.Leitweg = "09162000-musterstadt-10"
		if inv := w.submit(t, s); inv.Unit != w.unit {
			t.Errorf("lower case Leitweg-ID not routed: %+v", inv)
		}
		// A second route of the tenant leads elsewhere.
		if _, err := w.s.SetRoute(ctx, w.clerkA, w.t.ID, "09162000-ORDNUNG-79", w.other); err == nil {
			t.Error("route with wrong check digits accepted")
		}
		id := "09162000-ORDNUNG-" + checkDigits("09162000ORDNUNG")
		if _, err := w.s.SetRoute(ctx, w.clerkA, w.t.ID, id, w.other); err != nil {
			t.Fatal(err)
		}
		s = DefaultSample("L-ordnung")
		s.Leitweg = id
		if inv := w.submit(t, s); inv.Unit != w.other {
			t.Errorf("not routed to the Ordnungsamt: %+v", inv)
		}
		// Clarification: finance assigns a unit; others may not.
		cl, err := w.s.List(ctx, w.clerkA, w.t.ID, ListClarification)
		if err != nil || len(cl) != 4 {
			t.Fatalf("clarification list: %d %v", len(cl), err)
		}
		if _, err := w.s.Assign(ctx, w.worker, w.t.ID, cl[0].Ref, 0, w.unit); !errors.Is(err, fault.ErrNotFound) && !errors.Is(err, fault.ErrForbidden) {
			t.Errorf("case worker assigned: %v", err)
		}
		got, err := w.s.Assign(ctx, w.clerkA, w.t.ID, cl[0].Ref, cl[0].Version, w.unit)
		if err != nil || got.Status != StatusNew || got.Unit != w.unit {
			t.Fatalf("assign: %v %+v", err, got)
		}
		// Another tenant's Leitweg-ID: the invoice is not ours.
		ids := w.s.Identity
		theirs := "09564000-" + checkDigits("09564000")
		b, err := ids.CreateTenant(ctx, identity.Tenant{Slug: "nachbar", Name: "Nachbarstadt", Hosts: []string{"nachbar.test"}, Settings: identity.Settings{FederalState: "BY", LeitwegID: theirs}})
		if err != nil {
			t.Fatal(err)
		}
		bu, _ := ids.CreateUnit(ctx, identity.System(b.ID), b.ID, "Kasse", "")
		if _, err := w.s.SetRoute(ctx, identity.System(b.ID), b.ID, theirs, bu.Ref); err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.SetRoute(ctx, w.clerkA, w.t.ID, theirs, w.unit); !fault.HasCode(err, "leitweg_id", "leitweg_foreign") {
			t.Errorf("route of another tenant taken: %v", err)
		}
		s = DefaultSample("L-theirs")
		s.Leitweg = theirs
		_, err = w.s.Submit(ctx, w.token, w.t.ID, Submission{Channel: ChannelAPI, Data: SampleXML(s)})
		if !fault.HasCode(err, "leitweg_id", "leitweg_other_recipient") {
			t.Errorf("invoice for another tenant: %v", err)
		}
		// The worklist counts agree with the lists, for finance and unit staff.
		for _, p := range []identity.Principal{w.clerkA, w.worker, w.outsider} {
			counts, err := w.s.Counts(ctx, p, w.t.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, wl := range Worklists {
				l, err := w.s.List(ctx, p, w.t.ID, wl)
				if err != nil || len(l) != counts[wl] {
					t.Errorf("%s list %s: %d invoices, count %d (%v)", p.Ref, wl, len(l), counts[wl], err)
				}
			}
		}
		// Tenant B cannot see tenant A's invoices.
		if _, err := w.s.Get(ctx, identity.System(b.ID), w.t.ID, got.Ref); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("other tenant reads: %v", err)
		}
		if _, err := w.s.Get(ctx, identity.System(b.ID), b.ID, got.Ref); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("other tenant reads through its own tenant: %v", err)
		}
	})
}

func checkDigits(body string) string {
	return leitwegCheck(body)
}

// TestSetRouteOwnGrobadressierung: a tenant routes only Leitweg-IDs under
// the Grobadressierung of its own Leitweg-ID, so it cannot claim another
// public body's IDs before that body sets them up; the body then routes
// its own, and invoices to them are not accepted into the first tenant.
func TestSetRouteOwnGrobadressierung(t *testing.T) {
	each(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		ids := w.s.Identity
		nuernberg := func(fine string) string { return leitweg.New("09564000", fine).String() }
		// B exists but has no Leitweg-ID yet: A (admin or finance) may not
		// claim B's IDs, nor anyone else's.
		b, err := ids.CreateTenant(ctx, identity.Tenant{Slug: "nuernberg", Name: "Nürnberg", Hosts: []string{"nuernberg.test"}, Settings: identity.Settings{FederalState: "BY"}})
		if err != nil {
			t.Fatal(err)
		}
		sysB := identity.System(b.ID)
		bu, err := ids.CreateUnit(ctx, sysB, b.ID, "Kämmerei", "")
		if err != nil {
			t.Fatal(err)
		}
		adminA := identity.Principal{TenantID: w.t.ID, Ref: "K-ADMIN-A", Kind: "token", Roles: []identity.Role{identity.RoleAdmin}}
		for _, p := range []identity.Principal{w.clerkA, adminA, w.system} {
			for _, id := range []string{nuernberg("KAEMMEREI"), nuernberg(""), leitweg.New("091620001", "X").String(), leitweg.New("09162", "").String(), "991-33333TEST-33"} {
				if _, err := w.s.SetRoute(ctx, p, w.t.ID, id, w.unit); !fault.HasCode(err, "leitweg_id", "leitweg_foreign") {
					t.Errorf("%s sets route %s of another Grobadressierung: %v", p.Ref, id, err)
				}
			}
		}
		if n := count(t, w.db, `SELECT COUNT(*) FROM einvoice_routes WHERE leitweg_id LIKE '09564000%'`); n != 0 {
			t.Errorf("%d routes of Nürnberg stored", n)
		}
		// Without an own Leitweg-ID, B routes nothing; it says what to do.
		if _, err := w.s.SetRoute(ctx, sysB, b.ID, nuernberg("KAEMMEREI"), bu.Ref); !fault.HasCode(err, "leitweg_id", "leitweg_own_missing") {
			t.Errorf("route without an own Leitweg-ID: %v", err)
		}
		// The operator gives B its Leitweg-ID; B routes its own IDs.
		if _, err := ids.SetLeitwegID(ctx, sysB, b.ID, nuernberg("")); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{nuernberg(""), nuernberg("KAEMMEREI")} {
			if _, err := w.s.SetRoute(ctx, sysB, b.ID, id, bu.Ref); err != nil {
				t.Errorf("B routes its own %s: %v", id, err)
			}
		}
		if _, err := w.s.SetRoute(ctx, w.clerkA, w.t.ID, nuernberg("KAEMMEREI"), w.unit); !fault.HasCode(err, "leitweg_id", "leitweg_foreign") {
			t.Errorf("A takes B's configured route: %v", err)
		}
		// A still routes under its own Grobadressierung.
		if _, err := w.s.SetRoute(ctx, w.clerkA, w.t.ID, leitweg.New("09162000", "BAUAMT").String(), w.unit); err != nil {
			t.Errorf("A routes its own: %v", err)
		}
		// An invoice to B sent to A is refused (and audited), not accepted.
		s := DefaultSample("L-nuernberg")
		s.Leitweg = nuernberg("KAEMMEREI")
		if _, err := w.s.Submit(ctx, w.token, w.t.ID, Submission{Channel: ChannelAPI, Data: SampleXML(s)}); !fault.HasCode(err, "leitweg_id", "leitweg_other_recipient") {
			t.Errorf("invoice to B at A: %v", err)
		}
		if n := count(t, w.db, `SELECT COUNT(*) FROM einvoice_invoices WHERE tenant_id = $1`, w.t.ID); n != 0 {
			t.Errorf("%d invoices stored at A", n)
		}
		if n := count(t, w.db, `SELECT COUNT(*) FROM audit_events WHERE tenant_id = $1 AND action = 'einvoice.refused'`, w.t.ID); n != 1 {
			t.Errorf("%d refusals audited at A", n)
		}
	})
}
