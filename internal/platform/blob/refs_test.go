package blob_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/platform/blob"
	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
)

func TestKeepAndRelease(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		store, err := blob.NewDir(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		key, size, err := store.Put(ctx, strings.NewReader("%PDF-1.7 receipt"))
		if err != nil {
			t.Fatal(err)
		}
		tx := func(fn func(tx *database.Tx) error) {
			t.Helper()
			if err := database.WithTx(ctx, db, fn); err != nil {
				t.Fatal(err)
			}
		}
		tx(func(tx *database.Tx) error {
			if err := blob.Keep(tx, 0, key, size, "application/pdf", "test:a"); err != nil {
				return err
			}
			return blob.Keep(tx, 0, key, size, "application/pdf", "test:b")
		})
		clk.Advance(2 * time.Hour)
		tx(func(tx *database.Tx) error {
			if err := blob.Release(tx, key, "test:a"); err != nil {
				return err
			}
			ks, err := blob.Unreferenced(tx, tx.Now().Add(-time.Hour), 10)
			if err != nil {
				return err
			}
			if len(ks) != 0 {
				t.Errorf("blob still kept by test:b listed as unreferenced")
			}
			if err := blob.Release(tx, key, "test:b"); err != nil {
				return err
			}
			ks, err = blob.Unreferenced(tx, tx.Now().Add(-time.Hour), 10)
			if err != nil {
				return err
			}
			if len(ks) != 1 || ks[0] != key {
				t.Errorf("Unreferenced = %v, want [%s]", ks, key)
			}
			if ks, _ := blob.Unreferenced(tx, tx.Now().Add(-3*time.Hour), 10); len(ks) != 0 {
				t.Errorf("blob younger than the grace period listed: %v", ks)
			}
			return nil
		})
		err = database.WithTx(ctx, db, func(tx *database.Tx) error {
			return blob.Keep(tx, 0, "not-a-key", 1, "x", "o")
		})
		if err == nil {
			t.Error("invalid key kept")
		}
	})
}
