package einvoice

// A differential test against the reference processor itself: the
// embedded schematron files are turned into plain XSLT 2.0 (one mode per
// pattern, one template per rule with decreasing priority, an xsl:if per
// assert or report), Saxon-HE 9.9 runs them over generated variants of the
// dev invoices, and the fired rule ids (or the failure of a rule set) must
// be those of our engine. It runs only with RATHAUS_SAXON_JAR set to a
// Saxon-HE jar (Debian: /usr/share/java/Saxon-HE.jar) and java on PATH.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rathaus/rathaus/internal/einvoice/rules"
	"github.com/rathaus/rathaus/internal/einvoice/xpath"
)

const (
	schNS = "http://purl.oclc.org/dsdl/schematron"
	xslNS = "http://www.w3.org/1999/XSL/Transform"
)

func xmlEscape(s string, attr bool) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	if attr {
		r = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "\n", "&#10;", "\r", "&#13;", "\t", "&#9;")
	}
	return r.Replace(s)
}

// serialize writes n as XML. Namespaces are declared where an element's or
// attribute's binding differs from the one in scope.
func serialize(b *strings.Builder, n *xpath.Node, scope map[string]string) {
	switch n.Kind {
	case xpath.DocumentNode:
		for _, c := range n.Children {
			serialize(b, c, scope)
		}
	case xpath.TextNode:
		b.WriteString(xmlEscape(n.Value, false))
	case xpath.CommentNode:
		b.WriteString("<!--" + n.Value + "-->")
	case xpath.PINode:
		b.WriteString("<?" + n.Local + " " + n.Value + "?>")
	case xpath.ElementNode:
		inner := scope
		copied := false
		decl := func(prefix, uri string) {
			if inner[prefix] == uri {
				return
			}
			if !copied {
				inner = maps.Clone(scope)
				copied = true
			}
			inner[prefix] = uri
			if prefix == "" {
				fmt.Fprintf(b, ` xmlns="%s"`, xmlEscape(uri, true))
			} else {
				fmt.Fprintf(b, ` xmlns:%s="%s"`, prefix, xmlEscape(uri, true))
			}
		}
		b.WriteString("<" + n.Name())
		decl(n.Prefix, n.Space)
		for _, a := range n.Attrs {
			if a.Prefix != "" && a.Prefix != "xml" {
				decl(a.Prefix, a.Space)
			}
			fmt.Fprintf(b, ` %s="%s"`, a.Name(), xmlEscape(a.Value, true))
		}
		b.WriteString(">")
		for _, c := range n.Children {
			serialize(b, c, inner)
		}
		b.WriteString("</" + n.Name() + ">")
	}
}

func xmlString(n *xpath.Node) string {
	var b strings.Builder
	serialize(&b, n, map[string]string{"": "", "xml": "http://www.w3.org/XML/1998/namespace"})
	return b.String()
}

func schAttr(n *xpath.Node, name string) string { return attrOf(n, name) }

func schElements(n *xpath.Node) []*xpath.Node {
	var out []*xpath.Node
	for _, c := range n.Children {
		if c.Kind == xpath.ElementNode {
			out = append(out, c)
		}
	}
	return out
}

