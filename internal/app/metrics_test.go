package app

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/jobs"
)

// TestMetricsBelongToTheOperator: /metrics answers only the operator's
// token on the public listener (401 with WWW-Authenticate otherwise), or
// the internal address alone; it counts every request under its route
// pattern — also behind the tenant middleware.
func TestMetricsBelongToTheOperator(t *testing.T) {
	free, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	internal := free.Addr().String()
	free.Close()
	const token = "metrics-secret-0123456789"
	in := installation{dir: t.TempDir(), env: map[string]string{"RATHAUS_METRICS_TOKEN": token, "RATHAUS_METRICS_ADDR": internal}}
	s := in.start(t, "demo")
	s.do(t, "GET", "/leistungen/"+DemoServiceRef, "", "")
	s.do(t, "GET", "/", "", "")
	s.do(t, "GET", "/api/v1/me", DemoToken("finance"), "")
	s.do(t, "GET", "/gibt-es-nicht", "", "")

	for _, auth := range []string{"", "Bearer wrong", "Basic " + token} {
		resp, body := s.request(t, "GET", "", "/metrics", nil, "", "Authorization", auth)
		var p map[string]any
		json.Unmarshal([]byte(body), &p)
		if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") || p["detail"] == "" || p["detail"] == nil {
			t.Errorf("metrics with %q: %d, WWW-Authenticate %q, %s", auth, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body)
		}
	}
	resp, body := s.request(t, "GET", "", "/metrics", nil, "", "Authorization", "Bearer "+token)
	if resp.StatusCode != 200 {
		t.Fatalf("metrics with the token: %d", resp.StatusCode)
	}
	for _, want := range []string{
		`route="GET /leistungen/{id}"`, `route="GET /{$}"`, `route="GET /api/v1/me"`, `route="unmatched"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if n := strings.Count(body, `rathaus_http_requests_total{code="200",method="GET",route="unmatched"}`); n != 0 {
		t.Errorf("a matched page was counted as unmatched")
	}
	// Every metric docs/operations.md names (in its alerts) exists.
	doc, err := os.ReadFile("../../docs/operations.md")
	must(t, err)
	named := regexp.MustCompile(`\b(rathaus|process)_[a-z_]+`).FindAllString(string(doc), -1)
	if len(named) < 8 {
		t.Fatalf("docs/operations.md names only %v", named)
	}
	for _, m := range named {
		if !strings.Contains(body, "\n"+m+"{") && !strings.Contains(body, "\n"+m+" ") && !strings.Contains(body, "\n"+m+"_bucket{") {
			t.Errorf("docs/operations.md names %s; /metrics lacks it", m)
		}
	}
	// The internal address serves the metrics without a token, and nothing else.
	r2, err := http.Get("http://" + internal + "/metrics")
	must(t, err)
	r2.Body.Close()
	if r2.StatusCode != 200 {
		t.Errorf("internal metrics: %d", r2.StatusCode)
	}
	r3, err := http.Get("http://" + internal + "/")
	must(t, err)
	r3.Body.Close()
	if r3.StatusCode != 404 {
		t.Errorf("internal listener serves other paths: %d", r3.StatusCode)
	}
}

// TestEveryProblemHasADetail: problems from the router, the adapter and
// the tenant middleware all carry a detail.
func TestEveryProblemHasADetail(t *testing.T) {
	in := installation{dir: t.TempDir()}
	s := in.start(t, "demo")
	for _, tt := range []struct{ method, path, host, token string }{
		{"GET", "/api/v1/gibt-es-nicht", "", ""},
		{"PATCH", "/api/v1/tokens", "", DemoToken("admin")},
		{"GET", "/api/v1/tokens", "", ""},
		{"GET", "/api/v1/tokens", "", DemoToken("finance")},
		{"GET", "/api/v1/tenant", "evil.example", ""},
		{"GET", "/api/v1/jobs?limit=0", "", DemoToken("admin")},
	} {
		hdr := []string{}
		if tt.token != "" {
			hdr = append(hdr, "Authorization", "Bearer "+tt.token)
		}
		resp, body := s.request(t, tt.method, tt.host, tt.path, nil, "", hdr...)
		var p map[string]any
		if err := json.Unmarshal([]byte(body), &p); err != nil || p["detail"] == nil || p["detail"] == "" {
			t.Errorf("%s %s: %d %s", tt.method, tt.path, resp.StatusCode, body)
		}
		if resp.StatusCode == 401 && resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s %s: 401 without WWW-Authenticate", tt.method, tt.path)
		}
	}
}

// TestOpsMetrics: the collector behind the alerts of docs/operations.md
// reports the job queue (a dead job, the wait of the oldest due job), the
// database pools, and rathaus_db_up 0 once the database cannot be queried.
func TestOpsMetrics(t *testing.T) {
	eachInstallation(t, func(t *testing.T, in installation) {
		e := openEnv(t, in, nil)
		ctx := context.Background()
		must(t, database.WithTx(ctx, e.db, func(tx *database.Tx) error {
			if err := jobs.Enqueue(tx, "test.late", nil, jobs.Options{Key: "late", RunAt: tx.Now().Add(-10 * time.Minute)}); err != nil {
				return err
			}
			if err := jobs.Enqueue(tx, "test.dead", nil, jobs.Options{Key: "dead"}); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `UPDATE jobs SET status = 'dead' WHERE kind = 'test.dead'`)
			return err
		}))
		reg := prometheus.NewRegistry()
		reg.MustRegister(newOpsCollector(e))
		got := gather(t, reg)
		for _, tc := range []struct {
			name string
			ok   func(v float64) bool
		}{
			{`rathaus_db_up`, func(v float64) bool { return v == 1 }},
			{`rathaus_jobs{status="dead"}`, func(v float64) bool { return v == 1 }},
			{`rathaus_jobs{status="queued"}`, func(v float64) bool { return v >= 1 }},
			{`rathaus_jobs_oldest_due_seconds`, func(v float64) bool { return v >= 600 && v < 900 }},
			{`rathaus_db_open_connections{pool="writer"}`, func(v float64) bool { return v >= 1 }},
			{`rathaus_db_open_connections{pool="reader"}`, func(v float64) bool { return v >= 0 }},
			{`rathaus_db_in_use_connections{pool="writer"}`, func(v float64) bool { return v == 0 }},
			{`rathaus_db_wait_count_total{pool="reader"}`, func(v float64) bool { return v >= 0 }},
			{`rathaus_db_wait_seconds_total{pool="writer"}`, func(v float64) bool { return v >= 0 }},
		} {
			v, ok := got[tc.name]
			if !ok || !tc.ok(v) {
				t.Errorf("%s = %v (present %v)", tc.name, v, ok)
			}
		}
		e.db.Close()
		got = gather(t, reg)
		if v, ok := got["rathaus_db_up"]; !ok || v != 0 {
			t.Errorf("rathaus_db_up with the database closed = %v (present %v), want 0", v, ok)
		}
	})
}

// gather reads every metric of reg as "name{label="value",...}" → value.
func gather(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	must(t, err)
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			name := mf.GetName()
			if len(m.GetLabel()) > 0 {
				var ls []string
				for _, l := range m.GetLabel() {
					ls = append(ls, l.GetName()+`="`+l.GetValue()+`"`)
				}
				name += "{" + strings.Join(ls, ",") + "}"
			}
			switch {
			case m.Gauge != nil:
				out[name] = m.GetGauge().GetValue()
			case m.Counter != nil:
				out[name] = m.GetCounter().GetValue()
			}
		}
	}
	return out
}
