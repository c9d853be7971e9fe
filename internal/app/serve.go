package app

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
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
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/jobs"
	"github.com/rathaus/rathaus/internal/platform/mail"
	"github.com/rathaus/rathaus/internal/platform/web"
)

func runServe(ctx context.Context, io IO, args []string) error {
	return serve(ctx, io, args, "serve", nil)
}

// loopbackHosts are the names the demo city answers on without --host: a
// web page elsewhere cannot reach it by DNS rebinding.
var loopbackHosts = []string{"localhost", "127.0.0.1", "::1"}

// hostList is the repeatable --host flag.
type hostList []string

func (h *hostList) String() string { return strings.Join(*h, ",") }
func (h *hostList) Set(v string) error {
	if !identity.ValidHost(v) {
		return fmt.Errorf("%q is not a host name (without port)", v)
	}
	*h = append(*h, identity.NormalizeHost(v))
	return nil
}

// serve opens the installation, runs before (the demo seeding) and then
// serves until ctx is cancelled. The first stdout line is
// "listening on http://HOST:PORT" with the real port. A database holding
// the demo city is served only by `rathaus demo` or with RATHAUS_DEMO=1.
func serve(ctx context.Context, io IO, args []string, name string, before func(ctx context.Context, e *env) (after func(), err error)) error {
	var hosts hostList
	cfg, pos, err := load(name, args, io, func(fs *flag.FlagSet) {
		fs.Var(&hosts, "host", "a further host `name` the demo city answers on (repeatable; default: localhost, 127.0.0.1, [::1] only)")
	})
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return cli.Usagef("%s takes no arguments", name)
	}
	demo := name == "demo" || cfg.Demo
	if len(hosts) > 0 && !demo {
		return cli.Usagef("--host is for the demo city; a municipality answers the hosts it was created with (rathaus tenant create --host NAME)")
	}
	log := newLogger(io.Stderr, cfg.LogLevel)
	e, err := open(ctx, cfg, log, clock.System{})
	if err != nil {
		return err
	}
	defer e.close()
	if !demo {
		if t, err := e.identity.DemoTenant(ctx); err == nil {
			return cli.Usagef("this database holds the demo city %s, whose passwords and API tokens are published; `rathaus serve` does not serve it. "+
				"Try Rathaus with `rathaus demo`; for production use a new, empty database (RATHAUS_DATA_DIR / RATHAUS_DATABASE_URL) and `rathaus tenant create`. "+
				"RATHAUS_DEMO=1 serves it anyway", t.Name)
		} else if !errors.Is(err, fault.ErrNotFound) {
			return err
		}
	}
	// Listen first, so that the demo's address is known to the links its
	// seeding mails (a demo decision's notification); requests are served
	// only after the seeding.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (RATHAUS_ADDR / --addr): %w", cfg.Addr, err)
	}
	defer ln.Close()
	if demo {
		e.demoHosts = append(append([]string{}, loopbackHosts...), hosts...)
		e.listenURL = listenURL(ln.Addr(), hosts)
		if len(hosts) > 0 {
			log.Warn("the demo city answers further host names: its passwords and tokens are published", "hosts", []string(hosts))
		}
	}
	var after func()
	if before != nil {
		if after, err = before(ctx, e); err != nil {
			return err
		}
	}
	var ready atomic.Bool
	h, _ := e.handler(&ready)
	fmt.Fprintf(io.Stdout, "listening on http://%s\n", ln.Addr().String())
	if after != nil {
		after()
	}
	ready.Store(true)
	log.Info("serving", "addr", ln.Addr().String(), "dialect", string(e.db.Dialect), "version", Version, "demo", demo)

	jctx, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	q := e.jobs()
	wg.Go(func() { q.Run(jctx, cfg.Workers) })
	wg.Go(func() { catalogBackground(jctx, e) })
	if cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			stopJobs()
			wg.Wait()
			return fmt.Errorf("listen on %s (RATHAUS_METRICS_ADDR): %w", cfg.MetricsAddr, err)
		}
		log.Info("metrics", "addr", mln.Addr().String())
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", e.metrics)
		wg.Go(func() {
			if err := web.Serve(ctx, mln, mux, log, cfg.ShutdownTimeout); err != nil {
				log.Error("metrics listener", "err", err)
			}
		})
	}
	sctx, dh := drain(ctx, &ready, cfg.ShutdownDrain, h, log)
	err = web.Serve(sctx, ln, dh, log, cfg.ShutdownTimeout)
	ready.Store(false)
	stopJobs()
	wg.Wait()
	log.Info("stopped")
	return err
}

