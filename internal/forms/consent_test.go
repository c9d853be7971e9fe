package forms

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
	"github.com/rathaus/rathaus/internal/platform/fault"
)

// TestPrefillConsentScope: nothing is prefilled without a yes; a yes is
// recorded for that service and exactly the values offered, and applies
// to the next draft of that service without asking (once-only), never to
// another service's form; a form that asks for more than was agreed asks
// again; a withdrawn consent fills nothing; another person cannot
// withdraw it.
func TestPrefillConsentScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		w := newWorld(t, db, clk)
		ctx := context.Background()
		v := Visitor{P: w.citizen}
		start := func(service string) *Draft {
			t.Helper()
			d, _, err := w.s.StartDraft(ctx, v, w.tenant.ID, service, "de")
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		reload := func(d *Draft) *Draft {
			t.Helper()
			got, err := w.s.Draft(ctx, v, w.tenant.ID, d.Ref)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}

		// No: nothing taken over, nothing recorded.
		d := start(dogService)
		if err := w.s.DecidePrefill(ctx, w.citizen, w.tenant.ID, d.Ref, false); err != nil {
			t.Fatal(err)
		}
		if a := reload(d).Answers; len(a) != 0 {
			t.Errorf("prefilled without consent: %v", a)
		}
		if n := w.count(t, `SELECT COUNT(*) FROM prefill_consents`); n != 0 {
			t.Errorf("%d consents recorded after a no", n)
		}

		// Yes: recorded (who, when, which values, which service) and filled.
		d = start(dogService)
		if err := w.s.DecidePrefill(ctx, w.citizen, w.tenant.ID, d.Ref, true); err != nil {
			t.Fatal(err)
		}
		if a := reload(d).Answers; a["given_name"] != "Paul" || a["family_name"] != "Beispiel" {
			t.Errorf("not prefilled after yes: %v", a)
		}
		cs, err := w.s.Consents(ctx, w.citizen, w.tenant.ID)
		if err != nil || len(cs) != 1 {
			t.Fatalf("consents: %+v %v", cs, err)
		}
		if diff := cmp.Diff([]string{"address", "email", "family_name", "given_name"}, cs[0].Fields); diff != "" || cs[0].ServiceID != dogService || !cs[0].GrantedAt.Equal(clk.Now()) {
			t.Errorf("recorded consent %+v (fields -want +got):\n%s", cs[0], diff)
		}

		// Once-only: the next draft of the same service is filled without asking.
		d = start(dogService)
		if ok, err := w.s.applyConsent(ctx, w.citizen, w.tenant.ID, d); err != nil || !ok || d.Answers["given_name"] != "Paul" {
			t.Errorf("consent not applied to the next draft: %v %v %v", ok, err, d.Answers)
		}

		// Another service (its form also prefills names): not covered.
		other, err := DemoForm("bewohnerparken")
		if err != nil {
			t.Fatal(err)
		}
		f, err := w.s.CreateForm(ctx, w.manager, w.tenant.ID, NewForm{ServiceID: "L-PARK-0000", Def: other})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.s.Publish(ctx, w.manager, w.tenant.ID, f.Ref, 1); err != nil {
			t.Fatal(err)
		}
		if len(prefillKeys(other)) == 0 {
			t.Fatal("the parking form prefills nothing: the check below would be empty")
		}
		p := start("L-PARK-0000")
		if ok, err := w.s.applyConsent(ctx, w.citizen, w.tenant.ID, p); err != nil || ok || len(reload(p).Answers) != 0 {
			t.Errorf("the dog tax consent filled the parking form: %v %v %v", ok, err, reload(p).Answers)
		}

		// A new version asks for a value that was not agreed: asked again.
		def, _, err := w.s.Version(ctx, w.manager, w.tenant.ID, w.form, 1)
		if err != nil {
			t.Fatal(err)
		}
		def.Steps[0].Fields = append(def.Steps[0].Fields, Field{ID: "mobile", Type: TypePhone, Label: Text{"de": "Telefon"}, Prefill: "phone"})
		if _, err := w.s.SaveDraft(ctx, w.manager, w.tenant.ID, w.form, 1, def); err != nil {
			t.Fatal(err)
		}
		w.db.W.Exec(`UPDATE accounts SET profile = $1 WHERE id = $2`, `{"given_name":"Paul","family_name":"Beispiel","phone":"0911 1234"}`, w.citizen.AccountID)
		if err := w.s.Publish(ctx, w.manager, w.tenant.ID, w.form, 2); err != nil {
			t.Fatal(err)
		}
		d = start(dogService)
		if ok, err := w.s.applyConsent(ctx, w.citizen, w.tenant.ID, d); err != nil || ok || len(reload(d).Answers) != 0 {
			t.Errorf("a form asking for more was filled without asking: %v %v %v", ok, err, reload(d).Answers)
		}

		// Withdrawn: by someone else refused; by its owner, nothing is filled.
		eva := w.account(t, "citizen", "eva@example.org", "Eva")
		if err := w.s.WithdrawConsent(ctx, eva, w.tenant.ID, cs[0].Ref); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("someone else withdraws the consent: %v", err)
		}
		if err := w.s.WithdrawConsent(ctx, w.citizen, w.tenant.ID, cs[0].Ref); err != nil {
			t.Fatal(err)
		}
		if c, err := w.s.ConsentFor(ctx, w.citizen, w.tenant.ID, dogService); err != nil || c != nil {
			t.Errorf("live consent after withdrawal: %+v %v", c, err)
		}
		d = start(dogService)
		if ok, _ := w.s.applyConsent(ctx, w.citizen, w.tenant.ID, d); ok || len(reload(d).Answers) != 0 {
			t.Errorf("filled after withdrawal: %v", reload(d).Answers)
		}
	})
}
