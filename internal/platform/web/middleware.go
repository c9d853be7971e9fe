package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyLogger
	keyRoute
)

// routeInfo is filled by the router with the matched pattern, so that the
// access log and the metrics name the route even when a middleware in
// between handed the router a copy of the request (r.WithContext).
type routeInfo struct{ pattern string }

// RoutePattern is the pattern the router matched for the request
// ("GET /leistungen/{id}"), or "" before routing and for unmatched paths.
func RoutePattern(ctx context.Context) string {
	if info, ok := ctx.Value(keyRoute).(*routeInfo); ok {
		return info.pattern
	}
	return ""
}

// RequestID returns the request's id ("" outside a request).
func RequestID(ctx context.Context) string {
	s, _ := ctx.Value(keyRequestID).(string)
	return s
}

// Logger returns the request-scoped logger (with request_id), or the default.
func Logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(keyLogger).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

// WithLogAttrs adds attributes to the request-scoped logger (tenant, account).
func WithLogAttrs(ctx context.Context, args ...any) context.Context {
	return context.WithValue(ctx, keyLogger, Logger(ctx).With(args...))
}

func newRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(s int) {
	if w.status == 0 {
		w.status = s
		// A redirect may carry a secret of the URL in its Location (the
		// sign-in's return_to of a mailed link): never stored, unless the
		// handler says otherwise.
		if s >= 300 && s < 400 && w.Header().Get("Cache-Control") == "" {
			w.Header().Set("Cache-Control", "no-store")
		}
	}
	w.ResponseWriter.WriteHeader(s)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Metrics are the HTTP metrics of one server.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewMetrics registers the HTTP metrics in reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rathaus_http_requests_total", Help: "HTTP requests by route pattern, method and status code."}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "rathaus_http_request_duration_seconds", Help: "HTTP request duration by route pattern.", Buckets: prometheus.DefBuckets}, []string{"route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

// Options configure the middleware chain.
type Options struct {
	Log          *slog.Logger
	MaxBodyBytes int64
	Metrics      *Metrics
	Errors       ErrorRenderer
	// OnCSRF is told about every cross-origin browser request refused by
	// the CSRF protection (for the audit trail); it must not write a response.
	OnCSRF func(r *http.Request)
	// TrustedProxies are the peers whose X-Forwarded-For and
	// X-Forwarded-Proto are believed (ClientFrom).
	TrustedProxies []netip.Prefix
	// CredentialCookies name the cookies that sign a browser in (the
	// session). A response to a request carrying one of them or an
	// Authorization header is personal: Cache-Control no-store, unless the
	// handler says otherwise (static assets).
	CredentialCookies []string
}

// personal reports whether a request carries credentials.
func personal(r *http.Request, cookies []string) bool {
	if r.Header.Get("Authorization") != "" {
		return true
	}
	for _, name := range cookies {
		if c, err := r.Cookie(name); err == nil && c.Value != "" {
			return true
		}
	}
	return false
}

// Middleware wraps the router with everything every request gets, outermost
// first: request id + logger, access log and metrics, panic recovery,
// security headers, body limit (413), CSRF protection for browsers.
func Middleware(h http.Handler, o Options) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		Logger(r.Context()).Warn("cross-origin request refused", "origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
		if o.OnCSRF != nil {
			o.OnCSRF(r)
		}
		if strings.HasPrefix(r.URL.Path, "/api/") {
			WriteProblem(w, r, http.StatusForbidden, "cross-origin requests from browsers are refused", nil)
		} else if o.Errors != nil {
			o.Errors(w, r, http.StatusForbidden)
		} else {
			http.Error(w, "Forbidden", http.StatusForbidden)
		}
	}))
	csrf := cop.Handler(h)
	// Machine clients with a bearer token are not browsers; CSRF does not apply.
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > o.MaxBodyBytes {
			if strings.HasPrefix(r.URL.Path, "/api/") {
				WriteProblem(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body may be at most %d bytes", o.MaxBodyBytes), nil)
			} else if o.Errors != nil {
				o.Errors(w, r, http.StatusRequestEntityTooLarge)
			} else {
				http.Error(w, "Request Entity Too Large", http.StatusRequestEntityTooLarge)
			}
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, o.MaxBodyBytes)
		if strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			h.ServeHTTP(w, r)
			return
		}
		csrf.ServeHTTP(w, r)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := newRequestID()
		log := o.Log.With("request_id", id)
		info := &routeInfo{}
		client := clientOf(r, o.TrustedProxies)
		ctx := context.WithValue(context.WithValue(context.WithValue(r.Context(), keyRequestID, id), keyLogger, log), keyRoute, info)
		r = r.WithContext(withClient(ctx, client))
		sw := &statusWriter{ResponseWriter: w}
		hdr := sw.Header()
		hdr.Set("X-Request-Id", id)
		SecurityHeaders(hdr, client.HTTPS)
		if personal(r, o.CredentialCookies) {
			// Pages and API answers for a signed-in person are theirs only:
			// no shared or browser cache keeps them.
			hdr.Set("Cache-Control", "no-store")
		}
		defer func() {
			if p := recover(); p != nil {
				log.Error("panic", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if sw.status == 0 {
					if strings.HasPrefix(r.URL.Path, "/api/") {
						WriteProblem(sw, r, 500, "", nil)
					} else if o.Errors != nil {
						o.Errors(sw, r, 500)
					}
				}
			}
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			route := info.pattern
			if route == "" {
				route = "unmatched"
			}
			if o.Metrics != nil {
				o.Metrics.requests.WithLabelValues(route, r.Method, strconv.Itoa(status)).Inc()
				o.Metrics.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
			}
			log.LogAttrs(r.Context(), slog.LevelInfo, "http request",
				slog.String("method", r.Method), slog.String("route", route),
				slog.Int("status", status), slog.Int64("bytes", sw.bytes),
				slog.Duration("duration", time.Since(start)))
		}()
		inner.ServeHTTP(sw, r)
	})
}

// CSP forbids inline script and style and every third-party origin.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

// SecurityHeaders sets the headers every response carries; HSTS whenever
// the browser used HTTPS (directly or through a trusted proxy).
func SecurityHeaders(h http.Header, tls bool) {
	h.Set("Content-Security-Policy", CSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
	if tls {
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
}
