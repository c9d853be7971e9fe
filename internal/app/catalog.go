package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/rathaus/rathaus/internal/catalog"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/cli"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// mountCatalog registers the catalog's API and pages on rt and returns the
// catalog (one per process: it caches each tenant's finder).
func mountCatalog(rt *web.Router, e *env, idh *identity.Handler) *catalog.Catalog {
	c := &catalog.Catalog{DB: e.db}
	e.catalog = c
	(&catalog.Handler{Catalog: c, Identity: idh, Pages: site().r, Shell: shellFor, Offers: e.offers()}).Routes(rt)
	rt.Example("GET /leistungen/{id}", "/leistungen/"+DemoServiceRef)
	rt.Example("GET /verwaltung/leistungen/{id}", "/verwaltung/leistungen/"+DemoServiceRef)
	return c
}

// catalogHomeLinks: the assistant, for those who would rather be asked.
func catalogHomeLinks() []HomeLink {
	return []HomeLink{{Href: "/assistent", TitleKey: "catalog.assistant.title", TextKey: "catalog.home.assistant"}}
}

// homeCatalog fills the home page's catalog part: the tenant's most used
// services and life situations (from the cached finder).
func homeCatalog(r *http.Request, e *env, out *catalog.Home) error {
	t := identity.TenantFrom(r.Context())
	if t == nil || e.catalog == nil {
		*out = catalog.Home{Popular: []catalog.HomeLink{}, LifeSituations: []catalog.HomeLink{}}
		return nil
	}
	h, err := e.catalog.Home(r.Context(), t.ID)
	if err != nil {
		return err
	}
	*out = h
	return nil
}

// missFlushInterval is how often the counts of missed searches are
// written (they are counted in memory so as never to slow a search).
const missFlushInterval = time.Minute

// catalogBackground builds the tenants' finders once the server listens
// (so the first search does not wait for an index), then writes the
// counted missed searches every minute and once more at shutdown.
func catalogBackground(ctx context.Context, e *env) {
	c := e.catalog
	if c == nil {
		return
	}
	start := time.Now()
	if err := c.Warm(ctx); err != nil && ctx.Err() == nil {
		e.log.Warn("catalog warm-up", "err", err)
	} else if err == nil {
		e.log.Info("catalog ready", "duration_ms", time.Since(start).Milliseconds())
	}
	tick := time.NewTicker(missFlushInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if err := c.FlushMisses(fctx); err != nil {
				e.log.Warn("flush missed searches", "err", err)
			}
			cancel()
			return
		case <-tick.C:
			if err := c.FlushMisses(ctx); err != nil && ctx.Err() == nil {
				e.log.Warn("flush missed searches", "err", err)
			}
		}
	}
}

// DemoServiceRef is the reference of the demo city's dog tax service
// (stable: derived from its source and LeiKa key).
var DemoServiceRef = catalog.Ref(catalog.SourceDemo, "99102013000000", "Hundesteuer")

// seedDemoCatalog gives the demo city its catalog once (the embedded
// Munich services and the dog tax); later starts change nothing.
func seedDemoCatalog(ctx context.Context, e *env) error {
	t, err := e.identity.TenantBySlug(ctx, DemoSlug)
	if err != nil {
		return fmt.Errorf("seed demo catalog: %w", err)
	}
	return catalog.SeedDemo(ctx, &catalog.Catalog{DB: e.db}, t.ID)
}

// runImport implements `rathaus import services [FILE] [--source
// munich|leika|json] [--strict] [--json]`. Without FILE it imports the
// embedded Munich services (--source munich, the default) or the LeiKa
// list of the data set directory (--source leika); a FILE is read in our
// own format unless --source says otherwise. The import is one
// transaction: valid entries are stored (created or updated by reference
// or external id), invalid ones listed; --strict stops at the first
// invalid entry and stores nothing (exit 1); an unreadable file stores
// nothing (exit 2).
func runImport(ctx context.Context, io IO, args []string) error {
	var source string
	var strict bool
	e, pos, err := openCmd(ctx, "import", args, io, func(fs *flag.FlagSet) {
		fs.StringVar(&source, "source", "", "format of the input: munich, leika or json (default: json for a FILE, else munich)")
		fs.BoolVar(&strict, "strict", false, "abort on the first invalid entry and import nothing")
	})
	if err != nil {
		return err
	}
	defer e.close()
	if len(pos) == 0 || pos[0] != "services" || len(pos) > 2 {
		return cli.Usagef("usage: rathaus import services [FILE] [--source munich|leika|json] [--strict] [--json]")
	}
	file := ""
	if len(pos) == 2 {
		file = pos[1]
	}
	t, err := e.tenant(ctx)
	if err != nil {
		return err
	}
	res, src, name, err := readServices(ctx, source, file, strict)
	var ie *catalog.ImportError
	switch {
	case errors.As(err, &ie) && errors.Is(err, catalog.ErrInvalid):
		fmt.Fprintf(io.Stderr, "import services: %s: %v; nothing imported (--strict)\n", name, err)
		return cli.ErrNegative
	case err != nil:
		return cli.Usagef("import services: %s: %v; nothing imported", name, err)
	}
	sys := identity.System(t.ID)
	sys.Ref = "cli"
	rep, err := (&catalog.Catalog{DB: e.db}).Import(ctx, sys, t.ID, src, res)
	if err != nil {
		return err
	}
	if e.cfg.JSON {
		return printJSON(io.Stdout, rep)
	}
	fmt.Fprintf(io.Stdout, "%s (%s) into %s: %d read, %d created, %d updated, %d unchanged, %d already offered by the city's own services, %d skipped\n",
		name, src, t.Slug, rep.Read, rep.Created, rep.Updated, rep.Unchanged, rep.Covered, len(rep.Skipped))
	for _, s := range rep.Skipped {
		fmt.Fprintf(io.Stdout, "skipped: line %d (%s): %s\n", s.Line, s.Element, s.Reason)
	}
	return nil
}

