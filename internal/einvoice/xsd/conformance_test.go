package xsd

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rathaus/rathaus/internal/platform/datasets"
)

type verdict struct {
	File       string   `json:"file"`
	Syntax     string   `json:"syntax"`
	Wellformed bool     `json:"wellformed"`
	XSDValid   bool     `json:"xsd_valid"`
	XSDErrors  []string `json:"xsd_errors"`
}

// devDir returns the e-invoice dev data, skipping the test when the data
// sets are absent (failing instead when they are required).
func devDir(t testing.TB) string {
	t.Helper()
	root, err := datasets.Dir()
	if err == nil {
		dir := filepath.Join(root, "einvoice", "dev")
		if _, err = os.Stat(filepath.Join(dir, "verdicts.jsonl")); err == nil {
			return dir
		}
	}
	if datasets.Required() {
		t.Fatalf("e-invoice dev data required: %v", err)
	}
	if !errors.Is(err, datasets.ErrNotFound) {
		t.Logf("dev data: %v", err)
	}
	t.Skip("e-invoice dev data not found")
	return ""
}

// devDirOptional returns the dev data directory or an error, never skipping.
func devDirOptional() (string, error) {
	root, err := datasets.Dir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, "einvoice", "dev")
	_, err = os.Stat(filepath.Join(dir, "verdicts.jsonl"))
	return dir, err
}

func readVerdicts(t testing.TB, dir string) []verdict {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "verdicts.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []verdict
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var v verdict
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

var syntaxSchema = map[string]Schema{
	"ubl-invoice":    UBLInvoice,
	"ubl-creditnote": UBLCreditNote,
	"cii":            CII,
}

// TestConformance compares valid/invalid with the reference verdict of
// every dev file of the three syntaxes.
func TestConformance(t *testing.T) {
	dir := devDir(t)
	type tally struct{ agree, total int }
	counts := map[string]*tally{}
	invalid, sameCodes := 0, 0
	for _, v := range readVerdicts(t, dir) {
		s, ok := syntaxSchema[v.Syntax]
		if !ok {
			continue
		}
		doc, err := os.ReadFile(filepath.Join(dir, v.File))
		if err != nil {
			t.Fatal(err)
		}
		errs := Validate(doc, s)
		c := counts[v.Syntax]
		if c == nil {
			c = &tally{}
			counts[v.Syntax] = c
		}
		c.total++
		if got := len(errs) == 0; got != v.XSDValid {
			t.Errorf("%s: valid = %v, want %v (want codes %v); got %v", v.File, got, v.XSDValid, v.XSDErrors, errs)
			continue
		}
		c.agree++
		if !v.XSDValid {
			// The codes are informative only (wording depends on the
			// validator); log where ours differ from Xerces'.
			invalid++
			if diff := cmp.Diff(v.XSDErrors, codeSet(errs)); diff != "" {
				t.Logf("%s: xsd_errors codes differ (-xerces +ours):\n%s", v.File, diff)
			} else {
				sameCodes++
			}
		}
	}
	for syn, c := range counts {
		t.Logf("%s: %d/%d agree", syn, c.agree, c.total)
	}
	t.Logf("invalid files with the same set of Xerces codes: %d/%d", sameCodes, invalid)
}

func codeSet(errs []Error) []string {
	var out []string
	for _, e := range errs {
		if !slices.Contains(out, e.Code) {
			out = append(out, e.Code)
		}
	}
	slices.Sort(out)
	return out
}
