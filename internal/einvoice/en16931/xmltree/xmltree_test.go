package xmltree_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rathaus/rathaus/internal/einvoice/en16931/xmltree"
)

func TestParseTree(t *testing.T) {
	const doc = "\xef\xbb\xbf<?xml version=\"1.0\"?>\n<!-- c --><r xmlns=\"urn:r\" xmlns:b=\"urn:b\">" +
		"<b:x id=\"1\"> one </b:x><?pi x?><b:x>two<!-- c --> &amp; more</b:x><y/><b:x b:q=\"z\">3</b:x></r>\n"
	root, err := xmltree.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	xs := root.All("urn:b", "x")
	var texts []string
	for _, x := range xs {
		texts = append(texts, x.Text())
	}
	if diff := cmp.Diff([]string{"one", "two & more", "3"}, texts); diff != "" {
		t.Errorf("texts (-want +got):\n%s", diff)
	}
	if got := root.Child("urn:b", "x").AttrValue("id"); got != "1" {
		t.Errorf("id = %q", got)
	}
	if got := xs[2].AttrValue("q"); got != "" {
		t.Errorf("qualified attribute read as unqualified: %q", got)
	}
	if root.Child("urn:r", "x") != nil || root.Child("urn:b", "y") != nil {
		t.Error("Child matched a name in another namespace")
	}
	var none *xmltree.Element
	if none.Child("a", "b").Child("c", "d").Text() != "" || none.All("a", "b") != nil {
		t.Error("nil element lookups")
	}
	prefix := func(s string) string {
		if s == "urn:b" {
			return "b"
		}
		return ""
	}
	if got, want := xs[1].Path(prefix), "/r/b:x[2]"; got != want {
		t.Errorf("Path = %q, want %q", got, want)
	}
	if got, want := root.Child("urn:r", "y").Path(prefix), "/r/y"; got != want {
		t.Errorf("Path = %q, want %q", got, want)
	}
}

func TestParseLimits(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  error
	}{
		{"100 levels", strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100), nil},
		{"101 levels", strings.Repeat("<a>", 101) + strings.Repeat("</a>", 101), xmltree.ErrTooDeep},
		{"many elements", "<r>" + strings.Repeat("<a/>", xmltree.MaxNodes) + "</r>", xmltree.ErrTooLarge},
		{"many attributes", "<r>" + strings.Repeat(`<a x="" y="" z=""/>`, xmltree.MaxNodes/4+1) + "</r>", xmltree.ErrTooLarge},
		{"many namespace declarations", "<r" + manyAttrs("xmlns:p", xmltree.MaxBindings+1, "urn:x") + "/>", xmltree.ErrTooLarge},
		{"many attributes on one element", "<r" + manyAttrs("a", xmltree.MaxNodes-1, "v") + "/>", nil},
		{"repeated among many attributes", "<r" + manyAttrs("a", 100, "v") + ` a1="again"/>`, xmltree.ErrNotWellFormed},
		{"size", "<r>" + strings.Repeat(" ", xmltree.MaxSize) + "</r>", xmltree.ErrTooLarge},
		{"doctype", "<!DOCTYPE r><r/>", xmltree.ErrDTD},
		{"entity decl inside", "<r><!ENTITY x \"y\"></r>", xmltree.ErrDTD},
		{"text after root", "<r/>x", xmltree.ErrNotWellFormed},
		{"text before root", "x<r/>", xmltree.ErrNotWellFormed},
		{"two roots", "<r/><r/>", xmltree.ErrNotWellFormed},
		{"no root", "<!-- only -->", xmltree.ErrNotWellFormed},
		{"bad utf-8", "<r>\xff</r>", xmltree.ErrNotWellFormed},
		{"undeclared element prefix", "<x:r/>", xmltree.ErrNotWellFormed},
		{"undeclared attribute prefix", `<r x:a="1"/>`, xmltree.ErrNotWellFormed},
		{"prefix out of scope", `<r><a xmlns:x="urn:x"/><x:b/></r>`, xmltree.ErrNotWellFormed},
		{"empty prefix binding", `<r xmlns:x=""/>`, xmltree.ErrNotWellFormed},
		{"duplicate attribute", `<r a="1" a="2"/>`, xmltree.ErrNotWellFormed},
		{"duplicate resolved attribute", `<r xmlns:x="urn:u" xmlns:y="urn:u" x:a="1" y:a="2"/>`, xmltree.ErrNotWellFormed},
		{"end tag with other prefix", `<x:r xmlns:x="urn:u" xmlns:y="urn:u"></y:r>`, xmltree.ErrNotWellFormed},
		{"late XML declaration", `<r/><?xml version="1.0"?>`, xmltree.ErrNotWellFormed},
		{"second XML declaration", `<?xml version="1.0"?><?xml version="1.0"?><r/>`, xmltree.ErrNotWellFormed},
		{"space before XML declaration", ` <?xml version="1.0"?><r/>`, xmltree.ErrNotWellFormed},
		{"default namespace undeclared", `<r xmlns="urn:r"><a xmlns=""/></r>`, nil},
		{"utf-16 declared", `<?xml version="1.0" encoding="UTF-16"?><r/>`, xmltree.ErrNotWellFormed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root, err := xmltree.Parse([]byte(tt.input))
			if !errors.Is(err, tt.want) || (err == nil) != (root != nil) {
				t.Errorf("Parse: root %v, error %v; want error %v", root != nil, err, tt.want)
			}
		})
	}
}

func TestBase64(t *testing.T) {
	root, err := xmltree.Parse([]byte("<r><a>aGVs\n bG8=</a><b>!!</b></r>"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := root.Child("", "a").Base64()
	if err != nil || string(got) != "hello" {
		t.Errorf("Base64 = %q, %v", got, err)
	}
	if _, err := root.Child("", "b").Base64(); err == nil {
		t.Error("invalid base64 accepted")
	}
}

// manyAttrs returns n attributes " name0="v" name1="v" ...".
func manyAttrs(name string, n int, value string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, ` %s%d="%s"`, name, i, value)
	}
	return b.String()
}
