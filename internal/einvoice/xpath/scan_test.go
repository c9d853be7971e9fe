package xpath

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dump renders a tree for comparisons.
func dump(n *Node, b *strings.Builder) {
	switch n.Kind {
	case ElementNode:
		b.WriteString("<{" + n.Space + "}" + n.Name())
		for _, a := range n.Attrs {
			b.WriteString(" {" + a.Space + "}" + a.Name() + "=" + strings.Join(strings.Fields(a.Value), " "))
		}
		b.WriteString(">")
	case TextNode:
		b.WriteString("T:" + n.Value)
	case CommentNode:
		// encoding/xml does not normalise line ends in comments.
		b.WriteString("C:" + strings.ReplaceAll(n.Value, "\r\n", "\n"))
	case PINode:
		b.WriteString("P:" + n.Local)
	}
	for _, c := range n.Children {
		dump(c, b)
	}
	if n.Kind == ElementNode {
		b.WriteString("</>")
	}
}

func same(t *testing.T, name string, data []byte) {
	t.Helper()
	got, err1 := Parse(data, Limits{})
	want, err2 := parseStd(data, Limits{MaxDepth: 256})
	if (err1 == nil) != (err2 == nil) {
		t.Errorf("%s: Parse error %v, encoding/xml error %v", name, err1, err2)
		return
	}
	if err1 != nil {
		return
	}
	var a, b strings.Builder
	dump(got.Root, &a)
	dump(want.Root, &b)
	if a.String() != b.String() {
		t.Errorf("%s: trees differ", name)
	}
}

// TestParseMatchesEncodingXML compares the scanner with encoding/xml on
// the testdata invoices and hand-made edge cases.
func TestParseMatchesEncodingXML(t *testing.T) {
	files, _ := filepath.Glob("../testdata/*.xml")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		same(t, f, data)
	}
	for _, doc := range []string{
		`<a>x&amp;y&#65;&#x42;<![CDATA[<z>]]><!-- c --><?pi data?></a>`,
		"<a b='1' c=\"2\">\r\n</a>",
		`<?xml version="1.0" encoding="UTF-8"?><a xmlns="urn:x"><b xmlns=""/></a>`,
		`<a><b></a></b>`,
		`<a b="<"/>`,
		`<a>]]></a>`,
		`<a>&#0;</a>`,
		`<1a/>`,
		"<a>\x01</a>",
		"<a>\xff</a>",
	} {
		same(t, doc, []byte(doc))
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("../testdata/*.xml")
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`<a x="1">t<!--c--><?p d?><![CDATA[x]]></a>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := Parse(data, Limits{MaxDepth: 50})
		if err != nil {
			return
		}
		if doc.Element() == nil {
			t.Fatal("parsed document without an element")
		}
	})
}
