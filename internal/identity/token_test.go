package identity

import (
	"context"
	"errors"
	"testing"

	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
	"github.com/rathaus/rathaus/internal/platform/fault"
)

// TestPersonalTokensActAsTheirAccount: a personal token is the person —
// their account id, kind and current roles — while an integration token is
// never a person; only the person (signed in) or the system creates one,
// only the owner (or an admin) revokes it, and nobody else sees it.
func TestPersonalTokensActAsTheirAccount(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		s := &Service{DB: db}
		tn, err := s.CreateTenant(ctx, Tenant{Slug: "stadt-a", Name: "Stadt A", IsDefault: true, Settings: Settings{FederalState: "BY"}})
		if err != nil {
			t.Fatal(err)
		}
		other, err := s.CreateTenant(ctx, Tenant{Slug: "stadt-b", Name: "Stadt B", Hosts: []string{"b.example"}, Settings: Settings{FederalState: "BY"}})
		if err != nil {
			t.Fatal(err)
		}
		sys := System(tn.ID)
		karla, err := s.CreateStaff(ctx, sys, tn.ID, "karla@a.example", "Karla Kasse", "karlas-passwort-1", []Role{RoleFinance})
		if err != nil {
			t.Fatal(err)
		}
		fritz, err := s.CreateStaff(ctx, sys, tn.ID, "fritz@a.example", "Fritz Kasse", "fritzs-passwort-1", []Role{RoleFinance})
		if err != nil {
			t.Fatal(err)
		}
		paul, err := s.CreateCitizen(ctx, sys, tn.ID, "citizen", "paul@example.org", "Paul", "pauls-passwort-12")
		if err != nil {
			t.Fatal(err)
		}

		// The system seeds a fixed secret; the token acts as Karla.
		const fixed = "rh_fixed_secret_for_karla"
		_, ktok, err := s.CreatePersonalToken(ctx, sys, tn.ID, karla.Ref, "demo", fixed)
		if err != nil {
			t.Fatal(err)
		}
		p, err := s.Authenticate(ctx, tn.ID, fixed)
		if err != nil {
			t.Fatal(err)
		}
		if !p.IsPerson() || p.Ref != karla.Ref || p.Kind != "staff" || !p.Has(RoleFinance) || p.Via != ktok.Ref {
			t.Errorf("Karla's token acts as %+v", p)
		}
		// Roles are the account's at the time of the request.
		if err := s.SetRoles(ctx, sys, tn.ID, karla.Ref, []Role{RoleCaseWorker}); err != nil {
			t.Fatal(err)
		}
		if p, _ := s.Authenticate(ctx, tn.ID, fixed); p.Has(RoleFinance) || !p.Has(RoleCaseWorker) {
			t.Errorf("after the role change the token has %v", p.Roles)
		}
		if _, err := s.Authenticate(ctx, other.ID, fixed); !errors.Is(err, fault.ErrUnauthorized) {
			t.Errorf("token of A accepted by B: %v", err)
		}

		// Fritz signed in creates his own; not one for Karla, not through a
		// token, and not with a secret of his choosing.
		fritzP := Principal{TenantID: tn.ID, AccountID: accountID(t, db, fritz.Ref), Ref: fritz.Ref, Kind: "staff", Roles: []Role{RoleFinance}}
		fsecret, ftok, err := s.CreatePersonalToken(ctx, fritzP, tn.ID, fritz.Ref, "demo", "")
		if err != nil {
			t.Fatal(err)
		}
		if fp, err := s.Authenticate(ctx, tn.ID, fsecret); err != nil || fp.Ref != fritz.Ref {
			t.Errorf("Fritz's token: %+v, %v", fp, err)
		}
		if _, _, err := s.CreatePersonalToken(ctx, fritzP, tn.ID, karla.Ref, "for-karla", ""); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("Fritz made a token for Karla: %v", err)
		}
		viaToken := fritzP
		viaToken.Via = ftok.Ref
		if _, _, err := s.CreatePersonalToken(ctx, viaToken, tn.ID, fritz.Ref, "second", ""); !errors.Is(err, fault.ErrForbidden) {
			t.Errorf("a token made a token: %v", err)
		}
		if _, _, err := s.CreatePersonalToken(ctx, fritzP, tn.ID, fritz.Ref, "chosen", "rh_my_own_chosen_secret"); !fault.HasCode(err, "secret", "invalid") {
			t.Errorf("Fritz chose his secret: %v", err)
		}
		if _, _, err := s.CreatePersonalToken(ctx, fritzP, tn.ID, fritz.Ref, "demo", ""); !fault.HasCode(err, "name", "duplicate") {
			t.Errorf("second token of Fritz named demo: %v", err)
		}
		if _, _, err := s.CreatePersonalToken(ctx, fritzP, tn.ID, fritz.Ref, " ", ""); !fault.HasCode(err, "name", "required") {
			t.Errorf("token without a name: %v", err)
		}

		// Each sees only their own; Fritz cannot revoke Karla's.
		karlaP := Principal{TenantID: tn.ID, AccountID: accountID(t, db, karla.Ref), Ref: karla.Ref, Kind: "staff"}
		if list, err := s.PersonalTokens(ctx, fritzP, tn.ID); err != nil || len(list) != 1 || list[0].Ref != ftok.Ref {
			t.Errorf("Fritz's tokens: %+v, %v", list, err)
		}
		if err := s.RevokePersonalToken(ctx, fritzP, tn.ID, ktok.Ref); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("Fritz revoked Karla's token: %v", err)
		}
		if err := s.RevokePersonalToken(ctx, karlaP, tn.ID, ktok.Ref); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, tn.ID, fixed); !errors.Is(err, fault.ErrUnauthorized) {
			t.Errorf("revoked token accepted: %v", err)
		}

		// A citizen's token is the citizen, without staff roles.
		csecret, _, err := s.CreatePersonalToken(ctx, sys, tn.ID, paul.Ref, "app", "")
		if err != nil {
			t.Fatal(err)
		}
		if cp, err := s.Authenticate(ctx, tn.ID, csecret); err != nil || cp.Kind != "citizen" || len(cp.Roles) != 0 || !cp.IsPerson() {
			t.Errorf("citizen token: %+v, %v", cp, err)
		}
		// Deleting the account ends its tokens.
		sess := &Session{TenantID: tn.ID, AccountID: accountID(t, db, paul.Ref), AccountRef: paul.Ref, Kind: "citizen"}
		if err := s.DeleteAccount(ctx, sess); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, tn.ID, csecret); !errors.Is(err, fault.ErrUnauthorized) {
			t.Errorf("token of a deleted account accepted: %v", err)
		}

		// An integration token is never a person.
		isecret, _, err := s.CreateToken(ctx, sys, tn.ID, RoleFinance, "kasse", "")
		if err != nil {
			t.Fatal(err)
		}
		ip, err := s.Authenticate(ctx, tn.ID, isecret)
		if err != nil || ip.IsPerson() || ip.Kind != "token" || !ip.Has(RoleFinance) {
			t.Errorf("integration token: %+v, %v", ip, err)
		}
		// Admins see every token with its owner.
		all, err := s.Tokens(ctx, sys, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		owners := map[string]string{}
		for _, k := range all {
			owners[k.Name+"/"+k.Account] = k.AccountName
		}
		if owners["demo/"+karla.Ref] != "Karla Kasse" || owners["demo/"+fritz.Ref] != "Fritz Kasse" || len(all) != 4 {
			t.Errorf("admin's list: %+v", all)
		}
	})
}

func accountID(t *testing.T, db *database.DB, ref string) int64 {
	t.Helper()
	var id int64
	if err := db.R.QueryRow(`SELECT id FROM accounts WHERE ref = $1`, ref).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}
