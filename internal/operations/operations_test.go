package operations

import (
	"context"
	"errors"
	"testing"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
	"github.com/rathaus/rathaus/internal/platform/fault"
)

// TestRolesAreCheckedInTheUseCases: admins see jobs and the audit trail,
// records officers only the audit trail, others nothing; another tenant's
// principal learns nothing.
func TestRolesAreCheckedInTheUseCases(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		tn, err := (&identity.Service{DB: db}).CreateTenant(ctx, identity.Tenant{Slug: "stadt", Name: "Stadt", Hosts: []string{"s.example"}, Settings: identity.Settings{FederalState: "BY"}})
		if err != nil {
			t.Fatal(err)
		}
		s := &Service{DB: db}
		as := func(roles ...identity.Role) identity.Principal {
			return identity.Principal{TenantID: tn.ID, AccountID: 7, Ref: "U-TEST", Kind: "staff", Roles: roles}
		}
		admin, records, worker := as(identity.RoleAdmin), as(identity.RoleRecordsOfficer), as(identity.RoleCaseWorker)
		if list, err := s.Jobs(ctx, admin, tn.ID, "dead", 100); err != nil || list == nil {
			t.Errorf("admin's jobs: %v %v", list, err)
		}
		if _, err := s.Jobs(ctx, records, tn.ID, "dead", 100); !errors.Is(err, fault.ErrForbidden) {
			t.Errorf("records officer's jobs: %v", err)
		}
		if _, err := s.Jobs(ctx, admin, tn.ID, "lost", 0); !fault.HasCode(err, "status", "invalid_choice") || !fault.HasCode(err, "limit", "out_of_range") {
			t.Errorf("bad status and limit: %v", err)
		}
		if entries, err := s.AuditTrail(ctx, records, tn.ID, 10); err != nil || len(entries) != 1 || entries[0].Action != "tenant.create" {
			t.Errorf("records officer's audit trail: %+v %v", entries, err)
		}
		if res, err := s.VerifyAudit(ctx, records, tn.ID); err != nil || !res.OK {
			t.Errorf("verify: %+v %v", res, err)
		}
		for _, p := range []identity.Principal{worker, {TenantID: tn.ID + 1, Roles: []identity.Role{identity.RoleAdmin}}} {
			if _, err := s.AuditTrail(ctx, p, tn.ID, 10); err == nil {
				t.Errorf("%+v read the audit trail", p)
			}
			if _, err := s.VerifyAudit(ctx, p, tn.ID); err == nil {
				t.Errorf("%+v verified the audit trail", p)
			}
		}
	})
}
