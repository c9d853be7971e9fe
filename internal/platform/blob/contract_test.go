package blob_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/platform/blob"
	"github.com/rathaus/rathaus/internal/platform/blobtest"
	"github.com/rathaus/rathaus/internal/platform/fault"
)

// The contract every backend keeps; blobtest.Each runs it on a directory
// and, under make test-s3, on a real S3 bucket (SeaweedFS).

func keyOf(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func keys(t *testing.T, s blob.Store) []string {
	t.Helper()
	var out []string
	if err := s.Walk(context.Background(), func(k string) error { out = append(out, k); return nil }); err != nil {
		t.Fatalf("walk: %v", err)
	}
	return out
}

func readAll(t *testing.T, s blob.Store, key string) []byte {
	t.Helper()
	f, err := s.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("open %s: %v", key, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestContractPutOpenStatWalkDelete(t *testing.T) {
	blobtest.Each(t, func(t *testing.T, s blob.Store) {
		ctx := context.Background()
		content := []byte("Bescheid über die Hundesteuer")
		k1, n, err := s.Put(ctx, bytes.NewReader(content))
		if err != nil {
			t.Fatal(err)
		}
		if k1 != keyOf(content) || n != int64(len(content)) {
			t.Errorf("Put = %s, %d; want %s, %d", k1, n, keyOf(content), len(content))
		}
		k2, _, err := s.Put(ctx, bytes.NewReader(content))
		if err != nil || k2 != k1 {
			t.Fatalf("second put: key %s err %v, want %s", k2, err, k1)
		}
		if got := readAll(t, s, k1); !bytes.Equal(got, content) {
			t.Errorf("content = %q", got)
		}
		f, _ := s.Open(ctx, k1)
		io.ReadAll(f)
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			t.Errorf("seek back: %v", err)
		} else if b, _ := io.ReadAll(f); !bytes.Equal(b, content) {
			t.Errorf("after seek: %q", b)
		}
		f.Close()
		if sz, err := s.Stat(ctx, k1); err != nil || sz != int64(len(content)) {
			t.Errorf("Stat = %d, %v", sz, err)
		}
		other, _, err := s.Put(ctx, strings.NewReader("Empfangsbestätigung"))
		if err != nil {
			t.Fatal(err)
		}
		want := []string{k1, other}
		if other < k1 {
			want = []string{other, k1}
		}
		if got := keys(t, s); len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
			t.Errorf("Walk = %v, want %v (sorted)", got, want)
		}
		if err := s.Delete(ctx, k1); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, k1); err != nil {
			t.Errorf("deleting an absent blob: %v", err)
		}
		if _, err := s.Stat(ctx, k1); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Stat after delete: %v, want ErrNotFound", err)
		}
		if _, err := s.Open(ctx, k1); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Open after delete: %v, want ErrNotFound", err)
		}
		if got := keys(t, s); len(got) != 1 || got[0] != other {
			t.Errorf("Walk after delete = %v", got)
		}
	})
}

func TestContractEmptyBlob(t *testing.T) {
	blobtest.Each(t, func(t *testing.T, s blob.Store) {
		k, n, err := s.Put(context.Background(), strings.NewReader(""))
		if err != nil || n != 0 || k != keyOf(nil) {
			t.Fatalf("Put empty = %s, %d, %v", k, n, err)
		}
		if b := readAll(t, s, k); len(b) != 0 {
			t.Errorf("empty blob read %d bytes", len(b))
		}
	})
}

func TestContractMissingAndInvalidKeys(t *testing.T) {
	blobtest.Each(t, func(t *testing.T, s blob.Store) {
		ctx := context.Background()
		for _, k := range []string{strings.Repeat("a", 64), "../../etc/passwd", "", strings.Repeat("A", 64), strings.Repeat("a", 63) + "/"} {
			if _, err := s.Open(ctx, k); !errors.Is(err, blob.ErrNotFound) {
				t.Errorf("Open(%q) err = %v, want ErrNotFound", k, err)
			}
			if _, err := s.Stat(ctx, k); !errors.Is(err, blob.ErrNotFound) {
				t.Errorf("Stat(%q) err = %v, want ErrNotFound", k, err)
			}
		}
		if err := s.Delete(ctx, "../x"); err == nil {
			t.Error("Delete of an invalid key accepted")
		}
	})
}

