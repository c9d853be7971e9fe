// Package database opens the store of rathaus — SQLite by default, PostgreSQL
// when a URL is configured — applies the embedded migrations and runs use
// cases in transactions.
//
// Both engines share one SQL text per query: `$N` placeholders (the SQLite
// driver binds them by number), portable types, CHECK constraints instead of
// enums. The few dialect-only phrases (row locks, upserts) come from helpers
// on DB.
//
// SQLite runs with one writer connection (`_txlock=immediate`, so a write
// transaction takes the lock at BEGIN and concurrent writers — other
// processes included — queue on busy_timeout instead of failing mid-way) and
// a pool of read-only reader connections. PostgreSQL uses one pgx pool for both.
//
// Times are stored in UTC; a transaction carries the instant it began (from
// the injected clock) as Now.
package database

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/rathaus/rathaus/internal/platform/clock"
)

// Dialect names the SQL engine.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

//go:embed migrations
var migrations embed.FS

// ErrNotFound is returned (wrapped) by stores when a row does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned (wrapped) when a unique constraint is violated.
var ErrConflict = errors.New("conflict")

// DB is an open store.
type DB struct {
	Dialect Dialect
	W       *sql.DB // the writer: all transactions
	R       *sql.DB // readers: plain queries outside transactions
	Clock   clock.Clock
	// Path is the SQLite file ("" for PostgreSQL).
	Path string
	url  string
}

// OpenOptions returns options that open the same store again (in another
// process, for example). They may hold a password: never log them.
func (db *DB) OpenOptions() Options {
	if db.Dialect == Postgres {
		return Options{URL: db.url, Clock: db.Clock}
	}
	return Options{DataDir: filepath.Dir(db.Path), Clock: db.Clock}
}

// Options say which store to open.
type Options struct {
	DataDir string      // SQLite file rathaus.db lives here
	URL     string      // postgres://... chooses PostgreSQL
	Clock   clock.Clock // nil: the system clock
}

// Open opens (and creates) the store. It does not migrate; call Migrate.
func Open(ctx context.Context, o Options) (*DB, error) {
	clk := o.Clock
	if clk == nil {
		clk = clock.System{}
	}
	if o.URL != "" {
		return openPostgres(ctx, o.URL, clk)
	}
	if err := os.MkdirAll(o.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("open database: create data directory: %w", err)
	}
	return OpenSQLite(ctx, filepath.Join(o.DataDir, "rathaus.db"), clk)
}

const sqlitePragmas = "_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_time_format=sqlite"

// OpenSQLite opens the SQLite file at path with a single writer connection
// and a reader pool.
func OpenSQLite(ctx context.Context, path string, clk clock.Clock) (*DB, error) {
	u := "file:" + (&url.URL{Path: path}).EscapedPath()
	w, err := sql.Open("sqlite", u+"?"+sqlitePragmas+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite writer: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", u+"?"+sqlitePragmas+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite readers: %w", err)
	}
	n := max(4, runtime.NumCPU())
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	return &DB{Dialect: SQLite, W: w, R: r, Clock: clk, Path: path}, nil
}

func openPostgres(ctx context.Context, dsn string, clk clock.Clock) (*DB, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(10)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open postgres: %w", redactErr(err, dsn))
	}
	return &DB{Dialect: Postgres, W: db, R: db, Clock: clk, url: dsn}, nil
}

// redactErr keeps a password in the URL out of error messages and logs.
func redactErr(err error, dsn string) error {
	u, perr := url.Parse(dsn)
	if perr != nil || u.User == nil {
		return err
	}
	if p, ok := u.User.Password(); ok && p != "" {
		return errors.New(strings.ReplaceAll(err.Error(), p, "xxxxx"))
	}
	return err
}

// Close closes all connections.
func (db *DB) Close() error {
	err := db.W.Close()
	if db.R != db.W {
		err = errors.Join(err, db.R.Close())
	}
	return err
}

// Migrations returns the embedded migration files of the dialect.
func Migrations(d Dialect) fs.FS {
	sub, err := fs.Sub(migrations, "migrations/"+string(d))
	if err != nil {
		panic(err) // embedded at build time
	}
	return sub
}

// Migrate applies all pending migrations. It is safe to call at every start
// and from several processes (goose takes a lock on PostgreSQL; SQLite's
// single writer serialises).
func (db *DB) Migrate(ctx context.Context) error {
	d := goose.DialectSQLite3
	// Modules are developed in parallel with migration numbers reserved per
	// module, so a lower number can arrive after a higher one was applied:
	// it is applied then instead of refused (every migration is forward-only
	// and independent of the others' order within a release).
	opts := []goose.ProviderOption{goose.WithAllowOutofOrder(true)}
	if db.Dialect == Postgres {
		d = goose.DialectPostgres
	}
	p, err := goose.NewProvider(d, db.W, Migrations(db.Dialect), opts...)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// Version returns the applied migration version.
func (db *DB) Version(ctx context.Context) (int64, error) {
	var v sql.NullInt64
	err := db.R.QueryRowContext(ctx, `SELECT MAX(version_id) FROM goose_db_version WHERE is_applied`).Scan(&v)
	return v.Int64, err
}

// ForUpdate returns the row-lock suffix for a SELECT: " FOR UPDATE" on
// PostgreSQL, nothing on SQLite (whose immediate write transaction already
// holds the database lock).
func (db *DB) ForUpdate() string {
	if db.Dialect == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// SkipLocked returns " FOR UPDATE SKIP LOCKED" on PostgreSQL, nothing on SQLite.
func (db *DB) SkipLocked() string {
	if db.Dialect == Postgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// IsUniqueViolation reports whether err is a unique-constraint violation.
func IsUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// Tx is a use case's transaction. It carries the instant the transaction
// began, so everything written in it shares one timestamp and tests control
// it through the injected clock.
type Tx struct {
	*sql.Tx
	DB  *DB
	now time.Time
	ctx context.Context
}

// Now returns the transaction's time (UTC).
func (tx *Tx) Now() time.Time { return tx.now }

// Context returns the context the transaction was started with.
func (tx *Tx) Context() context.Context { return tx.ctx }

type txKey struct{}

// TxFrom returns the transaction whose Context ctx is (or derives from), if
// it belongs to db. Platform code that must write a row and may be called
// both inside a use case's transaction and outside one (the blob store's
// bookkeeping) joins the open transaction instead of waiting for a second
// writer — on SQLite, with its single writer connection, that wait would
// never end.
func TxFrom(ctx context.Context, db *DB) (*Tx, bool) {
	tx, ok := ctx.Value(txKey{}).(*Tx)
	if !ok || tx.DB != db {
		return nil, false
	}
	return tx, true
}

// WithTx runs fn in a write transaction: committed when fn returns nil,
// rolled back otherwise (and on panic), so a use case either completes or
// leaves no trace.
func WithTx(ctx context.Context, db *DB, fn func(tx *Tx) error) (err error) {
	stx, err := db.W.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	// Microseconds: the precision both engines store, so what is hashed or
	// compared in Go equals what is read back.
	tx := &Tx{Tx: stx, DB: db, now: db.Clock.Now().UTC().Truncate(time.Microsecond)}
	tx.ctx = context.WithValue(ctx, txKey{}, tx)
	defer func() {
		if p := recover(); p != nil {
			_ = stx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = stx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = stx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
