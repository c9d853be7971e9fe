package app

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/platform/clock"
)

// TestAcknowledgedSubmissionsSurviveSIGKILL runs the submission load test
// against a `rathaus demo` in another OS process, kills that process with
// SIGKILL in the middle of the load, starts it again on the same data and
// address, and then checks every submission that was acknowledged before or
// after the crash: all complete, none half-written.
func TestAcknowledgedSubmissionsSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: starts OS processes (not in -short)")
	}
	eachInstallation(t, func(t *testing.T, in installation) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		must(t, err)
		addr := ln.Addr().String()
		ln.Close()
		start := func() *exec.Cmd { return childServer(t, in, addr) }
		child := start()
		defer func() { child.Process.Kill(); child.Wait() }()

		ctx := context.Background()
		cfg := mustConfigDir(in.dir)
		cfg.DatabaseURL = in.url
		e, err := open(ctx, cfg, discardLogger(), clock.System{})
		must(t, err)
		defer e.close()
		tn, err := e.identity.TenantBySlug(ctx, DemoSlug)
		must(t, err)
		tokens, err := loadtestCitizens(ctx, e, tn, 8)
		must(t, err)

		type result struct {
			res  *SubmissionsResult
			acks []sent
		}
		done := make(chan result, 1)
		go func() {
			res, acks := submitConcurrently(ctx, []string{"http://" + addr}, tokens, DemoServiceRef, 8*time.Second)
			done <- result{res, acks}
		}()
		time.Sleep(2500 * time.Millisecond) // let load build up before the crash
		must(t, child.Process.Signal(syscall.SIGKILL))
		child.Wait()
		child = start()
		r := <-done
		before := r.res.Acknowledged
		verifySubmissions(ctx, e, tn.ID, r.acks, r.res)
		t.Logf("crash test: %d acknowledged (%d errors while the server was down), %d verified, lost %d", before, r.res.Errors, r.res.Verified, r.res.Lost)
		if r.res.Acknowledged == 0 || r.res.Errors == 0 {
			t.Fatalf("the load did not span the crash: %+v", r.res)
		}
		if r.res.Lost != 0 || r.res.Verified != r.res.Acknowledged {
			t.Fatalf("lost submissions: %+v", r.res)
		}
		// What the killed process wrote without acknowledging it (in flight
		// at the kill) is whole too, or absent: none half-written.
		var stored, half int
		must(t, e.db.R.QueryRow(`SELECT COUNT(*) FROM applications a JOIN accounts ac ON ac.id = a.account_id WHERE ac.email LIKE '%@loadtest.invalid'`).Scan(&stored))
		must(t, e.db.R.QueryRow(`SELECT COUNT(*) FROM applications a JOIN accounts ac ON ac.id = a.account_id WHERE ac.email LIKE '%@loadtest.invalid'
			AND ((SELECT COUNT(*) FROM application_files f WHERE f.application_id = a.id) <> 1
				OR NOT EXISTS (SELECT 1 FROM blob_refs b WHERE b.sha256 = a.receipt_pdf)
				OR NOT EXISTS (SELECT 1 FROM blob_refs b WHERE b.sha256 = a.receipt_json)
				OR EXISTS (SELECT 1 FROM application_files f WHERE f.application_id = a.id AND NOT EXISTS (SELECT 1 FROM blob_refs b WHERE b.sha256 = f.sha256)))`).Scan(&half))
		t.Logf("crash test: %d applications stored for %d acknowledged", stored, r.res.Acknowledged)
		if half != 0 || stored < r.res.Acknowledged {
			t.Fatalf("%d of %d stored applications half-written (%d acknowledged)", half, stored, r.res.Acknowledged)
		}
		// The restarted server takes submissions again.
		if after, _ := submitConcurrently(ctx, []string{"http://" + addr}, tokens[:1], DemoServiceRef, time.Second); after.Acknowledged == 0 {
			t.Fatalf("the restarted server acknowledges nothing: %+v", after)
		}
		// Every application has its case, or its forms.submitted job is still
		// pending (one the killed process had claimed runs again when its
		// lease expires): nothing is lost between forms and cases either.
		var orphans int
		deadline := time.Now().Add(30 * time.Second)
		for {
			e.db.R.QueryRow(`SELECT COUNT(*) FROM applications a WHERE NOT EXISTS (SELECT 1 FROM cases c WHERE c.application_ref = a.ref)
				AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.kind = 'forms.submitted' AND j.key = a.ref AND j.status IN ('queued', 'running'))`).Scan(&orphans)
			if orphans == 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(100 * time.Millisecond) // polling the other process's job queue
		}
		if orphans != 0 {
			t.Fatalf("%d applications with neither a case nor a pending job", orphans)
		}
	})
}

// TestChildServer is the body of the server process the crash test kills;
// in a normal run it does nothing.
func TestChildServer(t *testing.T) {
	if os.Getenv("RATHAUS_CHILD_SERVER") != "1" {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	err := Run(ctx, []string{"demo"}, IO{Getenv: os.Getenv, Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: os.Stderr})
	fmt.Fprintln(os.Stderr, "child server stopped:", err)
}

// childServer runs `serve` of this test binary (TestChildServer) on addr for
// the installation, with protections off, and waits until it is ready: the
// crash tests kill it with SIGKILL and start it again.
func childServer(t *testing.T, in installation, addr string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildServer$")
	cmd.Env = append(os.Environ(), "RATHAUS_CHILD_SERVER=1", "RATHAUS_DATA_DIR="+in.dir, "RATHAUS_DATABASE_URL="+in.url,
		"RATHAUS_ADDR="+addr, "RATHAUS_RATE_LIMITS=off", "RATHAUS_LOG_LEVEL=error")
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	must(t, cmd.Start())
	for deadline := time.Now().Add(90 * time.Second); ; {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return cmd
			}
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("child server never became ready")
		}
		time.Sleep(20 * time.Millisecond) // polling another process
	}
}
