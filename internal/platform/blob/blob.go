// Package blob stores file contents by their SHA-256 (content addressing):
// uploads, generated PDFs, scans and e-invoices. The key is the lowercase hex
// digest; storing the same bytes twice stores them once.
//
// Two backends implement Store: Dir (files under the data directory, the
// default) and S3 (an S3-compatible object store, for several instances).
// OpenURL picks one from RATHAUS_BLOB_URL.
//
// Integrity: every read re-hashes the content before a single byte is handed
// out. A blob whose bytes no longer match its key is reported as ErrCorrupt
// and never served. Large blobs are streamed through temporary files, never
// held whole in memory.
//
// Atomicity: Put either stores the complete content under its key or nothing
// (a temporary file renamed into place; an S3 object that appears only when
// its upload completes). A failing store answers ErrUnavailable (wrapped), so
// the request that needed it gets a 503 and writes no row.
//
// References: a domain row that holds a key records it with Keep in the row's
// transaction, after Put; Collect removes blobs nobody keeps after a grace
// period (see refs.go and Tracked for why that is race-free).
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/rathaus/rathaus/internal/platform/fault"
)

// ErrNotFound: no blob with that key.
var ErrNotFound = errors.New("blob not found")

// ErrCorrupt: the stored bytes do not hash to the key.
var ErrCorrupt = errors.New("blob corrupt: content does not match its SHA-256")

// Store keeps blobs.
type Store interface {
	// Put stores the content of r and returns its key and size.
	Put(ctx context.Context, r io.Reader) (key string, size int64, err error)
	// Open returns the verified content of the blob.
	Open(ctx context.Context, key string) (io.ReadSeekCloser, error)
	// Stat returns the stored size of the blob (ErrNotFound when absent),
	// without reading or verifying its content.
	Stat(ctx context.Context, key string) (size int64, err error)
	// Delete removes the blob; removing an absent blob is no error.
	Delete(ctx context.Context, key string) error
	// Walk calls fn for every stored key (for backups and checks).
	Walk(ctx context.Context, fn func(key string) error) error
}

// ValidKey reports whether key is a lowercase hex SHA-256.
func ValidKey(key string) bool {
	if len(key) != 64 {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// unavailable marks a failure of the storage itself (disk full, read-only,
// object store unreachable): the request may be repeated later.
func unavailable(op string, err error) error {
	return fmt.Errorf("%s: %w: %w", op, fault.ErrUnavailable, err)
}

type readerWithContext struct {
	ctx context.Context
	r   io.Reader
}

func (r readerWithContext) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}
