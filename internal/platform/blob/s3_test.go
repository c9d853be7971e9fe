package blob_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/rathaus/rathaus/internal/platform/blob"
	"github.com/rathaus/rathaus/internal/platform/blobtest"
	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// Faults of a real object store (SeaweedFS under make test-s3): wrong
// configuration refuses to start, an unreachable, write-protected or full
// bucket answers ErrUnavailable, and a connection cut during an upload
// leaves no object and no row.

func TestS3RefusesWrongCredentialsAndMissingBucket(t *testing.T) {
	c := blobtest.Config(t, blobtest.S3URL(t))
	ctx := context.Background()
	bad := c
	bad.SecretKey = "not-the-secret"
	if _, err := blob.NewS3(ctx, bad); err == nil || !strings.Contains(err.Error(), "RATHAUS_S3_SECRET_KEY") {
		t.Errorf("wrong secret: err = %v, want a message naming RATHAUS_S3_SECRET_KEY", err)
	}
	bad = c
	bad.AccessKey = "nobody"
	if _, err := blob.NewS3(ctx, bad); err == nil || !strings.Contains(err.Error(), "RATHAUS_S3_ACCESS_KEY") {
		t.Errorf("unknown access key: err = %v", err)
	}
	// An identity without rights on the bucket is refused (AWS answers the
	// same for a bucket that is someone else's or absent) ...
	missing := c
	missing.Bucket = "rathaus-no-such-bucket"
	if _, err := blob.NewS3(ctx, missing); err == nil || !strings.Contains(err.Error(), "RATHAUS_S3_ACCESS_KEY") {
		t.Errorf("bucket outside the identity's rights: err = %v", err)
	}
	// ... and one that may see every bucket learns that it does not exist.
	missing.AccessKey, missing.SecretKey = getenv("RATHAUS_TEST_S3_ADMIN_ACCESS_KEY"), getenv("RATHAUS_TEST_S3_ADMIN_SECRET_KEY")
	if _, err := blob.NewS3(ctx, missing); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing bucket: err = %v", err)
	}
}

