// Package backup writes and restores a complete copy of one installation:
// every table of the database (rows in a portable, typed JSON form) and every
// blob (or, by reference, the list of blob keys and sizes), in one tar.gz
// file. Works the same for a directory store and an S3 bucket.
//
// Consistency: the rows are read inside one read transaction (a snapshot on
// both engines); blobs are content-addressed and never change, so copying
// them after the snapshot is safe (a blob written later is extra, never
// missing for a row in the snapshot — blobs are stored before their row).
//
// Restore goes into an empty installation only: it migrates to the backup's
// schema version, restores and re-verifies each blob, inserts all rows in
// one transaction (parents before children, following the foreign keys —
// blob_refs after blobs), then migrates forward.
// If anything fails, the transaction rolls back and nothing is half-restored.
package backup

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/rathaus/rathaus/internal/platform/blob"
	"github.com/rathaus/rathaus/internal/platform/database"
)

// Manifest describes a backup file.
type Manifest struct {
	Format    int       `json:"format"`
	Dialect   string    `json:"dialect"`
	Version   int64     `json:"schema_version"`
	CreatedAt time.Time `json:"created_at"`
	Tables    []Table   `json:"tables"` // in restore order
	Blobs     int       `json:"blobs"`
	BlobBytes int64     `json:"blob_bytes"`
	// BlobsByReference: the archive lists the blobs (key = SHA-256, size)
	// instead of holding them; they stay in the object store, and restore
	// checks that each one is there and intact.
	BlobsByReference bool `json:"blobs_by_reference"`
}

// Table is one table's place in the backup.
type Table struct {
	Name    string   `json:"name"`
	Columns []string `json:"columns"`
	Rows    int      `json:"rows"`
}

// header opens a format-2 archive, so restore can check the dialect and the
// target before the first blob arrives (blobs are streamed, not buffered).
type header struct {
	Format           int       `json:"format"`
	Dialect          string    `json:"dialect"`
	Version          int64     `json:"schema_version"`
	CreatedAt        time.Time `json:"created_at"`
	BlobsByReference bool      `json:"blobs_by_reference"`
}

// blobRef is one line of blobs.jsonl in a by-reference backup.
type blobRef struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Format 1 (manifest last, no header) is still restored; Create writes 2:
// header.json, db/*.jsonl, blobs/KEY... (or blobs.jsonl), manifest.json.
const format = 2

// Options for CreateWith.
type Options struct {
	// BlobsByReference lists blobs by key and size instead of copying them
	// (for an object store that is itself replicated or versioned).
	BlobsByReference bool
}

// Create writes a backup of db and blobs to w, blobs included.
func Create(ctx context.Context, db *database.DB, blobs blob.Store, w io.Writer) (*Manifest, error) {
	return CreateWith(ctx, db, blobs, w, Options{})
}

