package app

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rathaus/rathaus/internal/catalog"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/cli"
	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// call runs one of the catalog's command functions like Run would.
func (in installation) call(t *testing.T, fn func(context.Context, IO, []string) error, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := fn(context.Background(), IO{Getenv: in.getenv, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}, args)
	return out.String(), errb.String(), cli.ExitCode(err)
}

// demoEnv opens the installation with the demo city and its catalog.
func demoEnv(t *testing.T, in installation) *env {
	t.Helper()
	cfg := defaultConfig()
	cfg.DataDir, cfg.DatabaseURL = in.dir, in.url
	e, err := open(context.Background(), cfg, discardLogger(), clock.System{})
	must(t, err)
	t.Cleanup(e.close)
	_, err = seedDemo(context.Background(), e)
	must(t, err)
	must(t, seedDemoCatalog(context.Background(), e))
	return e
}

// TestCatalogFindCLIEqualsAPI: `rathaus catalog find --json` and
// GET /api/v1/services print the same document for the same query.
func TestCatalogFindCLIEqualsAPI(t *testing.T) {
	eachInstallation(t, func(t *testing.T, in installation) {
		e := demoEnv(t, in)
		rt := web.NewRouter(renderError)
		idh := &identity.Handler{Svc: e.identity, DemoHosts: []string{"example.com"}}
		mountCatalog(rt, e, idh)
		h := idh.TenantMiddleware(rt)
		for _, q := range []string{"Personalausweis verloren", "Hundesteuer", "register my car", "Ummeldung neue Wohnung", "xyzzy"} {
			stdout, stderr, code := in.call(t, runCatalog, "find", "--json", "--limit", "5", q)
			if code != 0 && !(q == "xyzzy" && code == 1) {
				t.Fatalf("catalog find %q: exit %d: %s", q, code, stderr)
			}
			var cliDoc, apiDoc catalog.FindResult
			must(t, json.Unmarshal([]byte(stdout), &cliDoc))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/services?limit=5&q="+url.QueryEscape(q), nil))
			if rec.Code != http.StatusOK {
				t.Fatalf("API %q: %d", q, rec.Code)
			}
			must(t, json.Unmarshal(rec.Body.Bytes(), &apiDoc))
			if diff := cmp.Diff(apiDoc, cliDoc); diff != "" {
				t.Errorf("%q: CLI differs from API (-api +cli):\n%s", q, diff)
			}
			if q != "xyzzy" && len(cliDoc.Results) == 0 {
				t.Errorf("%q: no results", q)
			}
		}
		stdout, stderr, code := in.call(t, runCatalog, "bench", "--json", "--rounds", "1")
		var rep catalog.BenchSummary
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil || (code != 0 && code != 1) {
			t.Fatalf("catalog bench: exit %d, %v: %s", code, err, stderr)
		}
		tuning := rep.Sets[catalog.SetTuning]
		if tuning.City.Services != 288 || tuning.City.Top3 < 0.53 || tuning.Federal.Services < 5000 {
			t.Errorf("bench on the stored demo catalog: %+v", tuning.City)
		}
	})
}

func TestImportExportServicesCLI(t *testing.T) {
	eachInstallation(t, func(t *testing.T, in installation) {
		e := demoEnv(t, in)
		dir := t.TempDir()
		stdout, stderr, code := in.call(t, runExport, "services")
		if code != 0 {
			t.Fatalf("export: exit %d: %s", code, stderr)
		}
		exported := filepath.Join(dir, "export.json")
		must(t, os.WriteFile(exported, []byte(stdout), 0o600))
		res, err := (&catalog.JSONImporter{Strict: true}).Import(context.Background(), strings.NewReader(stdout))
		if err != nil || len(res.Services) < 5000 {
			t.Fatalf("export is not our own format with the demo's 288 services and the federal entries: %v", err)
		}

		// Round trip: importing the export changes nothing.
		stdout, stderr, code = in.call(t, runImport, "services", exported, "--json")
		var rep catalog.ImportReport
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil || code != 0 {
			t.Fatalf("import of the export: exit %d %v: %s", code, err, stderr)
		}
		if rep.Unchanged != len(res.Services) || rep.Created+rep.Updated != 0 {
			t.Errorf("round trip changed the catalog: %+v", rep)
		}

		own := `{"format":"rathaus-catalog","version":1,"services":[
{"external_id":"M-1","source":"rathaus","leika_keys":[],"name":"Parkausweis für Anwohner","online_availability":"online_form","bookable":false},
{"external_id":"M-2","source":"rathaus","leika_keys":["1"],"name":"Kaputt","online_availability":"information","bookable":false}
]}`
		file := filepath.Join(dir, "own.json")
		must(t, os.WriteFile(file, []byte(own), 0o600))
		broken := filepath.Join(dir, "broken.json")
		must(t, os.WriteFile(broken, []byte(own[:120]), 0o600))
		count := func() int {
			var n int
			must(t, e.db.R.QueryRow(`SELECT COUNT(*) FROM services`).Scan(&n))
			return n
		}
		base := count()
		tests := []struct {
			name string
			args []string
			code int
			want int // services afterwards
		}{
			{"broken file", []string{"services", broken}, 2, base},
			{"strict", []string{"services", file, "--strict"}, 1, base},
			{"missing file", []string{"services", filepath.Join(dir, "nope.json")}, 2, base},
			{"unknown source", []string{"services", "--source", "xzufi"}, 2, base},
			{"no noun", []string{}, 2, base},
			{"valid entries", []string{"services", file}, 0, base + 1},
			{"embedded Munich again", []string{"services", "--source", "munich"}, 0, base + 1},
		}
		for _, tc := range tests {
			stdout, stderr, code := in.call(t, runImport, tc.args...)
			if code != tc.code || count() != tc.want {
				t.Errorf("%s: exit %d with %d services, want exit %d with %d (%s%s)", tc.name, code, count(), tc.code, tc.want, stdout, stderr)
			}
		}
		stdout, _, _ = in.call(t, runImport, "services", file)
		if !strings.Contains(stdout, "skipped: line 3 (services[1] external_id=M-2)") {
			t.Errorf("skipped entry not listed with line and element: %q", stdout)
		}
	})
}
