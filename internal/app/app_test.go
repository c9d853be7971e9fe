package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rathaus/rathaus/internal/platform/blobtest"
	"github.com/rathaus/rathaus/internal/platform/cli"
	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
)

// installation is a data directory, plus a PostgreSQL URL on the PostgreSQL
// leg, that CLI commands and servers of a test share.
type installation struct {
	dir, url string
	// blobVars point the installation at a fresh prefix of the test bucket
	// under make test-s3 (RATHAUS_TEST_BLOB_URL); nil: blobs in dir.
	blobVars map[string]string
	// env holds further variables (RATHAUS_DEMO=1, ...).
	env map[string]string
}

func (in installation) getenv(k string) string {
	if v, ok := in.env[k]; ok {
		return v
	}
	if v, ok := in.blobVars[k]; ok {
		return v
	}
	switch k {
	case "RATHAUS_DATA_DIR":
		return in.dir
	case "RATHAUS_DATABASE_URL":
		return in.url
	case "RATHAUS_LOG_LEVEL":
		return "warn"
	}
	return ""
}

// eachInstallation runs fn on a fresh SQLite installation and, when
// configured, on a fresh PostgreSQL schema.
func eachInstallation(t *testing.T, fn func(t *testing.T, in installation)) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		in := installation{dir: t.TempDir()}
		if db.Dialect == database.Postgres {
			in.url = db.OpenOptions().URL
		}
		if os.Getenv(blobtest.URL) != "" {
			in.blobVars = s3Vars(t)
		}
		fn(t, in)
	})
}

// run runs one CLI command and returns stdout, stderr and the exit code.
func (in installation) run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := Run(context.Background(), args, IO{Getenv: in.getenv, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb})
	return out.String(), errb.String(), cli.ExitCode(err)
}

// server is a running `rathaus demo` or `rathaus serve`.
type server struct {
	base  string
	lines []string // stdout lines after the first
	stop  func() error
}

func (in installation) start(t testing.TB, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := Run(ctx, append(args, "--addr", "127.0.0.1:0"), IO{Getenv: in.getenv, Stdin: strings.NewReader(""), Stdout: pw, Stderr: io.Discard})
		pw.CloseWithError(io.EOF)
		done <- err
	}()
	sc := bufio.NewScanner(pr)
	s := &server{}
	if !sc.Scan() {
		cancel()
		t.Fatalf("server printed nothing: %v", <-done)
	}
	first := sc.Text()
	base, ok := strings.CutPrefix(first, "listening on ")
	if !ok {
		t.Fatalf("first stdout line = %q, want 'listening on http://HOST:PORT'", first)
	}
	s.base = base
	lines := make(chan string, 100)
	go func() {
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	// Wait for readiness (the demo prints its logins, then turns ready).
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatal("server never became ready")
		}
		time.Sleep(10 * time.Millisecond) // polling a server, not timing behaviour
	}
	var stopped bool
	s.stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			for l := range lines {
				s.lines = append(s.lines, l)
			}
			return err
		case <-time.After(10 * time.Second):
			return errors.New("server did not stop within 10 s")
		}
	}
	t.Cleanup(func() { s.stop() })
	return s
}

func (s *server) do(t *testing.T, method, path, token string, body string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, s.base+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, b
}

