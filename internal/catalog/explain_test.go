package catalog

import (
	"flag"
	"fmt"
	"testing"
)

var explainQ = flag.String("explain", "", "print the parse and the top hits of this query")

// TestExplain is a debugging aid: go test -run TestExplain -explain "…" -v
func TestExplain(t *testing.T) {
	if *explainQ == "" {
		t.Skip("no -explain query")
	}
	f := mustDemoFinder(t)
	for _, c := range f.parse(*explainQ) {
		s := ""
		for _, tm := range c.terms {
			s += fmt.Sprintf(" %s(%.2f idf %.2f)", f.termStr[tm.id], tm.w, f.idf[tm.id])
		}
		t.Logf("concept:%s", s)
	}
	res := f.Find(Query{Text: *explainQ})
	for i, h := range res.Hits {
		t.Logf("%d %.3f raw %.2f %s %s", i+1, h.Score, res.raw[i], h.ExternalID, h.Name)
	}
}