// readServices reads the input of an import: file in source's format, or
// the format's default input when file is "". It returns a name for the
// input in messages.
func readServices(ctx context.Context, source, file string, strict bool) (*catalog.ImportResult, string, string, error) {
	var in io.Reader
	name := "embedded Munich services"
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return nil, "", file, err
		}
		defer f.Close()
		in, name = f, file
		if source == "" {
			source = catalog.FormatJSON
		}
	}
	if source == "" {
		source = catalog.FormatMunich
	}
	if source == catalog.FormatLeika && file == "" {
		name = catalog.LeikaFile
	}
	res, src, err := catalog.ReadServices(ctx, source, in, strict)
	return res, src, name, err
}

// runExport implements `rathaus export services`: the tenant's catalog in
// our own JSON format on stdout (it is JSON with or without --json).
func runExport(ctx context.Context, io IO, args []string) error {
	e, pos, err := openCmd(ctx, "export", args, io)
	if err != nil {
		return err
	}
	defer e.close()
	if len(pos) != 1 || pos[0] != "services" {
		return cli.Usagef("usage: rathaus export services [--json]")
	}
	t, err := e.tenant(ctx)
	if err != nil {
		return err
	}
	services, err := (&catalog.Catalog{DB: e.db}).All(ctx, t.ID)
	if err != nil {
		return err
	}
	return catalog.Export(io.Stdout, services)
}

// runCatalog implements `rathaus catalog find [--json] [--limit N] QUERY`
// and `rathaus catalog bench [--json] [--leika]` over the tenant's stored
// catalog: find prints the same document as GET /api/v1/services.
func runCatalog(ctx context.Context, io IO, args []string) error {
	var limit, rounds int
	var ls, topic, queries, set string
	var leika, misses bool
	e, pos, err := openCmd(ctx, "catalog", args, io, func(fs *flag.FlagSet) {
		fs.IntVar(&limit, "limit", catalog.DefaultLimit, fmt.Sprintf("find: number of results (1–%d)", catalog.MaxLimit))
		fs.StringVar(&ls, "life-situation", "", "find: only services of this life situation")
		fs.StringVar(&topic, "topic", "", "find: only services of this topic")
		fs.BoolVar(&leika, "leika", false, "bench: add the federal LeiKa services from the data set directory")
		fs.StringVar(&queries, "queries", "", "bench: JSON lines file of queries (default: the built-in set)")
		fs.IntVar(&rounds, "rounds", 5, "bench: how often each query runs for the latency figures")
		fs.BoolVar(&misses, "misses", false, "bench: list the queries missed in the top 3")
		fs.StringVar(&set, "set", "", "bench: score only this built-in set (tuning or blind)")
	})
	if err != nil {
		return err
	}
	defer e.close()
	if len(pos) == 0 {
		return cli.Usagef("catalog: say find or bench")
	}
	t, err := e.tenant(ctx)
	if err != nil {
		return err
	}
	services, err := (&catalog.Catalog{DB: e.db}).All(ctx, t.ID)
	if err != nil {
		return err
	}
	var sub []string
	if e.cfg.JSON {
		sub = append(sub, "--json")
	}
	switch pos[0] {
	case "find":
		sub = append(sub, "--limit", strconv.Itoa(limit))
		if ls != "" {
			sub = append(sub, "--life-situation", ls)
		}
		if topic != "" {
			sub = append(sub, "--topic", topic)
		}
		sub = append(append(sub, "--"), pos[1:]...)
		return catalog.FindCommand(ctx, sub, services, io.Stdout, io.Stderr)
	case "bench":
		if len(pos) != 1 {
			return cli.Usagef("usage: rathaus catalog bench [--json] [--set tuning|blind | --queries FILE] [--misses]")
		}
		sub = append(sub, "--rounds", strconv.Itoa(rounds))
		if leika {
			sub = append(sub, "--leika")
		}
		if queries != "" {
			sub = append(sub, "--queries", queries)
		}
		if set != "" {
			sub = append(sub, "--set", set)
		}
		if misses {
			sub = append(sub, "--misses")
		}
		return catalog.BenchCommand(ctx, sub, services, io.Stdout, io.Stderr)
	}
	return cli.Usagef("catalog: unknown subcommand %q (find, bench)", pos[0])
}
