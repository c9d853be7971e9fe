package app

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// After SIGTERM with RATHAUS_SHUTDOWN_DRAIN, the instance reports not ready
// and asks for connections to close, but keeps serving until the drain ends.
func TestShutdownDrainKeepsServingWhileNotReady(t *testing.T) {
	in := installation{dir: t.TempDir(), env: map[string]string{"RATHAUS_SHUTDOWN_DRAIN": "3s"}}
	s := in.start(t, "serve")
	stopped := make(chan error, 1)
	go func() { stopped <- s.stop() }()
	deadline := time.Now().Add(10 * time.Second)
	var sawDraining bool
	for time.Now().Before(deadline) && !sawDraining {
		resp, err := http.Get(s.base + "/readyz")
		if err != nil {
			t.Fatalf("connection refused while draining: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable {
			sawDraining = true
			if resp.Header.Get("Connection") != "close" && !resp.Close {
				t.Error("draining response does not ask to close the connection")
			}
		}
	}
	if !sawDraining {
		t.Fatal("readiness never turned 503 after the stop signal")
	}
	resp, err := http.Get(s.base + "/healthz")
	if err != nil {
		t.Fatalf("request while draining: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("request while draining: %d, want 200", resp.StatusCode)
	}
	if err := <-stopped; err != nil {
		t.Errorf("stop: %v", err)
	}
	if _, err := http.Get(s.base + "/healthz"); err == nil {
		t.Error("still accepting connections after the drain")
	}
}

// /metrics carries what docs/operations.md says to alert on.
func TestMetricsForAlerting(t *testing.T) {
	in := installation{dir: t.TempDir(), env: map[string]string{"RATHAUS_METRICS_TOKEN": "operator-secret-for-the-test"}}
	s := in.start(t, "serve")
	resp, body := s.do(t, "GET", "/metrics", "operator-secret-for-the-test", "")
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d", resp.StatusCode)
	}
	for _, m := range []string{`rathaus_jobs{status="dead"}`, "rathaus_jobs_oldest_due_seconds", `rathaus_db_in_use_connections{pool="writer"}`,
		`rathaus_db_wait_count_total{pool="reader"}`, "rathaus_db_up 1", "rathaus_blob_corrupt_total 0"} {
		if !strings.Contains(string(body), m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
}
