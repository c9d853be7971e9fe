package audit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
)

func newTenant(t *testing.T, db *database.DB, slug string) int64 {
	t.Helper()
	var id int64
	err := database.WithTx(context.Background(), db, func(tx *database.Tx) error {
		return tx.QueryRowContext(tx.Context(), `INSERT INTO tenants (slug, name, created_at, updated_at) VALUES ($1, $1, $2, $2) RETURNING id`, slug, tx.Now()).Scan(&id)
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func appendN(ctx context.Context, db *database.DB, tenant int64, who string, n int) error {
	for i := range n {
		err := database.WithTx(ctx, db, func(tx *database.Tx) error {
			return Append(tx, Event{TenantID: tenant, Actor: who, Action: "case.note", ObjectType: "case", ObjectRef: fmt.Sprintf("%s-%d", who, i), After: map[string]int{"i": i}})
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func TestChainVerifiesAndRollbackLeavesNoEvent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		a, b := newTenant(t, db, "stadt-a"), newTenant(t, db, "stadt-b")
		if err := appendN(ctx, db, a, "alice", 5); err != nil {
			t.Fatal(err)
		}
		if err := appendN(ctx, db, b, "bob", 3); err != nil {
			t.Fatal(err)
		}
		database.WithTx(ctx, db, func(tx *database.Tx) error {
			Append(tx, Event{TenantID: a, Actor: "x", Action: "never"})
			return errors.New("change failed")
		})
		for tenant, want := range map[int64]int64{a: 5, b: 3} {
			res, err := Verify(ctx, db, tenant)
			if err != nil {
				t.Fatal(err)
			}
			if !res.OK || res.Checked != want {
				t.Errorf("tenant %d: %+v, want ok with %d entries", tenant, res, want)
			}
		}
	})
}

func TestTamperingIsDetected(t *testing.T) {
	tamper := []struct {
		name, sql string
		seq       int64
	}{
		{"altered content", `UPDATE audit_events SET after = '{"i":99}' WHERE seq = 3 AND tenant_id = $1`, 3},
		{"altered actor", `UPDATE audit_events SET actor = 'mallory' WHERE seq = 2 AND tenant_id = $1`, 2},
		{"removed entry", `DELETE FROM audit_events WHERE seq = 4 AND tenant_id = $1`, 5},
	}
	for _, tt := range tamper {
		t.Run(tt.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
				ctx := context.Background()
				a := newTenant(t, db, "stadt-a")
				if err := appendN(ctx, db, a, "alice", 6); err != nil {
					t.Fatal(err)
				}
				if _, err := db.W.ExecContext(ctx, tt.sql, a); err != nil {
					t.Fatal(err)
				}
				res, err := Verify(ctx, db, a)
				if err != nil {
					t.Fatal(err)
				}
				if res.OK || res.Broken == nil || res.Broken.Seq != tt.seq {
					t.Errorf("got %+v (broken %+v), want first broken entry %d", res, res.Broken, tt.seq)
				}
			})
		})
	}
	t.Run("removed last entry", func(t *testing.T) {
		dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
			ctx := context.Background()
			a := newTenant(t, db, "stadt-a")
			appendN(ctx, db, a, "alice", 3)
			db.W.ExecContext(ctx, `DELETE FROM audit_events WHERE seq = 3`)
			res, _ := Verify(ctx, db, a)
			if res.OK {
				t.Errorf("truncated chain verified as OK: %+v", res)
			}
		})
	})
}

// TestTwoProcessesAppendConcurrently runs two OS processes that append to
// the same tenant's chain at the same time.
func TestTwoProcessesAppendConcurrently(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		a := newTenant(t, db, "stadt-a")
		o := db.OpenOptions()
		const each = 60
		var cmds []*exec.Cmd
		for _, who := range []string{"p1", "p2"} {
			cmd := exec.Command(os.Args[0], "-test.run=^TestChildAppender$")
			cmd.Env = append(os.Environ(), "AUDIT_CHILD="+who, "AUDIT_DATA="+o.DataDir, "AUDIT_URL="+o.URL,
				"AUDIT_TENANT="+strconv.FormatInt(a, 10), "AUDIT_N="+strconv.Itoa(each))
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			cmds = append(cmds, cmd)
		}
		for _, c := range cmds {
			if err := c.Wait(); err != nil {
				t.Fatalf("appender process: %v", err)
			}
		}
		res, err := Verify(ctx, db, a)
		if err != nil {
			t.Fatal(err)
		}
		if !res.OK || res.Checked != 2*each {
			t.Fatalf("after concurrent appends: %+v, want ok with %d entries", res, 2*each)
		}
		var p1, p2 int
		db.R.QueryRow(`SELECT COUNT(*) FROM audit_events WHERE actor = 'p1'`).Scan(&p1)
		db.R.QueryRow(`SELECT COUNT(*) FROM audit_events WHERE actor = 'p2'`).Scan(&p2)
		if p1 != each || p2 != each {
			t.Errorf("entries p1=%d p2=%d, want %d each", p1, p2, each)
		}
	})
}

func TestChildAppender(t *testing.T) {
	who := os.Getenv("AUDIT_CHILD")
	if who == "" {
		return
	}
	ctx := context.Background()
	db, err := database.Open(ctx, database.Options{DataDir: os.Getenv("AUDIT_DATA"), URL: os.Getenv("AUDIT_URL")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tenant, _ := strconv.ParseInt(os.Getenv("AUDIT_TENANT"), 10, 64)
	n, _ := strconv.Atoi(os.Getenv("AUDIT_N"))
	if err := appendN(ctx, db, tenant, who, n); err != nil {
		t.Fatal(err)
	}
}
