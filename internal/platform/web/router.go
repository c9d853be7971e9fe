// Package web is the HTTP platform of rathaus: a router that remembers every
// route it registers (so tests and the OpenAPI document are derived from the
// router, not from hand-kept lists), handlers that return errors, the one
// error adapter, middleware (request ids, logs, metrics, security headers,
// CSRF protection, body limits) and the server with graceful shutdown.
package web

import (
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/i18n"
)

// HandlerFunc is an HTTP handler that returns an error instead of writing
// one; the router's adapter writes the response for it.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Route is one registered pattern.
type Route struct {
	Method string // "" for any
	Path   string
	API    *Operation // non-nil for documented JSON API routes
	// Page marks routes registered with HandleFunc: HTML pages and forms,
	// whose errors are error pages.
	Page bool
	// Example is a URL that exercises a route with path parameters (set
	// with Example), for tools that visit every route.
	Example string
	// MaxBody is the largest request body the route reads (DefaultBodyLimit
	// unless the route opted in to more with MaxBody); a larger one is
	// answered 413 before the handler runs, or as soon as reading passes it.
	MaxBody int64
}

// DefaultBodyLimit is what a route reads at most unless it asks for more:
// 64 KiB holds every form and JSON document of the site. Routes that take
// uploads register with MaxBody(n) (Operation.MaxBody for the API); the
// installation's ceiling (RATHAUS_MAX_BODY_BYTES) bounds every route.
const DefaultBodyLimit = 64 << 10

// RouteOption changes how a route is registered.
type RouteOption func(*Route)

// MaxBody lets a route read bodies up to n bytes (uploads).
func MaxBody(n int64) RouteOption { return func(r *Route) { r.MaxBody = n } }

// Router wraps http.ServeMux and records every pattern.
type Router struct {
	mux    *http.ServeMux
	routes []Route
	limits map[string]int64 // pattern → body limit
	errs   ErrorRenderer
	cat    *i18n.Catalog
	// ceiling bounds every route's body limit (0: none).
	ceiling int64
}

// SetBodyCeiling bounds every route's body limit (RATHAUS_MAX_BODY_BYTES).
func (rt *Router) SetBodyCeiling(n int64) { rt.ceiling = n }

// SetCatalog sets the message catalog that translates fault codes in API
// problems ("fault.CODE" keys) into the request's language.
func (rt *Router) SetCatalog(c *i18n.Catalog) { rt.cat = c }

// ErrorRenderer writes an error response for HTML routes (the web shell's
// error pages). API routes always get problem+json.
type ErrorRenderer func(w http.ResponseWriter, r *http.Request, status int)

// NewRouter returns an empty router; errs renders HTML error pages.
func NewRouter(errs ErrorRenderer) *Router {
	if errs == nil {
		errs = func(w http.ResponseWriter, r *http.Request, status int) {
			http.Error(w, http.StatusText(status)+" (Anfrage "+RequestID(r.Context())+")", status)
		}
	}
	return &Router{mux: http.NewServeMux(), errs: errs, limits: map[string]int64{}}
}

func splitPattern(p string) (method, path string) {
	if i := strings.IndexByte(p, ' '); i > 0 {
		return p[:i], strings.TrimSpace(p[i+1:])
	}
	return "", p
}

// Handle registers a plain handler (static files, metrics).
func (rt *Router) Handle(pattern string, h http.Handler, opts ...RouteOption) {
	m, p := splitPattern(pattern)
	rt.add(pattern, Route{Method: m, Path: p}, opts)
	rt.mux.Handle(pattern, h)
}

// HandleFunc registers an error-returning handler for an HTML page or form.
func (rt *Router) HandleFunc(pattern string, h HandlerFunc, opts ...RouteOption) {
	m, p := splitPattern(pattern)
	rt.add(pattern, Route{Method: m, Path: p, Page: true}, opts)
	rt.mux.Handle(pattern, rt.adapt(h, false))
}

func (rt *Router) add(pattern string, r Route, opts []RouteOption) {
	r.MaxBody = DefaultBodyLimit
	for _, o := range opts {
		o(&r)
	}
	rt.routes = append(rt.routes, r)
	rt.limits[pattern] = r.MaxBody
}

// BodyLimit is the body limit of a registered pattern ("POST /x/{id}").
func (rt *Router) BodyLimit(pattern string) int64 {
	n, ok := rt.limits[pattern]
	if !ok {
		n = DefaultBodyLimit
	}
	if rt.ceiling > 0 && n > rt.ceiling {
		n = rt.ceiling
	}
	return n
}

// Example records a URL that calls the registered pattern with sensible
// path parameters ("/static/abc123/kern.css" for "GET /static/{version}/{file...}"),
// so that tools visiting every route (the browser harness in e2e/) can
// reach it. It panics when the pattern is not registered.
func (rt *Router) Example(pattern, url string) {
	m, p := splitPattern(pattern)
	for i := range rt.routes {
		if rt.routes[i].Method == m && rt.routes[i].Path == p {
			rt.routes[i].Example = url
			return
		}
	}
	panic("web: Example for unregistered pattern " + pattern)
}

// API registers a documented JSON API route. Its errors are problem+json.
func (rt *Router) API(op Operation, h HandlerFunc) {
	o := op
	var opts []RouteOption
	if op.MaxBody > 0 {
		opts = append(opts, MaxBody(op.MaxBody))
	}
	rt.add(op.Method+" "+op.Path, Route{Method: op.Method, Path: op.Path, API: &o}, opts)
	inner := rt.adapt(h, true)
	if !op.Public {
		// Answers of an authenticated API are about the caller or hold
		// secrets: never stored. Public reads (the catalog) may be cached.
		inner = noStore(inner)
	}
	rt.mux.Handle(op.Method+" "+op.Path, inner)
}

