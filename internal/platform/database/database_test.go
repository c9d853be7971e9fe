package database_test

import (
	"context"
	"errors"
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