// schematronToXSLT turns a schematron file into an XSLT 2.0 stylesheet
// printing "ID|flag" for every fired assert or report.
func schematronToXSLT(t *testing.T, file string) string {
	t.Helper()
	load := func(name string) *xpath.Node {
		data, err := rules.FS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := xpath.Parse(data, xpath.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		return doc.Element()
	}
	root := load(file)
	var items []*xpath.Node
	for _, c := range schElements(root) {
		if c.Space == schNS && c.Local == "include" {
			items = append(items, load(filepath.Join(filepath.Dir(file), filepath.Base(schAttr(c, "href")))))
			continue
		}
		items = append(items, c)
	}
	ns := map[string]string{"xs": "http://www.w3.org/2001/XMLSchema", "u": "utils"}
	for _, c := range items {
		if c.Space == schNS && c.Local == "ns" {
			ns[schAttr(c, "prefix")] = schAttr(c, "uri")
		}
	}
	var b strings.Builder
	b.WriteString(`<xsl:stylesheet version="2.0" xmlns:xsl="` + xslNS + `"`)
	for p, u := range ns {
		fmt.Fprintf(&b, ` xmlns:%s="%s"`, p, xmlEscape(u, true))
	}
	b.WriteString(">\n<xsl:output method=\"text\"/>\n")
	variable := func(l *xpath.Node) {
		fmt.Fprintf(&b, "<xsl:variable name=\"%s\" select=\"%s\"/>\n", xmlEscape(schAttr(l, "name"), true), xmlEscape(schAttr(l, "value"), true))
	}
	var patterns []*xpath.Node
	for _, c := range items {
		switch {
		case c.Space == xslNS && c.Local == "function":
			b.WriteString(xmlString(c) + "\n")
		case c.Space == schNS && c.Local == "let":
			variable(c)
		case c.Space == schNS && c.Local == "pattern":
			for _, l := range schElements(c) {
				if l.Local == "let" {
					variable(l)
				}
			}
			patterns = append(patterns, c)
		}
	}
	b.WriteString("<xsl:template match=\"/\">\n")
	for i := range patterns {
		fmt.Fprintf(&b, "<xsl:apply-templates select=\"/\" mode=\"M%d\"/>\n", i)
	}
	b.WriteString("</xsl:template>\n")
	for i, p := range patterns {
		prio := 1000
		for _, r := range schElements(p) {
			if r.Local != "rule" {
				continue
			}
			fmt.Fprintf(&b, "<xsl:template match=\"%s\" priority=\"%d\" mode=\"M%d\">\n", xmlEscape(schAttr(r, "context"), true), prio, i)
			prio--
			for _, a := range schElements(r) {
				switch a.Local {
				case "let":
					variable(a)
				case "assert", "report":
					test := "not(" + schAttr(a, "test") + ")"
					if a.Local == "report" {
						test = "(" + schAttr(a, "test") + ")"
					}
					flag := schAttr(a, "flag")
					if flag == "" {
						flag = "error"
					}
					fmt.Fprintf(&b, "<xsl:if test=\"%s\"><xsl:text>%s|%s&#10;</xsl:text></xsl:if>\n", xmlEscape(test, true), schAttr(a, "id"), flag)
				}
			}
			fmt.Fprintf(&b, "<xsl:apply-templates select=\"*\" mode=\"M%d\"/>\n</xsl:template>\n", i)
		}
		fmt.Fprintf(&b, "<xsl:template match=\"text()\" priority=\"-1\" mode=\"M%d\"/>\n", i)
		fmt.Fprintf(&b, "<xsl:template match=\"@*|node()\" priority=\"-2\" mode=\"M%d\"><xsl:apply-templates select=\"*\" mode=\"M%d\"/></xsl:template>\n", i, i)
	}
	b.WriteString("</xsl:stylesheet>\n")
	return b.String()
}

var (
	numberRE = regexp.MustCompile(`^-?[0-9.]+$`)
	dateRE   = regexp.MustCompile(`^(\d{4}-\d\d-\d\d|\d{8})$`)
	codes    = []string{"S", "Z", "E", "AE", "K", "G", "O", "L", "M", "B", "VAT", "EUR", "USD", "HUF", "380", "381", "384", "326", "58", "30", "49", "59", "57", "DE", "FR", "IT", "GR", "EL", "NO", "0088", "0204", "9930", "EM", "XR01", "C62", "H87", "ZZZ", "true", "false", "1", "0", ""}
	numbers  = []string{"0", "0.00", "1", "-1", "100.00", "19", "7", "0.001", "12.345", "99999999.99", "-0.01", "1e3", "abc", " 5 ", "19.00", "16", "5.5"}
	dates    = []string{"2024-01-01", "2024-02-30", "20240101", "2023-12-31", "2025-06-15", "2024-01-01Z", "x"}
)

var specIDs = []string{
	"urn:cen.eu:en16931:2017",
	"urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0",
	"urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0#conformant#urn:xeinkauf.de:kosit:extension:xrechnung_3.0",
	"urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0#compliant#urn:xeinkauf.de:kosit:xrechnung:cvd_0.9",
}

// mutate changes one to three random leaves or elements of doc, and now
// and then its specification identifier (to reach the Extension and CVD
// rules).
func mutate(doc *xpath.Document, rng *rand.Rand) {
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	if rng.IntN(4) == 0 {
		for _, e := range doc.Elements {
			if e.Local == "CustomizationID" || (e.Local == "ID" && e.Parent.Local == "GuidelineSpecifiedDocumentContextParameter") {
				e.Children = []*xpath.Node{{Kind: xpath.TextNode, Value: pick(specIDs), Parent: e}}
				break
			}
		}
	}
	for range 1 + rng.IntN(3) {
		var leaves, inner []*xpath.Node
		var walk func(n *xpath.Node)
		walk = func(n *xpath.Node) {
			hasEl := false
			for _, c := range n.Children {
				if c.Kind == xpath.ElementNode {
					hasEl = true
					walk(c)
				}
			}
			if n.Kind == xpath.ElementNode && n.Parent.Kind == xpath.ElementNode {
				if hasEl {
					inner = append(inner, n)
				} else {
					leaves = append(leaves, n)
				}
			}
		}
		walk(doc.Root)
		if len(leaves) == 0 {
			return
		}
		e := leaves[rng.IntN(len(leaves))]
		text := strings.TrimSpace(e.StringValue())
		setText := func(s string) {
			e.Children = []*xpath.Node{{Kind: xpath.TextNode, Value: s, Parent: e}}
		}
		remove := func(n *xpath.Node) {
			p := n.Parent
			p.Children = slices.DeleteFunc(slices.Clone(p.Children), func(c *xpath.Node) bool { return c == n })
		}
		switch op := rng.Float64(); {
		case op < 0.3:
			switch {
			case numberRE.MatchString(text):
				setText(pick(numbers))
			case dateRE.MatchString(text):
				setText(pick(dates))
			default:
				setText(pick(codes))
			}
		case op < 0.45:
			remove(e)
		case op < 0.6:
			p := e.Parent
			i := slices.Index(p.Children, e)
			p.Children = slices.Insert(slices.Clone(p.Children), i+1, e)
		case op < 0.7:
			setText(pick([]string{"", " ", " " + text + " ", "\n" + text}))
		case op < 0.85 && len(e.Attrs) > 0:
			a := e.Attrs[rng.IntN(len(e.Attrs))]
			a.Value = pick(codes)
		default:
			if len(inner) > 0 {
				remove(inner[rng.IntN(len(inner))])
			}
		}
	}
}

func TestSaxonDifferential(t *testing.T) {
	jar := os.Getenv("RATHAUS_SAXON_JAR")
	if jar == "" {
		t.Skip("RATHAUS_SAXON_JAR not set")
	}
	dir := dataDir(t)
	work := t.TempDir()
	sets := map[string]string{
		"cen-ubl": ruleSetFiles["EN16931-UBL-validation.xsl"],
		"cen-cii": ruleSetFiles["EN16931-CII-validation.xsl"],
		"xr-ubl":  ruleSetFiles["XRechnung-UBL-validation.xsl"],
		"xr-cii":  ruleSetFiles["XRechnung-CII-validation.xsl"],
	}
	// Bases: the schema-valid dev invoices with a scenario.
	f, err := os.Open(filepath.Join(dir, "dev", "verdicts.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var bases []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var v refVerdict
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		if v.Scenario != nil && v.XSDValid != nil && *v.XSDValid && !strings.HasPrefix(v.File, "mutants/") {
			bases = append(bases, v.File)
		}
	}
	f.Close()
	in := filepath.Join(work, "in")
	os.MkdirAll(in, 0o755)
	// RATHAUS_SAXON_VARIANTS (per base invoice, default 4) and
	// RATHAUS_SAXON_SEED widen the search.
	per, seed := 4, uint64(1)
	if s := os.Getenv("RATHAUS_SAXON_VARIANTS"); s != "" {
		fmt.Sscan(s, &per)
	}
	if s := os.Getenv("RATHAUS_SAXON_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	rng := rand.New(rand.NewPCG(seed, 2))
	n := 0
	for _, b := range bases {
		data, err := os.ReadFile(filepath.Join(dir, "dev", b))
		if err != nil {
			t.Fatal(err)
		}
		for range per {
			doc, err := xpath.Parse(data, xpath.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			mutate(doc, rng)
			n++
			os.WriteFile(filepath.Join(in, fmt.Sprintf("m%05d.xml", n)), []byte(xmlString(doc.Root)), 0o644)
		}
	}
	agree, failedBoth, total := 0, 0, 0
	for name, file := range sets {
		xsl := filepath.Join(work, name+".xsl")
		os.WriteFile(xsl, []byte(schematronToXSLT(t, file)), 0o644)
		out := filepath.Join(work, "out-"+name)
		if err := os.MkdirAll(out, 0o755); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("java", "-cp", jar, "net.sf.saxon.Transform", "-s:"+in, "-o:"+out, "-xsl:"+xsl)
		log, _ := cmd.CombinedOutput()
		failed := map[string]bool{}
		for _, m := range regexp.MustCompile(`While processing (m\d+\.xml)`).FindAllStringSubmatch(string(log), -1) {
			failed[m[1]] = true
		}
		files, _ := filepath.Glob(filepath.Join(in, "*.xml"))
		for _, p := range files {
			base := filepath.Base(p)
			data, _ := os.ReadFile(p)
			doc, err := parse(data)
			if err != nil {
				t.Fatalf("%s: %v", base, err)
			}
			res, err := runSchema(file, doc)
			if err != nil {
				t.Fatal(err)
			}
			total++
			if failed[base] || len(res.Errors) > 0 {
				if failed[base] && len(res.Errors) > 0 {
					failedBoth++
					agree++
					continue
				}
				t.Errorf("%s %s: Saxon failed %v, ours failed %v", name, base, failed[base], res.Errors)
				continue
			}
			var got []string
			for _, f := range res.Firings {
				got = append(got, f.Check.ID+"|"+f.Check.Flag)
			}
			slices.Sort(got)
			got = slices.Compact(got)
			ref, err := os.ReadFile(filepath.Join(out, base))
			if err != nil {
				t.Fatalf("%s %s: no Saxon output: %v\n%s", name, base, err, log)
			}
			want := strings.Fields(string(ref))
			slices.Sort(want)
			want = slices.Compact(want)
			if diff := cmp.Diff(want, got, cmpEmpty); diff != "" {
				t.Errorf("%s %s (-saxon +ours):\n%s", name, base, diff)
				continue
			}
			agree++
		}
	}
	t.Logf("Saxon differential: %d/%d rule-set runs agree (%d variants, %d runs failed in both)", agree, total, n, failedBoth)
}

var cmpEmpty = cmp.Transformer("empty", func(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
})
