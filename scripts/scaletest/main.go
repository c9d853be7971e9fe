// Command scaletest runs two `rathaus serve` instances on one PostgreSQL
// database (created for the run) and one S3 bucket (SeaweedFS), behind a
// local haproxy, and shows that they behave as one system: sessions, login
// throttling, jobs, catalog edits and documents work across instances;
// under load, one instance is killed with SIGKILL and later both are
// restarted one after the other with SIGTERM. Every acknowledged write is
// then looked up in the database and the bucket.
//
// The last stdout line is one JSON document. Exit status 1 unless no
// acknowledged write was lost, no request failed at the proxy during the
// rolling restart, and every cross-instance check passed.
//
// Run by `make scale-test` (scripts/scale-test.sh), which builds the binary,
// installs haproxy if missing and starts SeaweedFS.
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/rathaus/rathaus/internal/platform/blob"
	"github.com/rathaus/rathaus/internal/platform/database"
)

const (
	demoPassword = "Musterstadt-Demo-2026"
	adminToken   = "rh_demo_admin_musterstadt"
)

type cluster struct {
	run       string
	dir       string
	instances []*instance
	proxy     *proxy
}

type report struct {
	Instances                  int             `json:"instances"`
	Requests                   int             `json:"requests"`
	AcknowledgedWrites         int             `json:"acknowledged_writes"`
	Lost                       int             `json:"lost"`
	CrossInstanceReadsOK       bool            `json:"cross_instance_reads_ok"`
	FailedDuringKill           int             `json:"failed_during_kill"`
	FailedDuringRollingRestart int             `json:"failed_during_rolling_restart"`
	FailedOtherwise            int             `json:"failed_otherwise"`
	AcknowledgedByKind         map[string]int  `json:"acknowledged_by_kind"`
	Checks                     map[string]bool `json:"checks"`
	RequestsPerSecond          float64         `json:"requests_per_second"`
	LatencyP50ms               float64         `json:"latency_p50_ms"`
	LatencyP99ms               float64         `json:"latency_p99_ms"`
	LoadSeconds                float64         `json:"load_seconds"`
	KillRecoverySeconds        float64         `json:"kill_recovery_seconds"`
	RollingRestartSeconds      float64         `json:"rolling_restart_seconds"`
	BlobsChecked               int             `json:"blobs_checked"`
	BlobsMissing               int             `json:"blobs_missing"`
	BlobsCorrupt               int             `json:"blobs_corrupt"`
	Documents                  string          `json:"documents"`
	LostExamples               []string        `json:"lost_examples"`
	FailureExamples            []string        `json:"failure_examples"`
	Notes                      []string        `json:"notes"`
}

