package blob_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/platform/blob"
	"github.com/rathaus/rathaus/internal/platform/blobtest"
	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
	"github.com/rathaus/rathaus/internal/platform/jobs"
)

// each runs fn on every database engine and every blob backend.
func each(t *testing.T, fn func(t *testing.T, db *database.DB, clk *clock.Fake, s blob.Store)) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		blobtest.Each(t, func(t *testing.T, s blob.Store) { fn(t, db, clk, s) })
	})
}

func TestCollectRemovesOnlyUnreferencedBlobsPastTheGrace(t *testing.T) {
	each(t, func(t *testing.T, db *database.DB, clk *clock.Fake, s blob.Store) {
		ctx := context.Background()
		tr := &blob.Tracked{Store: s, DB: db}
		kept, err := saveDocument(ctx, db, tr, strings.NewReader("Bescheid"), "case:1")
		if err != nil {
			t.Fatal(err)
		}
		released, err := saveDocument(ctx, db, tr, strings.NewReader("zurückgezogener Antrag"), "form:2")
		if err != nil {
			t.Fatal(err)
		}
		database.WithTx(ctx, db, func(tx *database.Tx) error { return blob.Release(tx, released, "form:2") })
		// Put but never kept: its transaction failed.
		orphan, _, err := tr.Put(ctx, strings.NewReader("Upload einer abgebrochenen Anfrage"))
		if err != nil {
			t.Fatal(err)
		}
		if n, err := blob.Collect(ctx, db, s, time.Hour, 100); err != nil || n != 0 {
			t.Fatalf("Collect inside the grace period removed %d (%v)", n, err)
		}
		clk.Advance(2 * time.Hour)
		young, _, err := tr.Put(ctx, strings.NewReader("gerade erst hochgeladen"))
		if err != nil {
			t.Fatal(err)
		}
		n, err := blob.Collect(ctx, db, s, time.Hour, 100)
		if err != nil || n != 2 {
			t.Fatalf("Collect removed %d (%v), want 2 (released and orphan)", n, err)
		}
		for _, k := range []string{released, orphan} {
			if _, err := s.Stat(ctx, k); !errors.Is(err, blob.ErrNotFound) {
				t.Errorf("collected blob %s still stored: %v", k[:8], err)
			}
		}
		for _, k := range []string{kept, young} {
			if _, err := s.Stat(ctx, k); err != nil {
				t.Errorf("blob %s removed: %v", k[:8], err)
			}
		}
		var rows int
		db.R.QueryRow(`SELECT COUNT(*) FROM blobs`).Scan(&rows)
		if rows != 2 {
			t.Errorf("%d blob rows left, want 2", rows)
		}
		noDanglingRefs(t, db, s)
	})
}

// The race the touch prevents: bytes already stored (old, unreferenced) are
// put again — the upload is skipped — and the clean-up runs before the
// row's Keep. The Put's touch restarts the grace period, so the object stays.
func TestCollectCannotRemoveABlobBetweenPutAndKeep(t *testing.T) {
	each(t, func(t *testing.T, db *database.DB, clk *clock.Fake, s blob.Store) {
		ctx := context.Background()
		tr := &blob.Tracked{Store: s, DB: db}
		content := []byte("%PDF-1.7 Formular")
		if _, _, err := tr.Put(ctx, bytes.NewReader(content)); err != nil {
			t.Fatal(err)
		}
		clk.Advance(48 * time.Hour)
		key, size, err := tr.Put(ctx, bytes.NewReader(content)) // a new upload of the same file
		if err != nil {
			t.Fatal(err)
		}
		if n, err := blob.Collect(ctx, db, s, 24*time.Hour, 100); err != nil || n != 0 {
			t.Fatalf("Collect between Put and Keep removed %d (%v)", n, err)
		}
		err = database.WithTx(ctx, db, func(tx *database.Tx) error { return blob.Keep(tx, 0, key, size, "application/pdf", "form:1") })
		if err != nil {
			t.Fatal(err)
		}
		noDanglingRefs(t, db, s)
		var ct string
		db.R.QueryRow(`SELECT content_type FROM blobs WHERE sha256 = $1`, key).Scan(&ct)
		if ct != "application/pdf" {
			t.Errorf("content type = %q: the Keep after a Put must fill it in", ct)
		}
	})
}