// CreateWith writes a backup of db and blobs to w. Each blob is read
// verified (a corrupt blob fails the backup rather than preserving altered
// bytes) and streamed into the archive, never held whole in memory.
func CreateWith(ctx context.Context, db *database.DB, blobs blob.Store, w io.Writer, o Options) (*Manifest, error) {
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	version, err := db.Version(ctx)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	m := &Manifest{Format: format, Dialect: string(db.Dialect), Version: version, CreatedAt: db.Clock.Now().UTC(), BlobsByReference: o.BlobsByReference}
	hb, _ := json.Marshal(header{Format: format, Dialect: m.Dialect, Version: version, CreatedAt: m.CreatedAt, BlobsByReference: o.BlobsByReference})
	if err := writeFile(tw, "header.json", hb); err != nil {
		return nil, err
	}
	tx, err := db.R.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: isolation(db)})
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	defer tx.Rollback()
	tables, err := orderedTables(ctx, db, tx)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	for _, name := range tables {
		t, data, err := dumpTable(ctx, tx, name)
		if err != nil {
			return nil, fmt.Errorf("backup table %s: %w", name, err)
		}
		if err := writeFile(tw, "db/"+name+".jsonl", data); err != nil {
			return nil, err
		}
		m.Tables = append(m.Tables, t)
	}
	tx.Rollback()
	if o.BlobsByReference {
		var list bytes.Buffer
		enc := json.NewEncoder(&list)
		err = blobs.Walk(ctx, func(key string) error {
			size, err := blobs.Stat(ctx, key)
			if err != nil {
				return fmt.Errorf("backup blob %s: %w", key, err)
			}
			m.Blobs++
			m.BlobBytes += size
			return enc.Encode(blobRef{SHA256: key, Size: size})
		})
		if err == nil {
			err = writeFile(tw, "blobs.jsonl", list.Bytes())
		}
	} else {
		err = blobs.Walk(ctx, func(key string) error {
			f, err := blobs.Open(ctx, key)
			if err != nil {
				return fmt.Errorf("backup blob %s: %w", key, err)
			}
			defer f.Close()
			size, err := f.Seek(0, io.SeekEnd)
			if err == nil {
				_, err = f.Seek(0, io.SeekStart)
			}
			if err != nil {
				return fmt.Errorf("backup blob %s: %w", key, err)
			}
			if err := tw.WriteHeader(&tar.Header{Name: "blobs/" + key, Mode: 0o600, Size: size, ModTime: time.Unix(0, 0)}); err != nil {
				return err
			}
			if _, err := io.Copy(tw, f); err != nil {
				return fmt.Errorf("backup blob %s: %w", key, err)
			}
			m.Blobs++
			m.BlobBytes += size
			return nil
		})
	}
	if err != nil {
		return nil, err
	}
	mb, _ := json.MarshalIndent(m, "", "  ")
	if err := writeFile(tw, "manifest.json", mb); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return m, gz.Close()
}

func isolation(db *database.DB) sql.IsolationLevel {
	if db.Dialect == database.Postgres {
		return sql.LevelRepeatableRead
	}
	return sql.LevelDefault
}

func writeFile(tw *tar.Writer, name string, b []byte) error {
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(b)), ModTime: time.Unix(0, 0)}); err != nil {
		return err
	}
	_, err := tw.Write(b)
	return err
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// orderedTables lists the application tables, parents before children.
func orderedTables(ctx context.Context, db *database.DB, q querier) ([]string, error) {
	var tq, dq string
	if db.Dialect == database.Postgres {
		tq = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
		dq = `SELECT cl.relname, rf.relname FROM pg_constraint c JOIN pg_class cl ON cl.oid = c.conrelid JOIN pg_class rf ON rf.oid = c.confrelid
			WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace`
	} else {
		tq = `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
		dq = `SELECT m.name, f."table" FROM sqlite_master m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table'`
	}
	names, err := strings2(ctx, q, tq)
	if err != nil {
		return nil, err
	}
	deps := map[string][]string{}
	rows, err := q.QueryContext(ctx, dq)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var child, parent string
		if err := rows.Scan(&child, &parent); err != nil {
			rows.Close()
			return nil, err
		}
		if child != parent {
			deps[child] = append(deps[child], parent)
		}
	}
	rows.Close()
	sort.Strings(names)
	var out []string
	done := map[string]bool{}
	var visit func(n string, depth int)
	visit = func(n string, depth int) {
		if done[n] || depth > len(names) {
			return
		}
		for _, p := range deps[n] {
			visit(p, depth+1)
		}
		if !done[n] {
			done[n] = true
			out = append(out, n)
		}
	}
	for _, n := range names {
		if n == "goose_db_version" {
			continue
		}
		visit(n, 0)
	}
	return out, nil
}

