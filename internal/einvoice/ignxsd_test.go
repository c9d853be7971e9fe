package einvoice

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRulesIgnoringXSD runs the rules also on schema-invalid files and
// compares them with the reference's rules_ignoring_xsd: a wider check of
// the rule engine, including rule sets that fail at run time (values that
// cannot be cast), where the reference reports nothing for that rule set.
func TestRulesIgnoringXSD(t *testing.T) {
	dir := dataDir(t)
	f, err := os.Open(filepath.Join(dir, "dev", "verdicts.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	agree, total := 0, 0
	for sc.Scan() {
		var ref struct {
			File  string `json:"file"`
			Rules *struct {
				Errors     []string `json:"errors"`
				Warnings   []string `json:"warnings"`
				Infos      []string `json:"infos"`
				Processing []string `json:"processing_errors"`
			} `json:"rules_ignoring_xsd"`
		}
		if err := json.Unmarshal(sc.Bytes(), &ref); err != nil {
			t.Fatal(err)
		}
		if ref.Rules == nil {
			continue
		}
		total++
		data, err := os.ReadFile(filepath.Join(dir, "dev", ref.File))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := parse(data)
		if err != nil {
			t.Errorf("%s: %v", ref.File, err)
			continue
		}
		s, _ := selectScenario(doc)
		v := newVerdict(ref.File)
		runRules(&v, doc, s)
		want := [][]string{norm(ref.Rules.Errors), norm(ref.Rules.Warnings), norm(ref.Rules.Infos), {fmt.Sprint(len(ref.Rules.Processing) > 0)}}
		got := [][]string{v.Errors, v.Warnings, v.Infos, {fmt.Sprint(len(v.ProcessingErrors) > 0)}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (processing errors: ref %d, ours %d) (-want +got; the last row: processing error):\n%s", ref.File, len(ref.Rules.Processing), len(v.ProcessingErrors), diff)
		} else {
			agree++
		}
	}
	t.Logf("rules ignoring XSD: %d/%d agree", agree, total)
}
