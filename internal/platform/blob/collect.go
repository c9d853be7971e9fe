package blob

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/jobs"
)

// DefaultGrace is how long an unreferenced blob stays: far longer than any
// request or job between its Put and its row's Keep.
const DefaultGrace = 24 * time.Hour

// Collect removes up to limit blobs that no row keeps and that nobody has
// put or kept for grace: first the object, then the row, one blob per
// transaction that holds the row (FOR UPDATE on PostgreSQL, the single
// writer on SQLite), so a concurrent Put or Keep of the same bytes waits and
// then records the blob anew and re-uploads it. If the object cannot be
// deleted the row stays and the next run tries again. It returns the number
// of blobs removed.
func Collect(ctx context.Context, db *database.DB, store Store, grace time.Duration, limit int) (int, error) {
	var keys []string
	err := database.WithTx(ctx, db, func(tx *database.Tx) error {
		var err error
		keys, err = Unreferenced(tx, tx.Now().Add(-grace), limit)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("blob clean-up: %w", err)
	}
	n := 0
	for _, key := range keys {
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		removed := false
		err := database.WithTx(ctx, db, func(tx *database.Tx) error {
			var k string
			err := tx.QueryRowContext(ctx, `SELECT b.sha256 FROM blobs b WHERE b.sha256 = $1 AND COALESCE(b.touched_at, b.created_at) < $2
				AND NOT EXISTS (SELECT 1 FROM blob_refs r WHERE r.sha256 = b.sha256)`+db.SkipLocked(), key, tx.Now().Add(-grace)).Scan(&k)
			if errors.Is(err, sql.ErrNoRows) {
				return nil // kept, touched or taken by another instance meanwhile
			}
			if err != nil {
				return err
			}
			if err := store.Delete(ctx, key); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM blobs WHERE sha256 = $1`, key); err != nil {
				return err
			}
			removed = true
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("blob clean-up %s: %w", key, err)
		}
		if removed {
			n++
		}
	}
	return n, nil
}

// CollectJobKind is the recurring clean-up job.
const CollectJobKind = "blob.collect"

// CollectJob is the handler of CollectJobKind: it removes unreferenced
// blobs in batches, aborts multipart uploads older than grace (an S3 store's
// leftovers of cut connections) and schedules the next run every interval.
func CollectJob(db *database.DB, store Store, grace, every time.Duration) jobs.Handler {
	return func(ctx context.Context, j jobs.Job) (jobs.Finish, error) {
		for range 20 {
			n, err := Collect(ctx, db, store, grace, 500)
			if err != nil {
				return nil, err
			}
			if n < 500 {
				break
			}
		}
		if a, ok := store.(interface {
			AbortStaleUploads(context.Context, time.Time) (int, error)
		}); ok {
			if _, err := a.AbortStaleUploads(ctx, db.Clock.Now().Add(-grace)); err != nil {
				return nil, err
			}
		}
		return func(tx *database.Tx) error { return ScheduleCollect(tx, every) }, nil
	}
}

// ScheduleCollect enqueues the clean-up for the next slot of every (once per
// slot, however many instances start or finish a run: the slot is the key).
func ScheduleCollect(tx *database.Tx, every time.Duration) error {
	at := tx.Now().UTC().Truncate(every).Add(every)
	return jobs.Enqueue(tx, CollectJobKind, struct{}{}, jobs.Options{Key: at.Format(time.RFC3339), RunAt: at, MaxAttempts: 3})
}