func throughProxy(t *testing.T) (*blob.S3, *blobtest.Line) {
	c := blobtest.Config(t, blobtest.S3URL(t))
	p := blobtest.NewLine(t, c.Endpoint)
	c.Endpoint = p.Addr()
	s, err := blob.NewS3(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	s.TempDir = t.TempDir()
	return s, p
}

// saveDocument is the write path every domain follows (blob.Keep's
// contract): put the bytes, then write the row and its reference in one
// transaction.
func saveDocument(ctx context.Context, db *database.DB, s blob.Store, r io.Reader, owner string) (string, error) {
	key, size, err := s.Put(ctx, r)
	if err != nil {
		return "", err
	}
	return key, database.WithTx(ctx, db, func(tx *database.Tx) error {
		return blob.Keep(tx, 0, key, size, "application/pdf", owner)
	})
}

// noDanglingRefs fails when a reference points at a blob the store lacks.
func noDanglingRefs(t *testing.T, db *database.DB, s blob.Store) {
	t.Helper()
	rep, err := blob.Check(context.Background(), db, s, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Missing) > 0 {
		t.Errorf("references to missing blobs: %v", rep.Missing)
	}
}

func refCount(t *testing.T, db *database.DB) int {
	var n int
	if err := db.R.QueryRow(`SELECT COUNT(*) FROM blob_refs`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestS3UnreachableIsUnavailable(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		s, p := throughProxy(t)
		tr := &blob.Tracked{Store: s, DB: db}
		key, err := saveDocument(ctx, db, tr, strings.NewReader("vorher"), "test:before")
		if err != nil {
			t.Fatal(err)
		}
		p.Cut()
		_, err = saveDocument(ctx, db, tr, strings.NewReader("Antrag während des Ausfalls"), "test:during")
		if !errors.Is(err, fault.ErrUnavailable) {
			t.Errorf("Put with the object store unreachable: %v, want ErrUnavailable", err)
		}
		if got := web.StatusOf(err); got != http.StatusServiceUnavailable {
			t.Errorf("HTTP status of a request failing so: %d, want 503", got)
		}
		if _, err := tr.Open(ctx, key); !errors.Is(err, fault.ErrUnavailable) {
			t.Errorf("Open with the object store unreachable: %v, want ErrUnavailable", err)
		}
		if refCount(t, db) != 1 {
			t.Errorf("%d references, want only the one from before the cut", refCount(t, db))
		}
		c := blobtest.Config(t, blobtest.S3URL(t))
		c.Endpoint = p.Addr()
		if _, err := blob.NewS3(ctx, c); !errors.Is(err, fault.ErrUnavailable) {
			t.Errorf("start-up with the object store unreachable: %v, want ErrUnavailable", err)
		}
	})
}

func TestS3NetworkCutDuringUploadLeavesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		for _, tc := range []struct {
			name  string
			size  int64
			cutAt int64
			seed  uint64
		}{
			{"single PUT", 4 << 20, 1 << 20, 11},
			{"multipart, in the second part", 40 << 20, 20 << 20, 12},
		} {
			s, p := throughProxy(t)
			tr := &blob.Tracked{Store: s, DB: db}
			p.CutAfter(tc.cutAt)
			_, err := saveDocument(ctx, db, tr, newStream(tc.seed, tc.size), "test:cut")
			if !errors.Is(err, fault.ErrUnavailable) {
				t.Fatalf("%s: Put cut after %d bytes: %v, want ErrUnavailable", tc.name, tc.cutAt, err)
			}
			p.Restore() // the network is back
			if ks := keys(t, s); len(ks) != 0 {
				t.Errorf("%s: the cut upload left objects %v", tc.name, ks)
			}
			data, _ := io.ReadAll(newStream(tc.seed, tc.size))
			if _, err := s.Stat(ctx, keyOf(data)); !errors.Is(err, blob.ErrNotFound) {
				t.Errorf("%s: Stat of the cut blob: %v, want ErrNotFound", tc.name, err)
			}
			if n := refCount(t, db); n != 0 {
				t.Errorf("%s: %d references after a failed upload", tc.name, n)
			}
			// The same upload goes through now.
			if _, err := saveDocument(ctx, db, tr, bytes.NewReader(data), "test:retry"); err != nil {
				t.Errorf("%s: retry after the cut: %v", tc.name, err)
			}
			noDanglingRefs(t, db, s)
			database.WithTx(ctx, db, func(tx *database.Tx) error { return blob.Release(tx, keyOf(data), "test:retry") })
		}
	})
}

func TestS3WriteProtectedAndFullBuckets(t *testing.T) {
	for _, tc := range []struct{ name, env string }{
		{"write-protected", "RATHAUS_TEST_BLOB_READONLY_URL"},
		{"full (over quota)", "RATHAUS_TEST_BLOB_FULL_URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			blobtest.S3URL(t)
			u := getenv(tc.env)
			if u == "" {
				t.Fatalf("%s not set (scripts/s3-server.sh sets it)", tc.env)
			}
			dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
				ctx := context.Background()
				s := blobtest.OpenS3URL(t, u)
				tr := &blob.Tracked{Store: s, DB: db}
				for _, size := range []int64{1000, 20 << 20} {
					_, err := saveDocument(ctx, db, tr, newStream(3, size), "test:refused")
					if !errors.Is(err, fault.ErrUnavailable) {
						t.Errorf("Put of %d bytes into a %s bucket: %v, want ErrUnavailable", size, tc.name, err)
					}
				}
				if ks := keys(t, s); len(ks) != 0 {
					t.Errorf("refused uploads left objects %v", ks)
				}
				if n := refCount(t, db); n != 0 {
					t.Errorf("%d references after refused uploads", n)
				}
			})
		})
	}
}