// brokenDelete is a store whose deletes fail (a read-only bucket).
type brokenDelete struct{ blob.Store }

func (brokenDelete) Delete(ctx context.Context, key string) error {
	return errors.New("delete refused")
}

func TestCollectKeepsTheRowWhenTheObjectCannotBeDeleted(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		s := blobtest.OpenDir(t)
		tr := &blob.Tracked{Store: s, DB: db}
		key, _, err := tr.Put(ctx, strings.NewReader("x"))
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(48 * time.Hour)
		if _, err := blob.Collect(ctx, db, brokenDelete{s}, time.Hour, 10); err == nil {
			t.Error("Collect hid a failed delete")
		}
		var n int
		db.R.QueryRow(`SELECT COUNT(*) FROM blobs WHERE sha256 = $1`, key).Scan(&n)
		if n != 1 {
			t.Error("the row went although the object stayed")
		}
		if n, err := blob.Collect(ctx, db, s, time.Hour, 10); err != nil || n != 1 {
			t.Errorf("next run: removed %d (%v), want 1", n, err)
		}
	})
}

func TestCollectJobRunsAndSchedulesItsNextRun(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		s := blobtest.OpenDir(t)
		tr := &blob.Tracked{Store: s, DB: db}
		key, _, _ := tr.Put(ctx, strings.NewReader("verwaist"))
		for range 2 { // two instances starting: one job per slot
			if err := database.WithTx(ctx, db, func(tx *database.Tx) error { return blob.ScheduleCollect(tx, time.Hour) }); err != nil {
				t.Fatal(err)
			}
		}
		q := jobs.New(db, discardLog())
		q.Register(blob.CollectJobKind, blob.CollectJob(db, s, time.Hour, time.Hour))
		if err := q.RunOnce(ctx); !errors.Is(err, jobs.ErrNoJob) {
			t.Fatalf("a clean-up ran before its slot: %v", err)
		}
		clk.Advance(2 * time.Hour)
		if err := q.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if err := q.RunOnce(ctx); !errors.Is(err, jobs.ErrNoJob) {
			t.Errorf("a second clean-up was due in the same slot: %v", err)
		}
		if _, err := s.Stat(ctx, key); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("orphan still stored after the clean-up: %v", err)
		}
		var queued int
		db.R.QueryRow(`SELECT COUNT(*) FROM jobs WHERE kind = $1 AND status = 'queued'`, blob.CollectJobKind).Scan(&queued)
		if queued != 1 {
			t.Errorf("%d clean-ups queued after a run, want the next one", queued)
		}
	})
}

func TestTrackedReportsCorruptReads(t *testing.T) {
	each(t, func(t *testing.T, db *database.DB, clk *clock.Fake, s blob.Store) {
		ctx := context.Background()
		var reported []string
		tr := &blob.Tracked{Store: s, DB: db, OnCorrupt: func(ctx context.Context, key string) { reported = append(reported, key) }}
		key, _, err := tr.Put(ctx, strings.NewReader("Originalbescheid"))
		if err != nil {
			t.Fatal(err)
		}
		if f, err := tr.Open(ctx, key); err != nil {
			t.Fatal(err)
		} else {
			f.Close()
		}
		blobtest.Alter(t, tr, key, []byte("Gefälschter Bescheid"))
		if _, err := tr.Open(ctx, key); !errors.Is(err, blob.ErrCorrupt) {
			t.Fatalf("Open of altered blob: %v", err)
		}
		if len(reported) != 1 || reported[0] != key {
			t.Errorf("OnCorrupt calls = %v, want [%s]", reported, key)
		}
	})
}

