package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rathaus/rathaus/internal/forms"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/blob"
	"github.com/rathaus/rathaus/internal/platform/cli"
	"github.com/rathaus/rathaus/internal/platform/fault"
)

// The submission load test: many citizens submit dog tax applications at
// once through the API of one or more running instances; then every
// acknowledged submission is checked in the database (and the blob store,
// when it is local): present, complete and with the file the harness sent.

// SubmissionsResult is the document `rathaus loadtest submissions` prints.
// lost = missing + incomplete + hash_mismatch.
type SubmissionsResult struct {
	Kind            string    `json:"kind"`
	Clients         int       `json:"clients"`
	DurationS       float64   `json:"duration_s"`
	Acknowledged    int       `json:"acknowledged"`
	SubmissionsPerS float64   `json:"submissions_per_s"`
	LatencyMS       Latencies `json:"latency_ms"`
	Errors          int       `json:"errors"`
	Verified        int       `json:"verified"`
	Missing         int       `json:"missing"`
	Incomplete      int       `json:"incomplete"`
	HashMismatch    int       `json:"hash_mismatch"`
	Lost            int       `json:"lost"`
}

// Latencies are percentiles of acknowledged submissions.
type Latencies struct {
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
}

// sent is one acknowledged submission as the harness sent it.
type sent struct {
	ref     string
	dogName string
	fileSHA string
}

type urlList []string

func (u *urlList) String() string     { return strings.Join(*u, ",") }
func (u *urlList) Set(v string) error { *u = append(*u, strings.TrimSuffix(v, "/")); return nil }

// loadtestKinds are the load tests of `rathaus loadtest KIND`.
var loadtestKinds = map[string]func(ctx context.Context, io IO, args []string) error{
	"submissions": runLoadtestSubmissions,
}

// runLoadtests dispatches `rathaus loadtest KIND ...`.
func runLoadtests(ctx context.Context, io IO, args []string) error {
	for i, a := range args {
		if strings.HasPrefix(a, "-") {
			continue
		}
		if i > 0 && strings.HasPrefix(args[i-1], "-") && !strings.Contains(args[i-1], "=") && valueFlags[strings.TrimLeft(args[i-1], "-")] {
			continue
		}
		if run, ok := loadtestKinds[a]; ok {
			return run(ctx, io, args)
		}
		break
	}
	return cli.Usagef("usage: rathaus loadtest submissions --url URL [--url URL2] --clients N --duration D [--token T] [--data DIR | --database-url U]")
}

func runLoadtestSubmissions(ctx context.Context, io IO, args []string) error {
	var urls urlList
	var clients int
	var duration time.Duration
	var token, dbURL, service string
	e, pos, err := openCmd(ctx, "loadtest", args, io, func(fs *flag.FlagSet) {
		fs.Var(&urls, "url", "base URL of a running instance (repeat for several)")
		fs.IntVar(&clients, "clients", 16, "concurrent clients (one citizen each)")
		fs.DurationVar(&duration, "duration", 10*time.Second, "how long to submit")
		fs.StringVar(&token, "token", "", "an admin's API token (optional; checks the service exists)")
		fs.StringVar(&dbURL, "database-url", "", "the instances' PostgreSQL (instead of --data)")
		fs.StringVar(&service, "service", DemoServiceRef, "the service to apply for (its form must be the demo dog tax)")
	})
	if err != nil {
		return err
	}
	defer e.close()
	if len(pos) != 1 || pos[0] != "submissions" {
		return cli.Usagef("usage: rathaus loadtest submissions --url URL [--url URL2] --clients N --duration D [--token T] [--data DIR | --database-url U]")
	}
	if len(urls) == 0 || clients < 1 || clients > 1000 || duration <= 0 || duration > time.Hour {
		return cli.Usagef("loadtest submissions needs --url, --clients 1..1000 and --duration up to 1h")
	}
	if dbURL != "" && dbURL != e.cfg.DatabaseURL {
		e.close()
		cfg := e.cfg
		cfg.DatabaseURL = dbURL
		ne, err := open(ctx, cfg, e.log, e.db.Clock)
		if err != nil {
			return err
		}
		e = ne
		defer e.close()
	}
	t, err := e.tenant(ctx)
	if err != nil {
		return err
	}
	if token != "" {
		if err := checkService(ctx, urls[0], token, service); err != nil {
			return err
		}
	}
	tokens, err := loadtestCitizens(ctx, e, t, clients)
	if err != nil {
		return err
	}
	fmt.Fprintf(io.Stderr, "loadtest: %d citizens with personal tokens created in %s; submitting for %s to %s\n", clients, t.Slug, duration, strings.Join(urls, ", "))
	res, acks := submitConcurrently(ctx, urls, tokens, service, duration)
	verifySubmissions(ctx, e, t.ID, acks, res)
	if err := printJSON(io.Stdout, res); err != nil {
		return err
	}
	if res.Lost > 0 {
		return cli.ErrNegative
	}
	return nil
}

