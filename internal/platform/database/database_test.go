package database_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
)

func TestTxCommitsOrLeavesNoTrace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		insert := func(tx *database.Tx, slug string) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO tenants (slug, name, created_at, updated_at) VALUES ($1, $2, $3, $3)`, slug, "Name "+slug, tx.Now())
			return err
		}
		boom := errors.New("boom")
		err := database.WithTx(ctx, db, func(tx *database.Tx) error {
			if err := insert(tx, "halb"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("WithTx error = %v, want boom", err)
		}
		if err := database.WithTx(ctx, db, func(tx *database.Tx) error { return insert(tx, "ganz") }); err != nil {
			t.Fatal(err)
		}
		var slugs []string
		rows, err := db.R.QueryContext(ctx, `SELECT slug FROM tenants ORDER BY slug`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			rows.Scan(&s)
			slugs = append(slugs, s)
		}
		if len(slugs) != 1 || slugs[0] != "ganz" {
			t.Errorf("tenants = %v, want only [ganz]", slugs)
		}
		// Times come back as the injected clock's UTC instant on both engines.
		var at time.Time
		if err := db.R.QueryRowContext(ctx, `SELECT created_at FROM tenants WHERE slug = $1`, "ganz").Scan(&at); err != nil {
			t.Fatal(err)
		}
		if !at.Equal(dbtest.Epoch) {
			t.Errorf("created_at = %v, want %v", at, dbtest.Epoch)
		}
		// Unique violations are recognised on both engines.
		err = database.WithTx(ctx, db, func(tx *database.Tx) error { return insert(tx, "ganz") })
		if !database.IsUniqueViolation(err) {
			t.Errorf("duplicate insert: IsUniqueViolation(%v) = false", err)
		}
	})
}

func TestMigrateTwiceIsNoop(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		v1, err := db.Version(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		v2, _ := db.Version(ctx)
		if v1 == 0 || v1 != v2 {
			t.Errorf("versions %d then %d, want equal and > 0", v1, v2)
		}
	})
}

// Two instances starting at once on an empty PostgreSQL schema: one
// migrates, the other waits for the lock and finds nothing left to do.
func TestConcurrentMigrationsOnPostgres(t *testing.T) {
	base := dbtest.PostgresURL(t)
	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	schema := fmt.Sprintf("t_concurrent_%d", time.Now().UnixNano())
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	errs := make(chan error, 2)
	dbs := make([]*database.DB, 2)
	for i := range dbs {
		db, err := database.Open(ctx, database.Options{URL: u.String()})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		dbs[i] = db
	}
	for _, db := range dbs {
		go func() { errs <- db.Migrate(ctx) }()
	}
	for range dbs {
		if err := <-errs; err != nil {
			t.Errorf("concurrent migration: %v", err)
		}
	}
	v, _ := dbs[0].Version(ctx)
	var applied int
	admin.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+schema+`.goose_db_version WHERE version_id = $1`, v).Scan(&applied)
	if applied != 1 {
		t.Errorf("the last migration was recorded %d times, want once", applied)
	}
}
