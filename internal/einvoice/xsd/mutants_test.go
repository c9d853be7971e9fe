package xsd

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestXercesMutants compares Validate with the JDK's Xerces-based validator
// on mutants of the schema-valid dev files: each mutant deletes, repeats,
// swaps, renames or re-prefixes an element, or changes a value or an
// attribute. The oracle's verdicts are committed in
// testdata/xerces-mutants.tsv; regenerate them (needs java) with
//
//	go test ./internal/einvoice/xsd -run TestXercesMutants -update-xerces
//
// Valid versus invalid must agree; differing error codes are counted.
func TestXercesMutants(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: generates and validates thousands of mutants")
	}
	dir := devDir(t)
	ms := genMutants(t, dir)
	golden := filepath.Join("testdata", "xerces-mutants.tsv")
	if *updateXerces {
		writeXercesGolden(t, ms, golden)
		return
	}
	f, err := os.Open(golden)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	i, agree, sameCodes, invalid := 0, 0, 0, 0
	for sc.Scan() {
		// index, hash, base file, mutation, codes
		p := strings.Split(sc.Text(), "\t")
		if len(p) != 5 || i >= len(ms) {
			t.Fatalf("golden line %d malformed or more lines than mutants", i+1)
		}
		m := ms[i]
		i++
		if p[1] != m.hash {
			t.Fatalf("mutant %d (%s, %s) differs from the golden file: dev data or mutation code changed; regenerate with -update-xerces", i, m.base, m.what)
		}
		errs := Validate(m.doc, m.schema)
		want := p[4]
		if (want == "") != (len(errs) == 0) {
			t.Errorf("mutant %d (%s: %s): Xerces %q, ours %v", i, m.base, m.what, want, errs)
			continue
		}
		agree++
		if want == "" {
			continue
		}
		invalid++
		got := strings.Join(codeSet(errs), ",")
		if want == "FATAL" && (got == CodeNotWellFormed || got == CodeDoctype) || got == want {
			sameCodes++
		} else {
			t.Logf("mutant %d (%s: %s): codes differ: Xerces %q, ours %q", i, m.base, m.what, want, got)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if i != len(ms) {
		t.Fatalf("golden file has %d lines, %d mutants", i, len(ms))
	}
	t.Logf("%d/%d mutants agree with Xerces on validity; same error codes on %d/%d invalid ones", agree, len(ms), sameCodes, invalid)
}

var updateXerces = flag.Bool("update-xerces", false, "regenerate testdata/xerces-mutants.tsv with the JDK's validator (needs java)")

func writeXercesGolden(t *testing.T, ms []mutant, golden string) {
	tmp := t.TempDir()
	var list bytes.Buffer
	names := map[Schema]string{UBLInvoice: "inv", UBLCreditNote: "cn", CII: "cii"}
	for i, m := range ms {
		name := filepath.Join(tmp, fmt.Sprintf("m%05d.xml", i))
		if err := os.WriteFile(name, m.doc, 0o644); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&list, "%s\t%s\n", names[m.schema], name)
	}
	schemas, err := filepath.Abs("schemas")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("java", filepath.Join("testdata", "xerces", "Xerces.java"), schemas)
	cmd.Stdin = &list
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("java: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(ms) {
		t.Fatalf("java gave %d lines for %d mutants", len(lines), len(ms))
	}
	var b bytes.Buffer
	for i, m := range ms {
		_, codes, _ := strings.Cut(lines[i], "\t")
		fmt.Fprintf(&b, "%d\t%s\t%s\t%s\t%s\n", i+1, m.hash, m.base, m.what, codes)
	}
	if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %d Xerces verdicts to %s", len(ms), golden)
}

type mutant struct {
	base, what, hash string
	schema           Schema
	doc              []byte
}

