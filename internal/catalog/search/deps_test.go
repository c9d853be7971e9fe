package search

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestStandsAlone checks the package's contract that it knows nothing of
// services, tenants, storage or HTTP: its code imports only the standard
// library and the Snowball stemmer, nothing of Rathaus.
func TestStandsAlone(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no Go files: %v", err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") && !strings.HasPrefix(path, "github.com/blevesearch/snowballstem") {
				t.Errorf("%s imports %s: the engine depends on the standard library and the stemmer only", name, path)
			}
			if path == "net/http" || path == "database/sql" {
				t.Errorf("%s imports %s: the engine knows nothing of HTTP or storage", name, path)
			}
		}
	}
}
