package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/blob"
	"github.com/rathaus/rathaus/internal/platform/cli"
	"github.com/rathaus/rathaus/internal/platform/config"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/jobs"
)

// The blob store: a directory under the data directory, or the S3 bucket of
// RATHAUS_BLOB_URL; wrapped in blob.Tracked so every Put is recorded in the
// blobs table, a corrupt read is audited, and both are counted in /metrics.

// blobCollectEvery is how often the clean-up of unreferenced blobs runs.
const blobCollectEvery = time.Hour

// blobLocation is the configured store's address.
func blobLocation(cfg config.Config) (blob.Location, error) {
	if cfg.BlobURL == "" {
		return blob.Location{Dir: filepath.Join(cfg.DataDir, "blobs")}, nil
	}
	return blob.ParseURL(cfg.BlobURL)
}

// blobMetrics counts blob operations for /metrics.
type blobMetrics struct {
	ops     *prometheus.CounterVec
	bytes   *prometheus.CounterVec
	seconds *prometheus.HistogramVec
	corrupt prometheus.Counter
}

func newBlobMetrics() *blobMetrics {
	return &blobMetrics{
		ops: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rathaus_blob_operations_total",
			Help: "Blob store operations by op (put, open) and result (ok, unavailable, corrupt, not_found, error)."}, []string{"op", "result"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rathaus_blob_bytes_total",
			Help: "Bytes stored (put) and served verified (open)."}, []string{"op"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "rathaus_blob_operation_duration_seconds",
			Help: "Duration of blob puts and verified opens.", Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, []string{"op"}),
		corrupt: prometheus.NewCounter(prometheus.CounterOpts{Name: "rathaus_blob_corrupt_total",
			Help: "Reads that found a blob whose bytes no longer match its SHA-256 (never served; audited)."}),
	}
}

func (m *blobMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.ops, m.bytes, m.seconds, m.corrupt}
}

func (m *blobMetrics) observe(op string, n int64, d time.Duration, err error) {
	result := "ok"
	switch {
	case err == nil:
		m.bytes.WithLabelValues(op).Add(float64(n))
		m.seconds.WithLabelValues(op).Observe(d.Seconds())
	case errors.Is(err, fault.ErrUnavailable):
		result = "unavailable"
	case errors.Is(err, blob.ErrCorrupt):
		result = "corrupt"
	case errors.Is(err, blob.ErrNotFound):
		result = "not_found"
	default:
		result = "error"
	}
	m.ops.WithLabelValues(op, result).Inc()
}

// openBlobs opens the configured store; a wrong bucket, refused
// credentials or an unreachable object store refuse to start.
func openBlobs(ctx context.Context, cfg config.Config, db *database.DB, log interface {
	Error(msg string, args ...any)
}) (*blob.Tracked, *blobMetrics, error) {
	loc, err := blobLocation(cfg)
	if err != nil {
		return nil, nil, cli.Usagef("configuration: RATHAUS_BLOB_URL: %v", err)
	}
	backend, err := loc.Open(ctx, cfg.S3AccessKey, cfg.S3SecretKey)
	if err != nil {
		return nil, nil, fmt.Errorf("RATHAUS_BLOB_URL: %w", err)
	}
	m := newBlobMetrics()
	t := &blob.Tracked{Store: backend, DB: db, Observe: m.observe}
	t.OnCorrupt = func(ctx context.Context, key string) {
		m.corrupt.Inc()
		log.Error("blob corrupt: stored bytes do not match their SHA-256; not served", "blob", key, "store", loc.String())
		if err := auditCorrupt(ctx, db, key); err != nil {
			log.Error("audit corrupt blob", "blob", key, "err", err)
		}
	}
	return t, m, nil
}