// checkService asks the API whether the service exists (public read).
func checkService(ctx context.Context, base, token, service string) error {
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/services/"+service, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("loadtest: %s: %w", base, err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("loadtest: service %s: HTTP %d", service, resp.StatusCode)
	}
	return nil
}

// loadtestCitizens creates n citizen accounts with personal API tokens
// directly in the database (not through registration).
func loadtestCitizens(ctx context.Context, e *env, t *identity.Tenant, n int) ([]string, error) {
	sys := identity.System(t.ID)
	var run [4]byte
	rand.Read(run[:])
	tag := hex.EncodeToString(run[:])
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		var pw [18]byte
		rand.Read(pw[:])
		a, err := e.identity.CreateCitizen(ctx, sys, t.ID, "citizen", fmt.Sprintf("last-%s-%d@loadtest.invalid", tag, i), fmt.Sprintf("Last Test %d", i), hex.EncodeToString(pw[:]))
		if err != nil {
			return nil, fmt.Errorf("loadtest citizen %d: %w", i, err)
		}
		secret, _, err := e.identity.CreatePersonalToken(ctx, sys, t.ID, a.Ref, "loadtest", "")
		if err != nil {
			return nil, fmt.Errorf("loadtest token %d: %w", i, err)
		}
		out = append(out, secret)
	}
	return out, nil
}

// dogTaxAnswers are valid answers to the demo dog tax form; dogName makes
// each submission distinguishable, the proof file is sent alongside.
func dogTaxAnswers(dogName string) map[string]any {
	a := forms.DogTaxAnswers(1)
	a["dog_name"], a["reduction"] = dogName, "shelter"
	return a
}

// proofPDF is a small, distinct PDF per submission.
func proofPDF(id string) []byte {
	return []byte("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n% loadtest " + id +
		"\ntrailer << /Root 1 0 R >>\n%%EOF\n")
}

func submission(service, dogName string, proof []byte) (*bytes.Buffer, string, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	doc, _ := json.Marshal(map[string]any{"service": service, "answers": dogTaxAnswers(dogName)})
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="application"`)
	h.Set("Content-Type", "application/json")
	pw, err := mw.CreatePart(h)
	if err != nil {
		return nil, "", err
	}
	pw.Write(doc)
	h = textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="proof"; filename="tierheim-vertrag.pdf"`)
	h.Set("Content-Type", "application/pdf")
	fw, err := mw.CreatePart(h)
	if err != nil {
		return nil, "", err
	}
	fw.Write(proof)
	if err := mw.Close(); err != nil {
		return nil, "", err
	}
	return &body, mw.FormDataContentType(), nil
}

