// Package app is the one composition root of rathaus: it reads the
// configuration, opens the stores, migrates, builds the domain services,
// mounts their routes, registers jobs and runs the chosen command. Only this
// package wires concrete implementations together (see arch_test.go).
package app

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"

	"github.com/rathaus/rathaus/internal/platform/cli"
	"github.com/rathaus/rathaus/internal/platform/config"
)

// Version is set at build time (-ldflags "-X ...app.Version=...").
var Version = "dev"

// IO bundles the process's standard streams and environment.
type IO struct {
	Getenv func(string) string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

type command struct {
	summary string
	run     func(ctx context.Context, io IO, args []string) error
}

func commands() map[string]command {
	return map[string]command{
		"serve":    {"serve the web site and API (no demo data)", runServe},
		"demo":     {"migrate, seed the demo city Musterstadt if absent, and serve", runDemo},
		"migrate":  {"apply pending database migrations", runMigrate},
		"tenant":   {"municipalities: tenant create --slug SLUG --name NAME --host HOST --admin-email EMAIL [--state BY] [--public-url URL] [--leitweg-id ID] | tenant set --slug SLUG --leitweg-id ID | tenant list", runTenant},
		"token":    {"API tokens: token create --role ROLE --name NAME | token create --account EMAIL | token list | token revoke ID", runToken},
		"audit":    {"audit trail: audit verify | audit list", runAudit},
		"jobs":     {"background jobs: jobs list [--status dead] | jobs retry KIND KEY", runJobs},
		"backup":   {"backup --out FILE [--blobs-by-reference]: database and blobs into one archive", runBackup},
		"restore":  {"restore FILE: into an empty data directory / database", runRestore},
		"blobs":    {"blob store: blobs verify | blobs migrate --to URL [--from URL] | blobs collect", runBlobs},
		"einvoice": {"e-invoices: einvoice validate [--json] PATH...", runEinvoice},
		"import":   {"import services [FILE] [--source munich|leika|json] [--strict]: into the tenant's catalog", runImport},
		"export":   {"export services: the tenant's catalog as JSON on stdout", runExport},
		"catalog":  {"catalog find --json QUERY | catalog bench --json [--leika]", runCatalog},
		"forms":    {"forms import-fim FILE [--service ID] [--audience citizen,business] [--publish] | forms list", runForms},
		"payments": {"payments epc-qr --name N --iban I --amount A (--reference RF|--remittance T) --out F.png | camt [--json] FILE | import | remind | export", runPayments},
		"loadtest": {"loadtest submissions|appointments --url URL [--url URL2] --clients N --duration D [--token T] [--data DIR | --database-url U]", runLoadtests},
		"records":  {"e-files: records list [--json] [--closed] [--due DAY] | records export REF --out FILE.zip (xdomea 3.0.0)", runRecords},
		"version":  {"print the version", func(ctx context.Context, io IO, args []string) error { fmt.Fprintln(io.Stdout, Version); return nil }},
	}
}

// Run runs rathaus with the arguments (without the program name).
func Run(ctx context.Context, args []string, io IO) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(io.Stdout)
		if len(args) == 0 {
			return cli.Usagef("no command given")
		}
		return nil
	}
	name, rest := splitCommand(args)
	cmd, ok := commands()[name]
	if !ok {
		usage(io.Stderr)
		return cli.Usagef("unknown command %q", name)
	}
	return cmd.run(ctx, io, rest)
}

// valueFlags are the flags that take a value, so that flags may also stand
// before the command name ("rathaus --data d --json token list").
var valueFlags = flagSet(
	// One line per module (a name on two lines is harmless), so that modules
	// add their flags without touching each other's lines.
	"addr data tenant role name out status limit account",
	"host slug admin-email admin-name state public-url",
	"source life-situation topic queries rounds",
	"iban bic amount reference remittance info view",
	"to from grace",
	"service audience", // forms
	"url clients duration token database-url protections slots release-after",
)

func flagSet(lines ...string) map[string]bool {
	m := map[string]bool{}
	for _, l := range lines {
		for _, f := range strings.Fields(l) {
			m[f] = true
		}
	}
	return m
}

// splitCommand finds the command name (the first positional argument) and
// returns the other arguments in order.
func splitCommand(args []string) (string, []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if strings.HasPrefix(a, "-") {
			n := strings.TrimLeft(a, "-")
			if !strings.Contains(n, "=") && valueFlags[n] {
				i++
			}
			continue
		}
		return a, append(append([]string{}, args[:i]...), args[i+1:]...)
	}
	return "", args
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "rathaus — the digital town hall\n\nUsage: rathaus COMMAND [flags] [args]\n\nCommands:")
	cmds := commands()
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nCommon flags: --data DIR (RATHAUS_DATA_DIR), --tenant SLUG, --json, --addr HOST:PORT (RATHAUS_ADDR).\nRATHAUS_DATABASE_URL=postgres://... uses PostgreSQL instead of SQLite.")
}

// load parses the common flags and returns the config and positional args.
// Every failure here is a usage error (exit 2): a bad flag or a malformed
// RATHAUS_* variable, named in the message.
func load(name string, args []string, io IO, extra ...func(*flag.FlagSet)) (config.Config, []string, error) {
	c, pos, err := config.Load("rathaus "+name, args, io.Getenv, io.Stderr, extra...)
	if err != nil {
		return c, nil, cli.Usagef("%v", err)
	}
	return c, pos, nil
}

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}
