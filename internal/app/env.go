package app

import (
	"context"
	"fmt"
	"github.com/rathaus/rathaus/internal/catalog"
	"log/slog"
	"net/http"
	"path/filepath"

	"github.com/rathaus/rathaus/internal/forms"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/blob"
	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/config"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/mail"
	"github.com/rathaus/rathaus/internal/platform/ratelimit"
)

// env is an opened installation: stores and domain services.
type env struct {
	cfg config.Config
	log *slog.Logger
	db  *database.DB
	// blobs is the installation's store (directory or S3 bucket), recording
	// each Put in the blobs table; domains Put, then blob.Keep in their tx.
	blobs       *blob.Tracked
	blobMetrics *blobMetrics
	identity    *identity.Service
	mail        mail.Sender
	// limits is the installation's shared rate limiter (off with
	// RATHAUS_RATE_LIMITS=off, logged at start-up).
	limits *ratelimit.Limiter
	// demoHosts are the names the demo city answers on and listenURL the
	// demo's address for mailed links (both set by serve in demo mode).
	demoHosts []string
	listenURL string
	forms     *forms.Service // formsService(): built on first use
	// catalog is the process's catalog (it caches each tenant's finder);
	// set when the handler is built.
	catalog *catalog.Catalog
	// metrics serves the installation's metrics (built with the handler).
	metrics http.Handler
}

// open opens the database and blob store and migrates the schema.
func open(ctx context.Context, cfg config.Config, log *slog.Logger, clk clock.Clock) (*env, error) {
	db, err := database.Open(ctx, database.Options{DataDir: cfg.DataDir, URL: cfg.DatabaseURL, Clock: clk})
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	blobs, bm, err := openBlobs(ctx, cfg, db, log)
	if err != nil {
		db.Close()
		return nil, err
	}
	var sender mail.Sender = mail.Dir{Path: filepath.Join(cfg.DataDir, "outbox")}
	if cfg.SMTPURL != "" {
		s, err := mail.ParseURL(cfg.SMTPURL)
		if err != nil {
			db.Close()
			return nil, err
		}
		sender = s
	}
	log.Debug("store open", "dialect", string(db.Dialect), "data_dir", cfg.DataDir)
	if !cfg.RateLimits {
		log.Warn("rate limits are switched off (RATHAUS_RATE_LIMITS=off): only for load tests")
	}
	limits := ratelimit.New(db, cfg.RateLimits)
	return &env{cfg: cfg, log: log, db: db, blobs: blobs, blobMetrics: bm, identity: &identity.Service{DB: db, Limiter: limits}, mail: sender,
		limits: limits}, nil
}

func (e *env) close() { e.db.Close() }

// tenant resolves --tenant (or the only / default tenant).
func (e *env) tenant(ctx context.Context) (*identity.Tenant, error) {
	t, err := e.identity.ResolveTenant(ctx, e.cfg.Tenant)
	if err != nil {
		return nil, fmt.Errorf("tenant: %w", err)
	}
	return t, nil
}
