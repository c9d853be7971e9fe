package identity

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/leitweg"
	"github.com/rathaus/rathaus/internal/platform/web"
)

func TestValidators(t *testing.T) {
	for _, tt := range []struct {
		in   string
		iban bool
	}{
		{"DE89370400440532013000", true},
		{"DE89 3704 0044 0532 0130 00", true},
		{"DE89370400440532013001", false},
		{"DE8937040044053201300", false},
		{"", false},
	} {
		if got := ValidIBAN(tt.in); got != tt.iban {
			t.Errorf("ValidIBAN(%q) = %v", tt.in, got)
		}
	}
	for _, tt := range []struct {
		in string
		ok bool
	}{
		{"09162000-MUSTERSTADT-10", true},
		{"09162000-MUSTERSTADT-11", false},
		{"991-33333TEST-33", true}, // the XRechnung test suite's id
		{"abc", false},
	} {
		if got := ValidLeitwegID(tt.in); got != tt.ok {
			t.Errorf("ValidLeitwegID(%q) = %v, want %v", tt.in, got, tt.ok)
		}
	}
	bad := Settings{FederalState: "XX", Creditor: Creditor{IBAN: "DE00", BIC: "x"}, MailFrom: "nope", Address: Address{Postcode: "123"}, LeitwegID: "x"}.Validate()
	for _, f := range [][2]string{{"federal_state", "invalid_choice"}, {"creditor.iban", "invalid_iban"}, {"creditor.bic", "invalid_bic"},
		{"mail_from", "invalid_email"}, {"address.postcode", "invalid_postcode"}, {"leitweg_id", "invalid_leitweg_id"}} {
		if !bad.Has(f[0], f[1]) {
			t.Errorf("Validate: no %s for %s (got %v)", f[1], f[0], bad)
		}
	}
	if ok := (Settings{FederalState: "BY"}).Validate(); ok != nil {
		t.Errorf("valid settings: %v", ok)
	}
}

func TestTokensAreTenantBoundAndRevocable(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		s := &Service{DB: db}
		a, err := s.CreateTenant(ctx, Tenant{Slug: "stadt-a", Name: "Stadt A", IsDefault: true, Settings: Settings{FederalState: "BY"}})
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.CreateTenant(ctx, Tenant{Slug: "stadt-b", Name: "Stadt B", Hosts: []string{"b.example"}, Settings: Settings{FederalState: "NW"}})
		if err != nil {
			t.Fatal(err)
		}
		secret, tok, err := s.CreateToken(ctx, System(a.ID), a.ID, RoleFinance, "kasse", "")
		if err != nil {
			t.Fatal(err)
		}
		p, err := s.Authenticate(ctx, a.ID, secret)
		if err != nil || p.Ref != tok.Ref || !p.Has(RoleFinance) {
			t.Fatalf("Authenticate = %+v, %v", p, err)
		}
		if _, err := s.Authenticate(ctx, b.ID, secret); !errors.Is(err, web.ErrUnauthorized) {
			t.Errorf("token of A accepted by B: %v", err)
		}
		// A finance token may not create tokens; a principal of B may not touch A.
		if _, _, err := s.CreateToken(ctx, p, a.ID, RoleAdmin, "escalate", ""); !errors.Is(err, web.ErrForbidden) {
			t.Errorf("finance created a token: %v", err)
		}
		if _, err := s.Tokens(ctx, System(b.ID), a.ID); !errors.Is(err, web.ErrNotFound) {
			t.Errorf("tenant B listed A's tokens: %v", err)
		}
		if err := s.RevokeToken(ctx, System(a.ID), a.ID, tok.Ref); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, a.ID, secret); !errors.Is(err, web.ErrUnauthorized) {
			t.Errorf("revoked token accepted: %v", err)
		}
		// Host matching: a configured host (any port, any case) → its
		// tenant; any other name → not found, never the default tenant.
		for host, want := range map[string]string{"b.example:8080": "stadt-b", "B.Example.": "stadt-b", "localhost:1": "", "[::1]:80": "", "evil.example": ""} {
			got, err := s.TenantByHost(ctx, host)
			switch {
			case want == "" && !errors.Is(err, web.ErrNotFound):
				t.Errorf("TenantByHost(%q) = %v, %v; want not found", host, got, err)
			case want != "" && (err != nil || got.Slug != want):
				t.Errorf("TenantByHost(%q) = %v, %v; want %s", host, got, err, want)
			}
		}
		// Every change is in A's audit chain.
		res, _ := audit.Verify(ctx, db, a.ID)
		if !res.OK || res.Checked != 3 { // tenant.create, token.create, token.revoke
			t.Errorf("audit of A: %+v", res)
		}
	})
}