// submitConcurrently runs one client per token until the duration ends.
func submitConcurrently(ctx context.Context, urls []string, tokens []string, service string, d time.Duration) (*SubmissionsResult, []sent) {
	res := &SubmissionsResult{Kind: "submissions", Clients: len(tokens)}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: len(tokens) + 4, MaxConnsPerHost: len(tokens) + 4}}
	var mu sync.Mutex
	var acks []sent
	var lat []time.Duration
	start := time.Now()
	stop := start.Add(d)
	var wg sync.WaitGroup
	for c, tok := range tokens {
		wg.Go(func() {
			base := urls[c%len(urls)]
			for seq := 0; time.Now().Before(stop) && ctx.Err() == nil; seq++ {
				var rnd [6]byte
				rand.Read(rnd[:])
				id := fmt.Sprintf("%d-%d-%s", c, seq, hex.EncodeToString(rnd[:]))
				proof := proofPDF(id)
				sum := sha256.Sum256(proof)
				body, ct, err := submission(service, "Bello "+id, proof)
				if err != nil {
					mu.Lock()
					res.Errors++
					mu.Unlock()
					continue
				}
				req, _ := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/applications", body)
				req.Header.Set("Content-Type", ct)
				req.Header.Set("Authorization", "Bearer "+tok)
				t0 := time.Now()
				resp, err := client.Do(req)
				took := time.Since(t0)
				if err != nil {
					mu.Lock()
					res.Errors++
					mu.Unlock()
					// The instance may be down (a crash test): try again shortly.
					select {
					case <-ctx.Done():
					case <-time.After(50 * time.Millisecond):
					}
					continue
				}
				var out struct {
					Reference string `json:"reference"`
				}
				b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
				resp.Body.Close()
				mu.Lock()
				if resp.StatusCode == http.StatusCreated && json.Unmarshal(b, &out) == nil && out.Reference != "" {
					acks = append(acks, sent{ref: out.Reference, dogName: "Bello " + id, fileSHA: hex.EncodeToString(sum[:])})
					lat = append(lat, took)
				} else {
					res.Errors++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	res.DurationS = round2(elapsed.Seconds())
	res.Acknowledged = len(acks)
	res.SubmissionsPerS = round2(float64(len(acks)) / elapsed.Seconds())
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	res.LatencyMS = Latencies{P50: round2(pct(lat, 0.50)), P99: round2(pct(lat, 0.99))}
	return res, acks
}

func pct(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p)
	return float64(sorted[i].Microseconds()) / 1000
}

func round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }

// verifySubmissions checks every acknowledged submission in the database:
// missing (no application), incomplete (answers, receipt, files or blob
// records not all there) or hash_mismatch (the stored file is not the one
// sent, or its bytes in a local blob store do not hash to it).
func verifySubmissions(ctx context.Context, e *env, tenantID int64, acks []sent, res *SubmissionsResult) {
	apps := e.applications()
	local := e.cfg.DatabaseURL == ""
	for _, a := range acks {
		app, err := apps.Application(ctx, tenantID, a.ref)
		if err != nil {
			if errors.Is(err, fault.ErrNotFound) {
				res.Missing++
			} else {
				res.Incomplete++
			}
			continue
		}
		if app.Answers["dog_name"] != a.dogName || app.ReceiptPDF == "" || app.ReceiptJSON == "" || len(app.Files) != 1 || !blobRecorded(ctx, e, app.ReceiptPDF, app.ReceiptJSON, app.Files[0].SHA256) {
			res.Incomplete++
			continue
		}
		if app.Files[0].SHA256 != a.fileSHA {
			res.HashMismatch++
			continue
		}
		if local {
			if bad := blobsIntact(ctx, e.blobs, app.ReceiptPDF, app.ReceiptJSON, app.Files[0].SHA256); bad != nil {
				if errors.Is(bad, blob.ErrCorrupt) {
					res.HashMismatch++
				} else {
					res.Incomplete++
				}
				continue
			}
		}
		res.Verified++
	}
	res.Lost = res.Missing + res.Incomplete + res.HashMismatch
}

func blobRecorded(ctx context.Context, e *env, keys ...string) bool {
	for _, k := range keys {
		var n int
		if err := e.db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM blob_refs WHERE sha256 = $1`, k).Scan(&n); err != nil || n == 0 {
			return false
		}
	}
	return true
}

func blobsIntact(ctx context.Context, s blob.Store, keys ...string) error {
	for _, k := range keys {
		rc, err := s.Open(ctx, k)
		if err != nil {
			return err
		}
		rc.Close()
	}
	return nil
}

// The load test's value flags may stand before the command name; added
// here, not in app.go's literal, so other load tests can add theirs too.
func init() {
	for _, f := range []string{"url", "clients", "duration", "token", "database-url", "service", "due"} {
		valueFlags[f] = true
	}
}
