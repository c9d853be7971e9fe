// Package backup writes and restores a complete copy of one installation:
// every table of the database (rows in a portable, typed JSON form) and every
// blob, in one tar.gz file.
//
// Consistency: the rows are read inside one read transaction (a snapshot on
// both engines); blobs are content-addressed and never change, so copying
// them after the snapshot is safe (a blob written later is extra, never
// missing for a row in the snapshot — blobs are stored before their row).
//
// Restore goes into an empty installation only: it migrates to the backup's
// schema version, inserts all rows in one transaction (parents before
// children), restores and re-verifies each blob, then migrates forward.
// If anything fails, the transaction rolls back and nothing is half-restored.
package backup

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/base64"
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
}

// Table is one table's place in the backup.
type Table struct {
	Name    string   `json:"name"`
	Columns []string `json:"columns"`
	Rows    int      `json:"rows"`
}

const format = 1

// Create writes a backup of db and blobs to w.
func Create(ctx context.Context, db *database.DB, blobs blob.Store, w io.Writer) (*Manifest, error) {
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	version, err := db.Version(ctx)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	m := &Manifest{Format: format, Dialect: string(db.Dialect), Version: version, CreatedAt: db.Clock.Now().UTC()}
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
	err = blobs.Walk(ctx, func(key string) error {
		f, err := blobs.Open(ctx, key)
		if err != nil {
			return fmt.Errorf("backup blob %s: %w", key, err)
		}
		defer f.Close()
		b, err := io.ReadAll(f)
		if err != nil {
			return err
		}
		m.Blobs++
		return writeFile(tw, "blobs/"+key, b)
	})
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

// ErrUnreadable: the file is not a (complete, intact) rathaus backup.
var ErrUnreadable = errors.New("unreadable backup")

// Check reads a whole backup without touching any installation: gzip, tar,
// manifest and every entry. The CLI runs it before it opens (and so
// creates) the target, so an unreadable file leaves nothing behind.
func Check(r io.Reader) (*Manifest, error) {
	m, _, _, err := read(r)
	return m, err
}

// read unpacks a backup into memory: the manifest, the tables' rows and
// the blobs.
func read(r io.Reader) (*Manifest, map[string][]byte, map[string][]byte, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("restore: not a rathaus backup (gzip): %v: %w", err, ErrUnreadable)
	}
	tr := tar.NewReader(gz)
	tables := map[string][]byte{}
	blobData := map[string][]byte{}
	var m *Manifest
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, nil, fmt.Errorf("restore: broken archive: %v: %w", err, ErrUnreadable)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("restore: broken archive: %v: %w", err, ErrUnreadable)
		}
		switch {
		case h.Name == "manifest.json":
			m = &Manifest{}
			if err := json.Unmarshal(b, m); err != nil {
				return nil, nil, nil, fmt.Errorf("restore: manifest: %v: %w", err, ErrUnreadable)
			}
		case strings.HasPrefix(h.Name, "db/") && strings.HasSuffix(h.Name, ".jsonl"):
			tables[strings.TrimSuffix(strings.TrimPrefix(h.Name, "db/"), ".jsonl")] = b
		case strings.HasPrefix(h.Name, "blobs/"):
			blobData[strings.TrimPrefix(h.Name, "blobs/")] = b
		}
	}
	if err := gz.Close(); err != nil {
		return nil, nil, nil, fmt.Errorf("restore: broken archive: %v: %w", err, ErrUnreadable)
	}
	if m == nil || m.Format != format {
		return nil, nil, nil, fmt.Errorf("restore: not a rathaus backup (no manifest of format 1): %w", ErrUnreadable)
	}
	for _, t := range m.Tables {
		if _, ok := tables[t.Name]; !ok && t.Rows > 0 {
			return nil, nil, nil, fmt.Errorf("restore: table %s missing from the archive: %w", t.Name, ErrUnreadable)
		}
	}
	return m, tables, blobData, nil
}

// Restore reads a backup from r into the empty db and blob store.
func Restore(ctx context.Context, db *database.DB, blobs blob.Store, r io.Reader) (*Manifest, error) {
	m, tables, blobData, err := read(r)
	if err != nil {
		return nil, err
	}
	if m.Dialect != string(db.Dialect) {
		return nil, fmt.Errorf("restore: backup is from %s, target is %s (cross-engine restore is not supported yet)", m.Dialect, db.Dialect)
	}
	var n int
	if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM tenants`).Scan(&n); err == nil && n > 0 {
		return nil, ErrNotEmpty
	}
	if err := migrateTo(ctx, db, m.Version); err != nil {
		return nil, err
	}
	for key, b := range blobData {
		got, _, err := blobs.Put(ctx, bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("restore blob %s: %w", key, err)
		}
		if got != key {
			return nil, fmt.Errorf("restore blob %s: content hashes to %s: %w: %w", key, got, blob.ErrCorrupt, ErrUnreadable)
		}
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
			return fmt.Errorf("row %d: %v: %w", n+1, err, ErrUnreadable)
		}
		if len(row) != len(cols) {
			return fmt.Errorf("row %d: %d values for %d columns: %w", n+1, len(row), len(cols), ErrUnreadable)
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
		return fmt.Errorf("%d rows in file, manifest says %d: %w", n, t.Rows, ErrUnreadable)
	}
	return nil
}
