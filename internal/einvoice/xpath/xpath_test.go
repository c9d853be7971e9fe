package xpath

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const sampleDoc = `<?xml version="1.0"?>
<inv:Invoice xmlns:inv="urn:inv" xmlns:cbc="urn:cbc" xmlns:cac="urn:cac">
  <cbc:ID>  A-1  </cbc:ID>
  <cbc:Amount currencyID="EUR">10.10</cbc:Amount>
  <cbc:Amount currencyID="EUR">0.20</cbc:Amount>
  <cbc:Flag>true</cbc:Flag>
  <cbc:Date>2024-02-29</cbc:Date>
  <cac:Line><cbc:ID>1</cbc:ID><cbc:Qty>3</cbc:Qty></cac:Line>
  <cac:Line><cbc:ID>2</cbc:ID><cbc:Qty>1e1</cbc:Qty></cac:Line>
  <cbc:Empty/>
</inv:Invoice>`

func evalString(t *testing.T, doc *Document, src string) (string, error) {
	t.Helper()
	sc := &StaticContext{Namespaces: map[string]string{"inv": "urn:inv", "cbc": "urn:cbc", "cac": "urn:cac", "xs": xsNS}}
	x, err := Compile(src, sc)
	if err != nil {
		return "", err
	}
	v, err := x.Eval(&Context{Item: doc.Element(), Pos: 1, Size: 1})
	if err != nil {
		return "", err
	}
	parts := make([]string, len(v))
	for i, it := range v {
		switch x := it.(type) {
		case *Node:
			parts[i] = "<" + x.Name() + ">"
		default:
			parts[i] = StringOf(x)
		}
	}
	return strings.Join(parts, "|"), nil
}