func TestContractAlteredBlobIsNeverServed(t *testing.T) {
	blobtest.Each(t, func(t *testing.T, s blob.Store) {
		ctx := context.Background()
		for _, size := range []int{100, 3 << 20} { // in memory and through a temporary file
			orig := pseudoRandom(uint64(size), size)
			key, _, err := s.Put(ctx, bytes.NewReader(orig))
			if err != nil {
				t.Fatal(err)
			}
			altered := bytes.Clone(orig)
			altered[size/2] ^= 1
			blobtest.Alter(t, s, key, altered)
			f, err := s.Open(ctx, key)
			if !errors.Is(err, blob.ErrCorrupt) {
				t.Fatalf("Open of altered blob (%d bytes): err = %v, want ErrCorrupt", size, err)
			}
			if f != nil {
				t.Error("a reader was returned for a corrupt blob")
			}
			// Putting the original again repairs it.
			if _, _, err := s.Put(ctx, bytes.NewReader(orig)); err != nil {
				t.Fatal(err)
			}
			if got := readAll(t, s, key); !bytes.Equal(got, orig) {
				t.Errorf("after repair: wrong content (%d bytes)", len(got))
			}
		}
	})
}

// failingReader fails after n bytes, like a client whose upload breaks off.
type failingReader struct {
	r io.Reader
	n int
}

var errClientGone = errors.New("client went away")

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errClientGone
	}
	if len(p) > f.n {
		p = p[:f.n]
	}
	n, err := f.r.Read(p)
	f.n -= n
	return n, err
}

func TestContractBrokenUploadStoresNothing(t *testing.T) {
	blobtest.Each(t, func(t *testing.T, s blob.Store) {
		ctx := context.Background()
		data := pseudoRandom(7, 2<<20)
		_, _, err := s.Put(ctx, &failingReader{bytes.NewReader(data), 1 << 20})
		if !errors.Is(err, errClientGone) {
			t.Fatalf("Put with a failing reader: %v, want the reader's error", err)
		}
		if errors.Is(err, fault.ErrUnavailable) {
			t.Error("a client's broken upload was reported as the storage being unavailable")
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, _, err := s.Put(cctx, bytes.NewReader(data)); !errors.Is(err, context.Canceled) {
			t.Errorf("Put with a cancelled context: %v", err)
		}
		if got := keys(t, s); len(got) != 0 {
			t.Errorf("broken uploads left blobs: %v", got)
		}
	})
}

// stream is size pseudo-random bytes produced on the fly (never in memory).
type stream struct {
	rng  *rand.ChaCha8
	left int64
}

func newStream(seed uint64, size int64) *stream {
	var s [32]byte
	s[0] = byte(seed)
	return &stream{rng: rand.NewChaCha8(s), left: size}
}

func (s *stream) Read(p []byte) (int, error) {
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

func pseudoRandom(seed uint64, n int) []byte {
	b, _ := io.ReadAll(newStream(seed, int64(n)))
	return b
}

// peakHeap samples the heap while fn runs.
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

// A large blob is streamed in and out (multipart on S3) with the heap
// staying far below its size.
func TestContractLargeBlobBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("large blob: not in -short")
	}
	const size = 160 << 20
	const bound = 64 << 20
	blobtest.Each(t, func(t *testing.T, s blob.Store) {
		ctx := context.Background()
		h := sha256.New()
		io.Copy(h, newStream(42, size))
		want := hex.EncodeToString(h.Sum(nil))
		var key string
		var putDur, openDur time.Duration
		peak := peakHeap(func() {
			start := time.Now()
			var n int64
			var err error
			key, n, err = s.Put(ctx, newStream(42, size))
			putDur = time.Since(start)
			if err != nil || key != want || n != size {
				t.Errorf("Put = %s, %d, %v", key, n, err)
				return
			}
			start = time.Now()
			f, err := s.Open(ctx, key)
			if err != nil {
				t.Error(err)
				return
			}
			defer f.Close()
			exp := newStream(42, size)
			a, b := make([]byte, 1<<20), make([]byte, 1<<20)
			for {
				n, err := io.ReadFull(f, a)
				if n > 0 {
					io.ReadFull(exp, b[:n])
					if !bytes.Equal(a[:n], b[:n]) {
						t.Error("large blob read back differs")
						return
					}
				}
				if err != nil {
					break
				}
			}
			openDur = time.Since(start)
		})
		t.Logf("%d MiB: put %.0f MiB/s, verified open+read %.0f MiB/s, peak heap %d MiB (bound %d MiB)",
			size>>20, float64(size>>20)/putDur.Seconds(), float64(size>>20)/openDur.Seconds(), peak>>20, bound>>20)
		if peak > bound {
			t.Errorf("peak heap %d MiB while storing a %d MiB blob, want < %d MiB", peak>>20, size>>20, bound>>20)
		}
		if err := s.Delete(ctx, key); err != nil {
			t.Error(err)
		}
	})
}

func getenv(k string) string { return os.Getenv(k) }

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
