//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rathaus/rathaus/internal/app"
	"github.com/rathaus/rathaus/internal/platform/tooltest"
)

// journey is one person's browser tab with the checks every page of
// Paul's journey gets: axe-core (WCAG 2.1 A/AA) at both widths, no CSP
// violation.
type journey struct {
	t    *testing.T
	ctx  context.Context
	base string
	axe  int
}

func (j *journey) nav(path string) {
	j.t.Helper()
	if err := chromedp.Do(j.ctx, chromedp.Navigate(j.base+path)); err != nil {
		j.t.Fatalf("open %s: %v", path, err)
	}
	waitJS(j.t, j.ctx, "page "+path, `document.readyState === "complete"`)
}

func (j *journey) path() string {
	j.t.Helper()
	l, err := chromedp.Run(j.ctx, chromedp.Location())
	if err != nil {
		j.t.Fatal(err)
	}
	return strings.TrimPrefix(l, j.base)
}

func (j *journey) text(sel string) string {
	j.t.Helper()
	s, err := chromedp.Run(j.ctx, chromedp.TextContent(chromedp.CSS(sel)))
	if err != nil {
		j.t.Fatalf("read %s at %s: %v", sel, j.path(), err)
	}
	return strings.Join(strings.Fields(s), " ")
}

// set puts a value into the named input (as typing would).
func (j *journey) set(name, value string) {
	j.t.Helper()
	ok, err := chromedp.Run(j.ctx, chromedp.Evaluate[bool](`(function(){var e=document.querySelector('[name=`+jsString(name)+`]'); if(!e) return false; e.value=`+jsString(value)+`; e.dispatchEvent(new Event('input',{bubbles:true})); e.dispatchEvent(new Event('change',{bubbles:true})); return true})()`))
	if err != nil || !ok {
		j.t.Fatalf("no field %s at %s: %v", name, j.path(), err)
	}
}

