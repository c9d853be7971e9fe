package backup

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rathaus/rathaus/internal/platform/blob"
	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
	"github.com/rathaus/rathaus/internal/platform/jobs"
)

// snapshot returns every table's rows in the portable JSON form.
func snapshot(t *testing.T, db *database.DB) map[string]string {
	t.Helper()
	ctx := context.Background()
	names, err := orderedTables(ctx, db, db.R)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, n := range names {
		_, data, err := dumpTable(ctx, db.R, n)
		if err != nil {
			t.Fatal(err)
		}
		out[n] = string(data)
	}
	return out
}

func seed(t *testing.T, db *database.DB, blobs blob.Store) {
	t.Helper()
	ctx := context.Background()
	key, _, err := blobs.Put(ctx, strings.NewReader("%PDF-1.7 Bescheid"))
	if err != nil {
		t.Fatal(err)
	}
	err = database.WithTx(ctx, db, func(tx *database.Tx) error {
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO tenants (slug, name, is_default, settings, created_at, updated_at) VALUES ('musterstadt', 'Musterstadt', TRUE, '{"federal_state":"BY"}', $1, $1) RETURNING id`, tx.Now()).Scan(&id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO tenant_hosts (host, tenant_id) VALUES ('musterstadt.example', $1)`, id); err != nil {
			return err
		}
		// blob_refs references blobs: restore must insert blobs first.
		if err := blob.Keep(tx, id, key, 17, "application/pdf", "test:bescheid"); err != nil {
			return err
		}
		return jobs.Enqueue(tx, "mail.send", map[string]string{"to": "x"}, jobs.Options{Key: "k1", TenantID: id})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestBackupRestoreRoundTrip(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, src *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		srcBlobs, _ := blob.NewDir(t.TempDir())
		seed(t, src, srcBlobs)
		var buf bytes.Buffer
		m, err := Create(ctx, src, srcBlobs, &buf)
		if err != nil {
			t.Fatal(err)
		}
		if m.Blobs != 1 {
			t.Errorf("manifest blobs = %d", m.Blobs)
		}

		var dst *database.DB
		if src.Dialect == database.Postgres {
			dst = dbtest.OpenPostgres(t, clk)
		} else {
			dst = dbtest.OpenSQLite(t, clk)
		}
		dstBlobs, _ := blob.NewDir(t.TempDir())
		if _, err := Restore(ctx, dst, dstBlobs, bytes.NewReader(buf.Bytes())); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(snapshot(t, src), snapshot(t, dst)); diff != "" {
			t.Errorf("restored tables differ (-src +restored):\n%s", diff)
		}
		var key string
		dst.R.QueryRow(`SELECT sha256 FROM blobs`).Scan(&key)
		f, err := dstBlobs.Open(ctx, key)
		if err != nil {
			t.Fatalf("restored blob: %v", err)
		}
		b, _ := io.ReadAll(f)
		f.Close()
		if string(b) != "%PDF-1.7 Bescheid" {
			t.Errorf("blob content = %q", b)
		}
		// New rows after a restore get fresh ids (sequences moved on).
		if err := database.WithTx(ctx, dst, func(tx *database.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO tenants (slug, name, created_at, updated_at) VALUES ('zweite', 'Zweite', $1, $1)`, tx.Now())
			return err
		}); err != nil {
			t.Errorf("insert after restore: %v", err)
		}
		// A second restore into the now non-empty target is refused.
		if _, err := Restore(ctx, dst, dstBlobs, bytes.NewReader(buf.Bytes())); !errors.Is(err, ErrNotEmpty) {
			t.Errorf("restore into non-empty: %v, want ErrNotEmpty", err)
		}
	})
}

// rewrite copies a backup archive, replacing one file's content (a nil
// result drops the file).
func rewrite(t *testing.T, in []byte, name string, content func([]byte) []byte) []byte {
	t.Helper()
	gr, err := gzip.NewReader(bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gr)
	var out bytes.Buffer
	gz := gzip.NewWriter(&out)
	tw := tar.NewWriter(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		if h.Name == name {
			if b = content(b); b == nil {
				continue
			}
		}
		writeFile(tw, h.Name, b)
	}
	tw.Close()
	gz.Close()
	return out.Bytes()
}

func TestRestoreOfBrokenBackupLeavesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, src *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		srcBlobs, _ := blob.NewDir(t.TempDir())
		seed(t, src, srcBlobs)
		var buf bytes.Buffer
		if _, err := Create(ctx, src, srcBlobs, &buf); err != nil {
			t.Fatal(err)
		}
		// The job row (restored after tenants) now points to a tenant that
		// does not exist, so the restore fails after tenants were inserted.
		broken := rewrite(t, buf.Bytes(), "db/jobs.jsonl", func(b []byte) []byte {
			var row []any
			json.Unmarshal(b, &row)
			row[1] = 999 // tenant_id
			nb, _ := json.Marshal(row)
			return append(nb, '\n')
		})
		var dst *database.DB
		if src.Dialect == database.Postgres {
			dst = dbtest.OpenPostgres(t, clk)
		} else {
			dst = dbtest.OpenSQLite(t, clk)
		}
		dstBlobs, _ := blob.NewDir(t.TempDir())
		if _, err := Restore(ctx, dst, dstBlobs, bytes.NewReader(broken)); err == nil {
			t.Fatal("restore with an orphan row succeeded")
		}
		for _, table := range []string{"tenants", "tenant_hosts", "jobs", "blobs"} {
			var n int
			dst.R.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n)
			if n != 0 {
				t.Errorf("%s after failed restore: %d rows, want 0", table, n)
			}
		}
	})
}

func TestRestoreRejectsGarbage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		blobs, _ := blob.NewDir(t.TempDir())
		for _, in := range []string{"", "not a gzip", "\x1f\x8b\x08\x00garbage"} {
			if _, err := Restore(context.Background(), db, blobs, strings.NewReader(in)); err == nil {
				t.Errorf("Restore(%q) succeeded", in)
			}
		}
	})
}
