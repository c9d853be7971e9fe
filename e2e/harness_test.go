//go:build e2e

package e2e

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/rathaus/rathaus/internal/app"
	"github.com/rathaus/rathaus/internal/platform/web"
)

//go:embed axe.min.js
var axeSource string

// Budget is the most a citizen page may transfer on a first visit.
const Budget = 150 * 1024

// Widths are the viewport widths every page is checked at: a small phone and
// a desktop.
var Widths = []int64{375, 1280}

// program is the running rathaus.
type program struct {
	base string
	dir  string // the data directory (mail goes to dir/outbox)
	stop func()
}

// startProgram runs `rathaus demo` in this process on a temporary data
// directory and port 0, as cmd/rathaus would, and waits until it is ready.
func startProgram(t *testing.T) *program {
	t.Helper()
	dir := t.TempDir()
	getenv := func(k string) string {
		switch k {
		case "RATHAUS_DATA_DIR":
			return dir
		case "RATHAUS_LOG_LEVEL":
			return "warn"
		}
		return ""
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := app.Run(ctx, []string{"demo", "--addr", "127.0.0.1:0"}, app.IO{Getenv: getenv, Stdin: strings.NewReader(""), Stdout: pw, Stderr: os.Stderr})
		pw.CloseWithError(io.EOF)
		done <- err
	}()
	sc := bufio.NewScanner(pr)
	if !sc.Scan() {
		cancel()
		t.Fatalf("rathaus printed nothing: %v", <-done)
	}
	base, ok := strings.CutPrefix(sc.Text(), "listening on ")
	if !ok {
		cancel()
		t.Fatalf("first line %q", sc.Text())
	}
	go io.Copy(io.Discard, pr)
	deadline := time.Now().Add(60 * time.Second)
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
			t.Fatal("rathaus never became ready")
		}
		time.Sleep(20 * time.Millisecond) // polling another process
	}
	p := &program{base: base, dir: dir, stop: func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
		}
	}}
	t.Cleanup(p.stop)
	return p
}

// newBrowser starts headless Chromium with a fresh profile.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	exe := os.Getenv("CHROMIUM")
	if exe == "" {
		exe = "/usr/bin/chromium"
	}
	if _, err := os.Stat(exe); err != nil {
		t.Fatalf("no browser at %s (apt-get install chromium chromium-driver, or set CHROMIUM): %v", exe, err)
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.NoFirstRun,
		// A German browser, as most citizens have; the English pass asks ?lang=en.
		chromedp.Flag("lang", "de-DE"),
		chromedp.Flag("accept-lang", "de-DE,de"),
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
	)
	ctx, cancelB := chromedp.NewContext(actx)
	if err := chromedp.Do(ctx); err != nil { // start the browser now
		cancelB()
		cancelA()
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() { cancelB(); cancelA() })
	return ctx
}

// tab opens a new tab of the browser. With js false, scripts are disabled
// in it, as some citizens' browsers do.
func tab(t *testing.T, browser context.Context, js bool) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	steps := []chromedp.Action[chromedp.Void]{
		call(network.Enable, network.EnableParams{}),
		call(network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}),
	}
	if js {
		// Record CSP violations from the first moment of every page.
		steps = append(steps, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
				Source: `window.__csp = []; document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));`,
			})
			return err
		}))
	} else {
		steps = append(steps, call(emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}))
	}
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// call makes an action of one protocol command.
func call[P, R any](cmd cdp.Command[P, R], p P) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, cmd, p)
		return err
	})
}

// route is a GET route with the URL the harness visits.
type route struct {
	pattern string
	url     string
	exact   bool // false: path parameters were guessed, 404 is fine
	page    bool // an HTML page of a domain (registered with HandleFunc)
	api     bool // a JSON API route
}

var paramRE = regexp.MustCompile(`\{[^}]+\}`)

// visitable turns the router's routes into URLs: the route's Example when it
// has one, otherwise each path parameter is "beispiel" (the page must then
// answer, with 404 if nothing has that name).
func visitable(routes []web.Route) []route {
	var out []route
	for _, r := range routes {
		if r.Method != "GET" && r.Method != "" {
			continue
		}
		u := strings.ReplaceAll(r.Path, "{$}", "")
		exact := !strings.Contains(u, "{")
		if r.Example != "" {
			u, exact = r.Example, true
		} else {
			u = paramRE.ReplaceAllString(u, "beispiel")
		}
		out = append(out, route{pattern: strings.TrimSpace(r.Method + " " + r.Path), url: u, exact: exact, page: r.Page, api: r.API != nil})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].url < out[j].url })
	return out
}