// choose clicks the radio of a field with the value.
func (j *journey) choose(name, value string) {
	j.t.Helper()
	sel := `input[name=` + jsString(name) + `][value=` + jsString(value) + `]`
	cctx, cancel := context.WithTimeout(j.ctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Do(cctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		j.t.Fatalf("choose %s=%s at %s: %v", name, value, j.path(), err)
	}
}

// submit presses a button and waits until the browser has a new page.
func (j *journey) submit(sel string) {
	j.t.Helper()
	before := j.path()
	chromedp.Run(j.ctx, chromedp.Evaluate[bool](`window.__journeyMark = true; true`))
	press(j.t, j.ctx, sel, `document.readyState === "complete" && window.__journeyMark !== true`)
	_ = before
}

// check runs axe at both widths on the current page and fails on any
// violation or CSP report.
func (j *journey) check(what string) {
	j.t.Helper()
	for _, w := range Widths {
		if _, err := chromedp.Run(j.ctx, chromedp.EmulateViewport(w, 900)); err != nil {
			j.t.Fatal(err)
		}
		res, err := runAxe(j.ctx)
		if err != nil {
			j.t.Fatalf("axe on %s: %v", what, err)
		}
		j.axe++
		if len(res.Violations) > 0 {
			j.t.Errorf("axe on %s (%s) at %d px: %d violations:%s", what, j.path(), w, len(res.Violations), res)
		}
	}
	if csp, err := chromedp.Run(j.ctx, chromedp.Evaluate[[]string](`window.__csp || []`)); err != nil || len(csp) > 0 {
		j.t.Errorf("CSP violations on %s: %v %v", what, csp, err)
	}
}

func (j *journey) login(email string) {
	j.t.Helper()
	j.nav("/anmelden")
	j.check("sign-in page")
	err := chromedp.Do(j.ctx,
		chromedp.SendKeys(chromedp.CSS(`form input[name=email]`), email),
		chromedp.SendKeys(chromedp.CSS(`form input[name=password]`), app.DemoPassword),
	)
	if err != nil {
		j.t.Fatalf("sign in as %s: %v", email, err)
	}
	press(j.t, j.ctx, `form:has(input[name=password]) button[type=submit]`, `document.readyState === "complete" && location.pathname !== "/anmelden"`)
}

var refRE = regexp.MustCompile(`A-[0-9A-Z]{4}-[0-9A-Z]{4}`)

// TestPaulsJourney is the journey of the brief in a real browser: Paul
// finds the dog tax in plain words, signs in, agrees to the prefill,
// uploads the animal shelter's contract and submits; Frau Müller signs in,
// finds the case in the Steueramt's inbox, claims it and decides; Paul
// opens the sealed decision in his mailbox (the seal verifies) and follows
// his application's status; the case is closed and its e-file holds every
// document with matching hashes. Every page of it has 0 axe violations.
func TestPaulsJourney(t *testing.T) {
	prog := startProgram(t)
	browser := newBrowser(t)
	ctx, cancel := context.WithTimeout(tab(t, browser, true), 4*time.Minute)
	defer cancel()
	paul := &journey{t: t, ctx: ctx, base: prog.base}

	// Plain words find the dog tax.
	paul.nav("/leistungen?q=" + "Ich+habe+mir+einen+Hund+angeschafft")
	paul.check("finder")
	press(t, ctx, `main a[href="/leistungen/`+app.DemoServiceRef+`"]`, `location.pathname === "/leistungen/`+app.DemoServiceRef+`"`)
	paul.check("service page")
	press(t, ctx, `main a[href="/antrag/`+app.DemoServiceRef+`"]`, `location.pathname === "/antrag/`+app.DemoServiceRef+`"`)
	paul.check("form start, signed out")

	// Sign in and come back to the form.
	paul.login(app.DemoCitizen.Email)
	if p := paul.path(); !strings.HasPrefix(p, "/antrag/"+app.DemoServiceRef) {
		paul.nav("/antrag/" + app.DemoServiceRef)
	}
	paul.check("form start, signed in")
	paul.submit(`main form[action="/antrag/` + app.DemoServiceRef + `"] button[type=submit]`)

	// Consent to the prefill, then the steps.
	if strings.HasSuffix(paul.path(), "/einwilligung") {
		paul.check("prefill consent")
		paul.choose("prefill", "yes")
		paul.submit(`main form button[type=submit]`)
	} else {
		t.Fatalf("no prefill consent asked: at %s", paul.path())
	}
	proof := filepath.Join(t.TempDir(), "tierheim-vertrag.pdf")
	os.WriteFile(proof, []byte("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"), 0o600)
	filled := map[string]bool{}
	for step := 0; step < 12 && !strings.Contains(paul.path(), "/pruefen"); step++ {
		t.Logf("form step %d at %s", step, paul.path())
		paul.check("form step " + paul.path())
		has := func(name string) bool {
			ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('[name=`+jsString(name)+`]') !== null`))
			return ok
		}
		if has("given_name") && !filled["halter"] {
			filled["halter"] = true
			if v, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`[name=given_name]`))); v != "Paul" {
				t.Errorf("given name not prefilled with consent: %q", v)
			}
		}
		if has("dog_name") {
			paul.set("dog_name", "Bello")
			paul.set("breed", "Labrador-Mischling")
			paul.set("dog_birth_date", "01.05.2022")
			paul.set("kept_since", time.Now().Format("02.01.2006"))
			paul.choose("dangerous", "no")
			paul.choose("other_dogs", "no")
		}
		if has("reduction") {
			paul.choose("reduction", "shelter")
		}
		if has("proof") {
			if err := chromedp.Do(ctx, chromedp.SetUploadFiles(`input[type=file][name=proof]`, []string{proof})); err != nil {
				t.Fatalf("upload: %v", err)
			}
			filled["proof"] = true
		}
		if has("direct_debit") {
			paul.choose("direct_debit", "no")
		}
		paul.submit(`main form button[name=action][value=next]:not([tabindex])`)
	}
	if !strings.Contains(paul.path(), "/pruefen") {
		t.Fatalf("never reached the check page: at %s: %s", paul.path(), paul.text("main"))
	}
	if !filled["proof"] {
		t.Fatal("the proof upload was never offered")
	}
	paul.check("check your answers")
	paul.submit(`main form[action$="/absenden"] button[type=submit]`)
	paul.check("confirmation")
	appRef := refRE.FindString(paul.text("main"))
	if appRef == "" {
		t.Fatalf("no application reference on %s: %s", paul.path(), paul.text("main"))
	}

	// Frau Müller, in another browser, finds it in her unit's inbox.
	staffBrowser := newBrowser(t)
	sctx, scancel := context.WithTimeout(tab(t, staffBrowser, true), 4*time.Minute)
	defer scancel()
	mueller := &journey{t: t, ctx: sctx, base: prog.base}
	mueller.login("mueller@musterstadt.example")
	mueller.check("staff landing page")
	var caseLink string
	deadline := time.Now().Add(60 * time.Second)
	for caseLink == "" && time.Now().Before(deadline) {
		mueller.nav("/verwaltung/vorgaenge")
		caseLink, _ = chromedp.Run(sctx, chromedp.Evaluate[string](`(function(){var rows=[...document.querySelectorAll('main tbody tr')]; for (const r of rows) { var a=r.querySelector('a[href^="/verwaltung/vorgaenge/"]'); if (a) return a.getAttribute('href') } return ''})()`))
		if caseLink == "" {
			time.Sleep(200 * time.Millisecond) // the forms.submitted job runs in the background
		}
	}
	if caseLink == "" {
		t.Fatal("the case never arrived in the Steueramt's inbox")
	}
	mueller.check("inbox")
	mueller.nav(caseLink)
	mueller.check("case page")
	if !strings.Contains(mueller.text("main"), appRef) || !strings.Contains(mueller.text("main"), "Bello") {
		t.Fatalf("case page lacks the application: %s", mueller.text("main"))
	}
	mueller.submit(`main form[action$="/uebernehmen"] button[type=submit]`)
	mueller.check("case page after claiming")
	mueller.set("reason", "Die Jahressteuer für den ersten Hund beträgt 96 Euro; für Hunde aus dem Tierheim im ersten Jahr die Hälfte.")
	mueller.submit(`main form[action$="/schritt"]:has(textarea[name=reason]) button[type=submit]`)
	mueller.check("case page after deciding")
	if got := mueller.text("main"); !strings.Contains(got, "versandt") {
		t.Fatalf("decision not sent: %s", got)
	}

	// Paul opens the sealed decision in his mailbox.
	paul.nav("/postfach")
	paul.check("mailbox")
	press(t, ctx, `main a[href^="/postfach/N-"]`, `location.pathname.startsWith("/postfach/N-")`)
	for i := 0; i < 5 && !strings.Contains(paul.text("h1"), "Hundesteuerbescheid"); i++ {
		// The newest message may be the status note; open the decision.
		paul.nav("/postfach")
		ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`(function(){for (const a of document.querySelectorAll('main a[href^="/postfach/N-"]')) { if (a.textContent.includes('Hundesteuerbescheid')) { location.href = a.href; return true } } return false})()`))
		if ok {
			waitJS(t, ctx, "the decision", `document.readyState === "complete" && location.pathname.startsWith("/postfach/N-")`)
		}
	}
	paul.check("decision in the mailbox")
	if got := paul.text("main"); !strings.Contains(got, "Siegel gültig") || !strings.Contains(got, ".pdf") {
		t.Fatalf("the decision's seal is not shown as valid: %s", got)
	}
	// He opens the PDF itself: it is the sealed decision, and poppler's
	// pdfsig, an independent implementation, accepts the seal.
	pdfURL, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector('main a[href*="/dokumente/"]')||{getAttribute:()=>""}).getAttribute('href')`))
	if pdfURL == "" {
		t.Fatalf("no decision document to open: %s", paul.text("main"))
	}
	b64, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch(`+jsString(pdfURL)+`, {credentials: 'same-origin'}).then(r => r.ok ? r.arrayBuffer() : Promise.reject(r.status)).then(b => { let s = ''; for (const c of new Uint8Array(b)) s += String.fromCharCode(c); return btoa(s) })`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("open the decision PDF %s: %v", pdfURL, err)
	}
	pdf, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Fatalf("the decision document is no PDF (%d bytes): %v", len(pdf), err)
	}
	if pdfsig, ok := tooltest.Optional(t, "pdfsig", "poppler-utils"); ok {
		f := filepath.Join(t.TempDir(), "bescheid.pdf")
		os.WriteFile(f, pdf, 0o600)
		out, _ := exec.Command(pdfsig, f).CombinedOutput()
		if !strings.Contains(string(out), "Signature Validation: Signature is Valid.") {
			t.Fatalf("pdfsig does not accept the decision Paul opened:\n%s", out)
		}
	}
	paul.nav("/antraege/" + appRef + "/stand")
	paul.check("status page")
	if got := paul.text("main"); !strings.Contains(got, "Entschieden") {
		t.Errorf("status page: %s", got)
	}

	// Closed: the e-file has every document, with hashes that match.
	mueller.nav(caseLink)
	mueller.submit(`main form[action$="/schritt"]:has(input[value=close]) button[type=submit]`)
	mueller.check("case page after closing")
	fileLink, _ := chromedp.Run(sctx, chromedp.Evaluate[string](`(document.querySelector('main a[href^="/verwaltung/akten/F-"]')||{getAttribute:()=>""}).getAttribute('href')`))
	if fileLink == "" {
		t.Fatalf("no e-file link on the closed case: %s", mueller.text("main"))
	}
	mueller.nav(fileLink)
	mueller.check("e-file")
	sums, _ := chromedp.Run(sctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('main td code')].map(c => c.textContent.trim())`))
	if len(sums) < 5 { // receipt, data, proof, decision, audit trail
		t.Fatalf("e-file lists %d documents: %s", len(sums), mueller.text("main"))
	}
	// What Paul uploaded and the decision he opened are in it, byte for byte.
	proofBytes, _ := os.ReadFile(proof)
	for name, b := range map[string][]byte{"the uploaded contract": proofBytes, "the decision Paul opened": pdf} {
		h := sha256.Sum256(b)
		if !slices.Contains(sums, hex.EncodeToString(h[:])) {
			t.Errorf("%s (SHA-256 %x) is not in the e-file %v", name, h, sums)
		}
	}
	for _, s := range sums {
		b, err := os.ReadFile(filepath.Join(prog.dir, "blobs", s[:2], s[2:]))
		if err != nil {
			t.Fatalf("document %s not in the store: %v", s, err)
		}
		h := sha256.Sum256(b)
		if hex.EncodeToString(h[:]) != s {
			t.Fatalf("document %s does not hash to its recorded SHA-256", s)
		}
	}
	t.Logf("Paul's journey: %d axe runs without a violation (WCAG 2.1 A/AA, 375 and 1280 px); application %s, e-file %s with %d documents", paul.axe+mueller.axe, appRef, fileLink, len(sums))
}
