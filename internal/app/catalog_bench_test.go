package app

import (
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/catalog"
)

// BenchmarkFinderHTTP measures the finder over HTTP as a citizen uses it:
// the real program (`rathaus demo`, SQLite, the demo city with the federal
// catalogue), GET /leistungen?q=… (the whole page) and GET
// /api/v1/services?q=…, every query of the tuning and the blind set in
// turn, one client. It reports the latency percentiles of each request
// kind; target p99 < 20 ms. RATHAUS_BENCH_DATABASE_URL runs it on an
// empty PostgreSQL database instead.
//
//	go test ./internal/app -run '^$' -bench FinderHTTP -benchtime 2000x
func BenchmarkFinderHTTP(b *testing.B) {
	in := installation{dir: b.TempDir(), url: os.Getenv("RATHAUS_BENCH_DATABASE_URL")}
	s := in.start(b, "demo")
	qs := append(catalog.BenchSet(catalog.SetTuning), catalog.BenchSet(catalog.SetBlind)...)
	client := &http.Client{Timeout: 10 * time.Second}
	get := func(u string) time.Duration {
		start := time.Now()
		resp, err := client.Get(u)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("GET %s: %d", u, resp.StatusCode)
		}
		return time.Since(start)
	}
	// The first request waits for the index (built in the background).
	get(s.base + "/leistungen?q=warm")
	var page, api []time.Duration
	i := 0
	for b.Loop() {
		q := url.QueryEscape(qs[i%len(qs)].Q)
		if i%2 == 0 {
			page = append(page, get(s.base+"/leistungen?q="+q))
		} else {
			api = append(api, get(s.base+"/api/v1/services?q="+q))
		}
		i++
	}
	pct := func(d []time.Duration, p float64) float64 {
		if len(d) == 0 {
			return 0
		}
		sort.Slice(d, func(a, b int) bool { return d[a] < d[b] })
		k := max(0, min(len(d)-1, int(math.Ceil(p*float64(len(d))))-1))
		return float64(d[k].Microseconds()) / 1000
	}
	b.ReportMetric(pct(page, 0.5), "page_p50_ms")
	b.ReportMetric(pct(page, 0.99), "page_p99_ms")
	b.ReportMetric(pct(api, 0.5), "api_p50_ms")
	b.ReportMetric(pct(api, 0.99), "api_p99_ms")
}
