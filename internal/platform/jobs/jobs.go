// Package jobs is the durable background work queue: rows in the jobs table,
// enqueued in the same transaction as the change that causes them, so work
// is neither lost when a process dies nor created for a change that rolled
// back.
//
// Life of a job: queued → running (claimed with a lease) → done, or back to
// queued with exponential backoff after a failure, or dead after
// MaxAttempts. A running job whose lease expired (its process died) is
// claimed again by any worker of any process.
//
// Exactly-once database effects: a handler does its slow or external work
// outside any transaction and returns a Finish function. Finish runs in the
// same transaction that marks the job done, guarded by a fencing check on
// (locked_by, attempts): if the lease was lost meanwhile, that transaction
// rolls back and the effect is not written twice. External effects (mail)
// are at-least-once and must be idempotent by the job's Key.
//
// Several workers and processes share the queue safely: PostgreSQL claims
// with FOR UPDATE SKIP LOCKED; SQLite's single immediate writer serialises
// claims.
package jobs

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rathaus/rathaus/internal/platform/database"
)

// Job is one unit of work as a handler sees it.
type Job struct {
	ID          int64           `json:"-"`
	TenantID    int64           `json:"-"` // 0: not tenant-bound
	Kind        string          `json:"kind"`
	Key         string          `json:"key"`
	Payload     json.RawMessage `json:"payload"`
	Status      string          `json:"status"`
	Attempts    int             `json:"attempts"`
	MaxAttempts int             `json:"max_attempts"`
	RunAt       time.Time       `json:"run_at"`
	LastError   string          `json:"last_error"`
	CreatedAt   time.Time       `json:"created_at"`
}

// Finish writes a job's database effects in the transaction that completes it.
type Finish func(tx *database.Tx) error

// Handler does a job. It returns the Finish to run at completion (nil when
// there is nothing to write) or an error to retry later.
type Handler func(ctx context.Context, j Job) (Finish, error)

// Options for Enqueue.
type Options struct {
	Key         string    // idempotency key; one job per (kind, key). Default: random.
	RunAt       time.Time // default: now
	MaxAttempts int       // default 10
	TenantID    int64
}

// Enqueue adds a job in the caller's transaction. A second job with the same
// kind and key is ignored (the first one stands), which makes enqueueing
// idempotent.
func Enqueue(tx *database.Tx, kind string, payload any, o Options) error {
	p, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("enqueue %s: %w", kind, err)
	}
	if o.Key == "" {
		var b [12]byte
		rand.Read(b[:])
		o.Key = hex.EncodeToString(b[:])
	}
	if o.RunAt.IsZero() {
		o.RunAt = tx.Now()
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 10
	}
	var tenant sql.NullInt64
	if o.TenantID != 0 {
		tenant = sql.NullInt64{Int64: o.TenantID, Valid: true}
	}
	_, err = tx.ExecContext(tx.Context(), `INSERT INTO jobs (tenant_id, kind, key, payload, run_at, max_attempts, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (kind, key) DO NOTHING`,
		tenant, kind, o.Key, string(p), o.RunAt.UTC(), o.MaxAttempts, tx.Now())
	if err != nil {
		return fmt.Errorf("enqueue %s: %w", kind, err)
	}
	return nil
}

// Queue runs registered handlers over the jobs table.
type Queue struct {
	DB       *database.DB
	Log      *slog.Logger
	Lease    time.Duration // how long a claim holds; default 5 min
	Poll     time.Duration // idle wait between polls; default 1 s
	WorkerID string

	mu       sync.RWMutex
	handlers map[string]Handler
}

// New returns a queue with a random worker id.
func New(db *database.DB, log *slog.Logger) *Queue {
	var b [6]byte
	rand.Read(b[:])
	return &Queue{DB: db, Log: log, Lease: 5 * time.Minute, Poll: time.Second, WorkerID: hex.EncodeToString(b[:]), handlers: map[string]Handler{}}
}

// Register sets the handler of a kind. Register before Run.
func (q *Queue) Register(kind string, h Handler) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.handlers[kind] = h
}