func countRows(t *testing.T, in installation) map[string]int {
	t.Helper()
	db, err := database.Open(context.Background(), database.Options{DataDir: in.dir, URL: in.url})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string]int{}
	for _, table := range []string{"tenants", "accounts", "account_roles", "api_tokens", "audit_events"} {
		var n int
		if err := db.R.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

func TestDemoServesSeedsOnceAndStopsGracefully(t *testing.T) {
	eachInstallation(t, func(t *testing.T, in installation) {
		s := in.start(t, "demo")
		resp, body := s.do(t, "GET", "/", "", "")
		if resp.StatusCode != 200 || !bytes.Contains(body, []byte("Musterstadt")) {
			t.Errorf("home: %d %s", resp.StatusCode, body)
		}
		resp, body = s.do(t, "GET", "/api/v1/tenant/settings", DemoToken("admin"), "")
		var settings map[string]any
		json.Unmarshal(body, &settings)
		if resp.StatusCode != 200 || settings["federal_state"] != "BY" {
			t.Errorf("settings: %d %s", resp.StatusCode, body)
		}
		if err := s.stop(); err != nil {
			t.Fatalf("graceful stop: %v", err)
		}
		joined := strings.Join(s.lines, "\n")
		for _, want := range []string{"admin@musterstadt.example", DemoPassword, DemoToken("finance")} {
			if !strings.Contains(joined, want) {
				t.Errorf("demo output lacks %q:\n%s", want, joined)
			}
		}
		before := countRows(t, in)
		s2 := in.start(t, "demo")
		s2.stop()
		if diff := cmp.Diff(before, countRows(t, in)); diff != "" {
			t.Errorf("second demo run added rows (-before +after):\n%s", diff)
		}
	})
}

func TestAPIConventions(t *testing.T) {
	in := installation{dir: t.TempDir()}
	s := in.start(t, "demo")
	admin, finance := DemoToken("admin"), DemoToken("finance")
	tests := []struct {
		name, method, path, token, body string
		status                          int
		problem                         bool
	}{
		{"unknown API route", "GET", "/api/v1/nonexistent", "", "", 404, true},
		{"wrong method", "PATCH", "/api/v1/tokens", admin, "", 405, true},
		{"no token", "GET", "/api/v1/tokens", "", "", 401, true},
		{"forged token", "GET", "/api/v1/tokens", "rh_forged", "", 401, true},
		{"wrong role", "GET", "/api/v1/tokens", finance, "", 403, true},
		{"broken JSON", "POST", "/api/v1/tokens", admin, `{"name":`, 400, true},
		{"unknown field", "POST", "/api/v1/tokens", admin, `{"name":"x","role":"admin","extra":1}`, 400, true},
		{"invalid role", "POST", "/api/v1/tokens", admin, `{"name":"x","role":"emperor"}`, 422, true},
		{"invalid settings", "PUT", "/api/v1/tenant/settings", admin, `{"federal_state":"XX"}`, 422, true},
		{"created", "POST", "/api/v1/tokens", admin, `{"name":"kasse-2","role":"finance"}`, 201, false},
		{"public tenant", "GET", "/api/v1/tenant", "", "", 200, false},
		{"openapi", "GET", "/api/v1/openapi.json", "", "", 200, false},
		{"metrics are off without RATHAUS_METRICS_TOKEN", "GET", "/metrics", "", "", 404, false},
		{"healthz", "GET", "/healthz", "", "", 200, false},
		{"unknown page", "GET", "/gibt-es-nicht", "", "", 404, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := s.do(t, tt.method, tt.path, tt.token, tt.body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			ct := resp.Header.Get("Content-Type")
			if tt.problem {
				var p map[string]any
				if ct != "application/problem+json" || json.Unmarshal(body, &p) != nil || p["status"] != float64(tt.status) || p["request_id"] == "" {
					t.Errorf("not a problem document: %s %s", ct, body)
				}
			}
			if resp.Header.Get("Content-Security-Policy") == "" || resp.Header.Get("X-Request-Id") == "" {
				t.Errorf("missing security header or request id")
			}
		})
	}
	t.Run("oversized body", func(t *testing.T) {
		big := strings.Repeat("x", 33<<20)
		resp, body := s.do(t, "POST", "/api/v1/tokens", admin, big)
		if resp.StatusCode != 413 || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("status %d %s", resp.StatusCode, body[:min(len(body), 200)])
		}
	})
	t.Run("422 lists every field with code and translated detail", func(t *testing.T) {
		for lang, want := range map[string][2]string{"de": {"Bitte füllen Sie dieses Feld aus.", "Bitte eine der angebotenen Möglichkeiten wählen."}, "en": {"Please fill in this field.", "Please choose one of the options offered."}} {
			req, _ := http.NewRequest("POST", s.base+"/api/v1/tokens", strings.NewReader(`{"name":" ","role":"emperor"}`))
			req.Header.Set("Authorization", "Bearer "+admin)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept-Language", lang)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var p struct {
				Status int    `json:"status"`
				Detail string `json:"detail"`
				Errors []struct {
					Field, Code, Detail string
				} `json:"errors"`
			}
			json.NewDecoder(resp.Body).Decode(&p)
			resp.Body.Close()
			got := fmt.Sprint(p.Errors)
			if p.Status != 422 || p.Detail == "" || got != fmt.Sprint([]struct{ Field, Code, Detail string }{{"name", "required", want[0]}, {"role", "invalid_choice", want[1]}}) {
				t.Errorf("%s: %+v", lang, p)
			}
		}
	})
	t.Run("empty lists are [] not null", func(t *testing.T) {
		_, body := s.do(t, "GET", "/api/v1/jobs?status=dead", admin, "")
		if strings.TrimSpace(string(body)) != "[]" {
			t.Errorf("dead jobs = %s, want []", body)
		}
	})
	t.Run("cross-origin browser POST refused", func(t *testing.T) {
		req, _ := http.NewRequest("POST", s.base+"/api/v1/tokens", strings.NewReader(`{}`))
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site POST: %d, want 403", resp.StatusCode)
		}
		db, err := database.Open(context.Background(), database.Options{DataDir: in.dir})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var n int
		db.R.QueryRow(`SELECT COUNT(*) FROM audit_events WHERE action = 'request.csrf_refused'`).Scan(&n)
		if n != 1 {
			t.Errorf("csrf refusals in the audit trail: %d, want 1", n)
		}
	})
}