func strings2(ctx context.Context, q querier, query string) ([]string, error) {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Values are written as JSON: null, numbers, strings, booleans; times as
// {"t":"RFC3339Nano"}, bytes as {"b":"base64"}.
func encodeValue(v any) any {
	switch x := v.(type) {
	case time.Time:
		return map[string]string{"t": x.UTC().Format(time.RFC3339Nano)}
	case []byte:
		return map[string]string{"b": base64.StdEncoding.EncodeToString(x)}
	}
	return v
}

func decodeValue(v any) (any, error) {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, nil
		}
		return x.Float64()
	case map[string]any:
		if s, ok := x["t"].(string); ok {
			return time.Parse(time.RFC3339Nano, s)
		}
		if s, ok := x["b"].(string); ok {
			return base64.StdEncoding.DecodeString(s)
		}
		return nil, errors.New("unknown tagged value")
	}
	return v, nil
}

func dumpTable(ctx context.Context, q querier, name string) (Table, []byte, error) {
	rows, err := q.QueryContext(ctx, `SELECT * FROM `+quoteIdent(name))
	if err != nil {
		return Table{}, nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return Table{}, nil, err
	}
	t := Table{Name: name, Columns: cols}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return t, nil, err
		}
		out := make([]any, len(cols))
		for i, v := range vals {
			out[i] = encodeValue(v)
		}
		if err := enc.Encode(out); err != nil {
			return t, nil, err
		}
		t.Rows++
	}
	return t, buf.Bytes(), rows.Err()
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// ErrNotEmpty: restore refuses to overwrite an installation with data.
var ErrNotEmpty = errors.New("restore: the target installation already has data (restore needs an empty data directory or database)")