// Backoff is the wait before attempt n+1 after n failed attempts:
// 10 s, 20 s, 40 s ... capped at one hour.
func Backoff(n int) time.Duration {
	d := 10 * time.Second
	for i := 1; i < n && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// ErrNoJob: nothing is due.
var ErrNoJob = errors.New("no job due")

// RunOnce claims one due job of a registered kind and runs it. It returns
// ErrNoJob when nothing is due.
func (q *Queue) RunOnce(ctx context.Context) error {
	j, err := q.claim(ctx)
	if err != nil {
		return err
	}
	q.mu.RLock()
	h := q.handlers[j.Kind]
	q.mu.RUnlock()
	fin, herr := runHandler(ctx, h, j)
	if herr == nil {
		herr = database.WithTx(ctx, q.DB, func(tx *database.Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE jobs SET status = 'done', finished_at = $1, locked_until = NULL, last_error = ''
				WHERE id = $2 AND locked_by = $3 AND attempts = $4 AND status = 'running'`, tx.Now(), j.ID, q.WorkerID, j.Attempts)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			if n != 1 {
				return errLeaseLost
			}
			if fin != nil {
				return fin(tx)
			}
			return nil
		})
		if herr == nil {
			q.Log.Debug("job done", "job_kind", j.Kind, "job_key", j.Key, "attempt", j.Attempts)
			return nil
		}
		if errors.Is(herr, errLeaseLost) {
			q.Log.Warn("job lease lost; result discarded", "job_kind", j.Kind, "job_key", j.Key)
			return nil
		}
	}
	return q.fail(ctx, j, herr)
}

var errLeaseLost = errors.New("job lease lost")

func runHandler(ctx context.Context, h Handler, j Job) (fin Finish, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panic: %v", p)
		}
	}()
	if h == nil {
		return nil, fmt.Errorf("no handler registered for kind %q", j.Kind)
	}
	return h(ctx, j)
}

func (q *Queue) fail(ctx context.Context, j Job, cause error) error {
	msg := cause.Error()
	if len(msg) > 2000 {
		msg = msg[:2000]
	}
	return database.WithTx(ctx, q.DB, func(tx *database.Tx) error {
		status, runAt := "queued", tx.Now().Add(Backoff(j.Attempts))
		if j.Attempts >= j.MaxAttempts {
			status = "dead"
		}
		_, err := tx.ExecContext(ctx, `UPDATE jobs SET status = $1, run_at = $2, locked_until = NULL, last_error = $3
			WHERE id = $4 AND locked_by = $5 AND attempts = $6`, status, runAt, msg, j.ID, q.WorkerID, j.Attempts)
		if status == "dead" {
			q.Log.Error("job dead", "job_kind", j.Kind, "job_key", j.Key, "attempts", j.Attempts, "err", msg)
		} else {
			q.Log.Warn("job failed; will retry", "job_kind", j.Kind, "job_key", j.Key, "attempt", j.Attempts, "retry_at", runAt, "err", msg)
		}
		return err
	})
}

func (q *Queue) kinds() []any {
	q.mu.RLock()
	defer q.mu.RUnlock()
	ks := make([]any, 0, len(q.handlers))
	for k := range q.handlers {
		ks = append(ks, k)
	}
	return ks
}

func (q *Queue) claim(ctx context.Context) (Job, error) {
	kinds := q.kinds()
	if len(kinds) == 0 {
		return Job{}, ErrNoJob
	}
	j, err := q.claimWhere(ctx, kinds, `(status = 'queued' AND run_at <= $1) OR (status = 'running' AND locked_until < $1)`, q.DB.SkipLocked())
	if errors.Is(err, ErrNoJob) && q.DB.Dialect == database.Postgres {
		// A job whose lease expired may still be locked by the transaction
		// of a worker that died in it (SIGKILL in the middle of Finish):
		// SKIP LOCKED passes over it until the server has noticed the lost
		// connection and rolled back. Waiting for that lock (bounded by
		// lockWait) instead makes the rerun certain, not a matter of
		// timing; a live holder that commits meanwhile has finished the
		// job, and the row no longer qualifies when the wait ends.
		j, err = q.claimWhere(ctx, kinds, `status = 'running' AND locked_until < $1`, " FOR UPDATE")
	}
	return j, err
}

// lockWait bounds how long a claim waits for an expired job's row lock.
const lockWait = "10s"

func (q *Queue) claimWhere(ctx context.Context, kinds []any, cond, lock string) (Job, error) {
	var j Job
	err := database.WithTx(ctx, q.DB, func(tx *database.Tx) error {
		if lock == " FOR UPDATE" {
			if _, err := tx.ExecContext(ctx, `SET LOCAL lock_timeout = '`+lockWait+`'`); err != nil {
				return fmt.Errorf("claim job: %w", err)
			}
		}
		in := ""
		args := []any{tx.Now()}
		for i, k := range kinds {
			if i > 0 {
				in += ", "
			}
			args = append(args, k)
			in += fmt.Sprintf("$%d", len(args))
		}
		var tenant sql.NullInt64
		row := tx.QueryRowContext(ctx, `SELECT id, tenant_id, kind, key, payload, attempts, max_attempts, run_at, created_at FROM jobs
			WHERE (`+cond+`) AND kind IN (`+in+`)
			ORDER BY run_at, id LIMIT 1`+lock, args...)
		var payload string
		if err := row.Scan(&j.ID, &tenant, &j.Kind, &j.Key, &payload, &j.Attempts, &j.MaxAttempts, &j.RunAt, &j.CreatedAt); err != nil {
			if errors.Is(err, sql.ErrNoRows) || isLockTimeout(err) {
				return ErrNoJob
			}
			return fmt.Errorf("claim job: %w", err)
		}
		j.TenantID, j.Payload, j.Status = tenant.Int64, json.RawMessage(payload), "running"
		j.Attempts++
		_, err := tx.ExecContext(ctx, `UPDATE jobs SET status = 'running', attempts = $1, locked_by = $2, locked_until = $3 WHERE id = $4`,
			j.Attempts, q.WorkerID, tx.Now().Add(q.Lease), j.ID)
		return err
	})
	return j, err
}

// isLockTimeout reports PostgreSQL's lock_not_available (55P03).
func isLockTimeout(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "55P03"
}

// Run starts n workers that process jobs until ctx is cancelled.
func (q *Queue) Run(ctx context.Context, n int) {
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Go(func() {
			for ctx.Err() == nil {
				err := q.RunOnce(ctx)
				if err == nil {
					continue
				}
				if !errors.Is(err, ErrNoJob) && ctx.Err() == nil {
					q.Log.Error("job queue", "err", err)
				}
				select {
				case <-ctx.Done():
				case <-time.After(q.Poll):
				}
			}
		})
	}
	wg.Wait()
}

// List returns jobs of every tenant with the given status ("dead" for the
// operator's list), newest first.
func List(ctx context.Context, db *database.DB, status string, limit int) ([]Job, error) {
	return list(ctx, db, `SELECT id, kind, key, payload, status, attempts, max_attempts, run_at, last_error, created_at
		FROM jobs WHERE status = $1 ORDER BY id DESC LIMIT $2`, status, limit)
}

// ListTenant is List restricted to one tenant's jobs (for its admins).
func ListTenant(ctx context.Context, db *database.DB, tenantID int64, status string, limit int) ([]Job, error) {
	return list(ctx, db, `SELECT id, kind, key, payload, status, attempts, max_attempts, run_at, last_error, created_at
		FROM jobs WHERE status = $1 AND tenant_id = $3 ORDER BY id DESC LIMIT $2`, status, limit, tenantID)
}

func list(ctx context.Context, db *database.DB, q string, args ...any) ([]Job, error) {
	rows, err := db.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	defer rows.Close()
	out := []Job{}
	for rows.Next() {
		var j Job
		var p string
		if err := rows.Scan(&j.ID, &j.Kind, &j.Key, &p, &j.Status, &j.Attempts, &j.MaxAttempts, &j.RunAt, &j.LastError, &j.CreatedAt); err != nil {
			return nil, err
		}
		j.Payload = json.RawMessage(p)
		out = append(out, j)
	}
	return out, rows.Err()
}

// Retry puts a dead job back in the queue with a fresh attempt budget.
func Retry(ctx context.Context, db *database.DB, kind, key string) error {
	return database.WithTx(ctx, db, func(tx *database.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE jobs SET status = 'queued', attempts = 0, run_at = $1 WHERE kind = $2 AND key = $3 AND status = 'dead'`, tx.Now(), kind, key)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("retry job %s/%s: %w", kind, key, database.ErrNotFound)
		}
		return nil
	})
}