func noStore(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

// Routes returns every registered route, sorted by path then method.
func (rt *Router) Routes() []Route {
	out := append([]Route(nil), rt.routes...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Method < out[j].Method
	})
	return out
}

// ServeHTTP dispatches; unknown /api/ paths answer with problem+json. It
// records the matched pattern for the access log and the metrics
// (RoutePattern) and holds the body to the route's limit.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, pattern := rt.mux.Handler(r)
	if info, ok := r.Context().Value(keyRoute).(*routeInfo); ok && pattern != "" {
		info.pattern = pattern
	}
	if pattern != "" && r.Body != nil && r.Body != http.NoBody {
		limit := rt.BodyLimit(pattern)
		if r.ContentLength > limit {
			rt.tooLarge(w, r, limit)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
	}
	if pattern == "" && strings.HasPrefix(r.URL.Path, "/api/") {
		status := http.StatusNotFound
		if allowed := rt.allowed(r); allowed != "" {
			w.Header().Set("Allow", allowed)
			status = http.StatusMethodNotAllowed
		}
		WriteProblem(w, r, status, rt.statusDetail(r, status), nil)
		return
	}
	if pattern == "" {
		status := http.StatusNotFound
		if allowed := rt.allowed(r); allowed != "" {
			w.Header().Set("Allow", allowed)
			status = http.StatusMethodNotAllowed
		}
		rt.errs(w, r, status)
		return
	}
	rt.mux.ServeHTTP(w, r)
}

// tooLarge answers 413 for a body over the route's limit.
func (rt *Router) tooLarge(w http.ResponseWriter, r *http.Request, limit int64) {
	// The rest of the body is not read; the connection closes after the answer.
	w.Header().Set("Connection", "close")
	if strings.HasPrefix(r.URL.Path, "/api/") {
		WriteProblem(w, r, http.StatusRequestEntityTooLarge, rt.tooLargeDetail(r, limit), nil)
		return
	}
	rt.errs(w, r, http.StatusRequestEntityTooLarge)
}

func (rt *Router) tooLargeDetail(r *http.Request, limit int64) string {
	if rt.cat != nil {
		p := rt.cat.Printer(i18n.FromRequest(r))
		if rt.cat.Has(p.Lang(), "problem.413.limit") {
			return p.TNamed("problem.413.limit", map[string]any{"max": limit})
		}
	}
	return "the request body may be at most " + strconv.FormatInt(limit, 10) + " bytes"
}

// allowed lists the methods registered for the request's path, if any.
func (rt *Router) allowed(r *http.Request) string {
	var ms []string
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, p := rt.mux.Handler(probe); p != "" {
			ms = append(ms, m)
		}
	}
	return strings.Join(ms, ", ")
}

func (rt *Router) adapt(h HandlerFunc, api bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		status := StatusOf(err)
		log := Logger(r.Context())
		if status >= 500 {
			log.Error("request failed", "err", err, "status", status)
		} else {
			log.Info("request refused", "err", err, "status", status)
		}
		var rl *fault.RateLimited
		if errors.As(err, &rl) {
			w.Header().Set("Retry-After", strconv.Itoa(rl.RetryAfterSeconds()))
		}
		if api {
			fields := rt.problemFields(r, err)
			detail := safeDetail(err, status)
			if detail == "" {
				detail = rt.statusDetail(r, status)
			}
			WriteProblem(w, r, status, detail, fields)
			return
		}
		rt.errs(w, r, status)
	})
}

// problemFields lists the invalid fields of a validation error, translated
// into the request's language; nil for other errors.
func (rt *Router) problemFields(r *http.Request, err error) []ProblemField {
	if fv, ok := fault.AsValidation(err); ok {
		out := make([]ProblemField, 0, len(fv.Errors))
		for _, fe := range fv.Errors {
			out = append(out, ProblemField{Field: fe.Field, Code: fe.Code, Detail: rt.FaultText(r, fe), Args: fe.Args})
		}
		return out
	}
	return nil
}

// FaultText is the sentence for a field error in the request's language
// (message key "fault.CODE" with named arguments), or the code itself when
// no catalog knows it.
func (rt *Router) FaultText(r *http.Request, fe fault.FieldError) string {
	if rt.cat == nil {
		return fe.Code
	}
	p := rt.cat.Printer(i18n.FromRequest(r))
	key := "fault." + fe.Code
	if !rt.cat.Has(p.Lang(), key) && !rt.cat.Has(i18n.De, key) {
		return fe.Code
	}
	return p.TNamed(key, fe.Args)
}

// statusDetail is the generic sentence for a status ("problem.STATUS" in the
// catalog), so that every problem document has a detail.
func (rt *Router) statusDetail(r *http.Request, status int) string {
	if rt.cat != nil {
		p := rt.cat.Printer(i18n.FromRequest(r))
		key := "problem." + strconv.Itoa(status)
		if rt.cat.Has(p.Lang(), key) || rt.cat.Has(i18n.De, key) {
			return p.T(key)
		}
	}
	return http.StatusText(status)
}

// safeDetail keeps internal error text out of responses: only the messages
// of 400/422 (written for users) pass.
func safeDetail(err error, status int) string {
	if status == http.StatusBadRequest {
		msg := err.Error()
		if i := strings.Index(msg, ErrBadRequest.Error()+": "); i >= 0 {
			return msg[i+len(ErrBadRequest.Error())+2:]
		}
	}
	return ""
}
