package app

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/backup"
	"github.com/rathaus/rathaus/internal/platform/cli"
	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/config"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/jobs"
)

// openCmd loads flags and opens the installation for a CLI command.
func openCmd(ctx context.Context, name string, args []string, io IO, extra ...func(*flag.FlagSet)) (*env, []string, error) {
	cfg, pos, err := load(name, args, io, extra...)
	if err != nil {
		return nil, nil, err
	}
	e, err := open(ctx, cfg, newLogger(io.Stderr, cfg.LogLevel), clock.System{})
	if err != nil {
		return nil, nil, err
	}
	return e, pos, nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func runMigrate(ctx context.Context, io IO, args []string) error {
	e, _, err := openCmd(ctx, "migrate", args, io)
	if err != nil {
		return err
	}
	defer e.close()
	v, err := e.db.Version(ctx)
	if err != nil {
		return err
	}
	if e.cfg.JSON {
		return printJSON(io.Stdout, map[string]any{"dialect": e.db.Dialect, "schema_version": v})
	}
	fmt.Fprintf(io.Stdout, "%s schema at version %d\n", e.db.Dialect, v)
	return nil
}

func runToken(ctx context.Context, io IO, args []string) error {
	var role, name, account string
	e, pos, err := openCmd(ctx, "token", args, io, func(fs *flag.FlagSet) {
		fs.StringVar(&role, "role", "", "role of an integration token: admin, case_worker, unit_head, form_manager, finance, mail_room, records_officer")
		fs.StringVar(&account, "account", "", "e-mail `address` of the account a personal token acts as (instead of --role)")
		fs.StringVar(&name, "name", "", "name of the token (unique per municipality, or per account for personal tokens)")
	})
	if err != nil {
		return err
	}
	defer e.close()
	if len(pos) == 0 {
		return cli.Usagef("token: say create, list or revoke")
	}
	t, err := e.tenant(ctx)
	if err != nil {
		return err
	}
	sys := identity.System(t.ID)
	sys.Ref = "cli"
	switch pos[0] {
	case "create":
		var secret string
		var tok *identity.Token
		switch {
		case account != "" && role != "":
			return cli.Usagef("token create takes --role ROLE (integration token) or --account EMAIL (personal token), not both")
		case account != "":
			a, err := e.identity.AccountByEmail(ctx, sys, t.ID, account)
			if errors.Is(err, fault.ErrNotFound) {
				fmt.Fprintf(io.Stderr, "token create: %s has no account %s\n", t.Slug, account)
				return cli.ErrNegative
			}
			if err != nil {
				return err
			}
			if name == "" {
				name = "cli " + time.Now().UTC().Format("2006-01-02 15:04:05")
			}
			secret, tok, err = e.identity.CreatePersonalToken(ctx, sys, t.ID, a.Ref, name, "")
			if err != nil {
				return cliFault("token create", err)
			}
		case role == "" || name == "":
			return cli.Usagef("token create needs --role ROLE and --name NAME, or --account EMAIL [--name NAME]")
		default:
			if !identity.ValidRole(identity.Role(role)) {
				return cli.Usagef("token create: unknown role %q", role)
			}
			secret, tok, err = e.identity.CreateToken(ctx, sys, t.ID, identity.Role(role), name, "")
			if err != nil {
				return cliFault("token create", err)
			}
		}
		if e.cfg.JSON {
			return printJSON(io.Stdout, map[string]any{"id": tok.Ref, "name": tok.Name, "role": tok.Role, "account": tok.Account, "tenant": t.Slug, "secret": secret})
		}
		fmt.Fprintf(io.Stdout, "%s\n", secret)
		if tok.Personal() {
			fmt.Fprintf(io.Stderr, "personal token %s (%s) acting as %s (%s) in %s created; the secret above is shown only once\n", tok.Ref, tok.Name, account, tok.Account, t.Slug)
		} else {
			fmt.Fprintf(io.Stderr, "integration token %s (%s, role %s) for %s created; the secret above is shown only once\n", tok.Ref, tok.Name, tok.Role, t.Slug)
		}
		return nil
	case "list":
		toks, err := e.identity.Tokens(ctx, sys, t.ID)
		if err != nil {
			return err
		}
		if e.cfg.JSON {
			return printJSON(io.Stdout, toks)
		}
		tw := tabwriter.NewWriter(io.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tROLE / ACCOUNT\tCREATED\tREVOKED")
		for _, k := range toks {
			rev := ""
			if k.RevokedAt != nil {
				rev = k.RevokedAt.Format("2006-01-02 15:04")
			}
			who := string(k.Role)
			if k.Personal() {
				who = k.Account + " " + k.AccountName
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.Ref, k.Name, who, k.CreatedAt.Format("2006-01-02 15:04"), rev)
		}
		return tw.Flush()
	case "revoke":
		if len(pos) != 2 {
			return cli.Usagef("token revoke needs the token's ID or name")
		}
		if err := e.identity.RevokeToken(ctx, sys, t.ID, pos[1]); err != nil {
			if !errors.Is(err, fault.ErrNotFound) {
				return err
			}
			fmt.Fprintf(io.Stderr, "token %s: not found or already revoked\n", pos[1])
			return cli.ErrNegative
		}
		fmt.Fprintf(io.Stderr, "token %s revoked\n", pos[1])
		return nil
	}
	return cli.Usagef("token: unknown subcommand %q (create, list, revoke)", pos[0])
}

// cell fits a value into a table cell: one line, at most n characters.
func cell(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	if s == "" {
		return "-"
	}
	return s
}

// cliFault turns a refused input into a usage error (exit 2) naming each
// field and code; other errors pass unchanged.
func cliFault(op string, err error) error {
	v, ok := fault.AsValidation(err)
	if !ok {
		return err
	}
	var parts []string
	for _, fe := range v.Errors {
		parts = append(parts, fe.Field+": "+fe.Code)
	}
	return cli.Usagef("%s: %s", op, strings.Join(parts, "; "))
}

func runAudit(ctx context.Context, io IO, args []string) error {
	limit := 100
	e, pos, err := openCmd(ctx, "audit", args, io, func(fs *flag.FlagSet) {
		fs.IntVar(&limit, "limit", limit, "list: number of newest entries (1–100000)")
	})
	if err != nil {
		return err
	}
	defer e.close()
	if len(pos) != 1 {
		return cli.Usagef("audit: say verify or list")
	}
	t, err := e.tenant(ctx)
	if err != nil {
		return err
	}
	switch pos[0] {
	case "verify":
		res, err := audit.Verify(ctx, e.db, t.ID)
		if err != nil {
			return err
		}
		if e.cfg.JSON {
			printJSON(io.Stdout, res)
		} else if res.OK {
			fmt.Fprintf(io.Stdout, "audit chain of %s intact: %d entries\n", t.Slug, res.Checked)
		} else {
			fmt.Fprintf(io.Stdout, "audit chain of %s BROKEN after %d intact entries: %s\n", t.Slug, res.Checked, res.Reason)
			if b := res.Broken; b != nil {
				fmt.Fprintf(io.Stdout, "first broken entry: seq %d at %s by %s: %s %s %s\n", b.Seq, b.At.Format("2006-01-02T15:04:05Z07:00"), b.Actor, b.Action, b.ObjectType, b.ObjectRef)
			}
		}
		if !res.OK {
			return cli.ErrNegative
		}
		return nil
	case "list":
		if limit < 1 || limit > 100000 {
			return cli.Usagef("audit list: --limit must be between 1 and 100000")
		}
		list, err := audit.List(ctx, e.db, t.ID, limit)
		if err != nil {
			return err
		}
		if e.cfg.JSON {
			return printJSON(io.Stdout, list)
		}
		tw := tabwriter.NewWriter(io.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SEQ\tAT (UTC)\tACTOR\tACTION\tOBJECT")
		for _, en := range list {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", en.Seq, en.At.UTC().Format("2006-01-02 15:04:05"), cell(en.Actor, 24), cell(en.Action, 32), cell(strings.TrimSpace(en.ObjectType+" "+en.ObjectRef), 40))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(io.Stderr, "the newest %d entries of %s (--json for every field)\n", len(list), t.Slug)
		return nil
	}
	return cli.Usagef("audit: unknown subcommand %q (verify, list)", pos[0])
}

func runJobs(ctx context.Context, io IO, args []string) error {
	var status string
	e, pos, err := openCmd(ctx, "jobs", args, io, func(fs *flag.FlagSet) {
		fs.StringVar(&status, "status", "dead", "queued, running, done or dead")
	})
	if err != nil {
		return err
	}
	defer e.close()
	if len(pos) == 0 {
		return cli.Usagef("jobs: say list or retry")
	}
	switch pos[0] {
	case "list":
		list, err := jobs.List(ctx, e.db, status, 500)
		if err != nil {
			return err
		}
		if e.cfg.JSON {
			return printJSON(io.Stdout, list)
		}
		if len(list) == 0 {
			fmt.Fprintf(io.Stdout, "no %s jobs\n", status)
			return nil
		}
		tw := tabwriter.NewWriter(io.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "KIND\tKEY\tSTATUS\tATTEMPTS\tRUN AT (UTC)\tLAST ERROR")
		for _, j := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d/%d\t%s\t%s\n", j.Kind, cell(j.Key, 40), j.Status, j.Attempts, j.MaxAttempts, j.RunAt.UTC().Format("2006-01-02 15:04:05"), cell(j.LastError, 60))
		}
		return tw.Flush()
	case "retry":
		if len(pos) != 3 {
			return cli.Usagef("jobs retry KIND KEY")
		}
		if err := jobs.Retry(ctx, e.db, pos[1], pos[2]); err != nil {
			fmt.Fprintf(io.Stderr, "%v\n", err)
			return cli.ErrNegative
		}
		return nil
	}
	return cli.Usagef("jobs: unknown subcommand %q", pos[0])
}

func runBackup(ctx context.Context, io IO, args []string) error {
	var out string
	var byRef bool
	e, pos, err := openCmd(ctx, "backup", args, io, func(fs *flag.FlagSet) {
		fs.StringVar(&out, "out", "", "archive `file` to write (.tar.gz)")
		fs.BoolVar(&byRef, "blobs-by-reference", false, "list the blobs (SHA-256, size) instead of copying them; restore checks them in the store")
	})
	if err != nil {
		return err
	}
	defer e.close()
	if out == "" || len(pos) > 0 {
		return cli.Usagef("backup --out FILE")
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".backup-*")
	if err != nil {
		return cli.Usagef("backup: cannot write %s: %v", out, err)
	}
	defer os.Remove(tmp.Name())
	m, err := backup.CreateWith(ctx, e.db, e.blobs.Backend(), tmp, backup.Options{BlobsByReference: byRef})
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return err
	}
	return summary(io, e.cfg, "backup written to "+out, m)
}

func summary(io IO, cfg config.Config, msg string, m *backup.Manifest) error {
	if cfg.JSON {
		return printJSON(io.Stdout, m)
	}
	rows := 0
	for _, t := range m.Tables {
		rows += t.Rows
	}
	ref := ""
	if m.BlobsByReference {
		ref = " by reference"
	}
	fmt.Fprintf(io.Stdout, "%s: %d tables, %d rows, %d blobs%s, %d bytes (%s, schema %d)\n", msg, len(m.Tables), rows, m.Blobs, ref, m.BlobBytes, m.Dialect, m.Version)
	return nil
}

// runRestore restores an archive into an empty installation. The whole
// archive is read and checked before the installation is opened, so an
// unreadable or broken file exits 2 and creates nothing; a restore that
// fails later rolls back, and a data directory this command created is
// removed again.
func runRestore(ctx context.Context, io IO, args []string) error {
	cfg, pos, err := load("restore", args, io)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return cli.Usagef("restore FILE")
	}
	if err := checkBackup(pos[0]); err != nil {
		return err
	}
	_, statErr := os.Stat(cfg.DataDir)
	created := errors.Is(statErr, os.ErrNotExist)
	e, err := open(ctx, cfg, newLogger(io.Stderr, cfg.LogLevel), clock.System{})
	if err != nil {
		return err
	}
	m, err := restoreFile(ctx, e, pos[0])
	e.close()
	if err != nil {
		if created {
			if rerr := os.RemoveAll(cfg.DataDir); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}
		if errors.Is(err, backup.ErrUnreadable) || errors.Is(err, backup.ErrNotEmpty) {
			return cli.Usagef("%v; nothing restored", err)
		}
		return err
	}
	return summary(io, cfg, "restored from "+pos[0], m)
}

// checkBackup reads the whole archive once: unreadable input is a usage
// error (exit 2) before anything is opened.
func checkBackup(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return cli.Usagef("restore: %v", err)
	}
	defer f.Close()
	if _, err := backup.Check(f); err != nil {
		return cli.Usagef("%s: %v; nothing restored", path, err)
	}
	return nil
}

func restoreFile(ctx context.Context, e *env, path string) (*backup.Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return backup.Restore(ctx, e.db, e.blobs.Backend(), f)
}

// runEinvoice hands the arguments to the e-invoice validator; it needs no
// database (the validator is a pure package).
