package xsd

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

// wellFormed reports whether Validate found the document well-formed
// (whatever its schema validity).
func wellFormed(doc []byte) bool {
	for _, e := range Validate(doc, CII) {
		switch e.Code {
		case CodeNotWellFormed, CodeDoctype, CodeLimit:
			return false
		}
	}
	return true
}

func TestWellFormed(t *testing.T) {
	tests := []struct {
		doc  string
		want bool
	}{
		{`<a/>`, true},
		{`<?xml version="1.0"?><a/>`, true},
		{`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n<a/>\n<!-- c -->\n<?pi x?>\n", true},
		{` <?xml version="1.0"?><a/>`, false},
		{`<?xml encoding="UTF-8"?><a/>`, false},
		{`<?xml version="1.0" standalone="yes" encoding="UTF-8"?><a/>`, false},
		{`<?xml version="1.0" encoding="EBCDIC-XY"?><a/>`, false},
		{`<?xml version="1.0" encoding="UTF8"?><a/>`, true}, // the JDK takes Java names too
		{`<?xml version="1.0" encoding="UTF-8-W/O-BOM"?><a/>`, false},
		{`<?xml version="1.0" encoding="UTF-16"?><a/>`, false},
		{`<?xml version="1.0" encoding="utf-8"?><a/>`, true},
		{`<?xml version="1.0" encoding='ISO-8859-15'?><a>` + "\xa4" + `</a>`, true},
		{`<a/><?xml version="1.0"?>`, false},
		{`<a><?XML x?></a>`, false},
		{`<a><?pi ok?></a>`, true},
		{`<a>x &lt; &gt; &amp; &apos; &quot; &#65; &#x42;</a>`, true},
		{`<a>&nbsp;</a>`, false},
		{`<a>&#0;</a>`, false},
		{`<a>&#xD800;</a>`, false},
		{`<a>&#x;</a>`, false},
		{`<a>& b</a>`, false},
		{`<a>]]></a>`, false},
		{`<a><![CDATA[ <x> ]] & ]]></a>`, true},
		{`<![CDATA[x]]><a/>`, false},
		{`<a><!-- a - b --></a>`, true},
		{`<a><!-- a -- b --></a>`, false},
		{`<a><!-- a ---></a>`, false},
		{"<a>\x01</a>", false},
		{"<a>\xff</a>", false},
		{"<a\xff/>", false},
		{"<a b\xff='1'/>", false},
		{"<a>\uFFFE</a>", false},
		{`<a b="1" c='2'/>`, true},
		{`<a b="1"c="2"/>`, false},
		{`<a b="1" b="2"/>`, false},
		{`<a b=1/>`, false},
		{`<a b="<"/>`, false},
		{`<a b="&unknown;"/>`, false},
		{`<a b="x&#10;y"/>`, true},
		{`<a/ >`, false},
		{`<a></b>`, false},
		{`<a></a >`, true},
		{`<a><b></a></b>`, false},
		{`<a>`, false},
		{`</a>`, false},
		{`<a/><b/>`, false},
		{`<a/>x`, false},
		{`x<a/>`, false},
		{``, false},
		{`<1a/>`, false},
		{`<a:b:c/>`, false},
		{`<:a/>`, false},
		{`<x:a/>`, false},
		{`<x:a xmlns:x="urn:x"/>`, true},
		{`<a xmlns:x=""/>`, false},
		{`<a xmlns:xml="urn:x"/>`, false},
		{`<a xmlns:xml="http://www.w3.org/XML/1998/namespace"/>`, true},
		{`<a x:b="1"/>`, false},
		{`<a xml:lang="de"/>`, true},
		{`<ä/>`, true},
		{`<!DOCTYPE a><a/>`, false},
		{`<!ELEMENT a ANY><a/>`, false},
		{"\xef\xbb\xbf<a/>", true},
		{"\xfe\xff\x00<\x00a\x00/\x00>", true},
		{"\xff\xfe<\x00a\x00/\x00>\x00", true},
		{`<?xml version="1.0" encoding="windows-1252"?><a>` + "\x80" + `</a>`, true},
	}
	for _, tt := range tests {
		if got := wellFormed([]byte(tt.doc)); got != tt.want {
			t.Errorf("%q: well-formed = %v, want %v (errors %v)", tt.doc, got, tt.want, Validate([]byte(tt.doc), CII))
		}
	}
}

func TestLineCol(t *testing.T) {
	doc := "<?xml version=\"1.0\"?>\n<a>\n  <b>x</c>\n</a>"
	errs := Validate([]byte(doc), CII)
	last := errs[len(errs)-1]
	if got, want := (Error{Line: last.Line, Col: last.Col, Code: last.Code}), (Error{Line: 3, Col: 7, Code: CodeNotWellFormed}); got != want {
		t.Errorf("last error %v, want %v", got, want)
	}
}

// stdWellFormed is encoding/xml's opinion, with the checks it leaves out
// (prefix binding) added.
func stdWellFormed(doc []byte) bool {
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = true
	d.CharsetReader = func(label string, r io.Reader) (io.Reader, error) { return r, nil }
	roots := 0
	depth := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return roots == 1 && depth == 0
		}
		if err != nil {
			return false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				return false
			}
		case xml.Directive:
			return false
		}
	}
}

// FuzzWellFormed compares our scanner with encoding/xml: a document we
// accept must be accepted by encoding/xml too (ours is the stricter one:
// it also checks what Xerces checks and encoding/xml does not).
func FuzzWellFormed(f *testing.F) {
	f.Add([]byte(ublInvoice))
	f.Add([]byte(`<a b="1"><![CDATA[x]]>&amp;&#x41;<!--c--><?p?></a>`))
	f.Add([]byte(`<x:a xmlns:x="urn:x" x:b='&lt;'>t</x:a>`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		if !utf8Valid(doc) || strings.Contains(string(doc), "encoding") {
			return // encoding/xml and we transcode differently
		}
		if wellFormed(doc) && !stdWellFormed(doc) {
			t.Fatalf("we accept, encoding/xml rejects: %q", doc)
		}
	})
}

func utf8Valid(b []byte) bool { return strings.ToValidUTF8(string(b), "\x00") == string(b) }