// TestOpenAPIMatchesRoutes derives the expectation from the router: every
// registered /api/ route is documented and nothing else is.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e, err := open(context.Background(), mustConfig(t), discardLogger(), clock.System{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.close()
	_, rt := e.handler(nil)
	var registered []string
	for _, r := range rt.Routes() {
		if !strings.HasPrefix(r.Path, "/api/") {
			continue
		}
		if r.API == nil {
			t.Errorf("API route %s %s registered without documentation (use Router.API)", r.Method, r.Path)
		}
		registered = append(registered, strings.ToLower(r.Method)+" "+r.Path)
	}
	doc := rt.OpenAPI("Rathaus API", "test")
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var parsed struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(b, &parsed); err != nil {
		t.Fatal(err)
	}
	var documented []string
	for p, ops := range parsed.Paths {
		for m, op := range ops {
			documented = append(documented, m+" "+p)
			if op["operationId"] == "" || op["summary"] == "" || op["responses"] == nil {
				t.Errorf("%s %s: incomplete operation %v", m, p, op)
			}
		}
	}
	sort.Strings(registered)
	sort.Strings(documented)
	if diff := cmp.Diff(registered, documented); diff != "" {
		t.Errorf("OpenAPI paths differ from registered routes (-routes +doc):\n%s", diff)
	}
	if parsed.OpenAPI != "3.1.0" || len(registered) < 5 {
		t.Errorf("openapi %q with %d routes", parsed.OpenAPI, len(registered))
	}
}

func TestTokenCLI(t *testing.T) {
	eachInstallation(t, func(t *testing.T, in installation) {
		if _, _, code := in.run(t, "token", "list"); code != 1 {
			t.Errorf("token list without any tenant: exit %d, want 1", code)
		}
		s := in.start(t, "demo")
		s.stop()
		out, _, code := in.run(t, "token", "create", "--role", "finance", "--name", "kasse-export", "--json")
		var created struct{ ID, Secret, Role string }
		if code != 0 || json.Unmarshal([]byte(out), &created) != nil || !strings.HasPrefix(created.Secret, "rh_") {
			t.Fatalf("create: exit %d, %s", code, out)
		}
		out, _, _ = in.run(t, "--json", "token", "list")
		if !strings.Contains(out, created.ID) || strings.Contains(out, created.Secret) {
			t.Errorf("list shows no new token or shows a secret: %s", out)
		}
		if _, _, code := in.run(t, "token", "revoke", created.ID); code != 0 {
			t.Errorf("revoke exit %d", code)
		}
		if _, _, code := in.run(t, "token", "revoke", created.ID); code != 1 {
			t.Errorf("second revoke exit %d, want 1", code)
		}
		for _, bad := range [][]string{{"token", "create", "--name", "x"}, {"token", "create", "--role", "kaiser", "--name", "x"}, {"token", "frobnicate"}, {"token", "list", "--no-such-flag"}} {
			if _, _, code := in.run(t, bad...); code != 2 {
				t.Errorf("%v: exit %d, want 2", bad, code)
			}
		}
	})
}

