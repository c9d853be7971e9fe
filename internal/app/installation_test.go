package app

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/cli"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/jobs"
	"github.com/rathaus/rathaus/internal/platform/mail/mailtest"
)

// request sends a browser-like request (no redirects followed) with the
// given Host header and extra header pairs; cookies as name=value.
func (s *server) request(t *testing.T, method, host, path string, form url.Values, cookie string, hdr ...string) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, s.base+path, body)
	if host != "" {
		req.Host = host
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func cookieOf(resp *http.Response, name string) string {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return name + "=" + c.Value
		}
	}
	return ""
}

var codeRE = regexp.MustCompile(`<code>([A-Z2-7]{16,})</code>`)

// TestInstallationFromNothing follows the README's production section:
// an empty database, `rathaus migrate`, `rathaus tenant create`, `rathaus
// serve`; the first admin opens the printed set-up link, chooses a
// password, sets up TOTP and lands on the staff area.
func TestInstallationFromNothing(t *testing.T) {
	eachInstallation(t, func(t *testing.T, in installation) {
		if out, errs, code := in.run(t, "migrate"); code != 0 {
			t.Fatalf("migrate: %d %s %s", code, out, errs)
		}
		// A fresh installation has no municipality; CLI commands say how to make one.
		err := Run(context.Background(), []string{"audit", "verify"}, IO{Getenv: in.getenv, Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard})
		if err == nil || !strings.Contains(err.Error(), "rathaus tenant create") {
			t.Errorf("audit verify without a municipality: %v", err)
		}
		out, errs, code := in.run(t, "tenant", "create", "--slug", "neustadt", "--name", "Stadt Neustadt", "--host", "rathaus.neustadt.test",
			"--admin-email", "chefin@neustadt.test", "--state", "NW")
		if code != 0 {
			t.Fatalf("tenant create: %d %s", code, errs)
		}
		link := strings.TrimSpace(out)
		path, ok := strings.CutPrefix(link, "https://rathaus.neustadt.test")
		if !ok || !strings.HasPrefix(path, identity.SetupPath+"?token=") {
			t.Fatalf("set-up link %q", link)
		}
		if _, _, code := in.run(t, "tenant", "create", "--slug", "neustadt", "--name", "x", "--host", "x.test", "--admin-email", "a@x.test"); code == 0 {
			t.Error("second tenant with the same slug created")
		}
		if _, _, code := in.run(t, "tenant", "create", "--slug", "b", "--name", "x", "--host", "bad host", "--admin-email", "a@x.test"); code != 2 {
			t.Errorf("bad host: exit %d, want 2", code)
		}
		list, _, _ := in.run(t, "tenant", "list")
		if !strings.Contains(list, "neustadt") || !strings.Contains(list, "rathaus.neustadt.test") {
			t.Errorf("tenant list:\n%s", list)
		}
		// One municipality: CLI commands need no --tenant.
		if out, errs, code := in.run(t, "audit", "verify"); code != 0 || !strings.Contains(out, "neustadt") {
			t.Errorf("audit verify: %d %s %s", code, out, errs)
		}

		s := in.start(t, "serve")
		const host = "rathaus.neustadt.test"
		// Another name gets the unknown-municipality page.
		if resp, body := s.request(t, "GET", "", "/", nil, ""); resp.StatusCode != 404 || !strings.Contains(body, "Unbekannte Kommune") {
			t.Errorf("GET / on 127.0.0.1: %d", resp.StatusCode)
		}
		if resp, body := s.request(t, "GET", host, path, nil, ""); resp.StatusCode != 200 || !strings.Contains(body, "Zugang einrichten") {
			t.Fatalf("set-up page: %d", resp.StatusCode)
		}
		token := strings.TrimPrefix(path, identity.SetupPath+"?token=")
		resp, _ := s.request(t, "POST", host, identity.SetupPath, url.Values{"token": {token}, "password": {"ein-sicheres-passwort"}, "password2": {"ein-sicheres-passwort"}}, "")
		session := cookieOf(resp, identity.SessionCookie)
		if resp.StatusCode != 303 || resp.Header.Get("Location") != identity.TOTPSetupPath || session == "" {
			t.Fatalf("set password: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		// Until TOTP is set up, the staff area sends the admin back to it.
		if resp, _ := s.request(t, "GET", host, "/verwaltung", nil, session); resp.StatusCode != 303 || resp.Header.Get("Location") != identity.TOTPSetupPath {
			t.Errorf("staff area before TOTP: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		var code6 string
		resp, body := s.request(t, "GET", host, identity.TOTPSetupPath, nil, session)
		m := codeRE.FindStringSubmatch(body)
		if resp.StatusCode != 200 || m == nil {
			t.Fatalf("TOTP set-up page: %d, secret shown: %v", resp.StatusCode, m != nil)
		}
		code6, err = identity.TOTPCode(m[1], time.Now())
		must(t, err)
		resp, _ = s.request(t, "POST", host, identity.TOTPSetupPath, url.Values{"totp": {code6}}, session)
		if resp.StatusCode != 303 || resp.Header.Get("Location") != "/verwaltung" {
			t.Fatalf("confirm TOTP: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, body = s.request(t, "GET", host, "/verwaltung", nil, session)
		if resp.StatusCode != 200 || !strings.Contains(body, `href="/verwaltung/mitarbeitende"`) || !strings.Contains(body, "Administration") {
			t.Errorf("staff area after set-up: %d", resp.StatusCode)
		}
		// The next sign-in asks for password and code.
		resp, body = s.request(t, "POST", host, "/anmelden", url.Values{"email": {"chefin@neustadt.test"}, "password": {"ein-sicheres-passwort"}}, "")
		if resp.StatusCode != 200 || !strings.Contains(body, "Einmalcode") {
			t.Errorf("sign-in without code: %d", resp.StatusCode)
		}
	})
}

// TestServeRefusesTheDemoDatabase: the demo's published secrets never
// reach `rathaus serve` by accident.
func TestServeRefusesTheDemoDatabase(t *testing.T) {
	in := installation{dir: t.TempDir()}
	in.start(t, "demo").stop()
	serve := func(args ...string) error {
		return Run(context.Background(), append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), IO{Getenv: in.getenv, Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard})
	}
	if err := serve(); cli.ExitCode(err) != 2 || !strings.Contains(err.Error(), "demo city Musterstadt") || !strings.Contains(err.Error(), "RATHAUS_DEMO=1") {
		t.Errorf("serve on the demo database: exit %d, %v", cli.ExitCode(err), err)
	}
	if err := serve("--host", "demo.example"); cli.ExitCode(err) != 2 || !strings.Contains(err.Error(), "--host") {
		t.Errorf("serve --host: exit %d %v", cli.ExitCode(err), err)
	}
	list, _, _ := in.run(t, "tenant", "list")
	if !strings.Contains(list, "demo (published passwords)") {
		t.Errorf("tenant list does not mark the demo:\n%s", list)
	}
}

// TestDemoAnswersLoopbackNamesOnly: no page reaches the demo through a
// foreign name (DNS rebinding), unless --host names it.
func TestDemoAnswersLoopbackNamesOnly(t *testing.T) {
	in := installation{dir: t.TempDir()}
	s := in.start(t, "demo", "--host", "demo.example")
	port := s.base[strings.LastIndexByte(s.base, ':')+1:]
	for host, want := range map[string]int{
		"": 200, "localhost:" + port: 200, "[::1]:" + port: 200, "LOCALHOST": 200, "demo.example": 200,
		"evil.example": 404, "rebind.evil.example:" + port: 404, "127.0.0.2": 404,
	} {
		resp, body := s.request(t, "GET", host, "/", nil, "")
		if resp.StatusCode != want {
			t.Errorf("Host %q: %d, want %d", host, resp.StatusCode, want)
		}
		if want == 404 && !strings.Contains(body, "Unbekannte Kommune") {
			t.Errorf("Host %q: not the unknown-municipality page", host)
		}
	}
	if resp, body := s.request(t, "GET", "evil.example", "/api/v1/tenant", nil, ""); resp.StatusCode != 404 || !strings.Contains(body, "no municipality") {
		t.Errorf("API on a foreign name: %d %s", resp.StatusCode, body)
	}
}

// TestMailedLinksComeFromConfiguration asks for password resets with a
// forged Host and a forged X-Forwarded-Host and reads the real mail: the
// links point where the configuration says, never to the forged name.
func TestMailedLinksComeFromConfiguration(t *testing.T) {
	eachInstallation(t, func(t *testing.T, in installation) {
		smtp := mailtest.Start(t)
		in.env = map[string]string{"RATHAUS_SMTP_URL": "smtp://" + smtp.Host + ":" + strconv.Itoa(smtp.Port) + "?tls=none"}
		s := in.start(t, "demo")
		forgot := url.Values{"email": {"admin@musterstadt.example"}}

		// A forged Host reaches no municipality: nothing is sent.
		if resp, _ := s.request(t, "POST", "evil.example", "/konto/passwort-vergessen", forgot, ""); resp.StatusCode != 404 {
			t.Errorf("reset with a forged Host: %d, want 404", resp.StatusCode)
		}
		// A forged X-Forwarded-Host changes nothing: the demo's own address.
		resp, _ := s.request(t, "POST", "", "/konto/passwort-vergessen", forgot, "", "X-Forwarded-Host", "evil.example", "X-Forwarded-Proto", "https")
		if resp.StatusCode != 303 {
			t.Fatalf("reset: %d", resp.StatusCode)
		}
		reset, err := smtp.WaitFor("admin@musterstadt.example", "/konto/passwort-neu?token=", 20*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if body := reset.Body; !strings.Contains(body, s.base+"/konto/passwort-neu?token=") || strings.Contains(body, "evil") {
			t.Errorf("reset mail links elsewhere:\n%s", body)
		}
		// A municipality with a public URL: its invitation and its resets
		// link there, whatever the request says.
		if _, errs, code := in.run(t, "tenant", "create", "--slug", "nachbarstadt", "--name", "Nachbarstadt", "--host", "nachbarstadt.test",
			"--public-url", "https://service.nachbarstadt.de", "--admin-email", "chef@nachbarstadt.test", "--tenant", "musterstadt"); code != 0 {
			t.Fatalf("tenant create: %s", errs)
		}
		invitation, err := smtp.WaitFor("chef@nachbarstadt.test", identity.SetupPath+"?token=", 20*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if body := invitation.Body; !strings.Contains(body, "https://service.nachbarstadt.de"+identity.SetupPath+"?token=") {
			t.Errorf("invitation links elsewhere:\n%s", body)
		}
		resp, _ = s.request(t, "POST", "nachbarstadt.test", "/konto/passwort-vergessen", url.Values{"email": {"chef@nachbarstadt.test"}}, "", "X-Forwarded-Host", "evil.example")
		if resp.StatusCode != 303 {
			t.Fatalf("reset at Nachbarstadt: %d", resp.StatusCode)
		}
		reset2, err := smtp.WaitFor("chef@nachbarstadt.test", "/konto/passwort-neu?token=", 20*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if body := reset2.Body; !strings.Contains(body, "https://service.nachbarstadt.de/konto/passwort-neu?token=") || strings.Contains(body, "evil") {
			t.Errorf("Nachbarstadt's reset mail links elsewhere:\n%s", body)
		}
	})
}

// TestMailRequestsAreRateLimited: the reset form refuses a sixth request
// for one recipient within the hour with 429, Retry-After and an error page;
// the feedback form a flood from one address.
func TestMailRequestsAreRateLimited(t *testing.T) {
	in := installation{dir: t.TempDir()}
	s := in.start(t, "demo")
	forgot := url.Values{"email": {"kasse@musterstadt.example"}}
	for i := range identity.MailPerRecipient.Limit {
		if resp, _ := s.request(t, "POST", "", "/konto/passwort-vergessen", forgot, ""); resp.StatusCode != 303 {
			t.Fatalf("reset %d: %d", i+1, resp.StatusCode)
		}
	}
	resp, body := s.request(t, "POST", "", "/konto/passwort-vergessen", forgot, "")
	if ra, _ := strconv.Atoi(resp.Header.Get("Retry-After")); resp.StatusCode != 429 || ra < 1 || ra > 3601 || !strings.Contains(body, "Zu viele Anfragen") {
		t.Errorf("sixth reset: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	checkPage(t, []byte(body), "de")
	msg := url.Values{"message": {"Kontrast"}}
	var last int
	for range 11 {
		resp, _ := s.request(t, "POST", "", "/barrierefreiheit/feedback", msg, "")
		last = resp.StatusCode
	}
	if last != 429 {
		t.Errorf("eleventh feedback in an hour: %d, want 429", last)
	}
}

// TestRestoreOfAnUnreadableFileLeavesNothing: garbage, a truncated backup
// and a missing file all exit 2 before anything is created — no data
// directory, no schema.
func TestRestoreOfAnUnreadableFileLeavesNothing(t *testing.T) {
	// The file system side (a data directory); the database side, a
	// broken archive rolling back on both engines, is
	// TestRestoreOfBrokenBackupLeavesNothing.
	{
		src := installation{dir: t.TempDir()}
		src.start(t, "demo").stop()
		good := filepath.Join(t.TempDir(), "good.tar.gz")
		if _, errs, code := src.run(t, "backup", "--out", good); code != 0 {
			t.Fatalf("backup: %s", errs)
		}
		data, err := os.ReadFile(good)
		must(t, err)
		dir := t.TempDir()
		truncated := filepath.Join(dir, "truncated.tar.gz")
		must(t, os.WriteFile(truncated, data[:len(data)/2], 0o600))
		garbage := filepath.Join(dir, "garbage.tar.gz")
		must(t, os.WriteFile(garbage, []byte("kein Archiv"), 0o600))
		for _, file := range []string{garbage, truncated, filepath.Join(dir, "missing.tar.gz")} {
			target := installation{dir: filepath.Join(t.TempDir(), "neu")}
			if _, errs, code := target.run(t, "restore", file); code != 2 {
				t.Errorf("restore %s: exit %d (%s), want 2", filepath.Base(file), code, errs)
			}
			if _, err := os.Stat(target.dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("restore %s left %s behind: %v", filepath.Base(file), target.dir, err)
			}
		}
		// The intact backup restores.
		target := installation{dir: filepath.Join(t.TempDir(), "neu")}
		if out, errs, code := target.run(t, "restore", good); code != 0 || !strings.Contains(out, "restored") {
			t.Errorf("restore of the intact backup: exit %d %s %s", code, out, errs)
		}
	}
}

// TestListsAreReadableTables: `audit list` and `jobs list` print aligned
// tables for people and JSON with --json.
func TestListsAreReadableTables(t *testing.T) {
	in := installation{dir: t.TempDir()}
	in.start(t, "demo").stop()
	out, _, code := in.run(t, "audit", "list", "--limit", "100000")
	if code != 0 || !strings.HasPrefix(out, "SEQ") || !strings.Contains(out, "tenant.create") || strings.Contains(out, "{") {
		t.Errorf("audit list:\n%s", out)
	}
	// The default shows the newest 100 entries, newest first.
	out, _, _ = in.run(t, "audit", "list")
	if lines := strings.Count(out, "\n"); lines < 2 || lines > 101 {
		t.Errorf("audit list shows %d lines, want the header and at most 100 entries", lines)
	}
	if _, _, code := in.run(t, "audit", "list", "--limit", "0"); code != 2 {
		t.Errorf("audit list --limit 0: exit %d, want 2", code)
	}
	out, _, code = in.run(t, "audit", "list", "--json")
	var entries []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &entries) != nil || len(entries) == 0 {
		t.Errorf("audit list --json: %s", out)
	}
	// A job of its own, queued while no server runs, so the table does not
	// depend on how far the demo's queue got before it stopped.
	e := openEnv(t, in, nil)
	must(t, database.WithTx(context.Background(), e.db, func(tx *database.Tx) error {
		return jobs.Enqueue(tx, "test.readable", map[string]string{}, jobs.Options{Key: "listed"})
	}))
	e.close()
	out, _, code = in.run(t, "jobs", "list", "--status", "queued")
	if code != 0 || !strings.HasPrefix(out, "KIND") || !strings.Contains(out, "test.readable") || !strings.Contains(out, "listed") {
		t.Errorf("jobs list --status queued:\n%s", out)
	}
	if out, _, code := in.run(t, "jobs", "list"); code != 0 || strings.TrimSpace(out) != "no dead jobs" {
		t.Errorf("jobs list (no dead jobs): exit %d %q", code, out)
	}
	if out, _, _ := in.run(t, "jobs", "list", "--json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("jobs list --json (no dead jobs): %s", out)
	}
}

// TestSignInDelaysOverHTTP: after the free failures the sign-in form
// answers 429 with Retry-After and an error page — for the right password
// too, until the delay is over; the search and the service pages are not
// limited for a reader from the same address (100 requests as fast as
// they come).
func TestSignInDelaysOverHTTP(t *testing.T) {
	in := installation{dir: t.TempDir()}
	s := in.start(t, "demo")
	wrong := url.Values{"email": {"kasse@musterstadt.example"}, "password": {"falsch-falsch"}}
	var resp *http.Response
	var body string
	for i := 0; i < 10; i++ {
		resp, body = s.request(t, "POST", "", "/anmelden", wrong, "")
		if resp.StatusCode == http.StatusTooManyRequests {
			break
		}
	}
	delayed := time.Now()
	ra, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
	if resp.StatusCode != 429 || ra < 1 || ra > 15*60 || !strings.Contains(body, "kurz warten") {
		t.Fatalf("repeated failed sign-ins: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	right := url.Values{"email": {"kasse@musterstadt.example"}, "password": {DemoPassword}}
	resp, _ = s.request(t, "POST", "", "/anmelden", right, "")
	if late := time.Since(delayed) >= time.Duration(ra)*time.Second; resp.StatusCode != 429 && !(late && resp.StatusCode == 303) {
		t.Errorf("right password during the delay of %d s: %d, want 429", ra, resp.StatusCode)
	}
	// Another account is not delayed by this one's failures (the address
	// has its own, larger allowance).
	if resp, _ := s.request(t, "POST", "", "/anmelden", url.Values{"email": {DemoCitizen.Email}, "password": {DemoPassword}}, ""); resp.StatusCode != 303 {
		t.Errorf("another account's sign-in from the same address: %d, want 303", resp.StatusCode)
	}

	start := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for i := range 100 {
		wg.Go(func() {
			path := []string{"/leistungen?q=hund", "/leistungen/" + DemoServiceRef, "/api/v1/services?q=hund", "/"}[i%4]
			resp, err := noRedirect.Get(s.base + path)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				statuses[-1]++
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses[resp.StatusCode]++
		})
	}
	wg.Wait()
	took := time.Since(start)
	t.Logf("100 reading requests from one address in %v (%.0f/s): %v", took.Round(time.Millisecond), 100/took.Seconds(), statuses)
	if statuses[200] != 100 {
		t.Errorf("reading requests from one address: %v, want 100 answered 200", statuses)
	}
}

// TestForwardedSchemeOnlyFromTrustedProxies: behind a proxy named in
// RATHAUS_TRUSTED_PROXIES, X-Forwarded-Proto: https makes the session
// cookie Secure and sends HSTS; the same header from any other peer is
// ignored.
func TestForwardedSchemeOnlyFromTrustedProxies(t *testing.T) {
	for _, tt := range []struct {
		name    string
		proxies string
		https   bool
	}{{"no proxy configured", "", false}, {"another proxy", "10.0.0.0/8", false}, {"this peer is the proxy", "127.0.0.0/8,::1/128", true}} {
		t.Run(tt.name, func(t *testing.T) {
			in := installation{dir: t.TempDir()}
			if tt.proxies != "" {
				in.env = map[string]string{"RATHAUS_TRUSTED_PROXIES": tt.proxies}
			}
			s := in.start(t, "demo")
			resp, _ := s.request(t, "POST", "", "/anmelden", url.Values{"email": {DemoCitizen.Email}, "password": {DemoPassword}}, "", "X-Forwarded-Proto", "https")
			var secure, found bool
			for _, c := range resp.Cookies() {
				if c.Name == identity.SessionCookie {
					found, secure = true, c.Secure
				}
			}
			hsts := resp.Header.Get("Strict-Transport-Security")
			if resp.StatusCode != 303 || !found || secure != tt.https || (hsts != "") != tt.https {
				t.Errorf("sign-in with X-Forwarded-Proto https: %d, session cookie %v Secure %v, HSTS %q; want Secure and HSTS %v", resp.StatusCode, found, secure, hsts, tt.https)
			}
		})
	}
}
