package einvoice

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/rathaus/rathaus/internal/platform/cli"
)

const usage = "usage: rathaus einvoice validate [--json] PATH...\n" +
	"  PATH is an XML or PDF invoice, or a directory searched recursively for .xml and .pdf files.\n" +
	"  --json  print one JSON object per file (JSON Lines)\n"

// Command runs "rathaus einvoice ARGS...". It returns nil when every file
// is accepted, cli.ErrNegative when any is rejected, and a *cli.UsageError
// for bad flags or an unreadable path.
func Command(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return cli.Usagef("einvoice: missing subcommand")
	}
	switch args[0] {
	case "validate":
		return validateCommand(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return cli.Usagef("einvoice: unknown subcommand %q", args[0])
}

func validateCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	asJSON := false
	var paths []string
	flags := true
	for _, a := range args {
		switch {
		case flags && a == "--":
			flags = false
		case flags && (a == "--json" || a == "-json"):
			asJSON = true
		case flags && (a == "-h" || a == "--help"):
			fmt.Fprint(stdout, usage)
			return nil
		case flags && strings.HasPrefix(a, "-") && a != "-":
			fmt.Fprint(stderr, usage)
			return cli.Usagef("einvoice validate: unknown flag %s", a)
		default:
			paths = append(paths, a)
		}
	}
	if len(paths) == 0 {
		fmt.Fprint(stderr, usage)
		return cli.Usagef("einvoice validate: no PATH given")
	}
	files, err := expand(paths)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the workers when we return early
	verdicts := validateAll(ctx, files)
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	rejected := 0
	for i, ch := range verdicts {
		var r result
		select {
		case r = <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		if r.err != nil {
			return cli.Usagef("einvoice validate: %s: %v", files[i], r.err)
		}
		if !r.v.Accept {
			rejected++
		}
		if asJSON {
			if err := enc.Encode(r.v); err != nil {
				return err
			}
			continue
		}
		if err := writeHuman(stdout, r.v); err != nil {
			return err
		}
	}
	if rejected > 0 {
		if !asJSON {
			fmt.Fprintf(stdout, "%d of %d files rejected\n", rejected, len(files))
		}
		return cli.ErrNegative
	}
	return nil
}

// expand turns the PATH arguments into files: files as given, directories
// searched recursively for .xml and .pdf files in lexical order.
func expand(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, cli.Usagef("einvoice validate: cannot read %s: %v", p, errorText(err))
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type().IsRegular() {
				switch strings.ToLower(filepath.Ext(path)) {
				case ".xml", ".pdf":
					found = append(found, path)
				}
			}
			return nil
		})
		if err != nil {
			return nil, cli.Usagef("einvoice validate: cannot read %s: %v", p, errorText(err))
		}
		slices.Sort(found)
		files = append(files, found...)
	}
	return files, nil
}

func errorText(err error) string {
	var pe *fs.PathError
	if e, ok := err.(*fs.PathError); ok {
		pe = e
		return pe.Err.Error()
	}
	return err.Error()
}

type result struct {
	v   Verdict
	err error
}

// validateAll validates the files on all cores; the i-th channel delivers
// the i-th file's verdict, so output keeps the argument order.
func validateAll(ctx context.Context, files []string) []chan result {
	out := make([]chan result, len(files))
	for i := range out {
		out[i] = make(chan result, 1)
	}
	jobs := make(chan int)
	workers := min(runtime.GOMAXPROCS(0), len(files))
	for range workers {
		go func() {
			for i := range jobs {
				data, err := readLimited(files[i])
				if err != nil {
					out[i] <- result{err: err}
					continue
				}
				out[i] <- result{v: Validate(files[i], data)}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := range files {
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// readLimited reads a file, but no more than MaxSize+1 bytes (Validate
// rejects anything larger).
func readLimited(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("%s", errorText(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s", errorText(err))
	}
	return data, nil
}

func writeHuman(w io.Writer, v Verdict) error {
	status := "REJECTED"
	if v.Accept {
		status = "ACCEPTED"
	}
	detail := v.Syntax
	if v.Scenario != nil {
		detail = *v.Scenario
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s  %s  [%s]", status, v.File, detail)
	if n := len(v.Errors) + len(v.Warnings) + len(v.Infos); n > 0 {
		fmt.Fprintf(&b, "  %d errors, %d warnings, %d infos", len(v.Errors), len(v.Warnings), len(v.Infos))
	}
	b.WriteByte('\n')
	if v.Reason != "" {
		fmt.Fprintf(&b, "  reason: %s\n", v.Reason)
	}
	for _, p := range v.ProcessingErrors {
		fmt.Fprintf(&b, "  processing error: %s\n", p)
	}
	for _, m := range v.Messages {
		if m.ID == "XML" || m.ID == "PDF" {
			continue // already given as the reason
		}
		fmt.Fprintf(&b, "  %-11s %s at %s: %s\n", m.Level, m.ID, m.Location, m.Text)
		if m.TextDE != "" {
			fmt.Fprintf(&b, "              Hinweis: %s\n", m.TextDE)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
