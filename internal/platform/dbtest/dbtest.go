// Package dbtest gives tests real, migrated databases: SQLite in t.TempDir()
// always, and PostgreSQL in a fresh schema of its own when
// RATHAUS_TEST_POSTGRES_URL is set, so storage tests run on both engines and
// in parallel.
//
// Locally the PostgreSQL half is skipped when the variable is unset. When
// RATHAUS_REQUIRE_POSTGRES=1 (set by `make test-postgres` and CI) a missing
// URL fails the test instead of skipping — a CI run never passes by
// silently leaving an engine out.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
)

// Epoch is the instant the fake clocks of tests start at.
var Epoch = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// Each runs fn as a subtest per engine ("sqlite", "postgres") with a fresh
// migrated database and a fake clock starting at Epoch.
func Each(t *testing.T, fn func(t *testing.T, db *database.DB, clk *clock.Fake)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		clk := clock.NewFake(Epoch)
		fn(t, OpenSQLite(t, clk), clk)
	})
	t.Run("postgres", func(t *testing.T) {
		clk := clock.NewFake(Epoch)
		fn(t, OpenPostgres(t, clk), clk)
	})
}

// OpenSQLite returns a migrated SQLite database in t.TempDir().
func OpenSQLite(t testing.TB, clk clock.Clock) *database.DB {
	t.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, database.Options{DataDir: t.TempDir(), Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

// PostgresURL returns the test server URL, skipping (or failing, when
// PostgreSQL is required) when none is configured.
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("RATHAUS_TEST_POSTGRES_URL")
	if u == "" {
		if os.Getenv("RATHAUS_REQUIRE_POSTGRES") == "1" {
			t.Fatal("RATHAUS_REQUIRE_POSTGRES=1 but RATHAUS_TEST_POSTGRES_URL is not set")
		}
		t.Skip("PostgreSQL half skipped: RATHAUS_TEST_POSTGRES_URL not set (CI sets it)")
	}
	return u
}

// OpenPostgres returns a migrated PostgreSQL database living in a schema of
// its own, dropped when the test ends.
func OpenPostgres(t testing.TB, clk clock.Clock) *database.DB {
	t.Helper()
	base := PostgresURL(t)
	ctx := context.Background()
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create test schema: %v", err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer a.Close()
		a.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db, err := database.Open(ctx, database.Options{URL: u.String(), Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}