func TestAuditVerifyCLIDetectsTampering(t *testing.T) {
	eachInstallation(t, func(t *testing.T, in installation) {
		s := in.start(t, "demo")
		s.stop()
		out, _, code := in.run(t, "audit", "verify")
		if code != 0 || !strings.Contains(out, "intact") {
			t.Fatalf("verify untouched: exit %d %s", code, out)
		}
		db, err := database.Open(context.Background(), database.Options{DataDir: in.dir, URL: in.url})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.W.Exec(`UPDATE audit_events SET actor = 'mallory' WHERE seq = 4`); err != nil {
			t.Fatal(err)
		}
		db.Close()
		out, _, code = in.run(t, "audit", "verify")
		if code != 1 || !strings.Contains(out, "first broken entry: seq 4") {
			t.Errorf("verify tampered: exit %d, %s", code, out)
		}
		out, _, code = in.run(t, "audit", "verify", "--json")
		var res struct {
			OK     bool
			Broken struct{ Seq int }
		}
		if code != 1 || json.Unmarshal([]byte(out), &res) != nil || res.OK || res.Broken.Seq != 4 {
			t.Errorf("verify --json tampered: exit %d, %s", code, out)
		}
	})
}

func TestBackupRestoreCLI(t *testing.T) {
	eachInstallation(t, func(t *testing.T, in installation) {
		s := in.start(t, "demo")
		s.stop()
		// A document as a domain stores it (the installation's store:
		// a directory, or S3 under make test-s3).
		e := openEnv(t, in, nil)
		key := keepDocument(t, e, 0, "Bescheid Hundesteuer 2026", "test:bescheid")
		e.close()
		archive := filepath.Join(t.TempDir(), "musterstadt.tar.gz")
		if _, errs, code := in.run(t, "backup", "--out", archive); code != 0 {
			t.Fatalf("backup exit %d: %s", code, errs)
		}
		newTarget := func(blobVars map[string]string) installation {
			target := installation{dir: t.TempDir(), blobVars: blobVars}
			if in.url != "" {
				db := dbtest.OpenPostgres(t, clock.System{})
				target.url = db.OpenOptions().URL
			}
			return target
		}
		var fresh map[string]string
		if in.blobVars != nil {
			fresh = s3Vars(t)
		}
		target := newTarget(fresh)
		if out, errs, code := target.run(t, "restore", archive); code != 0 {
			t.Fatalf("restore exit %d: %s %s", code, out, errs)
		}
		if diff := cmp.Diff(countRows(t, in), countRows(t, target)); diff != "" {
			t.Errorf("row counts differ after restore (-orig +restored):\n%s", diff)
		}
		if out, _, code := target.run(t, "audit", "verify"); code != 0 {
			t.Errorf("audit chain after restore: exit %d %s", code, out)
		}
		te := openEnv(t, target, nil)
		f, err := te.blobs.Open(context.Background(), key)
		if err != nil {
			t.Fatalf("blob after restore: %v", err)
		}
		b, _ := io.ReadAll(f)
		f.Close()
		te.close()
		if string(b) != "Bescheid Hundesteuer 2026" {
			t.Errorf("blob = %q", b)
		}
		if out, _, code := target.run(t, "blobs", "verify"); code != 0 {
			t.Errorf("blobs verify after restore: exit %d %s", code, out)
		}
		// The restored installation serves the demo token (a demo
		// database: only with RATHAUS_DEMO=1).
		target.env = map[string]string{"RATHAUS_DEMO": "1"}
		s2 := target.start(t, "serve")
		resp, _ := s2.do(t, "GET", "/api/v1/tokens", DemoToken("admin"), "")
		if resp.StatusCode != 200 {
			t.Errorf("restored server: tokens %d", resp.StatusCode)
		}
		// Restoring again into the filled installation is refused.
		if _, _, code := target.run(t, "restore", archive); code == 0 {
			t.Error("restore into a filled installation succeeded")
		}
		if _, _, code := target.run(t, "restore", filepath.Join(t.TempDir(), "missing.tar.gz")); code != 2 {
			t.Errorf("restore of a missing file: exit %d, want 2", code)
		}
		// By reference: the archive lists the blobs; a restore onto the same
		// store checks them, one onto an empty store refuses.
		byRef := filepath.Join(t.TempDir(), "by-reference.tar.gz")
		byRefOut, errs, code := in.run(t, "backup", "--blobs-by-reference", "--out", byRef)
		if code != 0 || !strings.Contains(byRefOut, " blobs by reference") || strings.Contains(byRefOut, " 0 blobs by reference") {
			t.Fatalf("backup --blobs-by-reference: exit %d: %s %s", code, byRefOut, errs)
		}
		sameStore := newTarget(in.blobVars)
		if in.blobVars == nil {
			sameStore.blobVars = map[string]string{"RATHAUS_BLOB_URL": "file://" + filepath.Join(in.dir, "blobs")}
		}
		if out, errs, code := sameStore.run(t, "restore", byRef); code != 0 {
			t.Errorf("restore by reference onto the same store: exit %d: %s %s", code, out, errs)
		}
		empty := newTarget(fresh)
		if in.blobVars != nil {
			empty.blobVars = s3Vars(t)
		}
		// Every listed blob is missing, and the message counts them all
		// (it names only the first few keys).
		listed := regexpFind(t, ` ([0-9]+) blobs by reference`, byRefOut)
		if out, errs, code := empty.runWith(t, nil, "restore", byRef); code != 1 || !strings.Contains(errs+out, "missing from the store") || !strings.Contains(errs+out, ": "+listed+" of "+listed+" (") {
			t.Errorf("restore by reference without the blobs: exit %d, want 1 and all %s blobs missing: %s %s", code, listed, out, errs)
		}
		if n := countRows(t, empty)["tenants"]; n != 0 {
			t.Errorf("refused restore left %d tenants", n)
		}
	})
}