func main() {
	bin := flag.String("bin", "bin/rathaus", "rathaus binary")
	pg := flag.String("pg", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "PostgreSQL server URL (a database is created for the run)")
	phase := flag.Duration("phase", 12*time.Second, "length of each load phase")
	readers := flag.Int("readers", 4, "concurrent readers (plus writers, a session user and a document writer)")
	keep := flag.Bool("keep", false, "keep the work directory and the database")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("scale-test: ")
	ok, err := run(*bin, *pg, *phase, *readers, *keep)
	if err != nil {
		log.Print(err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

func run(bin, pg string, phase time.Duration, readers int, keep bool) (bool, error) {
	ctx := context.Background()
	var rb [4]byte
	rand.Read(rb[:])
	cl := &cluster{run: hex.EncodeToString(rb[:])}
	var err error
	if cl.dir, err = os.MkdirTemp("", "rathaus-scale-"); err != nil {
		return false, err
	}
	if !keep {
		defer os.RemoveAll(cl.dir)
	}
	if bin, err = filepath.Abs(bin); err != nil {
		return false, err
	}

	// Its own database on the PostgreSQL server.
	dbURL, drop, err := createDatabase(ctx, pg, "rathaus_scale_"+cl.run)
	if err != nil {
		return false, err
	}
	if !keep {
		defer drop()
	}
	// A prefix of its own in the test bucket.
	loc, err := blob.ParseURL(os.Getenv("RATHAUS_TEST_BLOB_URL"))
	if err != nil || loc.S3 == nil {
		return false, fmt.Errorf("RATHAUS_TEST_BLOB_URL must name an S3 bucket (scripts/s3-server.sh): %v", err)
	}
	loc.S3.Prefix = "scale-" + cl.run + "/"
	blobURL := loc.String()

	logf, err := os.Create(filepath.Join(cl.dir, "instances.log"))
	if err != nil {
		return false, err
	}
	defer logf.Close()
	for _, name := range []string{"a", "b"} {
		dir := filepath.Join(cl.dir, name)
		os.MkdirAll(dir, 0o750)
		cl.instances = append(cl.instances, &instance{name: name, addr: freePort(), dir: dir, bin: bin, log: logf, env: []string{
			"RATHAUS_DATABASE_URL=" + dbURL,
			"RATHAUS_BLOB_URL=" + blobURL,
			"RATHAUS_DATA_DIR=" + dir,
			"RATHAUS_TRUSTED_PROXIES=127.0.0.1/32",
			"RATHAUS_SHUTDOWN_DRAIN=1500ms",
			"RATHAUS_SHUTDOWN_TIMEOUT=20s",
			"RATHAUS_LOG_LEVEL=warn",
			"RATHAUS_WORKERS=2",
			"RATHAUS_DEMO=1", // the database holds the demo city
		}})
	}
	a, b := cl.instances[0], cl.instances[1]
	defer func() {
		for _, in := range cl.instances {
			in.stop(syscall.SIGKILL)
		}
	}()
	// A seeds the demo city on its first start; every other start seeds nothing.
	if err := a.start(ctx, "demo"); err != nil {
		return false, err
	}
	if err := b.start(ctx, "serve"); err != nil {
		return false, err
	}
	if cl.proxy, err = startProxy(cl.dir, cl.instances, logf); err != nil {
		return false, err
	}
	defer cl.proxy.close()
	for _, in := range cl.instances {
		if err := cl.proxy.waitStatus(ctx, in.name, "UP"); err != nil {
			return false, err
		}
	}
	base := "http://" + cl.proxy.addr
	services, err := serviceRefs(base)
	if err != nil {
		return false, err
	}
	docs := detectDocuments(base)

	rep := report{Instances: len(cl.instances), AcknowledgedByKind: map[string]int{}, Notes: []string{}, LostExamples: []string{}, FailureExamples: []string{}}
	rep.Checks, rep.Notes = crossInstance(ctx, "http://"+a.addr, "http://"+b.addr, cl, adminToken, services, docs)
	if rep.Notes == nil {
		rep.Notes = []string{}
	}
	rep.CrossInstanceReadsOK = len(rep.Checks) > 0
	for _, v := range rep.Checks {
		rep.CrossInstanceReadsOK = rep.CrossInstanceReadsOK && v
	}
	if docs == nil {
		rep.Documents = "no document-storing route mounted yet (checked the OpenAPI document)"
	} else {
		rep.Documents = docs.name()
	}

	session, code, err := login(base, "mueller@musterstadt.example", demoPassword)
	if err != nil || code != http.StatusSeeOther {
		return false, fmt.Errorf("login through the proxy: %d %v", code, err)
	}
	l := &load{base: base, run: cl.run, services: services, token: adminToken, rec: &recorder{}, session: session, docs: docs}
	loadStart := time.Now()
	stop := l.start(readers)
	pause := func(d time.Duration) { time.Sleep(d) }

	pause(phase)
	// SIGKILL A under load; B keeps serving; A comes back.
	killAt := time.Now()
	if err := a.stop(syscall.SIGKILL); err != nil {
		stop()
		return false, fmt.Errorf("kill a: %w", err)
	}
	if err := cl.proxy.waitStatus(ctx, "a", "DOWN"); err != nil {
		stop()
		return false, err
	}
	pause(phase / 2)
	if err := a.start(ctx, "serve"); err != nil {
		stop()
		return false, fmt.Errorf("restart a after the kill: %w", err)
	}
	if err := cl.proxy.waitStatus(ctx, "a", "UP"); err != nil {
		stop()
		return false, err
	}
	killEnd := time.Now()
	pause(phase / 2)

	// Rolling restart: SIGTERM, start again, wait until the proxy uses it,
	// then the other.
	rollStart := time.Now()
	for _, in := range cl.instances {
		if err := in.stop(syscall.SIGTERM); err != nil {
			rep.Notes = append(rep.Notes, fmt.Sprintf("%s exited after SIGTERM with %v", in.name, err))
		}
		if err := in.start(ctx, "serve"); err != nil {
			stop()
			return false, fmt.Errorf("rolling restart of %s: %w", in.name, err)
		}
		if err := cl.proxy.waitStatus(ctx, in.name, "UP"); err != nil {
			stop()
			return false, err
		}
	}
	rollEnd := time.Now()
	pause(phase / 2)
	stop()
	loadEnd := time.Now()

	var kex, rex []string
	rep.FailedDuringKill, kex = l.rec.failedBetween(killAt, killEnd)
	rep.FailedDuringRollingRestart, rex = l.rec.failedBetween(rollStart, rollEnd)
	rep.FailureExamples = append(append(rep.FailureExamples, rex...), kex...)
	rep.FailedOtherwise, _ = l.rec.failedBetween(loadStart, loadEnd.Add(time.Second), [2]time.Time{killAt, killEnd}, [2]time.Time{rollStart, rollEnd})
	if rep.FailedOtherwise > 0 {
		_, ex := l.rec.failedBetween(loadStart, loadEnd.Add(time.Second), [2]time.Time{killAt, killEnd}, [2]time.Time{rollStart, rollEnd})
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d requests failed outside the kill and restart windows: %v", rep.FailedOtherwise, ex))
	}
	rep.Requests = len(l.rec.results)
	rep.AcknowledgedWrites = len(l.rec.acks)
	for _, a := range l.rec.acks {
		rep.AcknowledgedByKind[a.Kind]++
	}
	p50, p99, _ := l.rec.latencies()
	rep.LatencyP50ms, rep.LatencyP99ms = ms(p50), ms(p99)
	rep.LoadSeconds = loadEnd.Sub(loadStart).Seconds()
	rep.RequestsPerSecond = float64(rep.Requests) / rep.LoadSeconds
	rep.KillRecoverySeconds = killEnd.Sub(killAt).Seconds()
	rep.RollingRestartSeconds = rollEnd.Sub(rollStart).Seconds()

	// Every acknowledged write, looked up in the database and the bucket.
	db, err := database.Open(ctx, database.Options{URL: dbURL})
	if err != nil {
		return false, err
	}
	defer db.Close()
	store, err := loc.Open(ctx, os.Getenv("RATHAUS_S3_ACCESS_KEY"), os.Getenv("RATHAUS_S3_SECRET_KEY"))
	if err != nil {
		return false, err
	}
	lost, br, err := verify(ctx, db, store, l.rec.acks, docs, base)
	if err != nil {
		return false, err
	}
	rep.Lost = len(lost)
	if len(lost) > 5 {
		lost = lost[:5]
	}
	rep.LostExamples = append(rep.LostExamples, lost...)
	rep.BlobsChecked, rep.BlobsMissing, rep.BlobsCorrupt = br.Checked, len(br.Missing), len(br.Corrupt)
	if !keep {
		var ks []string
		store.Walk(ctx, func(k string) error { ks = append(ks, k); return nil })
		for _, k := range ks {
			store.Delete(ctx, k)
		}
	} else {
		rep.Notes = append(rep.Notes, "kept: "+cl.dir+" and database rathaus_scale_"+cl.run)
	}
	for _, in := range cl.instances {
		in.stop(syscall.SIGTERM)
	}
	out, _ := json.Marshal(rep)
	fmt.Println(string(out))
	return rep.Lost == 0 && rep.FailedDuringRollingRestart == 0 && rep.FailedOtherwise == 0 && rep.CrossInstanceReadsOK && rep.BlobsMissing == 0 && rep.BlobsCorrupt == 0, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// createDatabase creates name on the server of serverURL and returns its URL
// and a function dropping it.
func createDatabase(ctx context.Context, serverURL, name string) (string, func(), error) {
	admin, err := sql.Open("pgx", serverURL)
	if err != nil {
		return "", nil, err
	}
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("create database %s on %s: %w", name, serverURL, err)
	}
	u, _ := url.Parse(serverURL)
	u.Path = "/" + name
	return u.String(), func() {
		admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		admin.Close()
	}, nil
}

// serviceRefs collects a few service references from the finder.
func serviceRefs(base string) ([]string, error) {
	seen := map[string]bool{}
	var refs []string
	for _, q := range queries {
		resp, err := http.Get(base + "/api/v1/services?limit=5&q=" + url.QueryEscape(q))
		if err != nil {
			return nil, err
		}
		var fr struct {
			Results []struct {
				ID string `json:"id"`
			} `json:"results"`
		}
		json.NewDecoder(resp.Body).Decode(&fr)
		resp.Body.Close()
		for _, r := range fr.Results {
			if !seen[r.ID] {
				seen[r.ID] = true
				refs = append(refs, r.ID)
			}
		}
	}
	if len(refs) < 4 {
		return nil, fmt.Errorf("the demo catalog gave only %d services", len(refs))
	}
	return refs, nil
}

// detectDocuments picks a document-storing route the running system has,
// by its operation id in the OpenAPI document; nil when none is mounted.
func detectDocuments(base string) documentWriter {
	resp, err := http.Get(base + "/api/v1/openapi.json")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
		} `json:"paths"`
	}
	json.NewDecoder(resp.Body).Decode(&doc)
	ops := map[string]bool{}
	for _, methods := range doc.Paths {
		for _, op := range methods {
			ops[op.OperationID] = true
		}
	}
	for _, w := range documentRoutes {
		if w.available(ops) {
			return w
		}
	}
	return nil
}

// documentRoutes are the document-storing routes the scale test knows, in
// order of preference (see documents.go).
var documentRoutes []interface {
	documentWriter
	available(ops map[string]bool) bool
}
