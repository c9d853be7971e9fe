package catalog

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"
)

// benchQueries are citizen queries with the services they should find
// (external ids of the demo catalog). Written in citizens' words, not taken
// from the catalog.
//
//go:embed testdata/bench/tuning/queries.jsonl
var benchQueries []byte

// BenchQuery is one line of the quality benchmark.
type BenchQuery struct {
	Q    string   `json:"q"`
	Want []string `json:"want"` // any of these external ids counts as a hit
}

// ParseBenchQueries reads JSON lines of BenchQuery. Blank lines are
// ignored; a broken line is an *ImportError with its line number.
func ParseBenchQueries(r io.Reader) ([]BenchQuery, error) {
	var out []BenchQuery
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var q BenchQuery
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&q); err != nil {
			return nil, &ImportError{Line: line, Reason: err.Error(), Err: ErrMalformed}
		}
		if strings.TrimSpace(q.Q) == "" || len(q.Want) == 0 {
			return nil, &ImportError{Line: line, Reason: "query or expected services missing", Err: ErrMalformed}
		}
		out = append(out, q)
	}
	if err := sc.Err(); err != nil {
		return nil, &ImportError{Line: line + 1, Reason: err.Error(), Err: ErrMalformed}
	}
	return out, nil
}

// DefaultBenchQueries returns the built-in benchmark set.
func DefaultBenchQueries() []BenchQuery {
	qs, err := ParseBenchQueries(bytes.NewReader(benchQueries))
	if err != nil {
		panic(fmt.Sprintf("embedded benchmark queries: %v", err)) // caught by tests
	}
	return qs
}

// BenchReport is what `rathaus catalog bench --json` prints.
type BenchReport struct {
	Queries  int         `json:"queries"`
	Top1     float64     `json:"top1"`
	Top3     float64     `json:"top3"`
	P50ms    float64     `json:"p50_ms"`
	P99ms    float64     `json:"p99_ms"`
	Services int         `json:"services"`
	Misses   []BenchMiss `json:"misses,omitempty"`
}

// BenchMiss is a query whose expected service was not in the top 3.
type BenchMiss struct {
	Q    string   `json:"q"`
	Want []string `json:"want"`
	Got  []string `json:"got"` // external ids of the top 3
}

// Quality targets on the demo catalog.
const (
	TargetTop1 = 0.75
	TargetTop3 = 0.90
)

// Evaluate runs every query rounds times (for stable latency percentiles)
// and scores the hit rates on the first round.
func Evaluate(f *Finder, qs []BenchQuery, rounds int) BenchReport {
	rounds = max(1, rounds)
	rep := BenchReport{Queries: len(qs), Services: f.Len()}
	if len(qs) == 0 {
		return rep
	}
	var lat []time.Duration
	top1, top3 := 0, 0
	for r := 0; r < rounds; r++ {
		for _, q := range qs {
			start := time.Now()
			res := f.Find(Query{Text: q.Q, Limit: DefaultLimit})
			lat = append(lat, time.Since(start))
			if r > 0 {
				continue
			}
			var got []string
			rank := -1
			for i, h := range res.Hits {
				if i < 3 {
					got = append(got, h.ExternalID)
				}
				if rank < 0 && contains(q.Want, h.ExternalID) {
					rank = i
				}
			}
			if rank == 0 {
				top1++
			}
			if rank >= 0 && rank < 3 {
				top3++
			} else {
				rep.Misses = append(rep.Misses, BenchMiss{Q: q.Q, Want: q.Want, Got: got})
			}
		}
	}
	sort.Slice(lat, func(a, b int) bool { return lat[a] < lat[b] })
	pct := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(lat)))) - 1
		i = max(0, min(i, len(lat)-1))
		return math.Round(float64(lat[i].Microseconds())/10) / 100
	}
	rep.Top1 = math.Round(float64(top1)/float64(len(qs))*1000) / 1000
	rep.Top3 = math.Round(float64(top3)/float64(len(qs))*1000) / 1000
	rep.P50ms = pct(0.50)
	rep.P99ms = pct(0.99)
	return rep
}