// Restore reads a backup from r into the empty db and blob store. Blobs
// are streamed into the store as they come and each is checked against its
// key; a by-reference backup instead requires every listed blob to be in
// the store already and intact. The rows are inserted only when all blobs
// are in place, in one transaction.
func Restore(ctx context.Context, db *database.DB, blobs blob.Store, r io.Reader) (*Manifest, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("restore: not a rathaus backup (gzip): %w", err)
	}
	tr := tar.NewReader(gz)
	tables := map[string][]byte{}
	blobData := map[string][]byte{} // format 1 only: blobs before the manifest
	var refs []blobRef
	var m *Manifest
	var hd *header
	restored := 0
	checkTarget := func(f int, dialect string, version int64) error {
		if f != 1 && f != format {
			return fmt.Errorf("restore: not a rathaus backup (format %d)", f)
		}
		if dialect != string(db.Dialect) {
			return fmt.Errorf("restore: backup is from %s, target is %s (cross-engine restore is not supported yet)", dialect, db.Dialect)
		}
		var n int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM tenants`).Scan(&n); err == nil && n > 0 {
			return ErrNotEmpty
		}
		return migrateTo(ctx, db, version)
	}
	for first := true; ; first = false {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("restore: broken archive: %w", err)
		}
		if first && h.Name == "header.json" {
			hd = &header{}
			if b, err := io.ReadAll(io.LimitReader(tr, 1<<20)); err != nil || json.Unmarshal(b, hd) != nil {
				return nil, errors.New("restore: broken archive header")
			}
			if err := checkTarget(hd.Format, hd.Dialect, hd.Version); err != nil {
				return nil, err
			}
			continue
		}
		if key, ok := strings.CutPrefix(h.Name, "blobs/"); ok && hd != nil {
			got, _, err := blobs.Put(ctx, tr)
			if err != nil {
				return nil, fmt.Errorf("restore blob %s: %w", key, err)
			}
			if got != key {
				return nil, fmt.Errorf("restore blob %s: content hashes to %s: %w", key, got, blob.ErrCorrupt)
			}
			restored++
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("restore: broken archive: %w", err)
		}
		switch {
		case h.Name == "manifest.json":
			m = &Manifest{}
			if err := json.Unmarshal(b, m); err != nil {
				return nil, fmt.Errorf("restore: manifest: %w", err)
			}
		case h.Name == "blobs.jsonl":
			dec := json.NewDecoder(bytes.NewReader(b))
			for dec.More() {
				var br blobRef
				if err := dec.Decode(&br); err != nil || !blob.ValidKey(br.SHA256) {
					return nil, errors.New("restore: broken blob list")
				}
				refs = append(refs, br)
			}
		case strings.HasPrefix(h.Name, "db/") && strings.HasSuffix(h.Name, ".jsonl"):
			tables[strings.TrimSuffix(strings.TrimPrefix(h.Name, "db/"), ".jsonl")] = b
		case strings.HasPrefix(h.Name, "blobs/"):
			blobData[strings.TrimPrefix(h.Name, "blobs/")] = b
		}
	}
	if m == nil || m.Format != 1 && m.Format != format || hd != nil && m.Format != hd.Format {
		return nil, errors.New("restore: not a rathaus backup (no manifest, or the archive is cut short)")
	}
	if hd == nil {
		if err := checkTarget(m.Format, m.Dialect, m.Version); err != nil {
			return nil, err
		}
		for key, b := range blobData {
			got, _, err := blobs.Put(ctx, bytes.NewReader(b))
			if err != nil {
				return nil, fmt.Errorf("restore blob %s: %w", key, err)
			}
			if got != key {
				return nil, fmt.Errorf("restore blob %s: content hashes to %s: %w", key, got, blob.ErrCorrupt)
			}
			restored++
		}
	}
	if m.BlobsByReference {
		if len(refs) != m.Blobs {
			return nil, fmt.Errorf("restore: the blob list has %d entries, the manifest says %d", len(refs), m.Blobs)
		}
		if err := verifyRefs(ctx, blobs, refs); err != nil {
			return nil, err
		}
	} else if restored != m.Blobs {
		return nil, fmt.Errorf("restore: %d blobs in the archive, the manifest says %d", restored, m.Blobs)
	}
	err = database.WithTx(ctx, db, func(tx *database.Tx) error {
		for _, t := range m.Tables {
			if err := restoreTable(ctx, tx, t, tables[t.Name]); err != nil {
				return fmt.Errorf("restore table %s: %w", t.Name, err)
			}
		}
		if db.Dialect == database.Postgres {
			// Identity columns continue after the restored ids (tables
			// whose id is not an identity column, e.g. text keys, have none).
			for _, t := range m.Tables {
				if !contains(t.Columns, "id") {
					continue
				}
				var seq sql.NullString
				if err := tx.QueryRowContext(ctx, `SELECT pg_get_serial_sequence($1, 'id')`, t.Name).Scan(&seq); err != nil {
					return fmt.Errorf("id sequence of %s: %w", t.Name, err)
				}
				if !seq.Valid {
					continue
				}
				if _, err := tx.ExecContext(ctx, `SELECT setval($1, COALESCE((SELECT MAX(id) FROM `+quoteIdent(t.Name)+`), 0) + 1, false)`, seq.String); err != nil {
					return fmt.Errorf("reset id sequence of %s: %w", t.Name, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, db.Migrate(ctx)
}

// ErrBlobsMissing: a by-reference backup names blobs the store lacks or
// holds altered.
var ErrBlobsMissing = errors.New("restore: blobs of the backup are missing from the store or altered")

// verifyRefs re-hashes every listed blob in the store.
func verifyRefs(ctx context.Context, blobs blob.Store, refs []blobRef) error {
	var bad []string
	for _, br := range refs {
		f, err := blobs.Open(ctx, br.SHA256)
		if errors.Is(err, blob.ErrNotFound) || errors.Is(err, blob.ErrCorrupt) {
			bad = append(bad, br.SHA256)
			continue
		}
		if err != nil {
			return fmt.Errorf("restore: check blob %s: %w", br.SHA256, err)
		}
		n, _ := f.Seek(0, io.SeekEnd)
		f.Close()
		if n != br.Size {
			bad = append(bad, br.SHA256)
		}
	}
	if len(bad) > 0 {
		show := bad
		if len(show) > 5 {
			show = show[:5]
		}
		return fmt.Errorf("%w: %d of %d (%s ...)", ErrBlobsMissing, len(bad), len(refs), strings.Join(show, ", "))
	}
	return nil
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func migrateTo(ctx context.Context, db *database.DB, version int64) error {
	d := goose.DialectSQLite3
	if db.Dialect == database.Postgres {
		d = goose.DialectPostgres
	}
	p, err := goose.NewProvider(d, db.W, database.Migrations(db.Dialect))
	if err != nil {
		return err
	}
	if _, err := p.UpTo(ctx, version); err != nil {
		return fmt.Errorf("restore: migrate to %d: %w", version, err)
	}
	return nil
}

func restoreTable(ctx context.Context, tx *database.Tx, t Table, data []byte) error {
	if t.Rows == 0 {
		return nil
	}
	cols := make([]string, len(t.Columns))
	ph := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = quoteIdent(c)
		ph[i] = fmt.Sprintf("$%d", i+1)
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO `+quoteIdent(t.Name)+` (`+strings.Join(cols, ", ")+`) VALUES (`+strings.Join(ph, ", ")+`)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n := 0
	for dec.More() {
		var row []any
		if err := dec.Decode(&row); err != nil {
			return fmt.Errorf("row %d: %w", n+1, err)
		}
		if len(row) != len(cols) {
			return fmt.Errorf("row %d: %d values for %d columns", n+1, len(row), len(cols))
		}
		for i := range row {
			v, err := decodeValue(row[i])
			if err != nil {
				return fmt.Errorf("row %d column %s: %w", n+1, t.Columns[i], err)
			}
			row[i] = v
		}
		if _, err := stmt.ExecContext(ctx, row...); err != nil {
			return fmt.Errorf("row %d: %w", n+1, err)
		}
		n++
	}
	if n != t.Rows {
		return fmt.Errorf("%d rows in file, manifest says %d", n, t.Rows)
	}
	return nil
}

// ErrUnreadable: the file is not a complete, intact rathaus backup.
var ErrUnreadable = errors.New("unreadable backup")

// Check reads a whole backup without touching any installation — gzip,
// tar, the manifest, every entry to its end and every blob against its
// key — so the CLI can refuse an unreadable, truncated or altered file
// before it opens (and so creates) the target. It streams: blobs are
// hashed, not held.
func Check(r io.Reader) (*Manifest, error) {
	bad := func(msg string, err error) error {
		if err != nil {
			return fmt.Errorf("restore: %s: %v: %w", msg, err, ErrUnreadable)
		}
		return fmt.Errorf("restore: %s: %w", msg, ErrUnreadable)
	}
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, bad("not a rathaus backup (gzip)", err)
	}
	tr := tar.NewReader(gz)
	var m *Manifest
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, bad("broken archive", err)
		}
		if key, ok := strings.CutPrefix(h.Name, "blobs/"); ok {
			sum := sha256.New()
			if _, err := io.Copy(sum, tr); err != nil {
				return nil, bad("broken archive", err)
			}
			if got := hex.EncodeToString(sum.Sum(nil)); got != key {
				return nil, bad("blob "+key+" hashes to "+got, nil)
			}
			continue
		}
		if h.Name != "manifest.json" {
			if _, err := io.Copy(io.Discard, tr); err != nil {
				return nil, bad("broken archive", err)
			}
			continue
		}
		b, err := io.ReadAll(io.LimitReader(tr, 64<<20))
		if err != nil {
			return nil, bad("broken archive", err)
		}
		m = &Manifest{}
		if err := json.Unmarshal(b, m); err != nil {
			return nil, bad("manifest", err)
		}
	}
	if err := gz.Close(); err != nil {
		return nil, bad("broken archive", err)
	}
	if m == nil || m.Format != 1 && m.Format != format {
		return nil, bad("not a rathaus backup (no manifest, or the archive is cut short)", nil)
	}
	return m, nil
}
