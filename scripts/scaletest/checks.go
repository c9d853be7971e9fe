package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rathaus/rathaus/internal/platform/blob"
	"github.com/rathaus/rathaus/internal/platform/database"
)

// documentWriter stores a document through a route of the running system
// and can read it back; nil while no document-storing route is mounted.
type documentWriter interface {
	name() string
	store(ctx context.Context, l *load, c *http.Client) (ref string, ok bool)
	// fetch reads the document ref at base and reports whether the
	// served bytes are the ones stored.
	fetch(base string, c *http.Client, ref string) (bool, error)
}

// crossInstance runs the checks that the two instances act as one system,
// talking to each instance directly. Every entry must be true.
func crossInstance(ctx context.Context, a, b string, cl *cluster, token string, services []string, docs documentWriter) (map[string]bool, []string) {
	ok := map[string]bool{}
	var notes []string
	note := func(f string, args ...any) { notes = append(notes, fmt.Sprintf(f, args...)) }

	// Sessions: signed in at A, recognised at B.
	c, code, err := login(a, "mueller@musterstadt.example", demoPassword)
	if err == nil && code == http.StatusSeeOther {
		resp, err := c.Get(b + "/verwaltung")
		if err == nil {
			resp.Body.Close()
			ok["session_from_a_valid_at_b"] = resp.StatusCode == 200
		}
	}
	if !ok["session_from_a_valid_at_b"] {
		note("session: login at A %d %v", code, err)
	}

	// Login throttling: five wrong passwords spread over A and B lock the
	// account on both (each instance alone saw fewer than five).
	for i := range 5 {
		base := a
		if i%2 == 1 {
			base = b
		}
		login(base, "archiv@musterstadt.example", "falsch-"+fmt.Sprint(i))
	}
	_, codeA, _ := login(a, "archiv@musterstadt.example", demoPassword)
	_, codeB, _ := login(b, "archiv@musterstadt.example", demoPassword)
	refused := func(code int) bool {
		return code == http.StatusTooManyRequests || code == http.StatusUnprocessableEntity
	}
	ok["login_throttle_shared"] = refused(codeA) && refused(codeB)
	if !ok["login_throttle_shared"] {
		note("throttle: correct password after 5 failures answered %d at A, %d at B (want 429 or 422 on both)", codeA, codeB)
	}

	// Rate limits: one address sends its hourly allowance of accessibility
	// feedback alternately to A and B (each instance alone saw half); the
	// next message is refused at both. The instances trust the loopback
	// peer as a proxy, so X-Forwarded-For names the address.
	const limit = 10 // feedback.PerAddress
	sendFeedback := func(base string) int {
		form := url.Values{"message": {"Der Kontrast ist zu schwach"}, "page": {"/"}, "lang": {"de"}}
		req, _ := http.NewRequest("POST", base+"/barrierefreiheit/feedback", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", "192.0.2.77")
		resp, err := newClient().Do(req)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	var accepted []int
	for i := range limit {
		base := a
		if i%2 == 1 {
			base = b
		}
		accepted = append(accepted, sendFeedback(base))
	}
	overA, overB := sendFeedback(a), sendFeedback(b)
	allAccepted := true
	for _, c := range accepted {
		allAccepted = allAccepted && c == http.StatusSeeOther
	}
	ok["rate_limit_shared"] = allAccepted && overA == http.StatusTooManyRequests && overB == http.StatusTooManyRequests
	if !ok["rate_limit_shared"] {
		note("rate limit: %d feedback messages over A and B answered %v; the next one %d at A, %d at B (want 303s, then 429 on both)", limit, accepted, overA, overB)
	}

	// Catalog edit at A, found by the finder at B (its index follows the
	// catalog revision in the database).
	ref := services[0]
	marker := "skalierungsprobe" + strings.ToLower(cl.run)
	if v, err := editService(a, token, ref, func(s map[string]any) { s["summary"] = "Probe " + marker }); err == nil && v > 0 {
		resp, err := http.Get(b + "/api/v1/services?limit=3&q=" + url.QueryEscape(marker))
		if err == nil {
			var fr struct {
				Results []struct {
					ID string `json:"id"`
				} `json:"results"`
			}
			json.NewDecoder(resp.Body).Decode(&fr)
			resp.Body.Close()
			ok["catalog_edit_at_a_found_at_b"] = len(fr.Results) > 0 && fr.Results[0].ID == ref
		}
	} else {
		note("catalog: edit at A: %v", err)
	}

	// Jobs: registrations at A and B each enqueue one confirmation mail;
	// the instances share the queue, so each is sent exactly once.
	var emails []string
	for i := range 6 {
		base := a
		if i%2 == 1 {
			base = b
		}
		email := fmt.Sprintf("scale-%s-%d@example.org", strings.ToLower(cl.run), i)
		form := url.Values{"kind": {"citizen"}, "email": {email}, "name": {"Skala Test"}, "password": {"Skalierung-Test-2026!"}, "password2": {"Skalierung-Test-2026!"}}
		cli := newClient()
		resp, err := cli.PostForm(base+"/registrieren", form)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusSeeOther {
				emails = append(emails, email)
			} else {
				note("registration at %s: %d", base, resp.StatusCode)
			}
		}
	}
	var counts map[string]int
	waitFor(ctx, 60*time.Second, func() bool {
		counts = mailCounts(cl, emails)
		for _, e := range emails {
			if counts[e] < 1 {
				return false
			}
		}
		return true
	})
	exactlyOnce := len(emails) == 6
	for _, e := range emails {
		if counts[e] != 1 {
			exactlyOnce = false
		}
	}
	ok["jobs_each_mail_sent_once"] = exactlyOnce
	if !exactlyOnce {
		note("jobs: mails per registration %v", counts)
	}

	// Documents: stored through A, served by B.
	if docs != nil {
		l := &load{base: a, run: cl.run, services: services, token: token, rec: &recorder{}}
		ref, stored := docs.store(ctx, l, newClient())
		if stored {
			same, err := docs.fetch(b, newClient(), ref)
			ok["document_from_a_served_by_b"] = same && err == nil
			if err != nil {
				note("document %s from B: %v", ref, err)
			}
		} else {
			ok["document_from_a_served_by_b"] = false
			note("document: storing through A failed: %v", l.rec.results)
		}
	} else {
		note("documents: no document-storing route is mounted yet; the check joins when one is")
	}
	return ok, notes
}

// mailCounts counts the mails in every instance's outbox per recipient.
func mailCounts(cl *cluster, emails []string) map[string]int {
	out := map[string]int{}
	for _, in := range cl.instances {
		files, _ := filepath.Glob(filepath.Join(in.dir, "outbox", "*.eml"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			for _, e := range emails {
				if bytes.Contains(b, []byte(e)) {
					out[e]++
				}
			}
		}
	}
	return out
}

func editService(base, token, ref string, change func(map[string]any)) (int, error) {
	resp, err := http.Get(base + "/api/v1/services/" + ref)
	if err != nil {
		return 0, err
	}
	var doc map[string]any // the service's fields and its version
	json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if doc["version"] == nil {
		return 0, fmt.Errorf("GET service %s: %d", ref, resp.StatusCode)
	}
	change(doc)
	body, _ := json.Marshal(doc)
	req, _ := http.NewRequest("PUT", base+"/api/v1/services/"+ref, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		return 0, fmt.Errorf("PUT service %s: %d %s", ref, resp.StatusCode, b)
	}
	var got struct {
		Version int `json:"version"`
	}
	json.NewDecoder(resp.Body).Decode(&got)
	return got.Version, nil
}

// verify looks up every acknowledged write in the database, and every
// referenced blob in the bucket. It returns the writes not found.
func verify(ctx context.Context, db *database.DB, store blob.Store, acks []ack, docs documentWriter, base string) (lost []string, blobReport blob.Report, err error) {
	feedback := map[string]bool{}
	rows, err := db.R.QueryContext(ctx, `SELECT message FROM accessibility_feedback`)
	if err != nil {
		return nil, blobReport, err
	}
	for rows.Next() {
		var m string
		rows.Scan(&m)
		if i := strings.Index(m, "(scale-"); i >= 0 {
			feedback[strings.TrimSuffix(m[i+1:], ")")] = true
		}
	}
	rows.Close()
	type ver struct {
		ref     string
		version int
	}
	docsByVersion := map[ver]string{}
	rows, err = db.R.QueryContext(ctx, `SELECT s.ref, s.version, s.document FROM services s
		UNION ALL SELECT s.ref, v.version, v.document FROM service_versions v JOIN services s ON s.id = v.service_id`)
	if err != nil {
		return nil, blobReport, err
	}
	for rows.Next() {
		var ref, doc string
		var v int
		rows.Scan(&ref, &v, &doc)
		docsByVersion[ver{ref, v}] = doc
	}
	rows.Close()
	for _, a := range acks {
		switch a.Kind {
		case "feedback":
			if !feedback[a.Key] {
				lost = append(lost, "feedback "+a.Key)
			}
		case "catalog":
			if !strings.Contains(docsByVersion[ver{a.Key, a.Version}], a.Marker) {
				lost = append(lost, fmt.Sprintf("catalog %s version %d (%s)", a.Key, a.Version, a.Marker))
			}
		case "document":
			if same, err := docs.fetch(base, newClient(), a.Key); !same || err != nil {
				lost = append(lost, fmt.Sprintf("document %s (%v)", a.Key, err))
			}
		}
	}
	// The uploads, looked up in the bucket itself (not through the API).
	if k, ok := docs.(interface{ keys() map[string]string }); ok {
		for ref, key := range k.keys() {
			if _, err := store.Stat(ctx, key); err != nil {
				lost = append(lost, fmt.Sprintf("upload of %s not in the bucket: %v", ref, err))
			}
		}
	}
	blobReport, err = blob.Check(ctx, db, store, true)
	return lost, blobReport, err
}
