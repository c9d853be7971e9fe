package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/clock"
)

// BenchmarkSubmission is one dog tax submission with a proof PDF through
// the whole HTTP stack on SQLite (in-process; the case-opening job is not
// run here). Profile with -cpuprofile to see where a submission's time goes.
func BenchmarkSubmission(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	cfg := mustConfigDir(dir)
	cfg.RateLimits = false
	e, err := open(ctx, cfg, discardLogger(), clock.System{})
	if err != nil {
		b.Fatal(err)
	}
	defer e.close()
	if _, err := seedDemo(ctx, e); err != nil {
		b.Fatal(err)
	}
	if err := seedDemoCatalog(ctx, e); err != nil {
		b.Fatal(err)
	}
	t, _ := e.identity.TenantBySlug(ctx, DemoSlug)
	if _, err := seedDemoForms(ctx, e, t); err != nil {
		b.Fatal(err)
	}
	tokens, err := loadtestCitizens(ctx, e, t, 1)
	if err != nil {
		b.Fatal(err)
	}
	e.demoHosts = []string{"localhost"} // the requests' host
	h, _ := e.handler(nil)
	_ = identity.System
	var jobsDone func()
	if os.Getenv("BENCH_JOBS") != "" {
		jctx, cancel := context.WithCancel(ctx)
		q := e.jobs()
		done := make(chan struct{})
		go func() { q.Run(jctx, 2); close(done) }()
		jobsDone = func() { cancel(); <-done }
	}
	var n atomic.Int64
	b.SetParallelism(4)
	cpu0 := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			body, ct, err := submission(DemoServiceRef, "Bello bench", proofPDF("bench-"+itoa(int(i))))
			if err != nil {
				b.Error(err)
				return
			}
			req := httptest.NewRequest("POST", "http://localhost/api/v1/applications", body)
			req.Header.Set("Content-Type", ct)
			req.Header.Set("Authorization", "Bearer "+tokens[0])
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusCreated {
				b.Errorf("submit: %d %s", w.Code, w.Body.String())
				return
			}
		}
	})
	if jobsDone != nil {
		jobsDone()
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}
