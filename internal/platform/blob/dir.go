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
	"syscall"
)

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

// diskErr classifies a file system failure: a full, read-only or
// inaccessible disk is the storage being unavailable; anything else stays as is.
func diskErr(op string, err error) error {
	for _, e := range []error{syscall.ENOSPC, syscall.EROFS, syscall.EDQUOT, syscall.EACCES, syscall.EPERM, syscall.EIO} {
		if errors.Is(err, e) {
			return unavailable(op, err)
		}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// Put writes to a temporary file first and renames it into place, so a crash
// never leaves a partial blob under a valid key.
func (d *Dir) Put(ctx context.Context, r io.Reader) (string, int64, error) {
	return d.putWith(ctx, r, nil)
}

func (d *Dir) putWith(ctx context.Context, r io.Reader, before placeHook) (string, int64, error) {
	tmp, err := os.CreateTemp(d.Root, ".upload-*")
	if err != nil {
		return "", 0, diskErr("put blob", err)
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	w := &diskWriter{f: tmp}
	n, err := io.Copy(io.MultiWriter(w, h), readerWithContext{ctx, r})
	if err == nil {
		err = tmp.Sync()
		if err != nil {
			err = diskErr("put blob", err)
		}
	}
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = diskErr("put blob", cerr)
	}
	if err != nil {
		if w.err != nil {
			return "", 0, diskErr("put blob", w.err)
		}
		return "", 0, fmt.Errorf("put blob: %w", err)
	}
	key := hex.EncodeToString(h.Sum(nil))
	if before != nil {
		if err := before(ctx, key, n); err != nil {
			return "", 0, fmt.Errorf("put blob %s: %w", key, err)
		}
	}
	dst := d.path(key)
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return "", 0, diskErr("put blob", err)
	}
	if _, err := os.Stat(dst); err == nil {
		if f, err := d.Open(ctx, key); err == nil { // already there and intact
			f.Close()
			return key, n, nil
		}
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", 0, diskErr("put blob", err)
	}
	return key, n, nil
}

// diskWriter remembers a write failure, so that a full disk is told apart
// from a failing reader (the client's upload).
type diskWriter struct {
	f   *os.File
	err error
}

func (w *diskWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	if err != nil {
		w.err = err
	}
	return n, err
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
		return nil, diskErr("open blob "+key, err)
	}
	h := sha256.New()
	if _, err := io.Copy(h, readerWithContext{ctx, f}); err != nil {
		f.Close()
		return nil, diskErr("open blob "+key, err)
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

// Stat returns the file's size.
func (d *Dir) Stat(ctx context.Context, key string) (int64, error) {
	if !ValidKey(key) {
		return 0, fmt.Errorf("stat blob %q: %w", key, ErrNotFound)
	}
	fi, err := os.Stat(d.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("stat blob %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return 0, diskErr("stat blob "+key, err)
	}
	return fi.Size(), nil
}

// Delete removes the file.
func (d *Dir) Delete(ctx context.Context, key string) error {
	if !ValidKey(key) {
		return fmt.Errorf("delete blob %q: invalid key", key)
	}
	if err := os.Remove(d.path(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return diskErr("delete blob "+key, err)
	}
	return nil
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