// genMutants makes mutantsPerFile mutants of every schema-valid dev file,
// deterministically (fixed seed, files in verdict order).
func genMutants(t *testing.T, dir string) []mutant {
	const mutantsPerFile = 2
	r := rand.New(rand.NewSource(7))
	var out []mutant
	for _, v := range readVerdicts(t, dir) {
		s, ok := syntaxSchema[v.Syntax]
		if !ok || !v.XSDValid {
			continue
		}
		doc, err := os.ReadFile(filepath.Join(dir, v.File))
		if err != nil {
			t.Fatal(err)
		}
		orig, err := mparse(doc)
		if err != nil {
			t.Fatalf("%s: %v", v.File, err)
		}
		for k := 0; k < mutantsPerFile; k++ {
			root := orig.clone()
			what, ok := "", false
			for tries := 0; tries < 20 && !ok; tries++ {
				what, ok = mutate(r, root)
			}
			if !ok {
				continue
			}
			var b bytes.Buffer
			b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>`)
			mwrite(&b, root)
			h := sha256.Sum256(b.Bytes())
			out = append(out, mutant{base: v.File, what: what, hash: hex.EncodeToString(h[:8]), schema: s, doc: b.Bytes()})
		}
	}
	return out
}

// mnode is a plain element tree of a test document, with names as written.
type mnode struct {
	name  xml.Name
	attrs []xml.Attr
	kids  []any // *mnode or string (text); comments and PIs are dropped
}

func mparse(doc []byte) (*mnode, error) {
	d := xml.NewDecoder(bytes.NewReader(doc))
	var stack []*mnode
	var root *mnode
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			return root, nil
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &mnode{name: t.Name, attrs: append([]xml.Attr(nil), t.Attr...)}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, string(t))
			}
		}
	}
}

func rawName(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}

func mwrite(b *bytes.Buffer, n *mnode) {
	b.WriteString("<" + rawName(n.name))
	for _, a := range n.attrs {
		b.WriteString(" " + rawName(a.Name) + `="`)
		xml.EscapeText(b, []byte(a.Value))
		b.WriteString(`"`)
	}
	b.WriteString(">")
	for _, k := range n.kids {
		switch k := k.(type) {
		case *mnode:
			mwrite(b, k)
		case string:
			xml.EscapeText(b, []byte(k))
		}
	}
	b.WriteString("</" + rawName(n.name) + ">")
}

func (n *mnode) clone() *mnode {
	c := &mnode{name: n.name, attrs: append([]xml.Attr(nil), n.attrs...)}
	for _, k := range n.kids {
		if m, ok := k.(*mnode); ok {
			c.kids = append(c.kids, m.clone())
		} else {
			c.kids = append(c.kids, k)
		}
	}
	return c
}

type mloc struct {
	parent *mnode
	idx    int
}

func collect(n *mnode, out *[]mloc) {
	for i, k := range n.kids {
		if m, ok := k.(*mnode); ok {
			*out = append(*out, mloc{n, i})
			collect(m, out)
		}
	}
}

func isLeaf(n *mnode) bool {
	for _, k := range n.kids {
		if _, ok := k.(*mnode); ok {
			return false
		}
	}
	return true
}

// mvalues are the replacement values: edge cases of the datatypes used.
var mvalues = []string{"", " ", "abc", "1,5", "1.5", "-0", "+.5", "1e3", "2024-02-30", "2024-02-29", "2023-02-29", "2024-1-01",
	"2024-01-01Z", "2024-01-01+01:00", "2024-01-01T10:00:00", "10:00:00", "10:00", "true", "TRUE", "0", "1", "EUR", "http://x/a b",
	"urn:", "a[1]", "%zz", "SGVsbG8=", "SGVsbG8", "SGVsbG9=", " 12 ", "12.", ".", "INF", "9999999999999999999999", "x y", "\t1\n",
	"2024-01-01T24:00:00", "2024-13-01", "0000-01-01", "-2024-01-01", "de", "de_DE", "#a#b", "mailto:x@y", "P1D", "NaN", "1 2"}

// mutate applies one random change to the tree and describes it; false
// when the chosen change does not apply to the chosen element.
func mutate(r *rand.Rand, root *mnode) (string, bool) {
	var locs []mloc
	collect(root, &locs)
	if len(locs) == 0 {
		return "", false
	}
	l := locs[r.Intn(len(locs))]
	n := l.parent.kids[l.idx].(*mnode)
	switch r.Intn(12) {
	case 0:
		l.parent.kids = append(l.parent.kids[:l.idx:l.idx], l.parent.kids[l.idx+1:]...)
		return "delete " + rawName(n.name), true
	case 1:
		kids := append([]any(nil), l.parent.kids[:l.idx+1]...)
		kids = append(kids, n.clone())
		l.parent.kids = append(kids, l.parent.kids[l.idx+1:]...)
		return "repeat " + rawName(n.name), true
	case 2:
		for j := l.idx + 1; j < len(l.parent.kids); j++ {
			if _, ok := l.parent.kids[j].(*mnode); ok {
				l.parent.kids[l.idx], l.parent.kids[j] = l.parent.kids[j], l.parent.kids[l.idx]
				return "swap " + rawName(n.name) + " with next", true
			}
		}
		return "", false
	case 3, 4:
		if !isLeaf(n) {
			return "", false
		}
		v := mvalues[r.Intn(len(mvalues))]
		n.kids = []any{v}
		return fmt.Sprintf("value of %s = %q", rawName(n.name), v), true
	case 5:
		if len(n.attrs) == 0 {
			return "", false
		}
		i := r.Intn(len(n.attrs))
		a := n.attrs[i]
		n.attrs = append(n.attrs[:i:i], n.attrs[i+1:]...)
		return "remove attribute " + rawName(a.Name) + " of " + rawName(n.name), true
	case 6:
		names := []string{"foo", "currencyID", "schemeID", "unitCode", "listID", "mimeCode", "filename", "languageID", "format", "xml:lang", "xsi:nil", "xsi:type"}
		nm := names[r.Intn(len(names))]
		for _, a := range n.attrs {
			if rawName(a.Name) == nm {
				return "", false
			}
		}
		pfx, local, ok := strings.Cut(nm, ":")
		if !ok {
			pfx, local = "", nm
		}
		v := mvalues[r.Intn(len(mvalues))]
		if nm == "xsi:type" {
			v = []string{"cbc:IDType", "udt:IDType", "xsd:string", "cbc:AmountType", "foo"}[r.Intn(5)]
		}
		n.attrs = append(n.attrs, xml.Attr{Name: xml.Name{Space: pfx, Local: local}, Value: v})
		return fmt.Sprintf("add attribute %s=%q to %s", nm, v, rawName(n.name)), true
	case 7:
		if len(n.attrs) == 0 {
			return "", false
		}
		i := r.Intn(len(n.attrs))
		if n.attrs[i].Name.Space == "xmlns" || n.attrs[i].Name.Local == "xmlns" {
			return "", false
		}
		v := mvalues[r.Intn(len(mvalues))]
		n.attrs[i].Value = v
		return fmt.Sprintf("attribute %s of %s = %q", rawName(n.attrs[i].Name), rawName(n.name), v), true
	case 8:
		if isLeaf(n) {
			return "", false
		}
		n.kids = append(n.kids, "stray")
		return "text in " + rawName(n.name), true
	case 9:
		n.name.Local += "X"
		return "rename to " + rawName(n.name), true
	case 10:
		if !isLeaf(n) {
			return "", false
		}
		n.kids = append(n.kids, &mnode{name: n.name})
		return "child element in " + rawName(n.name), true
	case 11:
		switch n.name.Space {
		case "cbc":
			n.name.Space = "cac"
		case "cac":
			n.name.Space = "cbc"
		case "ram":
			n.name.Space = "rsm"
		default:
			return "", false
		}
		return "prefix to " + rawName(n.name), true
	}
	return "", false
}
