package inbox

import (
	"context"
	"strings"
	"testing"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/blobtest"
	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
	"github.com/rathaus/rathaus/internal/platform/leitweg"
)

// world is a tenant with a routed unit, two finance clerks (members of
// every unit), a case worker of the unit and one of another unit.
type world struct {
	s                *Service
	db               *database.DB
	clk              *clock.Fake
	t                *identity.Tenant
	unit, other      string // unit refs: Bauamt (routed), Ordnungsamt
	clerkA, clerkB   identity.Principal
	worker, outsider identity.Principal
	token            identity.Principal // integration token with the finance role
	system           identity.Principal
}

const demoLeitweg = "09162000-MUSTERSTADT-10"

func newWorld(t *testing.T, db *database.DB, clk *clock.Fake) *world { return newWorldTB(t, db, clk) }

func newWorldTB(t testing.TB, db *database.DB, clk *clock.Fake) *world {
	t.Helper()
	ctx := context.Background()
	ids := &identity.Service{DB: db}
	tn, err := ids.CreateTenant(ctx, identity.Tenant{Slug: "musterstadt", Name: "Musterstadt", IsDefault: true, Settings: identity.Settings{
		FederalState: "BY", LeitwegID: demoLeitweg, MailFrom: "rathaus@musterstadt.example",
		Creditor: identity.Creditor{Name: "Stadtkasse Musterstadt", IBAN: "DE89370400440532013000", BIC: "COBADEFFXXX"}}})
	if err != nil {
		t.Fatal(err)
	}
	blobs := blobtest.Open(t) // a bucket of a real S3 server under make test-s3
	w := &world{s: &Service{DB: db, Blobs: blobs, Identity: ids}, db: db, clk: clk, t: tn, system: identity.System(tn.ID)}
	sys := identity.System(tn.ID)
	u1, err := ids.CreateUnit(ctx, sys, tn.ID, "Bauamt", "")
	if err != nil {
		t.Fatal(err)
	}
	u2, err := ids.CreateUnit(ctx, sys, tn.ID, "Ordnungsamt", "")
	if err != nil {
		t.Fatal(err)
	}
	w.unit, w.other = u1.Ref, u2.Ref
	person := func(email string, role identity.Role, units ...string) identity.Principal {
		a, err := ids.CreateStaff(ctx, sys, tn.ID, email, email, "a-long-test-password", []identity.Role{role})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range units {
			if err := ids.AddMember(ctx, sys, tn.ID, u, a.Ref); err != nil {
				t.Fatal(err)
			}
		}
		var id int64
		if err := db.R.QueryRow(`SELECT id FROM accounts WHERE ref = $1`, a.Ref).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return identity.Principal{TenantID: tn.ID, AccountID: id, Ref: a.Ref, Kind: "staff", Roles: []identity.Role{role}}
	}
	w.clerkA = person("kasse1@musterstadt.example", identity.RoleFinance, w.unit, w.other)
	w.clerkB = person("kasse2@musterstadt.example", identity.RoleFinance, w.unit, w.other)
	w.worker = person("bau@musterstadt.example", identity.RoleCaseWorker, w.unit)
	w.outsider = person("ordnung@musterstadt.example", identity.RoleCaseWorker, w.other)
	w.token = identity.Principal{TenantID: tn.ID, Ref: "K-TEST-0001", Kind: "token", Roles: []identity.Role{identity.RoleFinance}}
	if _, err := w.s.SetRoute(ctx, sys, tn.ID, demoLeitweg, w.unit); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) submit(t *testing.T, s Sample) *Invoice {
	t.Helper()
	inv, err := w.s.Submit(context.Background(), w.token, w.t.ID, Submission{Channel: ChannelAPI, Data: SampleXML(s), ContentType: "application/xml"})
	if err != nil {
		t.Fatalf("submit %s: %v", s.Number, err)
	}
	return inv
}

func count(t *testing.T, db *database.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.R.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func each(t *testing.T, fn func(t *testing.T, w *world)) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		fn(t, newWorld(t, db, clk))
	})
}

func leitwegCheck(body string) string { return leitweg.CheckDigits(body) }

func (w *world) principal(p interface{}) identity.Principal { return p.(identity.Principal) }

func contains(s, sub string) bool { return strings.Contains(s, sub) }

type identityTenant = identity.Tenant

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func scheduleNow(w *world, mb *Mailbox) error {
	return database.WithTx(context.Background(), w.db, func(tx *database.Tx) error { return SchedulePoll(tx, w.t.ID, tx.Now(), mb.Interval) })
}