// auditCorrupt records the finding in the audit trail of every tenant whose
// rows keep the blob, or of the request's tenant.
func auditCorrupt(ctx context.Context, db *database.DB, key string) error {
	tenants, err := blob.Tenants(ctx, db, key)
	if err != nil {
		return err
	}
	if t := identity.TenantFrom(ctx); t != nil && !contains(tenants, t.ID) {
		tenants = append(tenants, t.ID)
	}
	for _, id := range tenants {
		err := database.WithTx(ctx, db, func(tx *database.Tx) error {
			return audit.Append(tx, audit.Event{TenantID: id, Actor: "system", Action: "blob.corrupt", ObjectType: "blob", ObjectRef: key,
				After: map[string]string{"finding": "stored bytes do not match the SHA-256; the blob was not served"}})
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func contains(xs []int64, x int64) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// registerBlobJobs adds the recurring clean-up to the queue and makes sure
// its next run is scheduled (idempotent: one job per slot, whichever
// instance enqueues it).
func (e *env) registerBlobJobs(ctx context.Context, q *jobs.Queue) {
	q.Register(blob.CollectJobKind, blob.CollectJob(e.db, e.blobs.Backend(), blob.DefaultGrace, blobCollectEvery))
	err := database.WithTx(ctx, e.db, func(tx *database.Tx) error { return blob.ScheduleCollect(tx, blobCollectEvery) })
	if err != nil {
		e.log.Error("schedule blob clean-up", "err", err)
	}
}

// runBlobs: blobs verify | blobs migrate --to URL [--from URL] | blobs collect.
func runBlobs(ctx context.Context, io IO, args []string) error {
	var to, from string
	var grace time.Duration
	e, pos, err := openCmd(ctx, "blobs", args, io, func(fs *flag.FlagSet) {
		fs.StringVar(&to, "to", "", "migrate: target store `URL` (s3://BUCKET?endpoint=HOST:PORT&region=R&tls=true|false, or file:///DIR)")
		fs.StringVar(&from, "from", "", "migrate: source store `URL` (default: the configured store)")
		fs.DurationVar(&grace, "grace", blob.DefaultGrace, "collect: remove unreferenced blobs untouched for this long")
	})
	if err != nil {
		return err
	}
	defer e.close()
	if len(pos) != 1 {
		return cli.Usagef("blobs verify | blobs migrate --to URL [--from URL] | blobs collect [--grace 24h]")
	}
	switch pos[0] {
	case "verify":
		rep, err := blob.Check(ctx, e.db, e.blobs.Backend(), true)
		if err != nil {
			return err
		}
		if e.cfg.JSON {
			printJSON(io.Stdout, rep)
		} else {
			fmt.Fprintf(io.Stdout, "%d blobs re-hashed (%d bytes): %d corrupt, %d referenced but missing, %d unreadable\n",
				rep.Checked, rep.Bytes, len(rep.Corrupt), len(rep.Missing), len(rep.Failures))
			for _, k := range rep.Corrupt {
				fmt.Fprintln(io.Stdout, "corrupt", k)
			}
			for _, k := range rep.Missing {
				fmt.Fprintln(io.Stdout, "missing", k)
			}
			for _, k := range rep.Failures {
				fmt.Fprintln(io.Stdout, "unreadable", k)
			}
		}
		if !rep.OK() {
			return cli.ErrNegative
		}
		return nil
	case "migrate":
		return e.migrateBlobs(ctx, io, from, to)
	case "collect":
		n, err := blob.Collect(ctx, e.db, e.blobs.Backend(), grace, 1<<30)
		if err != nil {
			return err
		}
		if e.cfg.JSON {
			return printJSON(io.Stdout, map[string]int{"removed": n})
		}
		fmt.Fprintf(io.Stdout, "%d unreferenced blobs removed\n", n)
		return nil
	}
	return cli.Usagef("blobs: unknown subcommand %q", pos[0])
}

func (e *env) migrateBlobs(ctx context.Context, io IO, from, to string) error {
	if to == "" {
		return cli.Usagef("blobs migrate --to URL")
	}
	dst, err := blob.ParseURL(to)
	if err != nil {
		return cli.Usagef("blobs migrate --to: %v", err)
	}
	src := e.blobs.Backend()
	srcLoc, _ := blobLocation(e.cfg)
	if from != "" {
		if srcLoc, err = blob.ParseURL(from); err != nil {
			return cli.Usagef("blobs migrate --from: %v", err)
		}
		if src, err = srcLoc.Open(ctx, e.cfg.S3AccessKey, e.cfg.S3SecretKey); err != nil {
			return fmt.Errorf("source store: %w", err)
		}
	}
	if srcLoc.String() == dst.String() {
		return cli.Usagef("blobs migrate: source and target are the same store (%s)", dst)
	}
	target, err := dst.Open(ctx, e.cfg.S3AccessKey, e.cfg.S3SecretKey)
	if err != nil {
		return fmt.Errorf("target store: %w", err)
	}
	e.log.Info("migrating blobs", "from", srcLoc.String(), "to", dst.String())
	last := time.Now()
	rep, err := blob.Copy(ctx, src, target, func(r blob.CopyReport) {
		if time.Since(last) > 5*time.Second {
			last = time.Now()
			e.log.Info("migrating blobs", "seen", r.Total, "copied", r.Copied, "present", r.Present, "failed", len(r.Failed))
		}
	})
	if e.cfg.JSON {
		printJSON(io.Stdout, map[string]any{"from": srcLoc.String(), "to": dst.String(), "total": rep.Total, "copied": rep.Copied,
			"already_present": rep.Present, "bytes": rep.Bytes, "failed": rep.Failed, "complete": err == nil})
	} else {
		fmt.Fprintf(io.Stdout, "%d blobs: %d copied (%d bytes), %d already at the target, %d failed\n", rep.Total, rep.Copied, rep.Bytes, rep.Present, len(rep.Failed))
		for _, f := range rep.Failed {
			fmt.Fprintln(io.Stdout, "failed", f)
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(io.Stderr, "interrupted: run the same command again to resume")
		}
		return err
	}
	if len(rep.Failed) > 0 {
		return cli.ErrNegative
	}
	return nil
}
