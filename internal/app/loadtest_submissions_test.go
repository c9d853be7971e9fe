package app

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rathaus/rathaus/internal/platform/clock"
)

// TestLoadtestSubmissionsCommand runs `rathaus loadtest submissions`
// against a demo server: one JSON document with every field of the
// contract, every acknowledged submission verified in the database. Then
// the verification itself is shown to catch what it must: a reference the
// database does not have (missing) and a file that is not the one sent
// (hash_mismatch), each counted as lost.
func TestLoadtestSubmissionsCommand(t *testing.T) {
	in := installation{dir: t.TempDir(), env: map[string]string{"RATHAUS_RATE_LIMITS": "off"}}
	s := in.start(t, "demo")
	out, errOut, code := in.run(t, "loadtest", "submissions", "--url", s.base, "--clients", "2", "--duration", "1s", "--token", DemoToken("admin"))
	if code != 0 {
		t.Fatalf("loadtest: exit %d\n%s\n%s", code, out, errOut)
	}
	var keys map[string]any
	if err := json.Unmarshal([]byte(out), &keys); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, out)
	}
	got := slices.Sorted(maps.Keys(keys))
	want := []string{"acknowledged", "clients", "duration_s", "errors", "hash_mismatch", "incomplete", "kind", "latency_ms", "lost", "missing", "submissions_per_s", "verified"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("JSON fields (-want +got):\n%s", diff)
	}
	var res SubmissionsResult
	must(t, json.Unmarshal([]byte(out), &res))
	if res.Kind != "submissions" || res.Clients != 2 || res.Acknowledged == 0 || res.Verified != res.Acknowledged || res.Lost != 0 {
		t.Fatalf("result: %+v", res)
	}

	// The verification against the database catches a lost and a changed submission.
	ctx := context.Background()
	e, err := open(ctx, mustConfigDir(in.dir), discardLogger(), clock.System{})
	must(t, err)
	defer e.close()
	tn, err := e.identity.TenantBySlug(ctx, DemoSlug)
	must(t, err)
	tokens, err := loadtestCitizens(ctx, e, tn, 1)
	must(t, err)
	r, acks := submitConcurrently(ctx, []string{s.base}, tokens, DemoServiceRef, 200*time.Millisecond)
	if len(acks) == 0 {
		t.Fatalf("no submission acknowledged: %+v", r)
	}
	good := acks[0]
	changed := good
	changed.fileSHA = strings.Repeat("0", 64)
	check := &SubmissionsResult{}
	verifySubmissions(ctx, e, tn.ID, []sent{good, {ref: "A-0000-0000", dogName: "Bello", fileSHA: good.fileSHA}, changed}, check)
	if check.Verified != 1 || check.Missing != 1 || check.HashMismatch != 1 || check.Lost != 2 {
		t.Fatalf("verification of one good, one missing, one changed submission: %+v", check)
	}
}
