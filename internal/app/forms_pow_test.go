package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/pow"
	"github.com/rathaus/rathaus/internal/platform/ratelimit"
)

// TestAnonymousStartUnderPressureCostsAProofOfWork: once the hour's free
// anonymous drafts are used up (here filled in directly), the start page
// asks the browser for a proof of work — and tells a visitor without
// JavaScript what to do — a start without a solution is answered with the
// page again (422), and with a solved challenge the draft begins; the
// same solution does not open a second draft.
func TestAnonymousStartUnderPressureCostsAProofOfWork(t *testing.T) {
	eachInstallation(t, func(t *testing.T, in installation) {
		s := in.start(t, "demo")
		db, err := database.Open(context.Background(), database.Options{DataDir: in.dir, URL: in.url})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		rows, err := db.R.Query(`SELECT id FROM tenants`)
		if err != nil {
			t.Fatal(err)
		}
		var tenants []int64
		for rows.Next() {
			var id int64
			rows.Scan(&id)
			tenants = append(tenants, id)
		}
		rows.Close()
		l := ratelimit.New(db, true)
		free := ratelimit.Rule{Name: "forms.anonymous_draft", Limit: 500, Window: time.Hour}
		for _, id := range tenants {
			for range free.Limit {
				if err := l.Allow(context.Background(), free, fmt.Sprint(id)); err != nil {
					t.Fatal(err)
				}
			}
		}

		a := newBrowser(t, s)
		a.expect(a.get("/antrag/"+LostPropertyServiceRef), 200, "")
		if !strings.Contains(a.body, `data-pow="/antrag/rechenaufgabe"`) || !strings.Contains(a.body, "/antrag/static/pow.js") || !strings.Contains(a.body, "braucht er JavaScript") {
			t.Fatalf("start page under pressure asks for no proof of work: %s", a.body)
		}
		a.expect(a.post("/antrag/"+LostPropertyServiceRef, nil), 422, "")
		if !strings.Contains(mainOf(a.body), "Rechenaufgabe gelöst hat") {
			t.Errorf("start without a solution: %s", mainOf(a.body))
		}
		a.expect(a.get("/antrag/static/pow.js"), 200, "")
		if !strings.Contains(a.body, "crypto.subtle") {
			t.Error("no solver script")
		}
		a.expect(a.get("/antrag/rechenaufgabe"), 200, "")
		var c pow.Challenge
		if err := json.Unmarshal([]byte(a.body), &c); err != nil || c.MaxNumber != 50000 {
			t.Fatalf("challenge %+v: %v", c, err)
		}
		start := time.Now()
		n, ok := pow.Solve(c)
		if !ok {
			t.Fatal("challenge not solvable")
		}
		t.Logf("solved in %s (n=%d of %d)", time.Since(start), n, c.MaxNumber)
		solution := url.Values{"altcha": {c.Encode(n)}}
		a.expect(a.post("/antrag/"+LostPropertyServiceRef, solution), 303, "/antrag/entwurf/D-")
		b := newBrowser(t, s)
		b.expect(b.post("/antrag/"+LostPropertyServiceRef, solution), 422, "")
		if !strings.Contains(mainOf(b.body), "schon verwendet") {
			t.Errorf("replayed solution: %s", mainOf(b.body))
		}
	})
}
