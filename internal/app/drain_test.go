package app

import (
	"net/http"
	"testing"
	"time"
)

// After SIGTERM with RATHAUS_SHUTDOWN_DRAIN, the instance reports not ready
// and asks for connections to close, but keeps serving until the drain ends.
func TestShutdownDrainKeepsServingWhileNotReady(t *testing.T) {
	in := installation{dir: t.TempDir(), blobVars: map[string]string{"RATHAUS_SHUTDOWN_DRAIN": "3s"}}
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