// axeResult is the part of axe.run's result the harness reads.
type axeResult struct {
	Violations []struct {
		ID    string `json:"id"`
		Help  string `json:"help"`
		Nodes []struct {
			Target []any `json:"target"`
		} `json:"nodes"`
	} `json:"violations"`
	Passes []struct{} `json:"passes"`
}

func (a axeResult) String() string {
	var b strings.Builder
	for _, v := range a.Violations {
		fmt.Fprintf(&b, "\n    %s (%s):", v.ID, v.Help)
		for _, n := range v.Nodes {
			fmt.Fprintf(&b, " %v", n.Target)
		}
	}
	return b.String()
}

// runAxe injects axe-core into the loaded page and runs the WCAG 2.x A/AA rules.
func runAxe(ctx context.Context) (axeResult, error) {
	var res axeResult
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](axeSource+";true")); err != nil {
		return res, fmt.Errorf("inject axe: %w", err)
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[json.RawMessage](
		`axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations']})`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		return res, fmt.Errorf("run axe: %w", err)
	}
	return res, json.Unmarshal(raw, &res)
}

// weight is what a page transferred on a first visit.
type weight struct {
	Total, HTML, CSS, Fonts, JS, Other int64
	Foreign                            []string
	Scripts                            int
}

// measure reads the Resource Timing entries of the loaded page (same-origin,
// so sizes are exposed); the cache is disabled, so this is a first visit.
func measure(ctx context.Context, base string) (weight, error) {
	type entry struct {
		Name         string  `json:"name"`
		Type         string  `json:"initiatorType"`
		TransferSize float64 `json:"transferSize"`
		EncodedSize  float64 `json:"encodedBodySize"`
	}
	var w weight
	entries, err := chromedp.Run(ctx, chromedp.Evaluate[[]entry](
		`performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource')).map(e => ({name: e.name, initiatorType: e.initiatorType, transferSize: e.transferSize, encodedBodySize: e.encodedBodySize}))`))
	if err != nil {
		return w, err
	}
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.scripts.length`))
	if err != nil {
		return w, err
	}
	w.Scripts = n
	for _, e := range entries {
		size := int64(e.TransferSize)
		if size == 0 {
			size = int64(e.EncodedSize)
		}
		if !strings.HasPrefix(e.Name, base+"/") && e.Name != base {
			w.Foreign = append(w.Foreign, e.Name)
		}
		switch {
		case e.Type == "navigation":
			w.HTML += size
		case strings.HasSuffix(e.Name, ".css"):
			w.CSS += size
		case strings.HasSuffix(e.Name, ".woff2"):
			w.Fonts += size
		case e.Type == "script" || strings.HasSuffix(e.Name, ".js"):
			w.JS += size
			w.Scripts++
		default:
			w.Other += size
		}
		w.Total += size
	}
	return w, nil
}

func kb(n int64) string { return fmt.Sprintf("%.1f", float64(n)/1024) }

// press clicks an element as a person would and waits until done (a
// JavaScript condition, evaluated by DevTools) holds. It first waits for the
// page and its web fonts to finish loading — a click computed before a font
// swap moves the layout can land beside the button. If the click still
// left no trace, the element is clicked once more through the DOM (same
// default action), so a journey does not hang on the browser's bookkeeping.
func press(t *testing.T, ctx context.Context, sel, done string) {
	t.Helper()
	waitJS(t, ctx, "page loaded before pressing "+sel,
		`document.readyState === "complete" && (!document.fonts || document.fonts.status === "loaded") && document.querySelector(`+jsString(sel)+`) !== null`)
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	err := chromedp.Do(cctx, chromedp.Click(chromedp.CSS(sel)))
	cancel()
	if err == nil && pollJS(ctx, done, 5*time.Second) {
		return
	}
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(function(){var e=document.querySelector(`+jsString(sel)+`); if(!e) return false; e.click(); return true})()`))
	if err == nil && !ok {
		// The button is gone: the first click did act and the page is
		// on its way (a slow answer, e.g. a decision being sealed while
		// the machine is busy); wait for it as for any answer.
		waitJS(t, ctx, "the answer to pressing "+sel, done)
		return
	}
	if err != nil {
		if pollJS(ctx, done, time.Second) {
			return // the first click did act, just slowly
		}
		t.Fatalf("press %s: %v", sel, err)
	}
	waitJS(t, ctx, "the answer to pressing "+sel, done)
}

// pollJS reports whether expr became true within d.
func pollJS(ctx context.Context, expr string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr)); err == nil && ok {
			return true
		}
		time.Sleep(50 * time.Millisecond) // polling the browser
	}
	return false
}

// waitJS polls a condition evaluated by DevTools (this works in tabs whose
// page scripts are disabled too) until it is true.
func waitJS(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			t.Fatalf("waiting for %s at %s: %v", what, loc, err)
		}
		time.Sleep(50 * time.Millisecond) // polling the browser
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
