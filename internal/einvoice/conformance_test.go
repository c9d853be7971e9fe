package einvoice

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rathaus/rathaus/internal/platform/datasets"
)

// dataDir returns the e-invoice data set, or skips (fails when the data is
// required).
func dataDir(t testing.TB) string {
	t.Helper()
	root, err := datasets.Dir()
	if err == nil {
		dir := filepath.Join(root, "einvoice")
		if _, err = os.Stat(filepath.Join(dir, "dev", "verdicts.jsonl")); err == nil {
			return dir
		}
	}
	if datasets.Required() {
		t.Fatalf("e-invoice data set not found: %v", err)
	}
	t.Skipf("e-invoice data set not found: %v", err)
	return ""
}

type refVerdict struct {
	File       string   `json:"file"`
	Syntax     string   `json:"syntax"`
	Scenario   *string  `json:"scenario"`
	Wellformed bool     `json:"wellformed"`
	XSDValid   *bool    `json:"xsd_valid"`
	Accept     bool     `json:"accept"`
	Errors     []string `json:"errors"`
	Warnings   []string `json:"warnings"`
	Infos      []string `json:"infos"`
}

func readVerdicts(t *testing.T, path string) []refVerdict {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []refVerdict
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var v refVerdict
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// comparable is the part of a verdict that must agree with the reference.
type comparable struct {
	Scenario string
	Accept   bool
	XSDValid bool
	Errors   []string
	Warnings []string
	Infos    []string
}

func norm(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func scenarioName(s *string) string {
	if s == nil {
		return "<null>"
	}
	return *s
}

func readKnownDifferences(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "known_differences.txt"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	known := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		file, reason, _ := strings.Cut(line, " ")
		known[file] = strings.TrimSpace(reason)
	}
	return known
}

// TestConformance compares every verdict with the official pipeline's.
func TestConformance(t *testing.T) {
	dir := dataDir(t)
	known := readKnownDifferences(t)
	seen := map[string]bool{}
	check := func(t *testing.T, key string, want, got comparable) {
		seen[key] = true
		diff := cmp.Diff(want, got)
		_, listed := known[key]
		switch {
		case diff != "" && !listed:
			t.Errorf("%s differs from the reference (-want +got):\n%s", key, diff)
		case diff == "" && listed:
			t.Errorf("%s is listed in known_differences.txt but now agrees: remove it", key)
		}
	}

	t.Run("dev", func(t *testing.T) {
		refs := readVerdicts(t, filepath.Join(dir, "dev", "verdicts.jsonl"))
		agree := 0
		for _, ref := range refs {
			data, err := os.ReadFile(filepath.Join(dir, "dev", ref.File))
			if err != nil {
				t.Fatal(err)
			}
			got := Validate(ref.File, data)
			want := comparable{scenarioName(ref.Scenario), ref.Accept, ref.XSDValid != nil && *ref.XSDValid, norm(ref.Errors), norm(ref.Warnings), norm(ref.Infos)}
			g := comparable{scenarioName(got.Scenario), got.Accept, got.XSDValid, got.Errors, got.Warnings, got.Infos}
			if cmp.Equal(want, g) {
				agree++
			} else if testing.Verbose() && len(got.ProcessingErrors) > 0 {
				t.Logf("%s: processing errors: %v", ref.File, got.ProcessingErrors[:min(3, len(got.ProcessingErrors))])
			}
			check(t, "dev/"+ref.File, want, g)
		}
		t.Logf("dev: %d/%d agree", agree, len(refs))
	})

	t.Run("zugferd-pdf", func(t *testing.T) {
		refs := readVerdicts(t, filepath.Join(dir, "zugferd-pdf", "verdicts.jsonl"))
		agree := 0
		for _, ref := range refs {
			data, err := os.ReadFile(filepath.Join(dir, "zugferd-pdf", ref.File))
			if err != nil {
				t.Fatal(err)
			}
			got := Validate(ref.File, data)
			want := comparable{Scenario: scenarioName(ref.Scenario), Accept: ref.Accept, Errors: norm(ref.Errors), Warnings: norm(ref.Warnings), Infos: []string{}}
			g := comparable{Scenario: scenarioName(got.Scenario), Accept: got.Accept, Errors: got.Errors, Warnings: got.Warnings, Infos: []string{}}
			if cmp.Equal(want, g) {
				agree++
			}
			check(t, "zugferd-pdf/"+ref.File, want, g)
		}
		t.Logf("zugferd-pdf: %d/%d agree", agree, len(refs))
	})

	t.Run("cen-unit", func(t *testing.T) {
		agree, total := 0, 0
		root := filepath.Join(dir, "dev", "cen-unit")
		var files []string
		err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".xml") {
				files = append(files, p)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(files)
		for _, f := range files {
			rel, _ := filepath.Rel(dir, f)
			results, err := cenUnit(f)
			if err != nil {
				t.Errorf("%s: %v", rel, err)
				continue
			}
			for _, r := range results {
				total++
				key := fmt.Sprintf("%s#%d:%s", rel, r.test, r.id)
				want := comparable{Scenario: r.expect}
				got := comparable{Scenario: r.got}
				if r.expect == r.got {
					agree++
				}
				check(t, key, want, got)
			}
		}
		t.Logf("cen-unit: %d/%d agree", agree, total)
	})

	for key := range known {
		if !seen[key] {
			t.Errorf("known_differences.txt lists %s, which is not a checked file", key)
		}
	}
}