func TestEval(t *testing.T) {
	doc, err := Parse([]byte(sampleDoc), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ expr, want string }{
		// Paths, axes, predicates.
		{"cac:Line/cbc:ID", "<cbc:ID>|<cbc:ID>"},
		{"//cbc:ID", "<cbc:ID>|<cbc:ID>|<cbc:ID>"},
		{"cac:Line[2]/cbc:ID/string()", "2"},
		{"cac:Line[last()]/cbc:Qty/string()", "1e1"},
		{"(//cbc:ID)[1]/normalize-space()", "A-1"},
		{"cac:Line/cbc:ID[. = '2']/../cbc:Qty/string()", "1e1"},
		{"cbc:Amount/@currencyID/string()", "EUR|EUR"},
		{"count(//@currencyID)", "2"},
		{"cac:Line[1]/following-sibling::cac:Line/cbc:ID/string()", "2"},
		{"cac:Line[2]/preceding-sibling::*[1]/name()", "cac:Line"},
		{"cac:Line[2]/cbc:ID/ancestor::*[1]/name()", "cac:Line"},
		{"count(cac:Line[2]/cbc:ID/preceding::cbc:ID)", "2"},
		{"name(//*[not(*) and not(normalize-space())])", "cbc:Empty"},
		{"local-name(/*)", "Invoice"},
		// General comparisons: untyped against numbers is xs:double.
		{"cbc:Amount = 0.2", "true"},
		{"cbc:Amount > 10", "true"},
		{"cac:Line/cbc:Qty = 10", "true"},
		{"cbc:Amount = '0.2'", "false"},
		{"cbc:Flag = true()", "true"},
		{"cbc:Date < xs:date('2024-03-01')", "true"},
		{"cbc:ID = 'A-1'", "false"},
		{"normalize-space(cbc:ID) = ('X', 'A-1')", "true"},
		{"'a' != ('a', 'b')", "true"},
		// Arithmetic: decimals are exact, untyped values are doubles.
		{"sum(cbc:Amount)", "10.299999999999999"},
		{"sum(cbc:Amount/xs:decimal(.))", "10.3"},
		{"xs:decimal('0.1') + xs:decimal('0.2') = xs:decimal('0.3')", "true"},
		{"0.1 + 0.2", "0.3"},
		{"1 div 3", "0.333333333333333333"},
		{"7 idiv 2", "3"},
		{"-7 mod 3", "-1"},
		{"round(2.5)", "3"},
		{"round(-2.5)", "-2"},
		{"round(xs:decimal('1.005') * 100) div 100", "1.01"},
		{"abs(-1.50)", "1.5"},
		{"xs:decimal('-0012.3400') + xs:decimal('+.5')", "-11.84"},
		{"xs:decimal('123456789012345678901234.5') - 1", "123456789012345678901233.5"},
		{"xs:decimal('0.0000000000000000000001') * 10", "0.000000000000000000001"},
		{"2 * 3 - 1", "5"},
		{"number('x') = number('x')", "false"},
		{"xs:integer('12345678901234567890123') mod 97", "19"},
		// Strings.
		{"substring('12345', 0, 3)", "12"},
		{"substring('12345', 2)", "2345"},
		{"string-length('äöü')", "3"},
		{"upper-case('straße')", "STRASSE"},
		{"translate('abc', 'ab', 'A')", "Ac"},
		{"substring-after('1.234', '.')", "234"},
		{"concat('a', 1, true())", "a1true"},
		{"string-join(('a', 'b'), '-')", "a-b"},
		{"tokenize('a b  c', '\\s+')", "a|b|c"},
		{"tokenize('#A#B#', '#')", "|A|B|"},
		{"replace('DE 12 34', '\\s', '')", "DE1234"},
		{"matches('AB12', '^[A-Z]{2}[0-9]+$')", "true"},
		{"matches('x@y.de', '^[^@\\s]+@([^@.\\s]+\\.)+[^@.\\s]+$')", "true"},
		{"string-to-codepoints('AB')", "65|66"},
		{"codepoints-to-string((72, 105))", "Hi"},
		{"distinct-values(('a', 'b', 'a'))", "a|b"},
		{"reverse((1, 2, 3))", "3|2|1"},
		// Control flow.
		{"if (cbc:Empty) then 'yes' else 'no'", "yes"},
		{"for $i in (1, 2) return $i * 2", "2|4"},
		{"some $l in cac:Line satisfies $l/cbc:ID = '2'", "true"},
		{"every $l in cac:Line satisfies $l/cbc:Qty > 2", "true"},
		{"1 to 3", "1|2|3"},
		// Casts.
		{"'12' castable as xs:integer", "true"},
		{"'1.5' castable as xs:integer", "false"},
		{"() castable as xs:integer?", "true"},
		{"xs:decimal(cbc:Amount[1]) * 3", "30.3"},
		{"xs:date('2024-02-30') = xs:date('2024-03-01')", "ERR"},
		{"exists(cbc:Missing)", "false"},
		{"empty(cbc:Missing)", "true"},
		{"xs:decimal(cbc:Missing) = 0", "false"},
		{"string(1.0E7)", "1.0E7"},
		{"string(xs:double('0.5'))", "0.5"},
		// Errors that Saxon raises too.
		{"cbc:Amount = 'x' + 1", "ERR"},
		{"cac:Line/cbc:ID = 1 and xs:decimal('abc')", "ERR"},
	}
	for _, tt := range tests {
		got, err := evalString(t, doc, tt.expr)
		if err != nil {
			got = "ERR"
			if tt.want != "ERR" {
				t.Errorf("%s: %v", tt.expr, err)
				continue
			}
		}
		if got != tt.want {
			t.Errorf("%s = %q, want %q", tt.expr, got, tt.want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	sc := &StaticContext{Namespaces: map[string]string{"xs": xsNS}}
	for _, src := range []string{"", "1 +", "foo(", "u:f()", "'abc", "a[", "unknown-fn(1)", "xs:foo('1')"} {
		if _, err := Compile(src, sc); err == nil {
			t.Errorf("Compile(%q) succeeded, want an error", src)
		}
	}
}

func TestCompilePattern(t *testing.T) {
	doc, err := Parse([]byte(sampleDoc), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	sc := &StaticContext{Namespaces: map[string]string{"inv": "urn:inv", "cbc": "urn:cbc", "cac": "urn:cac", "xs": xsNS}}
	tests := []struct {
		pattern string
		want    []string
	}{
		{"cbc:ID", []string{"/inv:Invoice[1]/cbc:ID[1]", "/inv:Invoice[1]/cac:Line[1]/cbc:ID[1]", "/inv:Invoice[1]/cac:Line[2]/cbc:ID[1]"}},
		{"cac:Line/cbc:ID", []string{"/inv:Invoice[1]/cac:Line[1]/cbc:ID[1]", "/inv:Invoice[1]/cac:Line[2]/cbc:ID[1]"}},
		{"/inv:Invoice/cbc:ID | cbc:Qty[. = 3]", []string{"/inv:Invoice[1]/cbc:ID[1]", "/inv:Invoice[1]/cac:Line[1]/cbc:Qty[1]"}},
		{"cac:Line[1]", []string{"/inv:Invoice[1]/cac:Line[1]"}},
		// A predicate that fails to evaluate means "no match", not an
		// error: "2" cannot be cast to xs:boolean, "1" can.
		{"cac:Line[cbc:ID = true()]", []string{"/inv:Invoice[1]/cac:Line[1]"}},
		{"(/inv:Invoice/cac:Line)/cbc:Qty", []string{"/inv:Invoice[1]/cac:Line[1]/cbc:Qty[1]", "/inv:Invoice[1]/cac:Line[2]/cbc:Qty[1]"}},
	}
	for _, tt := range tests {
		x, err := CompilePattern(tt.pattern, sc)
		if err != nil {
			t.Errorf("%s: %v", tt.pattern, err)
			continue
		}
		v, err := x.EvalPattern(&Context{Item: doc.Root, Pos: 1, Size: 1})
		if err != nil {
			t.Errorf("%s: %v", tt.pattern, err)
			continue
		}
		var got []string
		for _, it := range v {
			got = append(got, it.(*Node).Path())
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.pattern, diff)
		}
	}
}

func TestParseEncodings(t *testing.T) {
	tests := []struct {
		name string
		doc  []byte
		want string
	}{
		{"UTF-8 BOM", []byte("\xEF\xBB\xBF<a>ä</a>"), "ä"},
		{"ISO-8859-1", []byte("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>\xE4</a>"), "ä"},
		{"windows-1252", []byte("<?xml version='1.0' encoding='windows-1252'?><a>\x80</a>"), "€"},
		{"ISO-8859-15", []byte("<?xml version=\"1.0\" encoding=\"ISO-8859-15\"?><a>\xA4</a>"), "€"},
		{"UTF-16LE", []byte("\xFF\xFE<\x00a\x00>\x00\xE4\x00<\x00/\x00a\x00>\x00"), "ä"},
		{"XML 1.1", []byte(`<?xml version="1.1"?><a>x</a>`), "x"},
		{"line ends", []byte("<a>1\r\n2\r3</a>"), "1\n2\n3"},
	}
	for _, tt := range tests {
		doc, err := Parse(tt.doc, Limits{})
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got := doc.Element().StringValue(); got != tt.want {
			t.Errorf("%s: text %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct{ name, doc string }{
		{"DTD", `<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>`},
		{"undefined entity", `<a>&x;</a>`},
		{"mismatched tags", `<a></b>`},
		{"two roots", `<a/><b/>`},
		{"undeclared prefix", `<p:a/>`},
		{"text after root", `<a/>x`},
		{"duplicate attribute", `<a x="1" x="2"/>`},
		{"deep", strings.Repeat("<a>", 20) + strings.Repeat("</a>", 20)},
		{"empty", ``},
		{"attributes without white space", `<a b="1"c="2"/>`},
		{"unsupported encoding", `<?xml version="1.0" encoding="EBCDIC"?><a/>`},
	}
	for _, tt := range tests {
		if _, err := Parse([]byte(tt.doc), Limits{MaxDepth: 10}); err == nil {
			t.Errorf("%s: Parse succeeded, want an error", tt.name)
		}
	}
}

func FuzzCompile(f *testing.F) {
	for _, s := range []string{"a/b[1]", "sum(//x) div 2", "for $i in 1 to 3 return $i", "if (a) then b else c", "'x' castable as xs:integer"} {
		f.Add(s)
	}
	doc, err := Parse([]byte(sampleDoc), Limits{})
	if err != nil {
		f.Fatal(err)
	}
	sc := &StaticContext{Namespaces: map[string]string{"cbc": "urn:cbc", "cac": "urn:cac", "xs": xsNS}}
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > 200 {
			return
		}
		x, err := Compile(src, sc)
		if err != nil {
			return
		}
		if strings.Contains(src, " to ") || strings.Contains(src, "for ") {
			return // ranges can be large by design
		}
		x.Eval(&Context{Item: doc.Element(), Pos: 1, Size: 1})
	})
}

func TestBudget(t *testing.T) {
	doc, err := Parse([]byte("<r>"+strings.Repeat("<a>x</a>", 300)+"</r>"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	x, err := Compile("count(//a[not(preceding::a/. = .)])", &StaticContext{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		units int64
		want  error
	}{
		{10_000, ErrBudget},
		{10_000_000, nil},
	}
	for _, tt := range tests {
		c := &Context{Item: doc.Root, Pos: 1, Size: 1, Budget: &Budget{Units: tt.units}}
		_, err := x.Eval(c)
		if err != tt.want {
			t.Errorf("budget %d: err = %v, want %v", tt.units, err, tt.want)
		}
	}
}
