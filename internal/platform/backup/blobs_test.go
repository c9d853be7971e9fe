package backup

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rathaus/rathaus/internal/platform/blob"
	"github.com/rathaus/rathaus/internal/platform/blobtest"
	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
)

// Backups of installations whose blobs live in a directory or an S3 bucket
// (blobtest.Each): blobs inside the archive, or by reference.

func emptyLike(t *testing.T, src *database.DB, clk *clock.Fake) *database.DB {
	if src.Dialect == database.Postgres {
		return dbtest.OpenPostgres(t, clk)
	}
	return dbtest.OpenSQLite(t, clk)
}

// sameBackend returns a fresh empty store of the same kind as s.
func sameBackend(t *testing.T, s blob.Store) blob.Store {
	if _, ok := s.(*blob.S3); ok {
		return blobtest.OpenS3(t)
	}
	return blobtest.OpenDir(t)
}

func rowCount(t *testing.T, db *database.DB, table string) int {
	var n int
	if err := db.R.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestBackupRestoreOnEveryBlobBackend(t *testing.T) {
	blobtest.Each(t, func(t *testing.T, srcBlobs blob.Store) {
		dbtest.Each(t, func(t *testing.T, src *database.DB, clk *clock.Fake) {
			ctx := context.Background()
			seed(t, src, srcBlobs)
			var buf bytes.Buffer
			m, err := Create(ctx, src, srcBlobs, &buf)
			if err != nil {
				t.Fatal(err)
			}
			if m.Blobs != 1 || m.BlobBytes != 17 || m.BlobsByReference {
				t.Errorf("manifest = %+v", m)
			}
			dst, dstBlobs := emptyLike(t, src, clk), sameBackend(t, srcBlobs)
			if _, err := Restore(ctx, dst, dstBlobs, bytes.NewReader(buf.Bytes())); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(snapshot(t, src), snapshot(t, dst)); diff != "" {
				t.Errorf("restored tables differ (-src +restored):\n%s", diff)
			}
			if rowCount(t, dst, "blob_refs") != 1 {
				t.Error("blob reference not restored")
			}
			rep, err := blob.Check(ctx, dst, dstBlobs, true)
			if err != nil || !rep.OK() || rep.Checked != 1 {
				t.Errorf("restored store: %+v %v", rep, err)
			}
		})
	})
}

func TestBackupByReference(t *testing.T) {
	blobtest.Each(t, func(t *testing.T, store blob.Store) {
		dbtest.Each(t, func(t *testing.T, src *database.DB, clk *clock.Fake) {
			ctx := context.Background()
			seed(t, src, store)
			extra, _, _ := store.Put(ctx, strings.NewReader("zweites Dokument"))
			var buf bytes.Buffer
			m, err := CreateWith(ctx, src, store, &buf, Options{BlobsByReference: true})
			if err != nil {
				t.Fatal(err)
			}
			if !m.BlobsByReference || m.Blobs != 2 {
				t.Errorf("manifest = %+v", m)
			}
			if n := archiveEntries(t, buf.Bytes(), "blobs/"); n != 0 {
				t.Errorf("a by-reference archive holds %d blobs", n)
			}
			// The store keeps the blobs: restore checks them and succeeds.
			dst := emptyLike(t, src, clk)
			if _, err := Restore(ctx, dst, store, bytes.NewReader(buf.Bytes())); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(snapshot(t, src), snapshot(t, dst)); diff != "" {
				t.Errorf("restored tables differ (-src +restored):\n%s", diff)
			}
			// A blob gone or altered: restore refuses and writes no row.
			for name, spoil := range map[string]func(){
				"missing": func() { store.Delete(ctx, extra) },
				"altered": func() { blobtest.Alter(t, store, extra, []byte("verändert")) },
			} {
				spoil()
				dst := emptyLike(t, src, clk)
				_, err := Restore(ctx, dst, store, bytes.NewReader(buf.Bytes()))
				if !errors.Is(err, ErrBlobsMissing) || !strings.Contains(err.Error(), extra) {
					t.Errorf("%s blob: restore err = %v, want ErrBlobsMissing naming it", name, err)
				}
				if n := rowCount(t, dst, "tenants") + rowCount(t, dst, "blobs"); n != 0 {
					t.Errorf("%s blob: %d rows restored", name, n)
				}
			}
		})
	})
}

func archiveEntries(t *testing.T, archive []byte, prefix string) int {
	n := 0
	forEachEntry(t, archive, func(name string, _ []byte) {
		if strings.HasPrefix(name, prefix) {
			n++
		}
	})
	return n
}

func TestBackupRefusesACorruptBlob(t *testing.T) {
	blobtest.Each(t, func(t *testing.T, store blob.Store) {
		dbtest.Each(t, func(t *testing.T, src *database.DB, clk *clock.Fake) {
			ctx := context.Background()
			seed(t, src, store)
			var key string
			src.R.QueryRow(`SELECT sha256 FROM blobs`).Scan(&key)
			blobtest.Alter(t, store, key, []byte("manipuliert"))
			if _, err := Create(ctx, src, store, io.Discard); !errors.Is(err, blob.ErrCorrupt) {
				t.Errorf("backup with a corrupt blob: %v, want ErrCorrupt", err)
			}
		})
	})
}

func TestRestoreRefusesAnArchiveCutShort(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, src *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		store := blobtest.OpenDir(t)
		seed(t, src, store)
		var buf bytes.Buffer
		if _, err := Create(ctx, src, store, &buf); err != nil {
			t.Fatal(err)
		}
		for _, drop := range []string{"manifest.json", "blobs/"} {
			broken := buf.Bytes()
			forEachEntry(t, buf.Bytes(), func(name string, _ []byte) {
				if strings.HasPrefix(name, drop) {
					broken = rewrite(t, broken, name, func([]byte) []byte { return nil })
				}
			})
			dst := emptyLike(t, src, clk)
			if _, err := Restore(ctx, dst, blobtest.OpenDir(t), bytes.NewReader(broken)); err == nil {
				t.Errorf("restore without %s succeeded", drop)
			}
			if rowCount(t, dst, "tenants") != 0 {
				t.Errorf("without %s: rows restored", drop)
			}
		}
	})
}

