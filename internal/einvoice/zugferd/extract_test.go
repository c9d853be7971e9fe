package zugferd

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/rathaus/rathaus/internal/platform/datasets"
)

type pdfVerdict struct {
	File       string  `json:"file"`
	Attachment *string `json:"attachment"`
	Wellformed *bool   `json:"wellformed"`
}

func pdfDir(t testing.TB) string {
	t.Helper()
	root, err := datasets.Dir()
	if err == nil {
		dir := filepath.Join(root, "einvoice", "zugferd-pdf")
		if _, err = os.Stat(filepath.Join(dir, "verdicts.jsonl")); err == nil {
			return dir
		}
	}
	if datasets.Required() {
		t.Fatalf("ZUGFeRD PDF data required: %v", err)
	}
	t.Skip("ZUGFeRD PDF data not found")
	return ""
}

func readPDFVerdicts(t testing.TB, dir string) []pdfVerdict {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "verdicts.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []pdfVerdict
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var v pdfVerdict
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

// wellFormed reports whether x parses as XML (encoding/xml, any encoding
// label accepted as UTF-8 compatible is not enough: unknown labels fail).
func wellFormed(x []byte) bool {
	d := xml.NewDecoder(bytes.NewReader(bytes.TrimPrefix(x, []byte("\xef\xbb\xbf"))))
	d.Strict = true
	root := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return root
		}
		if err != nil {
			return false
		}
		if _, ok := tok.(xml.StartElement); ok {
			root = true
		}
	}
}

func TestExtractCorpus(t *testing.T) {
	dir := pdfDir(t)
	vs := readPDFVerdicts(t, dir)
	ok := 0
	for _, v := range vs {
		pdf, err := os.ReadFile(filepath.Join(dir, v.File))
		if err != nil {
			t.Fatal(err)
		}
		att, err := Extract(pdf)
		if v.Attachment == nil {
			if !errors.Is(err, ErrNoAttachment) {
				t.Errorf("%s: got %q, %v; want ErrNoAttachment", v.File, att.Name, err)
				continue
			}
			ok++
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", v.File, err)
			continue
		}
		if att.Name != *v.Attachment {
			t.Errorf("%s: attachment %q, want %q", v.File, att.Name, *v.Attachment)
			continue
		}
		if v.Wellformed != nil && wellFormed(att.XML) != *v.Wellformed {
			t.Errorf("%s: well-formed = %v, want %v", v.File, !*v.Wellformed, *v.Wellformed)
			continue
		}
		ok++
	}
	t.Logf("%d/%d PDFs agree", ok, len(vs))
}