func TestCheckListsCorruptAndMissingBlobs(t *testing.T) {
	each(t, func(t *testing.T, db *database.DB, clk *clock.Fake, s blob.Store) {
		ctx := context.Background()
		tr := &blob.Tracked{Store: s, DB: db}
		good, _ := saveDocument(ctx, db, tr, strings.NewReader("gut"), "a:1")
		bad, _ := saveDocument(ctx, db, tr, strings.NewReader("wird verändert"), "a:2")
		gone, _ := saveDocument(ctx, db, tr, strings.NewReader("wird gelöscht"), "a:3")
		rep, err := blob.Check(ctx, db, s, true)
		if err != nil || !rep.OK() || rep.Checked != 3 {
			t.Fatalf("healthy store: %+v, %v", rep, err)
		}
		blobtest.Alter(t, s, bad, []byte("verändert"))
		s.Delete(ctx, gone)
		rep, err = blob.Check(ctx, db, s, true)
		if err != nil {
			t.Fatal(err)
		}
		if rep.OK() || len(rep.Corrupt) != 1 || rep.Corrupt[0] != bad || len(rep.Missing) != 1 || rep.Missing[0] != gone || rep.Checked != 1 {
			t.Errorf("report = %+v; want corrupt [%s], missing [%s], 1 checked (%s)", rep, bad[:8], gone[:8], good[:8])
		}
	})
}

func TestCopyVerifiesAndResumes(t *testing.T) {
	blobtest.Each(t, func(t *testing.T, to blob.Store) {
		ctx := context.Background()
		from := blobtest.OpenDir(t)
		var ks []string
		for i := range 5 {
			k, _, err := from.Put(ctx, newStream(uint64(i), int64(1000+i)))
			if err != nil {
				t.Fatal(err)
			}
			ks = append(ks, k)
		}
		// Interrupted after two blobs.
		cctx, cancel := context.WithCancel(ctx)
		r, err := blob.Copy(cctx, from, to, func(r blob.CopyReport) {
			if r.Copied == 2 {
				cancel()
			}
		})
		if !errors.Is(err, context.Canceled) || r.Copied != 2 {
			t.Fatalf("interrupted copy: %+v, %v", r, err)
		}
		// One copied blob was altered at the target meanwhile: copied again.
		var first string
		to.Walk(ctx, func(k string) error {
			if first == "" {
				first = k
			}
			return nil
		})
		blobtest.Alter(t, to, first, []byte("kaputt"))
		r, err = blob.Copy(ctx, from, to, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.Total != 5 || r.Present != 1 || r.Copied != 4 || len(r.Failed) != 0 {
			t.Errorf("resumed copy = %+v, want 5 total, 1 present, 4 copied", r)
		}
		for _, k := range ks {
			if _, err := to.Open(ctx, k); err != nil {
				t.Errorf("target %s: %v", k[:8], err)
			}
		}
		// A blob corrupt at the source is reported, not copied.
		blobtest.Alter(t, from, ks[0], []byte("quelle kaputt"))
		to.Delete(ctx, ks[0])
		r, _ = blob.Copy(ctx, from, to, nil)
		if len(r.Failed) != 1 || !strings.HasPrefix(r.Failed[0], ks[0]) {
			t.Errorf("corrupt source blob: failed = %v", r.Failed)
		}
		if _, err := to.Stat(ctx, ks[0]); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("a corrupt blob reached the target: %v", err)
		}
	})
}

// Some use cases put a blob inside their transaction (a decision rendered
// while the case moves on). With the transaction's context the Put joins
// it: no second transaction waiting for SQLite's single writer, and a
// rollback takes the touch along.
func TestPutInsideATransaction(t *testing.T) {
	each(t, func(t *testing.T, db *database.DB, clk *clock.Fake, s blob.Store) {
		ctx := context.Background()
		tr := &blob.Tracked{Store: s, DB: db}
		var key string
		err := database.WithTx(ctx, db, func(tx *database.Tx) error {
			k, size, err := tr.Put(tx.Context(), strings.NewReader("Bescheid, im Verfahrensschritt erzeugt"))
			if err != nil {
				return err
			}
			key = k
			return blob.Keep(tx, 0, k, size, "application/pdf", "case:decision")
		})
		if err != nil {
			t.Fatal(err)
		}
		noDanglingRefs(t, db, s)
		boom := errors.New("step refused")
		err = database.WithTx(ctx, db, func(tx *database.Tx) error {
			if _, _, err := tr.Put(tx.Context(), strings.NewReader("verworfen")); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		var rows int
		db.R.QueryRow(`SELECT COUNT(*) FROM blobs`).Scan(&rows)
		if rows != 1 {
			t.Errorf("%d blob rows, want only %s (the rolled-back touch is gone)", rows, key[:8])
		}
	})
}
