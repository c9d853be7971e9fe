package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// result is one request as the client saw it.
type result struct {
	at     time.Time
	dur    time.Duration
	kind   string
	failed bool
	detail string
}

// ack is a write the system acknowledged; the end check looks for each one
// in the database (and, for documents, in the bucket).
type ack struct {
	Kind    string `json:"kind"`    // feedback, catalog, document
	Key     string `json:"key"`     // feedback marker, service ref, document ref
	Version int    `json:"version"` // catalog: the version the edit got
	Marker  string `json:"marker"`
}

type recorder struct {
	mu      sync.Mutex
	results []result
	acks    []ack
}

func (r *recorder) add(res result) {
	r.mu.Lock()
	r.results = append(r.results, res)
	r.mu.Unlock()
}

func (r *recorder) ack(a ack) {
	r.mu.Lock()
	r.acks = append(r.acks, a)
	r.mu.Unlock()
}

// failedBetween counts failed requests that ended in [from, to) and in none
// of the excluded windows (a request in flight when an instance is killed
// fails after the kill: it belongs to the kill).
func (r *recorder) failedBetween(from, to time.Time, exclude ...[2]time.Time) (n int, examples []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
next:
	for _, res := range r.results {
		end := res.at.Add(res.dur)
		for _, w := range exclude {
			if !end.Before(w[0]) && end.Before(w[1]) {
				continue next
			}
		}
		if res.failed && !end.Before(from) && end.Before(to) {
			n++
			if len(examples) < 5 {
				examples = append(examples, fmt.Sprintf("%s (at %s, %.0f ms): %s", res.kind, res.at.Format("15:04:05.000"), ms(res.dur), res.detail))
			}
		}
	}
	return n, examples
}

func (r *recorder) latencies() (p50, p99 time.Duration, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	d := make([]time.Duration, 0, len(r.results))
	for _, res := range r.results {
		if !res.failed {
			d = append(d, res.dur)
		}
	}
	if len(d) == 0 {
		return 0, 0, 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2], d[len(d)*99/100], len(d)
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func newClient() *http.Client {
	return &http.Client{Timeout: 30 * time.Second, CheckRedirect: noRedirect,
		Transport: &http.Transport{MaxIdleConnsPerHost: 16, IdleConnTimeout: 30 * time.Second}}
}

// load runs the mixed workload against base until ctx ends.
type load struct {
	base     string
	run      string // unique per run, in every marker
	services []string
	token    string // admin token for catalog edits
	rec      *recorder
	session  *http.Client // a signed-in staff member
	docs     documentWriter
	seq      atomic.Int64
}

func (l *load) do(c *http.Client, kind string, req *http.Request, want ...int) (*http.Response, []byte, bool) {
	start := time.Now()
	resp, err := c.Do(req)
	res := result{at: start, kind: kind}
	var body []byte
	if err != nil {
		if req.Context().Err() != nil {
			return nil, nil, false // the load stopped; not the system's failure
		}
		res.failed, res.detail = true, err.Error()
	} else {
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		res.failed = true
		for _, w := range want {
			if resp.StatusCode == w {
				res.failed = false
			}
		}
		if res.failed {
			res.detail = fmt.Sprintf("%s %s: %d %.120s", req.Method, req.URL.Path, resp.StatusCode, body)
		}
	}
	res.dur = time.Since(start)
	l.rec.add(res)
	return resp, body, !res.failed
}

var queries = []string{"Hund anmelden", "Personalausweis", "Wohnsitz ummelden", "Baugenehmigung", "Führerschein", "Gewerbe anmelden", "Parkausweis"}

func (l *load) reader(ctx context.Context, c *http.Client) {
	for ctx.Err() == nil {
		var path string
		switch rand.IntN(5) {
		case 0:
			path = "/"
		case 1:
			path = "/leistungen?q=" + url.QueryEscape(queries[rand.IntN(len(queries))])
		case 2:
			path = "/leistungen/" + l.services[rand.IntN(len(l.services))]
		case 3:
			path = "/api/v1/services?limit=5&q=" + url.QueryEscape(queries[rand.IntN(len(queries))])
		case 4:
			path = "/api/v1/services/" + l.services[rand.IntN(len(l.services))]
		}
		req, _ := http.NewRequest("GET", l.base+path, nil)
		l.do(c, "read", req, 200)
	}
}

// feedbackWriter sends the accessibility feedback form (an anonymous write
// path of the web shell) with a unique marker per message, each from
// another citizen's address: the proxy appends the load's own loopback
// address to X-Forwarded-For, so the instances (trusting the proxy) count
// the message for the address before it — one address may send only
// feedback.PerAddress messages an hour.
func (l *load) feedbackWriter(ctx context.Context, c *http.Client) {
	for ctx.Err() == nil {
		n := l.seq.Add(1)
		marker := fmt.Sprintf("scale-%s-fb-%d", l.run, n)
		form := url.Values{"message": {"Die Schrift ist zu klein (" + marker + ")"}, "page": {"/leistungen"}, "lang": {"de"}}
		req, _ := http.NewRequest("POST", l.base+"/barrierefreiheit/feedback", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255))
		if _, _, ok := l.do(c, "feedback", req, http.StatusSeeOther); ok {
			l.rec.ack(ack{Kind: "feedback", Key: marker})
		}
	}
}

