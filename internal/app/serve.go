package app

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/cli"
	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/jobs"
	"github.com/rathaus/rathaus/internal/platform/mail"
	"github.com/rathaus/rathaus/internal/platform/web"
)

func runServe(ctx context.Context, io IO, args []string) error {
	return serve(ctx, io, args, "serve", nil)
}

// serve opens the installation, runs before (the demo seeding) and then
// serves until ctx is cancelled. The first stdout line is
// "listening on http://HOST:PORT" with the real port.
func serve(ctx context.Context, io IO, args []string, name string, before func(ctx context.Context, e *env) (after func(), err error)) error {
	cfg, pos, err := load(name, args, io)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return cli.Usagef("%s takes no arguments", name)
	}
	log := newLogger(io.Stderr, cfg.LogLevel)
	e, err := open(ctx, cfg, log, clock.System{})
	if err != nil {
		return err
	}
	defer e.close()
	var after func()
	if before != nil {
		if after, err = before(ctx, e); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (RATHAUS_ADDR / --addr): %w", cfg.Addr, err)
	}
	var ready atomic.Bool
	h, _ := e.handler(&ready)
	fmt.Fprintf(io.Stdout, "listening on http://%s\n", ln.Addr().String())
	if after != nil {
		after()
	}
	ready.Store(true)
	log.Info("serving", "addr", ln.Addr().String(), "dialect", string(e.db.Dialect), "version", Version)

	jctx, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	q := e.jobs()
	wg.Go(func() { q.Run(jctx, cfg.Workers) })
	err = web.Serve(ctx, ln, h, log, cfg.ShutdownTimeout)
	ready.Store(false)
	stopJobs()
	wg.Wait()
	log.Info("stopped")
	return err
}

// jobs builds the queue with every domain's handlers registered.
func (e *env) jobs() *jobs.Queue {
	q := jobs.New(e.db, e.log)
	q.Register(mail.JobKind, mail.JobHandler(e.mail))
	e.einvoiceJobs(q)
	return q
}

// handler builds the whole HTTP surface.
func (e *env) handler(ready *atomic.Bool) (http.Handler, *web.Router) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := web.NewMetrics(reg)

	rt := web.NewRouter(renderError)
	rt.SetBodyCeiling(e.cfg.MaxBodyBytes)
	rt.SetCatalog(site().cat)
	idh := &identity.Handler{Svc: e.identity, Pages: site().r, BaseURL: e.baseURL,
		OIDC: &identity.OIDC{Svc: e.identity, Secret: func(tenant, provider string) string {
			if e.cfg.Getenv == nil {
				return ""
			}
			return e.cfg.Getenv(identity.OIDCSecretVar(tenant, provider))
		}}}

	rt.Handle("GET /healthz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	}))
	rt.Handle("GET /readyz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if ready == nil || !ready.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "not ready")
			return
		}
		if err := e.db.R.PingContext(r.Context()); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "database unreachable")
			return
		}
		fmt.Fprintln(w, "ready")
	}))
	rt.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/openapi.json", ID: "openapi", Tag: "meta", Public: true,
		Summary: "This OpenAPI document"}, func(w http.ResponseWriter, r *http.Request) error {
		web.WriteJSON(w, 200, rt.OpenAPI("Rathaus API", Version))
		return nil
	})
	idh.Routes(rt)
	mountCatalog(rt, e, idh)
	mountEinvoice(rt, e, idh)
	(&adminHandler{env: e, id: idh}).Routes(rt)
	mountPages(rt, e, idh)

	tenanted := idh.TenantMiddleware(rt)
	root := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz", "/readyz", "/metrics":
			rt.ServeHTTP(w, r)
		default:
			tenanted.ServeHTTP(w, r)
		}
	})
	return web.Middleware(root, web.Options{Log: e.log, MaxBodyBytes: e.cfg.MaxBodyBytes, Metrics: metrics, Errors: renderError, OnCSRF: e.auditCSRF}), rt
}

// baseURL is the public address of the request's tenant for links in mails,
// eID callbacks and passkeys: the tenant's first configured host (https),
// else RATHAUS_PUBLIC_URL, else — for a default tenant without either, as
// in the demo — the request's own host.
func (e *env) baseURL(r *http.Request) string {
	if t := identity.TenantFrom(r.Context()); t != nil && len(t.Hosts) > 0 {
		return "https://" + t.Hosts[0]
	}
	if e.cfg.PublicURL != "" {
		return e.cfg.PublicURL
	}
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// auditCSRF records a refused cross-origin browser request in the audit
// trail of the tenant the request was addressed to.
func (e *env) auditCSRF(r *http.Request) {
	t, err := e.identity.TenantByHost(r.Context(), r.Host)
	if err != nil {
		return
	}
	err = database.WithTx(r.Context(), e.db, func(tx *database.Tx) error {
		return audit.Append(tx, audit.Event{TenantID: t.ID, Actor: "anonymous", Action: "request.csrf_refused", ObjectType: "request", ObjectRef: r.Method + " " + r.URL.Path,
			After: map[string]string{"origin": r.Header.Get("Origin"), "sec_fetch_site": r.Header.Get("Sec-Fetch-Site"), "request_id": web.RequestID(r.Context())}})
	})
	if err != nil {
		e.log.Error("audit csrf refusal", "err", err)
	}
}
