package app

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"
)

// drain delays the shutdown of the web server behind a load balancer: when
// ctx ends, /readyz answers 503 at once and every response asks the client
// (the proxy) to close its connection, but the listener stays open for d, so
// the balancer's health check takes the instance out before it refuses
// connections. The returned context ends d after ctx (at once when d is 0);
// the returned handler adds "Connection: close" while draining.
func drain(ctx context.Context, ready *atomic.Bool, d time.Duration, h http.Handler, log *slog.Logger) (context.Context, http.Handler) {
	var draining atomic.Bool
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	go func() {
		<-ctx.Done()
		draining.Store(true)
		ready.Store(false)
		if d > 0 {
			log.Info("draining: not ready, still serving", "drain", d)
			time.Sleep(d) // a wall-clock pause for the balancer, not a test wait
		}
		cancel()
	}()
	return sctx, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if draining.Load() {
			w.Header().Set("Connection", "close")
		}
		h.ServeHTTP(w, r)
	})
}
