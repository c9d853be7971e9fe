package einvoice

import (
	"fmt"
	"os"
	"strings"

	"github.com/rathaus/rathaus/internal/einvoice/xpath"
)

const vefaNS = "http://difi.no/xsd/vefa/validator/1.0"

type unitResult struct {
	test   int
	id     string
	expect string // success, error, warning
	got    string
}

// cenUnit evaluates a VEFA testSet: each test's document runs through the
// CEN rule set its configuration names, and each named rule must fire with
// the expected flag (error: fatal; warning: warning) or not at all
// (success).
func cenUnit(path string) ([]unitResult, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	doc, err := xpath.Parse(data, xpath.Limits{})
	if err != nil {
		return nil, err
	}
	root := doc.Element()
	file := ""
	switch attrOf(root, "configuration") {
	case "tc434-ubl":
		file = ruleSetFiles["EN16931-UBL-validation.xsl"]
	case "tc434-cii":
		file = ruleSetFiles["EN16931-CII-validation.xsl"]
	default:
		return nil, fmt.Errorf("unknown configuration %q", attrOf(root, "configuration"))
	}
	var out []unitResult
	n := 0
	for _, test := range root.Children {
		if test.Kind != xpath.ElementNode || test.Local != "test" || test.Space != vefaNS {
			continue
		}
		n++
		var expects []unitResult
		var body *xpath.Node
		for _, c := range test.Children {
			if c.Kind != xpath.ElementNode {
				continue
			}
			if c.Space == vefaNS && c.Local == "assert" {
				for _, a := range c.Children {
					if a.Kind == xpath.ElementNode && (a.Local == "success" || a.Local == "error" || a.Local == "warning") {
						expects = append(expects, unitResult{test: n, id: strings.TrimSpace(a.StringValue()), expect: a.Local})
					}
				}
				continue
			}
			if c.Space != vefaNS {
				body = c
			}
		}
		if body == nil {
			return nil, fmt.Errorf("test %d has no document", n)
		}
		sub, err := xpath.Subdocument(body)
		if err != nil {
			return nil, err
		}
		res, err := runSchema(file, sub)
		if err != nil {
			return nil, err
		}
		fired := map[string]string{}
		for _, f := range res.Firings {
			lvl := "warning"
			if flagLevel(f.Check.Flag) == LevelError {
				lvl = "error"
			}
			if prev, ok := fired[f.Check.ID]; !ok || prev == "warning" {
				fired[f.Check.ID] = lvl
			}
		}
		for _, e := range expects {
			e.got = "success"
			if l, ok := fired[e.id]; ok {
				e.got = l
			}
			if e.expect == "success" && e.got == "success" {
				e.got = "success"
			}
			out = append(out, e)
		}
	}
	return out, nil
}
