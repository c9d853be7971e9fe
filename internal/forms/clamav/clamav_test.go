package clamav

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/forms"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/blob"
	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/tooltest"
)

// eicar is the standard anti-virus test file (harmless by design).
const eicar = `X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`

// marker is found anywhere in a file by a body signature of our own.
const marker = "RATHAUS-TEST-MALWARE-7f3a"

// startClamd runs Debian's clamd on a Unix socket with a signature database
// made here: the EICAR file by its MD5 (.hdb) and our marker as a body
// signature (.ndb) — there are no signature downloads on this machine.
func startClamd(t *testing.T) *Scanner {
	t.Helper()
	bin := tooltest.Path(t, "clamd", "clamav-daemon")
	dir := t.TempDir()
	db := filepath.Join(dir, "db")
	must(t, os.MkdirAll(db, 0o700))
	sum := md5.Sum([]byte(eicar))
	must(t, os.WriteFile(filepath.Join(db, "rathaus.hdb"), []byte(fmt.Sprintf("%s:%d:Rathaus.Test.EICAR\n", hex.EncodeToString(sum[:]), len(eicar))), 0o600))
	must(t, os.WriteFile(filepath.Join(db, "rathaus.ndb"), []byte("Rathaus.Test.Marker:0:*:"+hex.EncodeToString([]byte(marker))+"\n"), 0o600))
	sock := filepath.Join(dir, "clamd.sock")
	conf := filepath.Join(dir, "clamd.conf")
	must(t, os.WriteFile(conf, []byte(strings.Join([]string{
		"DatabaseDirectory " + db,
		"LocalSocket " + sock,
		"Foreground yes",
		"LogFile " + filepath.Join(dir, "clamd.log"),
		"LogVerbose yes",
		"StreamMaxLength 2M",
		"MaxThreads 2",
		"PidFile " + filepath.Join(dir, "clamd.pid"),
		"TemporaryDirectory " + dir,
	}, "\n")+"\n"), 0o600))
	cmd := exec.Command(bin, "-c", conf)
	out, err := cmd.StderrPipe()
	must(t, err)
	cmd.Stdout = cmd.Stderr
	must(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	// clamd prints its start-up on stdout/stderr; the socket is there once it
	// listens. Wait for that line (or the process to die).
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		var log []string
		for sc.Scan() {
			log = append(log, sc.Text())
			if strings.Contains(sc.Text(), "Listening daemon") || strings.Contains(sc.Text(), "Self checking every") {
				ready <- nil
				for sc.Scan() {
				}
				return
			}
		}
		ready <- fmt.Errorf("clamd exited before listening: %s", strings.Join(log, "\n"))
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("clamd did not start within 60 s")
	}
	s, err := New("unix:" + sock)
	must(t, err)
	s.Timeout = 20 * time.Second
	// The log line can precede the accept loop by a moment: ping until it answers.
	deadline := time.Now().Add(20 * time.Second)
	for {
		if err = s.Ping(context.Background()); err == nil || time.Now().After(deadline) {
			break
		}
		<-time.After(20 * time.Millisecond) // an external daemon's start-up, not our code's timing
	}
	must(t, err)
	return s
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestClamdVerdicts(t *testing.T) {
	s := startClamd(t)
	ctx := context.Background()
	pdf := []byte("%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n")
	cases := []struct {
		name  string
		data  []byte
		clean bool
		sig   string
	}{
		{"clean pdf", pdf, true, ""},
		{"eicar", []byte(eicar), false, "Rathaus.Test.EICAR.UNOFFICIAL"},
		{"marker inside a pdf", append(append([]byte("%PDF-1.4\n"), []byte(marker)...), []byte("\n%%EOF\n")...), false, "Rathaus.Test.Marker.UNOFFICIAL"},
		{"large clean file in many chunks", bytes.Repeat([]byte("abcdefgh"), 200_000), true, ""},
	}
	for _, c := range cases {
		v, err := s.Scan(ctx, bytes.NewReader(c.data))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if v.Clean != c.clean || v.Signature != c.sig {
			t.Errorf("%s: verdict %+v, want clean %v sig %q", c.name, v, c.clean, c.sig)
		}
	}
	// Over clamd's StreamMaxLength: an error, never "clean".
	if v, err := s.Scan(ctx, bytes.NewReader(bytes.Repeat([]byte("x"), 3<<20))); err == nil {
		t.Errorf("oversized stream: verdict %+v without error", v)
	}
	// An unreachable daemon fails the scan.
	gone := &Scanner{Network: "unix", Address: filepath.Join(t.TempDir(), "none.sock"), Timeout: time.Second}
	if _, err := gone.Scan(ctx, bytes.NewReader(pdf)); err == nil {
		t.Error("scan without a daemon succeeded")
	}
	var _ forms.Scanner = s
}

func TestParseAddress(t *testing.T) {
	for in, want := range map[string]string{"tcp://127.0.0.1:3310": "tcp 127.0.0.1:3310", "unix:/run/clamav/clamd.ctl": "unix /run/clamav/clamd.ctl", "unix:///run/x.sock": "unix /run/x.sock"} {
		s, err := New(in)
		if err != nil || s.Network+" "+s.Address != want {
			t.Errorf("New(%q) = %+v %v, want %s", in, s, err, want)
		}
	}
	for _, bad := range []string{"", "clamd", "tcp://", "http://x:1", "unix:"} {
		if _, err := New(bad); err == nil {
			t.Errorf("New(%q) accepted", bad)
		}
	}
}

// TestInfectedUploadRefusedAtItsField: with clamd as the forms' scanner,
// an application whose proof carries a signature is refused at the field
// and nothing is stored; a clean one goes through.
func TestInfectedUploadRefusedAtItsField(t *testing.T) {
	scanner := startClamd(t)
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		id := &identity.Service{DB: db}
		tn, err := id.CreateTenant(ctx, identity.Tenant{Slug: "musterstadt", Name: "Musterstadt", Settings: identity.Settings{FederalState: "BY"}})
		must(t, err)
		dir, err := blob.NewDir(t.TempDir())
		must(t, err)
		fs := &forms.Service{DB: db, Blobs: dir, Identity: id, Scanner: scanner}
		sys := identity.System(tn.ID)
		def, err := forms.DemoForm("hundesteuer")
		must(t, err)
		f, err := fs.CreateForm(ctx, sys, tn.ID, forms.NewForm{ServiceID: "L-DOG0-TAX0", Def: def})
		must(t, err)
		must(t, fs.Publish(ctx, sys, tn.ID, f.Ref, 1))
		acc, err := id.CreateCitizen(ctx, sys, tn.ID, "citizen", "paul@example.org", "Paul", "lange-geheime-phrase")
		must(t, err)
		var accountID int64
		must(t, db.R.QueryRow(`SELECT id FROM accounts WHERE ref = $1`, acc.Ref).Scan(&accountID))
		p := identity.Principal{TenantID: tn.ID, AccountID: accountID, Ref: acc.Ref, Kind: "citizen"}
		answers := forms.DogTaxAnswers(1)
		answers["reduction"] = "shelter"
		infected := append(append([]byte("%PDF-1.4\n"), []byte(marker)...), []byte("\n%%EOF\n")...)
		_, err = fs.Submit(ctx, p, tn.ID, forms.Submission{ServiceID: "L-DOG0-TAX0", Answers: answers, Uploads: []forms.Upload{{Field: "proof", Name: "vertrag.pdf", Data: infected}}})
		if !fault.HasCode(err, "proof", "file_infected") {
			t.Fatalf("infected upload: %v", err)
		}
		var n int
		db.R.QueryRow(`SELECT COUNT(*) FROM applications`).Scan(&n)
		if n != 0 {
			t.Errorf("%d applications after a refused upload", n)
		}
		if _, err := fs.Submit(ctx, p, tn.ID, forms.Submission{ServiceID: "L-DOG0-TAX0", Answers: answers,
			Uploads: []forms.Upload{{Field: "proof", Name: "vertrag.pdf", Data: []byte("%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n")}}}); err != nil {
			t.Errorf("clean upload: %v", err)
		}
	})
}