// listenURL is the demo's address in mailed links: the first --host, else
// the loopback address it listens on (127.0.0.1 when it listens on every
// interface), with the real port.
func listenURL(addr net.Addr, hosts []string) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	switch {
	case len(hosts) > 0:
		host = hosts[0]
	case host == "" || net.ParseIP(host) != nil && net.ParseIP(host).IsUnspecified():
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// jobs builds the queue with every domain's handlers registered.
func (e *env) jobs() *jobs.Queue {
	q := jobs.New(e.db, e.log)
	q.Register(mail.JobKind, mail.JobHandler(e.mail))
	registerCaseJobs(q, e)
	registerPayments(q, e)
	e.registerBlobJobs(context.Background(), q)
	e.einvoiceJobs(q)
	e.registerAppointmentJobs(q)
	return q
}

// handler builds the whole HTTP surface.
func (e *env) handler(ready *atomic.Bool) (http.Handler, *web.Router) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(e.blobMetrics.collectors()...)
	reg.MustRegister(newOpsCollector(e))
	metrics := web.NewMetrics(reg)

	rt := web.NewRouter(renderError)
	rt.SetBodyCeiling(e.cfg.MaxBodyBytes)
	rt.SetCatalog(site().cat)
	idh := &identity.Handler{Svc: e.identity, Pages: site().r, BaseURL: e.baseURL, DemoHosts: e.demoHosts,
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
	e.metrics = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	if e.cfg.MetricsToken != "" {
		// The installation's metrics are the operator's, not a tenant's:
		// on the public listener only with the operator's token.
		rt.Handle("GET /metrics", bearerOnly(e.cfg.MetricsToken, e.metrics))
	}
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/openapi.json", ID: "openapi", Tag: "meta", Public: true,
		Summary: "This OpenAPI document"}, func(w http.ResponseWriter, r *http.Request) error {
		web.WriteJSON(w, 200, rt.OpenAPI("Rathaus API", Version))
		return nil
	})
	idh.Routes(rt)
	mountCatalog(rt, e, idh)
	mountForms(rt, e, idh)
	mountCases(rt, e, idh)
	mountPayments(rt, e, idh)
	mountEinvoice(rt, e, idh)
	mountAppointments(rt, e, idh)
	mountOperations(rt, e, idh)
	mountPages(rt, e, idh)
	mountFeedback(rt, e, idh)

	tenanted := idh.TenantMiddleware(rt)
	root := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz", "/readyz", "/metrics":
			rt.ServeHTTP(w, r)
		default:
			tenanted.ServeHTTP(w, r)
		}
	})
	return web.Middleware(root, web.Options{Log: e.log, MaxBodyBytes: e.cfg.MaxBodyBytes, Metrics: metrics, Errors: renderError, OnCSRF: e.auditCSRF,
		TrustedProxies: e.cfg.TrustedProxies, CredentialCookies: []string{identity.SessionCookie}}), rt
}

// bearerOnly lets through only requests with Authorization: Bearer token
// (compared in constant time); others get 401 with WWW-Authenticate.
func bearerOnly(token string, h http.Handler) http.Handler {
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		sum := sha256.Sum256([]byte(strings.TrimSpace(got)))
		if subtle.ConstantTimeCompare(want[:], sum[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			web.WriteProblem(w, r, http.StatusUnauthorized, "the metrics need the operator's token: Authorization: Bearer $RATHAUS_METRICS_TOKEN", nil)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// baseURL is the public address of the request's tenant for links in
// mails and eID callbacks (publicURL); never the request's Host or
// X-Forwarded-Host, which a client chooses.
func (e *env) baseURL(r *http.Request) string { return e.publicURL(identity.TenantFrom(r.Context())) }

// publicURL is a tenant's address from configuration only: its public URL;
// for the default tenant RATHAUS_PUBLIC_URL; https:// and its first host;
// for the demo city the address the demo listens on.
func (e *env) publicURL(t *identity.Tenant) string {
	switch {
	case t == nil:
	case t.PublicURL != "":
		return t.PublicURL
	case t.IsDefault && e.cfg.PublicURL != "":
		return e.cfg.PublicURL
	case len(t.Hosts) > 0:
		return "https://" + hostForURL(t.Hosts[0])
	case t.IsDemo && e.listenURL != "":
		return e.listenURL
	}
	if e.cfg.PublicURL != "" {
		return e.cfg.PublicURL
	}
	return e.listenURL
}

// hostForURL brackets an IPv6 literal.
func hostForURL(h string) string {
	if ip := net.ParseIP(h); ip != nil && ip.To4() == nil {
		return "[" + h + "]"
	}
	return h
}

// auditCSRF records a refused cross-origin browser request in the audit
// trail of the tenant the request was addressed to.
func (e *env) auditCSRF(r *http.Request) {
	t, err := e.identity.TenantByHost(r.Context(), r.Host)
	if errors.Is(err, fault.ErrNotFound) && slices.Contains(e.demoHosts, identity.NormalizeHost(r.Host)) {
		t, err = e.identity.DemoTenant(r.Context())
	}
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