func TestMalformedConfigRefusesToStart(t *testing.T) {
	for _, tt := range []struct{ k, v string }{
		{"RATHAUS_ADDR", "no-port"},
		{"RATHAUS_DATABASE_URL", "mysql://db"},
		{"RATHAUS_MAX_BODY_BYTES", "lots"},
		{"RATHAUS_TRUSTED_PROXIES", "10.0.0.0/33"},
		{"RATHAUS_DEMO", "yes"},
	} {
		var errb bytes.Buffer
		err := Run(context.Background(), []string{"serve"}, IO{Getenv: func(k string) string {
			if k == tt.k {
				return tt.v
			}
			if k == "RATHAUS_DATA_DIR" {
				return t.TempDir()
			}
			return ""
		}, Stdout: io.Discard, Stderr: &errb})
		if cli.ExitCode(err) != 2 || !strings.Contains(err.Error(), tt.k) {
			t.Errorf("%s=%s: err %v (exit %d), want exit 2 naming the variable", tt.k, tt.v, err, cli.ExitCode(err))
		}
	}
}

func TestUnknownCommand(t *testing.T) {
	if code := cli.ExitCode(Run(context.Background(), []string{"frobnicate"}, IO{Getenv: os.Getenv, Stdout: io.Discard, Stderr: io.Discard})); code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
}

func TestEinvoiceCommandIsWired(t *testing.T) {
	in := installation{dir: t.TempDir()}
	bad := filepath.Join(t.TempDir(), "kaputt.xml")
	os.WriteFile(bad, []byte("<Invoice><unclosed>"), 0o600)
	out, _, code := in.run(t, "einvoice", "validate", "--json", bad)
	var v struct {
		File       string `json:"file"`
		Wellformed bool   `json:"wellformed"`
		Accept     bool   `json:"accept"`
	}
	if code != 1 || json.Unmarshal([]byte(out), &v) != nil || v.File != bad || v.Wellformed || v.Accept {
		t.Errorf("malformed invoice: exit %d, %s", code, out)
	}
	if _, _, code := in.run(t, "einvoice", "validate", filepath.Join(t.TempDir(), "missing.xml")); code != 2 {
		t.Errorf("missing file: exit %d, want 2", code)
	}
}
