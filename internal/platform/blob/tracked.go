package blob

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/rathaus/rathaus/internal/platform/database"
)

// placeHook runs after the content is hashed and before it is placed under
// its key (Dir and S3 call it).
type placeHook func(ctx context.Context, key string, size int64) error

type hookedPutter interface {
	putWith(ctx context.Context, r io.Reader, before placeHook) (string, int64, error)
}

// Tracked is the installation's store as domains see it (the env's
// e.blobs): a backend plus the blobs table.
//
// Every Put records the blob in the blobs table (or refreshes its
// touched_at) before the object is placed, in a transaction of its own.
// Collect deletes an object only inside a transaction that holds the row
// and finds it untouched for the grace period, so a Put that found the
// bytes already stored cannot lose them to a concurrent clean-up before
// its row's Keep.
//
// A read that finds altered bytes still fails with ErrCorrupt, and
// OnCorrupt is told (the composition root writes an audit entry and counts
// it in the metrics).
type Tracked struct {
	Store
	DB        *database.DB
	OnCorrupt func(ctx context.Context, key string)
	// Observe, if set, is told about every Put and Open (for metrics).
	Observe func(op string, bytes int64, d time.Duration, err error)
}

// Put touches the blob's row, then stores the content.
func (t *Tracked) Put(ctx context.Context, r io.Reader) (key string, n int64, err error) {
	if t.Observe != nil {
		start := time.Now()
		defer func() { t.Observe("put", n, time.Since(start), err) }()
	}
	hook := func(ctx context.Context, key string, size int64) error {
		// Called inside a use case's transaction (ctx is tx.Context()), the
		// row is touched in it: a second transaction would wait for the
		// first forever on SQLite's single writer. Should the use case roll
		// back, the object stays without a row, like any unreferenced blob.
		if tx, ok := database.TxFrom(ctx, t.DB); ok {
			return touch(tx, key, size, "")
		}
		return database.WithTx(ctx, t.DB, func(tx *database.Tx) error { return touch(tx, key, size, "") })
	}
	if hp, ok := t.Store.(hookedPutter); ok {
		return hp.putWith(ctx, r, hook)
	}
	key, n, err = t.Store.Put(ctx, r)
	if err != nil {
		return "", 0, err
	}
	return key, n, hook(ctx, key, n)
}

// Open verifies the blob; a corrupt one is reported to OnCorrupt.
func (t *Tracked) Open(ctx context.Context, key string) (io.ReadSeekCloser, error) {
	start := time.Now()
	f, err := t.Store.Open(ctx, key)
	if errors.Is(err, ErrCorrupt) && t.OnCorrupt != nil {
		t.OnCorrupt(context.WithoutCancel(ctx), key)
	}
	if t.Observe != nil {
		var n int64
		if err == nil {
			n, _ = f.Seek(0, io.SeekEnd)
			f.Seek(0, io.SeekStart)
		}
		t.Observe("open", n, time.Since(start), err)
	}
	return f, err
}

// Backend returns the store underneath (for migrate and verify).
func (t *Tracked) Backend() Store { return t.Store }
