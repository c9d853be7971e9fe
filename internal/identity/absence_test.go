package identity

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
	"github.com/rathaus/rathaus/internal/platform/fault"
)

func TestAbsenceAndSubstitutes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		s := &Service{DB: db}
		tn, err := s.CreateTenant(ctx, Tenant{Slug: "musterstadt", Name: "Musterstadt", Settings: Settings{FederalState: "BY"}})
		if err != nil {
			t.Fatal(err)
		}
		sys := System(tn.ID)
		staff := map[string]*Account{}
		ids := map[string]int64{}
		for _, n := range []string{"mueller", "schmidt", "weber", "leitung"} {
			role := RoleCaseWorker
			if n == "leitung" {
				role = RoleUnitHead
			}
			a, err := s.CreateStaff(ctx, sys, tn.ID, n+"@musterstadt.example", n, "ein-langes-passwort-123", []Role{role})
			if err != nil {
				t.Fatal(err)
			}
			staff[n] = a
			var id int64
			db.R.QueryRow(`SELECT id FROM accounts WHERE ref = $1`, a.Ref).Scan(&id)
			ids[n] = id
		}
		person := func(n string) Principal {
			a := staff[n]
			return Principal{TenantID: tn.ID, AccountID: ids[n], Ref: a.Ref, Kind: "staff", Roles: a.Roles}
		}
		now := clk.Now()
		sub := func(n string, at time.Time) int64 {
			t.Helper()
			id, err := s.SubstituteFor(ctx, tn.ID, ids[n], at)
			if err != nil {
				t.Fatal(err)
			}
			return id
		}

		// Present: the person acts for themselves.
		if got := sub("mueller", now); got != ids["mueller"] {
			t.Fatalf("present: SubstituteFor = %d, want %d", got, ids["mueller"])
		}
		// A case worker may not mark a colleague absent; a unit head may.
		if _, err := s.SetAbsence(ctx, person("schmidt"), tn.ID, staff["mueller"].Ref, now, now.Add(48*time.Hour), ""); !errors.Is(err, fault.ErrForbidden) {
			t.Fatalf("colleague sets absence: %v, want forbidden", err)
		}
		// Bad periods are refused at the field.
		if _, err := s.SetAbsence(ctx, person("mueller"), tn.ID, staff["mueller"].Ref, now, now.Add(-time.Hour), ""); !fault.HasCode(err, "ends_at", "ends_before_start") {
			t.Fatalf("end before start: %v", err)
		}
		if _, err := s.SetAbsence(ctx, person("mueller"), tn.ID, staff["mueller"].Ref, now, now.Add(time.Hour), staff["mueller"].Ref); !fault.HasCode(err, "substitute_id", "substitute_self") {
			t.Fatalf("own substitute: %v", err)
		}
		// Frau Müller is away tomorrow for a week; Schmidt stands in.
		from, until := now.Add(24*time.Hour), now.Add(8*24*time.Hour)
		ab, err := s.SetAbsence(ctx, person("leitung"), tn.ID, staff["mueller"].Ref, from, until, staff["schmidt"].Ref)
		if err != nil {
			t.Fatal(err)
		}
		// The job that moves her work is due when the absence starts.
		var payload string
		var runAt time.Time
		if err := db.R.QueryRow(`SELECT payload, run_at FROM jobs WHERE kind = $1 AND key = $2`, AbsenceStartedJob, ab.Ref).Scan(&payload, &runAt); err != nil {
			t.Fatalf("absence job: %v", err)
		}
		var p AbsenceStarted
		json.Unmarshal([]byte(payload), &p)
		if p.Account != staff["mueller"].Ref || p.TenantID != tn.ID || !runAt.Equal(from) {
			t.Fatalf("job %s due %v, want account %s at %v", payload, runAt, staff["mueller"].Ref, from)
		}
		if got := sub("mueller", now); got != ids["mueller"] {
			t.Fatalf("before the absence: %d", got)
		}
		if got := sub("mueller", from.Add(time.Hour)); got != ids["schmidt"] {
			t.Fatalf("during the absence: %d, want Schmidt %d", got, ids["schmidt"])
		}
		if got := sub("mueller", until); got != ids["mueller"] {
			t.Fatalf("after the absence: %d", got)
		}
		// Schmidt away too, with Weber as substitute: the work goes on to Weber.
		if _, err := s.SetAbsence(ctx, person("schmidt"), tn.ID, staff["schmidt"].Ref, from, until, staff["weber"].Ref); err != nil {
			t.Fatal(err)
		}
		if got := sub("mueller", from.Add(time.Hour)); got != ids["weber"] {
			t.Fatalf("substitute away too: %d, want Weber %d", got, ids["weber"])
		}
		// A circle (Weber → Müller, all away) ends with nobody: back to the unit.
		if _, err := s.SetAbsence(ctx, person("weber"), tn.ID, staff["weber"].Ref, from, until, staff["mueller"].Ref); err != nil {
			t.Fatal(err)
		}
		if got := sub("mueller", from.Add(time.Hour)); got != 0 {
			t.Fatalf("everyone away in a circle: %d, want 0", got)
		}
		// Members shows who is away now and who stands in.
		clk.Set(from.Add(time.Hour))
		ms, err := s.Members(ctx, person("schmidt"), tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		var m *Member
		for i := range ms {
			if ms[i].Ref == staff["mueller"].Ref {
				m = &ms[i]
			}
		}
		if m == nil || !m.AbsentNow || m.SubstituteRef != staff["schmidt"].Ref || len(m.Absences) != 1 {
			t.Fatalf("member view: %+v", m)
		}
		// Cancelling ends the absence.
		if err := s.CancelAbsence(ctx, person("mueller"), tn.ID, ab.Ref); err != nil {
			t.Fatal(err)
		}
		if got := sub("mueller", from.Add(2*time.Hour)); got != ids["mueller"] {
			t.Fatalf("after cancel: %d", got)
		}
		// Another tenant's principal sees nothing.
		other := Principal{TenantID: tn.ID + 1, Ref: "x", Kind: "staff", Roles: []Role{RoleAdmin}}
		if _, err := s.SetAbsence(ctx, other, tn.ID, staff["mueller"].Ref, from, until, ""); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("other tenant: %v", err)
		}
		jobsN := 0
		db.R.QueryRow(`SELECT COUNT(*) FROM jobs WHERE kind = $1`, AbsenceStartedJob).Scan(&jobsN)
		if jobsN != 3 {
			t.Fatalf("%d absence jobs, want 3", jobsN)
		}
	})
}