// Stats are the queue's figures for monitoring.
type Stats struct {
	ByStatus map[string]int // queued, running, done, dead
	// OldestDue is how long the oldest due, unclaimed job has waited (0:
	// none waiting): growing means the workers do not keep up.
	OldestDue time.Duration
}

// Stat counts the jobs by status and measures the wait of the oldest due job.
func Stat(ctx context.Context, db *database.DB) (Stats, error) {
	s := Stats{ByStatus: map[string]int{"queued": 0, "running": 0, "done": 0, "dead": 0}}
	rows, err := db.R.QueryContext(ctx, `SELECT status, COUNT(*) FROM jobs GROUP BY status`)
	if err != nil {
		return s, err
	}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			rows.Close()
			return s, err
		}
		s.ByStatus[st] = n
	}
	rows.Close()
	var oldest time.Time
	now := db.Clock.Now()
	// ORDER BY ... LIMIT 1, not MIN(): SQLite returns MIN() of a time column as text.
	err = db.R.QueryRowContext(ctx, `SELECT run_at FROM jobs WHERE status = 'queued' AND run_at <= $1 ORDER BY run_at LIMIT 1`, now.UTC()).Scan(&oldest)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return s, err
	default:
		s.OldestDue = max(now.Sub(oldest), 0)
	}
	return s, nil
}
