package catalog

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/rathaus/rathaus/internal/platform/cli"
)

// FindResult is the document of `rathaus catalog find --json` and of
// GET /api/v1/services: results best first, never null.
type FindResult struct {
	Query   string `json:"query"`
	Results []Hit  `json:"results"`
}

// NewFindResult converts a finder result into the public document.
func NewFindResult(r Result) FindResult {
	out := FindResult{Query: r.Query, Results: r.Hits}
	if out.Results == nil {
		out.Results = []Hit{}
	}
	return out
}

// FindCommand implements `rathaus catalog find [--json] [--limit N]
// [--life-situation X] [--topic Y] QUERY…` over services. It prints the
// result and returns cli.ErrNegative when nothing was found (exit 1), a
// *cli.UsageError for bad flags (exit 2).
func FindCommand(ctx context.Context, args []string, services []Service, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("catalog find", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the result as JSON")
	limit := fs.Int("limit", DefaultLimit, fmt.Sprintf("number of results (1–%d)", MaxLimit))
	ls := fs.String("life-situation", "", "only services of this life situation")
	topic := fs.String("topic", "", "only services of this topic")
	if err := fs.Parse(args); err != nil {
		return cli.Usagef("catalog find: %v", err)
	}
	if fs.NArg() == 0 {
		return cli.Usagef("usage: rathaus catalog find [--json] [--limit N] QUERY")
	}
	if *limit < 1 || *limit > MaxLimit {
		return cli.Usagef("catalog find: --limit must be between 1 and %d", MaxLimit)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	q := strings.Join(fs.Args(), " ")
	res := NewFinder(services).Find(Query{Text: q, Limit: *limit, LifeSituation: *ls, Topic: *topic})
	doc := NewFindResult(res)
	if *asJSON {
		if err := json.NewEncoder(stdout).Encode(doc); err != nil {
			return fmt.Errorf("catalog find: %w", err)
		}
	} else {
		for _, h := range doc.Results {
			fmt.Fprintf(stdout, "%.3f  %s  (%s, %s)\n", h.Score, h.Name, h.ExternalID, h.ID)
		}
		if len(doc.Results) == 0 {
			fmt.Fprintln(stdout, "no services found")
		}
	}
	if len(doc.Results) == 0 {
		return cli.ErrNegative
	}
	return nil
}

// TargetP99Ms is the latency target of the finder (p99 per query, with
// the federal catalogue loaded).
const TargetP99Ms = 20.0

// BenchSummary is what `rathaus catalog bench --json` prints. The top
// level is the measured set (the blind set, or --queries FILE) on the
// catalog as served — with the federal entries; Sets gives every set with
// and without them, so tuning and blind figures stand side by side.
type BenchSummary struct {
	BenchReport
	// Set names the measured set ("blind", or the file given).
	Set string `json:"set"`
	// Federal tells whether the measured catalog holds federal entries.
	Federal bool                        `json:"federal"`
	Sets    map[string]BenchCatalogPair `json:"sets"`
}

// BenchCatalogPair is one query set on the city's own services and on the
// city's services plus the federal catalogue.
type BenchCatalogPair struct {
	City    BenchReport `json:"city"`
	Federal BenchReport `json:"federal"`
}

// BenchCommand implements `rathaus catalog bench [--json] [--set
// tuning|blind | --queries FILE] [--rounds N] [--misses]` over services (the
// stored catalog). It scores the tuning and the blind set (or only the one
// --set names, or FILE) on the city's own services and on
// them plus the federal catalogue (the stored federal entries, or the
// embedded list when none are stored), and prints a BenchSummary. Misses
// (--misses) are listed for the tuning set and for FILE only: the blind set
// is scored as a whole. It returns cli.ErrNegative when the measured set
// misses a target (top-1, top-3, p99).
func BenchCommand(ctx context.Context, args []string, services []Service, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("catalog bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	fs.Bool("leika", false, "ignored: the federal catalogue is always measured as well")
	queries := fs.String("queries", "", "JSON lines file of {\"q\":…,\"want\":[…]} (default: the built-in tuning and blind sets)")
	rounds := fs.Int("rounds", 5, "how often each query is run for the latency figures")
	misses := fs.Bool("misses", false, "list the queries missed in the top 3 (tuning set or FILE only)")
	only := fs.String("set", "", "score only this built-in set (tuning or blind): tuning while changing the finder, so that the blind set is not scored each time")
	if err := fs.Parse(args); err != nil {
		return cli.Usagef("catalog bench: %v", err)
	}
	if fs.NArg() != 0 {
		return cli.Usagef("usage: rathaus catalog bench [--json] [--set tuning|blind | --queries FILE] [--rounds N] [--misses]")
	}
	if *only != "" && *only != SetTuning && *only != SetBlind {
		return cli.Usagef("catalog bench: --set must be %s or %s", SetTuning, SetBlind)
	}
	if *only != "" && *queries != "" {
		return cli.Usagef("catalog bench: --set and --queries exclude each other")
	}
	if *rounds < 1 || *rounds > 1000 {
		return cli.Usagef("catalog bench: --rounds must be between 1 and 1000")
	}
	sets := map[string][]BenchQuery{SetTuning: BenchSet(SetTuning), SetBlind: BenchSet(SetBlind)}
	measured := SetBlind
	if *only != "" {
		measured = *only
		sets = map[string][]BenchQuery{measured: sets[measured]}
	}
	if *queries != "" {
		f, err := os.Open(*queries)
		if err != nil {
			return cli.Usagef("catalog bench: %v", err)
		}
		qs, err := ParseBenchQueries(f)
		f.Close()
		if err != nil {
			return cli.Usagef("catalog bench: %s: %v", *queries, err)
		}
		measured = *queries
		sets = map[string][]BenchQuery{measured: qs}
	}
	var city []Service
	stored := false
	for _, s := range services {
		if s.IsFederal() {
			stored = true
		} else {
			city = append(city, s)
		}
	}
	all := services
	if !stored {
		fed, err := FederalCatalog(ctx)
		if err != nil {
			return err
		}
		all = WithFederal(city, fed.Services)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	cityFinder, fedFinder := NewFinder(city), NewFinder(all)
	sum := BenchSummary{Set: measured, Federal: true, Sets: map[string]BenchCatalogPair{}}
	for name, qs := range sets {
		p := BenchCatalogPair{City: Evaluate(cityFinder, qs, *rounds), Federal: Evaluate(fedFinder, qs, *rounds)}
		if !*misses || name == SetBlind {
			p.City.Misses, p.Federal.Misses = nil, nil
		}
		sum.Sets[name] = p
	}
	sum.BenchReport = sum.Sets[measured].Federal
	sum.BenchReport.Misses = nil
	if *asJSON {
		if err := json.NewEncoder(stdout).Encode(sum); err != nil {
			return fmt.Errorf("catalog bench: %w", err)
		}
	} else {
		names := make([]string, 0, len(sum.Sets))
		for n := range sum.Sets {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			p := sum.Sets[n]
			for _, r := range []struct {
				label string
				rep   BenchReport
			}{{"city", p.City}, {"city+federal", p.Federal}} {
				fmt.Fprintf(stdout, "%-8s %-13s queries %3d, services %4d: top-1 %5.1f %%, top-3 %5.1f %%, p50 %.2f ms, p99 %.2f ms\n",
					n, r.label, r.rep.Queries, r.rep.Services, r.rep.Top1*100, r.rep.Top3*100, r.rep.P50ms, r.rep.P99ms)
				for _, m := range r.rep.Misses {
					fmt.Fprintf(stdout, "  miss: %q want %v got %v\n", m.Q, m.Want, m.Got)
				}
			}
		}
	}
	m := sum.BenchReport
	if m.P99ms >= TargetP99Ms || m.Top1 < TargetTop1 || m.Top3 < TargetTop3 {
		return cli.ErrNegative
	}
	return nil
}
