package app

import (
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
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
