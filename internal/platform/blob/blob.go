// Package blob stores file contents by their SHA-256 (content addressing):
// uploads, generated PDFs, scans and e-invoices. The key is the lowercase hex
// digest; storing the same bytes twice stores them once.
//
// Integrity: every read re-hashes the content before a single byte is handed
// out. A blob whose bytes no longer match its key is reported as ErrCorrupt
// and never served. The Store interface is small so an S3-compatible object
// store can implement it for scale-out.
package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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

// Dir is a Store in a local directory: blobs/ab/cdef... files.
type Dir struct{ Root string }

// NewDir returns a directory store, creating the directory.
func NewDir(root string) (*Dir, error) {
	if err := os.MkdirAll(root, 0o750); err != nil {
		return nil, fmt.Errorf("blob store: %w", err)
	}
	return &Dir{Root: root}, nil
}

func (d *Dir) path(key string) string { return filepath.Join(d.Root, key[:2], key[2:]) }

// Put writes to a temporary file first and renames it into place, so a crash
// never leaves a partial blob under a valid key.
func (d *Dir) Put(ctx context.Context, r io.Reader) (string, int64, error) {
	tmp, err := os.CreateTemp(d.Root, ".upload-*")
	if err != nil {
		return "", 0, fmt.Errorf("put blob: %w", err)
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), readerWithContext{ctx, r})
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", 0, fmt.Errorf("put blob: %w", err)
	}
	key := hex.EncodeToString(h.Sum(nil))
	dst := d.path(key)
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return "", 0, fmt.Errorf("put blob: %w", err)
	}
	if _, err := os.Stat(dst); err == nil {
		if f, err := d.Open(ctx, key); err == nil { // already there and intact
			f.Close()
			return key, n, nil
		}
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", 0, fmt.Errorf("put blob: %w", err)
	}
	return key, n, nil
}

// Open verifies the blob's hash and returns it positioned at the start.
func (d *Dir) Open(ctx context.Context, key string) (io.ReadSeekCloser, error) {
	if !ValidKey(key) {
		return nil, fmt.Errorf("open blob %q: %w", key, ErrNotFound)
	}
	f, err := os.Open(d.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open blob %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("open blob %s: %w", key, err)
	}
	h := sha256.New()
	if _, err := io.Copy(h, readerWithContext{ctx, f}); err != nil {
		f.Close()
		return nil, fmt.Errorf("open blob %s: %w", key, err)
	}
	if hex.EncodeToString(h.Sum(nil)) != key {
		f.Close()
		return nil, fmt.Errorf("open blob %s: %w", key, ErrCorrupt)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// Walk visits every stored key in lexical order.
func (d *Dir) Walk(ctx context.Context, fn func(key string) error) error {
	return filepath.WalkDir(d.Root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			return nil
		}
		rel, _ := filepath.Rel(d.Root, p)
		key := strings.ReplaceAll(rel, string(filepath.Separator), "")
		if ValidKey(key) {
			return fn(key)
		}
		return nil
	})
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
