// Package blobtest gives tests real blob stores: a directory in t.TempDir()
// always, and an S3 bucket of a real object store (SeaweedFS, started by
// `make test-s3`) when RATHAUS_TEST_BLOB_URL is set. Every module that
// stores documents takes its store from Open, so its storage tests run on
// S3 too under `make test-s3`, without knowing about it.
//
// Each S3 store lives under a fresh prefix of its own in the bucket (removed
// when the test ends), so tests run in parallel. Credentials come from
// RATHAUS_S3_ACCESS_KEY / RATHAUS_S3_SECRET_KEY, as for `rathaus serve`.
//
// Locally the S3 half of Each is skipped when the variable is unset; with
// RATHAUS_REQUIRE_S3=1 (set by `make test-s3`) it fails instead.
package blobtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/rathaus/rathaus/internal/platform/blob"
)

// URL is the variable naming the test bucket.
const URL = "RATHAUS_TEST_BLOB_URL"

// Open returns the store a module's storage test uses: S3 when
// RATHAUS_TEST_BLOB_URL is set, else a directory.
func Open(t testing.TB) blob.Store {
	t.Helper()
	if os.Getenv(URL) != "" {
		return OpenS3(t)
	}
	return OpenDir(t)
}

// OpenDir returns a directory store in t.TempDir().
func OpenDir(t testing.TB) *blob.Dir {
	t.Helper()
	d, err := blob.NewDir(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// OpenS3 returns a store in the test bucket under a fresh prefix, skipping
// (or failing with RATHAUS_REQUIRE_S3=1) when no bucket is configured.
func OpenS3(t testing.TB) *blob.S3 {
	t.Helper()
	return OpenS3URL(t, S3URL(t))
}

// S3URL returns RATHAUS_TEST_BLOB_URL or skips / fails.
func S3URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(URL)
	if u == "" {
		if os.Getenv("RATHAUS_REQUIRE_S3") == "1" {
			t.Fatal("RATHAUS_REQUIRE_S3=1 but " + URL + " is not set")
		}
		t.Skip("S3 half skipped: " + URL + " not set (make test-s3 sets it)")
	}
	return u
}

// OpenS3URL opens the bucket at rawURL under a fresh prefix that is emptied
// when the test ends.
func OpenS3URL(t testing.TB, rawURL string) *blob.S3 {
	t.Helper()
	c := Config(t, rawURL)
	s, err := blob.NewS3(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	s.TempDir = t.TempDir()
	t.Cleanup(func() {
		ctx := context.Background()
		var keys []string
		s.Walk(ctx, func(k string) error { keys = append(keys, k); return nil })
		for _, k := range keys {
			s.Delete(ctx, k)
		}
	})
	return s
}

// Config parses rawURL, adds credentials and a fresh prefix.
func Config(t testing.TB, rawURL string) blob.S3Config {
	t.Helper()
	loc, err := blob.ParseURL(rawURL)
	if err != nil || loc.S3 == nil {
		t.Fatalf("%s: not an s3:// URL: %v", rawURL, err)
	}
	var b [6]byte
	rand.Read(b[:])
	c := *loc.S3
	c.Prefix += "test-" + hex.EncodeToString(b[:]) + "/"
	c.AccessKey, c.SecretKey = os.Getenv("RATHAUS_S3_ACCESS_KEY"), os.Getenv("RATHAUS_S3_SECRET_KEY")
	return c
}

// Each runs fn as a subtest per backend ("dir", "s3").
func Each(t *testing.T, fn func(t *testing.T, s blob.Store)) {
	t.Helper()
	t.Run("dir", func(t *testing.T) { fn(t, OpenDir(t)) })
	t.Run("s3", func(t *testing.T) { fn(t, OpenS3(t)) })
}

// Alter replaces the stored bytes of key behind the store's back (a disk
// error, an operator, an attacker), so tests can check that altered content
// is never served.
func Alter(t testing.TB, s blob.Store, key string, content []byte) {
	t.Helper()
	if tr, ok := s.(interface{ Backend() blob.Store }); ok {
		s = tr.Backend()
	}
	switch st := s.(type) {
	case *blob.Dir:
		if err := os.WriteFile(filepath.Join(st.Root, key[:2], key[2:]), content, 0o640); err != nil {
			t.Fatal(err)
		}
	case *blob.S3:
		_, err := st.Client.PutObject(context.Background(), st.Bucket, st.Prefix+key, bytes.NewReader(content), int64(len(content)), minio.PutObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("blobtest.Alter: unknown store %T", s)
	}
}

// Line is a TCP connection to the object store that a test can cut: Cut
// closes every connection and refuses new ones until Restore; CutAfter(n)
// cuts once n bytes went upstream (a network failure in the middle of an
// upload, which the client's retries cannot get through).
type Line struct {
	ln       net.Listener
	target   string
	mu       sync.Mutex
	conns    []net.Conn
	down     atomic.Bool
	cutAfter atomic.Int64
	sent     atomic.Int64
}

// NewLine listens on a local port and forwards to target (host:port).
func NewLine(t testing.TB, target string) *Line {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &Line{ln: ln, target: target}
	t.Cleanup(func() { ln.Close(); l.Cut() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if l.down.Load() {
				c.Close()
				continue
			}
			go l.serve(c)
		}
	}()
	return l
}

// Addr is the address to use instead of the target's.
func (l *Line) Addr() string { return l.ln.Addr().String() }

func (l *Line) serve(c net.Conn) {
	u, err := net.Dial("tcp", l.target)
	if err != nil {
		c.Close()
		return
	}
	l.mu.Lock()
	l.conns = append(l.conns, c, u)
	l.mu.Unlock()
	go func() { io.Copy(c, u); c.Close() }()
	buf := make([]byte, 32<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if limit := l.cutAfter.Load(); limit > 0 && l.sent.Add(int64(n)) > limit {
				l.Cut()
				return
			}
			if _, werr := u.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	u.Close()
}

// CutAfter arms a cut once n more bytes went upstream.
func (l *Line) CutAfter(n int64) { l.sent.Store(0); l.cutAfter.Store(n) }

// Restore lets connections through again.
func (l *Line) Restore() {
	l.cutAfter.Store(0)
	l.sent.Store(0)
	l.down.Store(false)
}

// Cut closes every connection and refuses new ones.
func (l *Line) Cut() {
	l.down.Store(true)
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.conns {
		c.Close()
	}
	l.conns = nil
}
