package einvoice

import (
	"fmt"
	"path"
	"strings"
	"sync"

	"github.com/rathaus/rathaus/internal/einvoice/rules"
	"github.com/rathaus/rathaus/internal/einvoice/schematron"
	"github.com/rathaus/rathaus/internal/einvoice/xpath"
	"github.com/rathaus/rathaus/internal/einvoice/xsd"
)

const scenariosNS = "http://www.xoev.de/de/validator/framework/1/scenarios"

// scenario is one entry of the KoSIT configuration (rules/scenarios.xml).
type scenario struct {
	Name     string
	match    *xpath.Expr
	schema   xsd.Schema
	ruleSets []string // embedded .sch files, in order
	levels   map[string]string
}

// ruleSetFiles maps the configuration's stylesheet names to the embedded
// schematron sources they are compiled from.
var ruleSetFiles = map[string]string{
	"EN16931-UBL-validation.xsl":   "cen-1.3.15/EN16931-UBL-validation-preprocessed.sch",
	"EN16931-CII-validation.xsl":   "cen-1.3.15/EN16931-CII-validation-preprocessed.sch",
	"XRechnung-UBL-validation.xsl": "xrechnung-2.5.0/XRechnung-UBL-validation.sch",
	"XRechnung-CII-validation.xsl": "xrechnung-2.5.0/XRechnung-CII-validation.sch",
}

var schemaFiles = map[string]xsd.Schema{
	"UBL-Invoice-2.1.xsd":               xsd.UBLInvoice,
	"UBL-CreditNote-2.1.xsd":            xsd.UBLCreditNote,
	"CrossIndustryInvoice_100pD16B.xsd": xsd.CII,
}

var loadScenarios = sync.OnceValues(func() ([]*scenario, error) {
	data, err := rules.FS.ReadFile("scenarios.xml")
	if err != nil {
		return nil, err
	}
	doc, err := xpath.Parse(data, xpath.Limits{})
	if err != nil {
		return nil, fmt.Errorf("scenarios.xml: %w", err)
	}
	var out []*scenario
	for _, s := range children(doc.Element(), "scenario") {
		sc := &scenario{levels: map[string]string{}}
		static := &xpath.StaticContext{Namespaces: map[string]string{}}
		for _, c := range elementsOf(s) {
			switch c.Local {
			case "name":
				sc.Name = strings.TrimSpace(c.StringValue())
			case "namespace":
				static.Namespaces[attrOf(c, "prefix")] = strings.TrimSpace(c.StringValue())
			case "validateWithXmlSchema":
				for _, r := range children(c, "resource") {
					for _, l := range children(r, "location") {
						sc.schema = schemaFiles[path.Base(strings.TrimSpace(l.StringValue()))]
					}
				}
			case "validateWithSchematron":
				for _, r := range children(c, "resource") {
					for _, l := range children(r, "location") {
						f, ok := ruleSetFiles[path.Base(strings.TrimSpace(l.StringValue()))]
						if !ok {
							return nil, fmt.Errorf("scenario %q: unknown rule set %s", sc.Name, l.StringValue())
						}
						sc.ruleSets = append(sc.ruleSets, f)
					}
				}
			case "createReport":
				for _, l := range children(c, "customLevel") {
					sc.levels[strings.TrimSpace(l.StringValue())] = attrOf(l, "level")
				}
			}
		}
		for _, c := range children(s, "match") {
			e, err := xpath.Compile(strings.TrimSpace(c.StringValue()), static)
			if err != nil {
				return nil, fmt.Errorf("scenario %q: %w", sc.Name, err)
			}
			sc.match = e
		}
		if sc.match == nil || sc.schema == 0 {
			return nil, fmt.Errorf("scenario %q: incomplete", sc.Name)
		}
		out = append(out, sc)
	}
	return out, nil
})

func elementsOf(n *xpath.Node) []*xpath.Node {
	var out []*xpath.Node
	if n == nil {
		return nil
	}
	for _, c := range n.Children {
		if c.Kind == xpath.ElementNode && c.Space == scenariosNS {
			out = append(out, c)
		}
	}
	return out
}

func children(n *xpath.Node, local string) []*xpath.Node {
	var out []*xpath.Node
	for _, c := range elementsOf(n) {
		if c.Local == local {
			out = append(out, c)
		}
	}
	return out
}

func attrOf(n *xpath.Node, name string) string {
	for _, a := range n.Attrs {
		if a.Local == name && a.Space == "" {
			return a.Value
		}
	}
	return ""
}

// selectScenario returns the first scenario whose match expression is true.
func selectScenario(doc *xpath.Document) (*scenario, error) {
	all, err := loadScenarios()
	if err != nil {
		return nil, err
	}
	c := &xpath.Context{Item: doc.Root, Pos: 1, Size: 1}
	for _, s := range all {
		ok, err := s.match.EvalBool(c)
		if err == nil && ok {
			return s, nil
		}
	}
	return nil, nil
}

var ruleSetCache sync.Map // file → func() (*schematron.Schema, error)

// ruleSet compiles an embedded schematron file once, on first use.
func ruleSet(file string) (*schematron.Schema, error) {
	f, _ := ruleSetCache.LoadOrStore(file, sync.OnceValues(func() (*schematron.Schema, error) {
		return schematron.Load(rules.FS, file)
	}))
	return f.(func() (*schematron.Schema, error))()
}
