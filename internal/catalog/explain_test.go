package catalog

import (
	"flag"
	"testing"
)

var (
	explainQ   = flag.String("explain", "", "print the parse and the top hits of this query")
	explainDoc = flag.String("explain-doc", "", "also explain the match of the service with this external id")
	explainFed = flag.Bool("explain-federal", false, "explain on the demo catalog with the federal entries")
)

// TestExplain is a debugging aid for the tuning set: go test -run
// TestExplain -explain "…" -v
func TestExplain(t *testing.T) {
	if *explainQ == "" {
		t.Skip("no -explain query")
	}
	f := mustDemoFinder(t)
	if *explainFed {
		f = mustFederalFinder(t)
	}
	for _, line := range f.ix.Explain(*explainQ) {
		t.Log(line)
	}
	res := f.Find(Query{Text: *explainQ})
	for i, h := range res.Hits {
		t.Logf("%d %.3f raw %.2f %s %s", i+1, h.Score, res.raw[i], h.ExternalID, h.Name)
		if i < 3 {
			t.Log(f.ix.ExplainDoc(*explainQ, f.docOf(h.ID)))
		}
	}
	if *explainDoc != "" {
		for i, s := range f.services {
			if s.ExternalID == *explainDoc {
				t.Log(s.Name, f.ix.ExplainDoc(*explainQ, f.docOf(s.ID)), i)
			}
		}
	}
}
