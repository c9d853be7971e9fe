package zugferd

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

var seedFiles = []struct {
	file     string
	wantName string // "" = ErrNoAttachment
}{
	{"python-factur-x.pdf", "factur-x.xml"},
	{"unstructured-no-xml.pdf", ""},
}

func TestExtractSeeds(t *testing.T) {
	for _, s := range seedFiles {
		pdf, err := os.ReadFile(filepath.Join("testdata", s.file))
		if err != nil {
			t.Fatal(err)
		}
		att, err := Extract(pdf)
		if s.wantName == "" {
			if !errors.Is(err, ErrNoAttachment) {
				t.Errorf("%s: got %q, %v; want ErrNoAttachment", s.file, att.Name, err)
			}
			continue
		}
		if err != nil || att.Name != s.wantName || !wellFormed(att.XML) {
			t.Errorf("%s: got %q (well-formed %v), %v; want %q", s.file, att.Name, wellFormed(att.XML), err, s.wantName)
		}
	}
}

// FuzzExtract: no input may panic, hang or give an error of another kind.
func FuzzExtract(f *testing.F) {
	for _, s := range seedFiles {
		pdf, err := os.ReadFile(filepath.Join("testdata", s.file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(pdf)
	}
	f.Add(simplePDF("factur-x.xml"))
	f.Add(objStmPDF())
	f.Fuzz(func(t *testing.T, pdf []byte) {
		att, err := Extract(pdf)
		if err != nil {
			if !errors.Is(err, ErrInvalidPDF) && !errors.Is(err, ErrNoAttachment) {
				t.Fatalf("error of unexpected kind: %v", err)
			}
			if errors.Is(err, ErrInvalidPDF) && err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if att.Name == "" || len(att.XML) > MaxXMLSize {
			t.Fatalf("bad attachment: name %q, %d bytes", att.Name, len(att.XML))
		}
	})
}
