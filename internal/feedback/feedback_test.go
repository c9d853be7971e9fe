package feedback

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/i18n"
	"github.com/rathaus/rathaus/internal/platform/ratelimit"
)

func TestValidate(t *testing.T) {
	long := func(n int) string { return strings.Repeat("ä", n) }
	tests := []struct {
		name string
		in   Feedback
		want []string // field:code, in form order
	}{
		{"message only", Feedback{Message: "Kontrast zu schwach"}, nil},
		{"all fields", Feedback{Message: "x", Page: "/impressum", Name: "Paul", Email: "paul@example.org"}, nil},
		{"empty", Feedback{}, []string{"message:required"}},
		{"blank message", Feedback{Message: "  \n "}, []string{"message:required"}},
		{"message at limit", Feedback{Message: long(5000)}, nil},
		{"message too long", Feedback{Message: long(5001)}, []string{"message:too_long"}},
		{"everything wrong", Feedback{Page: long(501), Name: long(201), Email: "paul"}, []string{"message:required", "page:too_long", "name:too_long", "email:invalid_email"}},
		{"email with name part", Feedback{Message: "x", Email: "Paul <paul@example.org>"}, []string{"email:invalid_email"}},
		{"email without domain dot", Feedback{Message: "x", Email: "paul@localhost"}, []string{"email:invalid_email"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Lang = i18n.De
			var got []string
			if v := tt.in.Normalize().Validate(); v != nil {
				for _, e := range v.Errors {
					got = append(got, e.Field+":"+e.Code)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("invalid fields (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSubmitAndList: valid feedback is stored and listed for admins only;
// invalid feedback and a flood from one address store nothing.
func TestSubmitAndList(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		ids := &identity.Service{DB: db}
		tn, err := ids.CreateTenant(ctx, identity.Tenant{Slug: "musterstadt", Name: "Musterstadt", Hosts: []string{"m.example"}, Settings: identity.Settings{FederalState: "BY"}})
		if err != nil {
			t.Fatal(err)
		}
		s := &Service{DB: db, Limiter: ratelimit.New(db, true)}
		if _, err := s.Submit(ctx, tn.ID, Feedback{Message: " ", Lang: i18n.De}, "198.51.100.1"); !fault.HasCode(err, "message", "required") {
			t.Errorf("empty message: %v", err)
		}
		for i := range PerAddress.Limit {
			if _, err := s.Submit(ctx, tn.ID, Feedback{Message: "Barriere " + string(rune('A'+i)), Lang: i18n.En}, "198.51.100.1"); err != nil {
				t.Fatalf("message %d: %v", i+1, err)
			}
		}
		var rl *fault.RateLimited
		if _, err := s.Submit(ctx, tn.ID, Feedback{Message: "noch eine", Lang: i18n.De}, "198.51.100.1"); !errors.As(err, &rl) {
			t.Errorf("message beyond the address's limit: %v", err)
		}
		if _, err := s.Submit(ctx, tn.ID, Feedback{Message: "von woanders", Lang: i18n.De}, "198.51.100.2"); err != nil {
			t.Errorf("another address: %v", err)
		}
		list, err := s.List(ctx, identity.System(tn.ID), tn.ID, 100)
		if err != nil || len(list) != PerAddress.Limit+1 || list[0].Message != "von woanders" {
			t.Errorf("list: %d entries, %v", len(list), err)
		}
		worker := identity.Principal{TenantID: tn.ID, AccountID: 1, Ref: "U-X", Kind: "staff", Roles: []identity.Role{identity.RoleCaseWorker}}
		if _, err := s.List(ctx, worker, tn.ID, 100); !errors.Is(err, fault.ErrForbidden) {
			t.Errorf("case worker listed feedback: %v", err)
		}
		if _, err := s.List(ctx, identity.System(tn.ID+1), tn.ID, 100); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("another tenant listed feedback: %v", err)
		}
	})
}