func TestUpdateSettingsValidatesAndAudits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		s := &Service{DB: db}
		a, _ := s.CreateTenant(ctx, Tenant{Slug: "stadt-a", Name: "Stadt A", Settings: Settings{FederalState: "BY"}})
		_, err := s.UpdateSettings(ctx, System(a.ID), a.ID, Settings{FederalState: "ZZ"})
		if !fault.HasCode(err, "federal_state", "invalid_choice") {
			t.Fatalf("invalid settings: err = %v", err)
		}
		next := Settings{FederalState: "BY", Creditor: Creditor{Name: "Stadtkasse", IBAN: "DE89370400440532013000", BIC: "COBADEFFXXX"}}
		if _, err := s.UpdateSettings(ctx, System(a.ID), a.ID, next); err != nil {
			t.Fatal(err)
		}
		got, _ := s.TenantBySlug(ctx, "stadt-a")
		if got.Settings.Creditor.IBAN != next.Creditor.IBAN {
			t.Errorf("settings not stored: %+v", got.Settings)
		}
		entries, _ := audit.List(ctx, db, a.ID, 1)
		if len(entries) != 1 || entries[0].Action != "tenant.settings.update" || entries[0].Before == "" {
			t.Errorf("last audit entry = %+v", entries)
		}
	})
}

func TestPasswordHash(t *testing.T) {
	h := HashPassword("korrekt-pferd-batterie")
	if !CheckPassword(h, "korrekt-pferd-batterie") || CheckPassword(h, "falsch") || CheckPassword("garbage", "x") {
		t.Error("password check wrong")
	}
}

// TestLeitwegIDBelongsToTheOperator: the tenant's own Leitweg-ID bounds
// the e-invoice routes it may set, so its admin cannot change it; the
// operator sets it, and one Grobadressierung belongs to one tenant.
func TestLeitwegIDBelongsToTheOperator(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		s := &Service{DB: db}
		a, err := s.CreateTenant(ctx, Tenant{Slug: "stadt-a", Name: "Stadt A", Settings: Settings{FederalState: "BY", LeitwegID: "09162000-musterstadt-10"}})
		if err != nil {
			t.Fatal(err)
		}
		if a.Settings.LeitwegID != "09162000-MUSTERSTADT-10" {
			t.Errorf("stored Leitweg-ID %q, want capitals", a.Settings.LeitwegID)
		}
		// Another tenant may not take the same Grobadressierung, with any Feinadressierung.
		other := "09162000-" + leitweg.CheckDigits("09162000")
		_, err = s.CreateTenant(ctx, Tenant{Slug: "stadt-b", Name: "Stadt B", Settings: Settings{FederalState: "BY", LeitwegID: other}})
		if !fault.HasCode(err, "settings.leitweg_id", "leitweg_coarse_taken") {
			t.Fatalf("create with a taken Grobadressierung: %v", err)
		}
		b, err := s.CreateTenant(ctx, Tenant{Slug: "stadt-b", Name: "Stadt B", Settings: Settings{FederalState: "BY"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetLeitwegID(ctx, System(b.ID), b.ID, other); !fault.HasCode(err, "leitweg_id", "leitweg_coarse_taken") {
			t.Errorf("set a taken Grobadressierung: %v", err)
		}
		if _, err := s.SetLeitwegID(ctx, System(b.ID), b.ID, "09162000-MUSTERSTADT-11"); !fault.HasCode(err, "leitweg_id", "invalid_leitweg_id") {
			t.Errorf("set wrong check digits: %v", err)
		}
		fuerth := "09563000-" + leitweg.CheckDigits("09563000")
		if got, err := s.SetLeitwegID(ctx, System(b.ID), b.ID, fuerth); err != nil || got.Settings.LeitwegID != fuerth {
			t.Fatalf("set own Leitweg-ID: %v %+v", err, got)
		}
		// A tenant changes its own Feinadressierung under its Grobadressierung.
		if _, err := s.SetLeitwegID(ctx, System(a.ID), a.ID, other); err != nil {
			t.Errorf("change within the own Grobadressierung: %v", err)
		}
		// An admin (a person, or an admin token) is not the operator.
		admin := Principal{TenantID: a.ID, AccountID: 1, Ref: "S-ADMIN", Kind: "staff", Roles: []Role{RoleAdmin}}
		if _, err := s.SetLeitwegID(ctx, admin, a.ID, "09162000-MUSTERSTADT-10"); !errors.Is(err, fault.ErrForbidden) {
			t.Errorf("admin sets the Leitweg-ID: %v", err)
		}
		if _, err := s.SetLeitwegID(ctx, System(b.ID), a.ID, "09162000-MUSTERSTADT-10"); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("operator of B sets A's Leitweg-ID: %v", err)
		}
		_, err = s.UpdateSettings(ctx, admin, a.ID, Settings{FederalState: "BY", LeitwegID: "09564000-" + leitweg.CheckDigits("09564000")})
		if !fault.HasCode(err, "leitweg_id", "set_by_operator") {
			t.Errorf("admin changes the Leitweg-ID through the settings: %v", err)
		}
		// The same value, in any case, or none keeps it.
		for _, keep := range []string{other, strings.ToLower(other), ""} {
			got, err := s.UpdateSettings(ctx, admin, a.ID, Settings{FederalState: "NW", LeitwegID: keep})
			if err != nil || got.Settings.LeitwegID != other {
				t.Errorf("settings with Leitweg-ID %q: %v %+v", keep, err, got)
			}
		}
		entries, _ := audit.List(ctx, db, b.ID, 1)
		if len(entries) != 1 || entries[0].Action != "tenant.leitweg_id.set" {
			t.Errorf("last audit entry of B = %+v", entries)
		}
	})
}