// catalogWriter edits one service of its own twice a second (versioned, so
// every acknowledged version must be found in the catalog's history). Each
// edit makes every instance rebuild its finder index on the next search, so
// edits are paced like an editorial office, not a benchmark.
func (l *load) catalogWriter(ctx context.Context, c *http.Client, ref string) {
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		req, _ := http.NewRequest("GET", l.base+"/api/v1/services/"+ref, nil)
		_, body, ok := l.do(c, "catalog-read", req, 200)
		if !ok {
			continue
		}
		var doc map[string]any // the service's fields and its version
		if json.Unmarshal(body, &doc) != nil || doc["version"] == nil {
			continue
		}
		marker := fmt.Sprintf("scale-%s-cat-%d", l.run, l.seq.Add(1))
		doc["summary"] = "Geändert im Skalierungstest " + marker + "."
		out, _ := json.Marshal(doc)
		req, _ = http.NewRequest("PUT", l.base+"/api/v1/services/"+ref, bytes.NewReader(out))
		req.Header.Set("Authorization", "Bearer "+l.token)
		req.Header.Set("Content-Type", "application/json")
		if _, body, ok := l.do(c, "catalog-edit", req, 200); ok {
			var got struct {
				Version int `json:"version"`
			}
			json.Unmarshal(body, &got)
			l.rec.ack(ack{Kind: "catalog", Key: ref, Version: got.Version, Marker: marker})
		}
	}
}

// sessionUser reads a staff page with one session the whole time: the
// session lives in the database, so every instance knows it.
func (l *load) sessionUser(ctx context.Context) {
	for ctx.Err() == nil {
		req, _ := http.NewRequest("GET", l.base+"/verwaltung", nil)
		l.do(l.session, "session", req, 200)
	}
}

func (l *load) documentWriter(ctx context.Context, c *http.Client) {
	for ctx.Err() == nil {
		ref, ok := l.docs.store(ctx, l, c)
		if ok {
			l.rec.ack(ack{Kind: "document", Key: ref})
		}
	}
}

// start launches the workers; the returned function stops them and waits.
func (l *load) start(readers, docWriters int) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range readers {
		c := newClient()
		wg.Go(func() { l.reader(ctx, c) })
	}
	wg.Go(func() { l.feedbackWriter(ctx, newClient()) })
	for i := range 2 {
		c := newClient()
		ref := l.services[len(l.services)-1-i]
		wg.Go(func() { l.catalogWriter(ctx, c, ref) })
	}
	wg.Go(func() { l.sessionUser(ctx) })
	for range docWriters {
		if l.docs != nil {
			wg.Go(func() { l.documentWriter(ctx, newClient()) })
		}
	}
	return func() { cancel(); wg.Wait() }
}

// login signs a staff member in at base and returns a client carrying the
// session cookie (usable against any instance: the cookie jar is shared by
// host 127.0.0.1).
func login(base, email, password string) (*http.Client, int, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: noRedirect,
		Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	form := url.Values{"email": {email}, "password": {password}}
	resp, err := c.PostForm(base+"/anmelden", form)
	if err != nil {
		return nil, 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return c, resp.StatusCode, nil
}
