package app

import (
	"context"
	"io"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/platform/web"
)

// bigBody is an endless-looking request body of n bytes that costs the
// sender no memory: the test measures what the server allocates.
type bigBody struct {
	prefix string // sent first, so that the body parses as far as it goes
	n      int64
}

func (b *bigBody) Read(p []byte) (int, error) {
	if b.prefix != "" {
		k := copy(p, b.prefix)
		b.prefix = b.prefix[k:]
		b.n -= int64(k)
		return k, nil
	}
	if b.n <= 0 {
		return 0, io.EOF
	}
	k := min(int64(len(p)), b.n)
	for i := range p[:k] {
		p[i] = 'a'
	}
	b.n -= k
	return int(k), nil
}

// TestBodyFloodKeepsMemoryBounded sends many large bodies at once — with
// and without Content-Length — to a form, a JSON API route and the
// anonymous feedback form. Each is refused with 413 after at most the
// route's 64 KiB, so what the server allocates stays far below what was
// sent.
func TestBodyFloodKeepsMemoryBounded(t *testing.T) {
	in := installation{dir: t.TempDir()}
	s := in.start(t, "demo")
	const (
		clients = 48
		size    = 16 << 20 // per request
	)
	routes := []struct{ path, ct, token, prefix string }{
		{"/anmelden", "application/x-www-form-urlencoded", "", "email="},
		{"/api/v1/tokens", "application/json", DemoToken("admin"), `{"name":"`},
		{"/barrierefreiheit/feedback", "application/x-www-form-urlencoded", "", "message="},
	}
	// The demo works through its start-up jobs for a few seconds after it
	// turns ready (about 200 MiB of allocation); measured over the flood,
	// that work made the figure depend on timing. Wait until the process
	// is quiet, so what is counted is the flood.
	quiet := waitQuiet(t, 500*time.Millisecond, 256<<10)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for i := range clients {
		wg.Go(func() {
			rt := routes[i%len(routes)]
			req, _ := http.NewRequest("POST", s.base+rt.path, &bigBody{prefix: rt.prefix, n: size})
			if i%2 == 0 {
				req.ContentLength = size // announced: refused before reading
			} else {
				req.ContentLength = -1 // chunked: refused after the limit
			}
			req.Header.Set("Content-Type", rt.ct)
			if rt.token != "" {
				req.Header.Set("Authorization", "Bearer "+rt.token)
			}
			resp, err := http.DefaultClient.Do(req)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				statuses[-1]++ // the server closed while the client still sent: refused too
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses[resp.StatusCode]++
		})
	}
	wg.Wait()
	runtime.ReadMemStats(&after)
	took := time.Since(start)
	sent := int64(clients) * size
	alloc := int64(after.TotalAlloc - before.TotalAlloc)
	t.Logf("quiet after %v; sent %d MiB in %d requests in %v; the process allocated %.1f MiB meanwhile (%.0f KiB per request; heap %.1f -> %.1f MiB); answers %v",
		quiet.Round(time.Millisecond), sent>>20, clients, took.Round(time.Millisecond), float64(alloc)/(1<<20), float64(alloc)/clients/1024,
		float64(before.HeapAlloc)/(1<<20), float64(after.HeapAlloc)/(1<<20), statuses)
	if statuses[http.StatusRequestEntityTooLarge] < clients/2 || statuses[-1]+statuses[http.StatusRequestEntityTooLarge] != clients {
		t.Errorf("answers %v, want every request refused with 413", statuses)
	}
	// Buffering the bodies would allocate at least what was sent (768 MiB);
	// the bound allows the routes' 64 KiB, the request machinery and the
	// error pages, and the test's own client. What the process allocates
	// bounds how much its heap can have grown.
	if limit := int64(clients) * 1 << 20; alloc > limit {
		t.Errorf("allocated %d MiB for %d refused requests, want < %d MiB", alloc>>20, clients, limit>>20)
	}
}

// waitQuiet waits until the process allocates less than quietBytes within
// one window (a server done with its start-up work), for at most a minute,
// and says how long that took.
func waitQuiet(t *testing.T, window time.Duration, quietBytes uint64) time.Duration {
	t.Helper()
	start := time.Now()
	var a, b runtime.MemStats
	for time.Since(start) < time.Minute {
		runtime.ReadMemStats(&a)
		time.Sleep(window) // sampling the process, not timing behaviour
		runtime.ReadMemStats(&b)
		if b.TotalAlloc-a.TotalAlloc < quietBytes {
			return time.Since(start)
		}
	}
	t.Fatalf("the process never became quiet: %d KiB allocated in the last %v", (b.TotalAlloc-a.TotalAlloc)>>10, window)
	return 0
}

// TestOnlyUploadsReadLargeBodies: every route reads at most 64 KiB
// (web.DefaultBodyLimit) except those where files are uploaded; a route
// that raises its limit must be added here, after a look at what it
// buffers.
func TestOnlyUploadsReadLargeBodies(t *testing.T) {
	uploads := map[string]bool{
		"POST /api/v1/applications":             true, // answers with attached files (forms.MaxSubmissionBytes)
		"POST /antrag/entwurf/{id}":             true, // a form's step with its uploads
		"POST /api/v1/einvoices":                true, // an XML or PDF invoice
		"POST /verwaltung/formulare/import":     true, // a FIM form file
		"POST /rechnungen/einreichen":           true, // a supplier's invoice upload
		"POST /verwaltung/rechnungen/hochladen": true,
		"POST /verwaltung/rechnungen/papier":    true, // a scanned paper invoice
	}
	routes, err := RouteTable(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	large := 0
	for _, r := range routes {
		if r.MaxBody <= web.DefaultBodyLimit {
			continue
		}
		large++
		name := r.Method + " " + r.Path
		if !uploads[name] {
			t.Errorf("%s reads up to %d KiB, more than the %d KiB of forms and JSON, and is no known upload", name, r.MaxBody>>10, web.DefaultBodyLimit>>10)
		}
	}
	t.Logf("%d of %d routes read more than %d KiB", large, len(routes), web.DefaultBodyLimit>>10)
}
