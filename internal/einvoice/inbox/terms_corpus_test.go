package inbox

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode"

	"github.com/rathaus/rathaus/internal/einvoice/cii"
	"github.com/rathaus/rathaus/internal/einvoice/en16931"
	"github.com/rathaus/rathaus/internal/einvoice/ubl"
)

// TestEveryTermHasAGermanLabel: the readable view shows every value of the
// model; each must carry its business term number or a German label — a
// value shown under its model path ("delivery.address.city") is a term the
// view does not know. Checked on the repository's sample invoices, and on
// every invoice of the shared data sets when RATHAUS_DATASETS is set.
func TestEveryTermHasAGermanLabel(t *testing.T) {
	files, _ := filepath.Glob("../testdata/*.xml")
	if dir := os.Getenv("RATHAUS_DATASETS"); dir != "" {
		filepath.WalkDir(filepath.Join(dir, "einvoice", "dev"), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".xml") {
				files = append(files, p)
			}
			return nil
		})
	}
	unlabelled := map[string][]string{}
	read := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc *en16931.Invoice
		switch {
		case bytes.Contains(b[:min(len(b), 4000)], []byte("CrossIndustryInvoice")):
			doc, err = cii.Parse(b)
		case bytes.Contains(b[:min(len(b), 4000)], []byte("urn:oasis:names:specification:ubl:schema:xsd:")):
			doc, err = ubl.Parse(b)
		default:
			continue
		}
		if err != nil || doc == nil {
			continue // not an invoice the model reads (schema tests, mutants)
		}
		read++
		for _, g := range Terms(doc) {
			for _, r := range g.Rows {
				if r.Term == "" && (r.Label == "" || !unicode.IsUpper([]rune(r.Label)[0])) {
					k := g.Title + ": " + r.Label
					unlabelled[k] = append(unlabelled[k], filepath.Base(f))
				}
			}
		}
	}
	if read == 0 {
		t.Fatal("no invoice read")
	}
	var keys []string
	for k := range unlabelled {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Errorf("%s: shown without a term or German label (%d files, e.g. %s)", k, len(unlabelled[k]), unlabelled[k][0])
	}
	t.Logf("%d invoices read", read)
}