// A backup made before blobs were streamed (format 1: no header, manifest
// last) still restores.
func TestRestoreOfAFormat1Archive(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, src *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		store := blobtest.OpenDir(t)
		seed(t, src, store)
		var buf bytes.Buffer
		if _, err := Create(ctx, src, store, &buf); err != nil {
			t.Fatal(err)
		}
		old := rewrite(t, buf.Bytes(), "header.json", func([]byte) []byte { return nil })
		old = rewrite(t, old, "manifest.json", func(b []byte) []byte {
			var m map[string]any
			json.Unmarshal(b, &m)
			m["format"] = 1
			delete(m, "blob_bytes")
			delete(m, "blobs_by_reference")
			nb, _ := json.Marshal(m)
			return nb
		})
		dst, dstStore := emptyLike(t, src, clk), blobtest.OpenDir(t)
		if _, err := Restore(ctx, dst, dstStore, bytes.NewReader(old)); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(snapshot(t, src), snapshot(t, dst)); diff != "" {
			t.Errorf("restored tables differ (-src +restored):\n%s", diff)
		}
		if rep, _ := blob.Check(ctx, dst, dstStore, true); !rep.OK() || rep.Checked != 1 {
			t.Errorf("restored blobs: %+v", rep)
		}
	})
}

type chachaStream struct {
	rng  *rand.ChaCha8
	left int64
}

func (s *chachaStream) Read(p []byte) (int, error) {
	if s.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > s.left {
		p = p[:s.left]
	}
	s.rng.Read(p)
	s.left -= int64(len(p))
	return len(p), nil
}

// A large blob goes through backup and restore without being held in memory.
func TestBackupStreamsLargeBlobs(t *testing.T) {
	if testing.Short() {
		t.Skip("large blob: not in -short")
	}
	const size = 96 << 20
	// The blob path does not depend on the engine: SQLite only.
	blobtest.Each(t, func(t *testing.T, store blob.Store) {
		clk := clock.NewFake(dbtest.Epoch)
		src := dbtest.OpenSQLite(t, clk)
		ctx := context.Background()
		seed(t, src, store)
		key, _, err := store.Put(ctx, &chachaStream{rng: rand.NewChaCha8([32]byte{9}), left: size})
		if err != nil {
			t.Fatal(err)
		}
		archive, err := os.CreateTemp(t.TempDir(), "backup-*.tar.gz")
		if err != nil {
			t.Fatal(err)
		}
		defer archive.Close()
		dst, dstStore := emptyLike(t, src, clk), sameBackend(t, store)
		peak := peakHeap(func() {
			if _, err := Create(ctx, src, store, archive); err != nil {
				t.Error(err)
				return
			}
			archive.Seek(0, io.SeekStart)
			if _, err := Restore(ctx, dst, dstStore, archive); err != nil {
				t.Error(err)
			}
		})
		f, err := dstStore.Open(ctx, key)
		if err != nil {
			t.Fatalf("large blob after restore: %v", err)
		}
		h := sha256.New()
		io.Copy(h, f)
		f.Close()
		if hex.EncodeToString(h.Sum(nil)) != key {
			t.Error("large blob restored with other content")
		}
		t.Logf("backup and restore of a %d MiB blob: peak heap %d MiB", size>>20, peak>>20)
		if peak > 48<<20 {
			t.Errorf("peak heap %d MiB for a %d MiB blob", peak>>20, size>>20)
		}
	})
}

func peakHeap(fn func()) uint64 {
	runtime.GC()
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	})
	fn()
	close(done)
	wg.Wait()
	return peak.Load()
}

func forEachEntry(t *testing.T, archive []byte, fn func(name string, b []byte)) {
	t.Helper()
	gr, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		fn(h.Name, b)
	}
}
