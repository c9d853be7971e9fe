package catalog

import (
	"bufio"
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math"
	"path"
	"sort"
	"strings"
	"time"
)

// benchFS holds the finder's query sets: questions in citizens' words with
// the services that answer them (testdata/bench/README.md). tuning/ may be
// looked at query by query while changing the finder; blind/ is only ever
// scored as a whole.
//
//go:embed testdata/bench/tuning/*.jsonl testdata/bench/blind/*.jsonl
var benchFS embed.FS

// Names of the built-in query sets.
const (
	SetTuning = "tuning"
	SetBlind  = "blind"
)

// BenchQuery is one line of a query set.
type BenchQuery struct {
	Q string `json:"q"`
	// Want lists the services that answer Q; any of them counts as a hit:
	// "leika:PREFIX" (a LeiKa key starting with PREFIX — 8 digits are the
	// service object, so the city's service and the federal entry of the
	// same matter both count), "id:EXTERNAL" (external id), "name:WORD"
	// (the name contains WORD), or a bare external id.
	Want []string `json:"want"`
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
		for _, w := range q.Want {
			if kind, v, ok := strings.Cut(w, ":"); ok && (kind == "leika" || kind == "id" || kind == "name") && v == "" {
				return nil, &ImportError{Line: line, Reason: fmt.Sprintf("empty expectation %q", w), Err: ErrMalformed}
			}
		}
		out = append(out, q)
	}
	if err := sc.Err(); err != nil {
		return nil, &ImportError{Line: line + 1, Reason: err.Error(), Err: ErrMalformed}
	}
	return out, nil
}

// BenchSet returns the built-in query set name (SetTuning or SetBlind):
// every file of its folder, in file name order.
func BenchSet(name string) []BenchQuery {
	dir := "testdata/bench/" + name
	entries, err := fs.ReadDir(benchFS, dir)
	if err != nil {
		panic(fmt.Sprintf("query set %s: %v", name, err)) // caught by tests
	}
	var out []BenchQuery
	for _, e := range entries {
		data, err := benchFS.ReadFile(path.Join(dir, e.Name()))
		if err != nil {
			panic(fmt.Sprintf("query set %s: %v", name, err))
		}
		qs, err := ParseBenchQueries(bytes.NewReader(data))
		if err != nil {
			panic(fmt.Sprintf("query set %s/%s: %v", name, e.Name(), err))
		}
		out = append(out, qs...)
	}
	return out
}

// DefaultBenchQueries returns the tuning set.
func DefaultBenchQueries() []BenchQuery { return BenchSet(SetTuning) }

// Answers reports whether s is one of the services want names.
func Answers(want []string, s *Service) bool {
	for _, w := range want {
		kind, v, ok := strings.Cut(w, ":")
		if !ok {
			kind, v = "id", w
		}
		switch kind {
		case "leika":
			for _, k := range s.LeikaKeys {
				if strings.HasPrefix(k, v) {
					return true
				}
			}
		case "name":
			if strings.Contains(strings.ToLower(s.Name), strings.ToLower(v)) {
				return true
			}
		default:
			if (kind == "id" && s.ExternalID == v) || s.ExternalID == w {
				return true
			}
		}
	}
	return false
}

// BenchReport is the hit rate and latency of one query set on one catalog.
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
	Got  []string `json:"got"` // names of the top 3
}

// Quality targets on questions the finder was never tuned with, with the
// federal catalogue loaded.
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
				s, _ := f.Service(h.ID)
				if i < 3 {
					got = append(got, s.Name)
				}
				if rank < 0 && Answers(q.Want, &s) {
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
