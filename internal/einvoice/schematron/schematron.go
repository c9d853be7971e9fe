// Package schematron runs ISO Schematron rule sets (query binding xslt2)
// over parsed documents, with the XPath 2.0 subset of package xpath.
//
// Semantics follow the XSLT implementations the reference uses: every
// element of the document is visited once per pattern and handled by the
// first rule of that pattern whose context matches it; rule-level lets are
// evaluated in order with the rule's context; schema- and pattern-level lets
// are global variables evaluated on demand with the document node as
// context; an assert fires when its test is false, a report when it is true.
// xsl:function definitions in the schema are supported (params, variables,
// sequence, choose).
package schematron

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/rathaus/rathaus/internal/einvoice/xpath"
)

const (
	schNS = "http://purl.oclc.org/dsdl/schematron"
	xslNS = "http://www.w3.org/1999/XSL/Transform"
)

// Schema is a compiled schematron rule set. It is immutable and safe for
// concurrent use.
type Schema struct {
	Title    string
	Patterns []*Pattern
	globals  []global
	gindex   map[string]int
}

type global struct {
	name string
	expr *xpath.Expr
}

// Pattern is a schematron pattern: an ordered list of rules.
type Pattern struct {
	ID    string
	Rules []*Rule
}

// Rule is a schematron rule with its context pattern.
type Rule struct {
	Context *xpath.Expr
	steps   []step // lets and checks in document order
}

type step struct {
	let   string // variable name when this step is a let
	expr  *xpath.Expr
	check *Check
}

// Check is an assert or report.
type Check struct {
	ID     string
	Flag   string // fatal, error, warning, information
	Report bool   // report (fires when true) instead of assert
	Test   *xpath.Expr
	msg    []msgPart
}

type msgPart struct {
	text  string
	name  bool
	value *xpath.Expr
}

// Load reads a schematron file (resolving include relative to it in fsys)
// and compiles all expressions.
func Load(fsys fs.FS, name string) (*Schema, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	doc, err := xpath.Parse(data, xpath.Limits{})
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", name, err)
	}
	root := doc.Element()
	if root == nil || root.Space != schNS || root.Local != "schema" {
		return nil, fmt.Errorf("%s: not a schematron schema", name)
	}
	l := &loader{fsys: fsys, dir: path.Dir(name), sc: &xpath.StaticContext{
		Namespaces: map[string]string{"xs": "http://www.w3.org/2001/XMLSchema"},
		Functions:  map[string]xpath.Function{},
		BoolVars:   map[string]bool{},
	}, s: &Schema{gindex: map[string]int{}}}
	if err := l.schema(root); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return l.s, nil
}

type loader struct {
	fsys fs.FS
	dir  string
	sc   *xpath.StaticContext
	s    *Schema
}

func attr(n *xpath.Node, name string) string {
	for _, a := range n.Attrs {
		if a.Local == name && a.Space == "" {
			return a.Value
		}
	}
	return ""
}

func elements(n *xpath.Node) []*xpath.Node {
	var out []*xpath.Node
	for _, c := range n.Children {
		if c.Kind == xpath.ElementNode {
			out = append(out, c)
		}
	}
	return out
}

func (l *loader) schema(root *xpath.Node) error {
	// Pass 1: namespaces, function signatures, includes resolved in place.
	var items []*xpath.Node
	for _, c := range elements(root) {
		if c.Space == schNS && c.Local == "include" {
			inc, err := l.include(attr(c, "href"))
			if err != nil {
				return err
			}
			items = append(items, inc)
			continue
		}
		items = append(items, c)
	}
	var funcs []*xpath.Node
	for _, c := range items {
		switch {
		case c.Space == schNS && c.Local == "ns":
			l.sc.Namespaces[attr(c, "prefix")] = attr(c, "uri")
		case c.Space == schNS && c.Local == "title":
			l.s.Title = xpath.NormalizeSpace(c.StringValue())
		case c.Space == xslNS && c.Local == "function":
			funcs = append(funcs, c)
		}
	}
	var ufs []*userFunc
	for _, f := range funcs {
		uf, err := l.declare(f)
		if err != nil {
			return err
		}
		ufs = append(ufs, uf)
	}
	for i, f := range funcs {
		if err := l.define(ufs[i], f); err != nil {
			return err
		}
	}
	for _, c := range items {
		if c.Space != schNS {
			continue
		}
		switch c.Local {
		case "let":
			if err := l.global(c); err != nil {
				return err
			}
		case "pattern":
			if err := l.pattern(c); err != nil {
				return err
			}
		}
	}
	return nil
}

func (l *loader) include(href string) (*xpath.Node, error) {
	p := path.Clean(path.Join(l.dir, href))
	data, err := fs.ReadFile(l.fsys, p)
	if err != nil {
		// The published layout keeps included files one level up; look
		// beside the including file as well.
		data, err = fs.ReadFile(l.fsys, path.Join(l.dir, path.Base(href)))
		if err != nil {
			return nil, fmt.Errorf("include %s: %w", href, err)
		}
	}
	doc, err := xpath.Parse(data, xpath.Limits{})
	if err != nil {
		return nil, fmt.Errorf("include %s: %w", href, err)
	}
	return doc.Element(), nil
}

func (l *loader) compile(src string) (*xpath.Expr, error) {
	return xpath.Compile(src, l.sc)
}

func (l *loader) global(c *xpath.Node) error {
	name := attr(c, "name")
	e, err := l.compile(attr(c, "value"))
	if err != nil {
		return fmt.Errorf("let %s: %w", name, err)
	}
	l.s.gindex[name] = len(l.s.globals)
	l.s.globals = append(l.s.globals, global{name, e})
	if e.Boolean() {
		l.sc.BoolVars[name] = true
	}
	return nil
}

func (l *loader) pattern(p *xpath.Node) error {
	pat := &Pattern{ID: attr(p, "id")}
	for _, c := range elements(p) {
		if c.Space != schNS {
			continue
		}
		switch c.Local {
		case "let":
			if err := l.global(c); err != nil {
				return err
			}
		case "rule":
			r, err := l.rule(c)
			if err != nil {
				return fmt.Errorf("pattern %s: %w", pat.ID, err)
			}
			pat.Rules = append(pat.Rules, r)
		}
	}
	l.s.Patterns = append(l.s.Patterns, pat)
	return nil
}

func (l *loader) rule(r *xpath.Node) (*Rule, error) {
	ctx, err := xpath.CompilePattern(attr(r, "context"), l.sc)
	if err != nil {
		return nil, fmt.Errorf("rule context: %w", err)
	}
	rule := &Rule{Context: ctx}
	for _, c := range elements(r) {
		if c.Space != schNS {
			continue
		}
		switch c.Local {
		case "let":
			e, err := l.compile(attr(c, "value"))
			if err != nil {
				return nil, fmt.Errorf("let %s: %w", attr(c, "name"), err)
			}
			rule.steps = append(rule.steps, step{let: attr(c, "name"), expr: e})
		case "assert", "report":
			test, err := l.compile(attr(c, "test"))
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", c.Local, attr(c, "id"), err)
			}
			chk := &Check{ID: attr(c, "id"), Flag: attr(c, "flag"), Report: c.Local == "report", Test: test}
			if chk.Flag == "" {
				chk.Flag = "error"
			}
			for _, m := range c.Children {
				switch {
				case m.Kind == xpath.TextNode:
					chk.msg = append(chk.msg, msgPart{text: m.Value})
				case m.Kind == xpath.ElementNode && m.Local == "name":
					chk.msg = append(chk.msg, msgPart{name: true})
				case m.Kind == xpath.ElementNode && m.Local == "value-of":
					e, err := l.compile(attr(m, "select"))
					if err != nil {
						return nil, fmt.Errorf("value-of in %s: %w", chk.ID, err)
					}
					chk.msg = append(chk.msg, msgPart{value: e})
				case m.Kind == xpath.ElementNode:
					chk.msg = append(chk.msg, msgPart{text: m.StringValue()})
				}
			}
			rule.steps = append(rule.steps, step{check: chk})
		}
	}
	return rule, nil
}

// Checks returns all asserts and reports of the schema.
func (s *Schema) Checks() []*Check {
	var out []*Check
	for _, p := range s.Patterns {
		for _, r := range p.Rules {
			for _, st := range r.steps {
				if st.check != nil {
					out = append(out, st.check)
				}
			}
		}
	}
	return out
}

// Firing is one failed assert or successful report.
type Firing struct {
	Check *Check
	Node  *xpath.Node
	Text  string // the message with name and value-of filled in
}

// Result is the outcome of running a schema on a document.
type Result struct {
	Firings []Firing
	// Errors are dynamic errors raised while evaluating tests; the
	// reference treats such a run as failed.
	Errors []error
}

type run struct {
	budget xpath.Budget
	s      *Schema
	doc    *xpath.Document
	gvals  []xpath.Seq
	gstate []uint8 // 0 unset, 1 evaluating, 2 done
	gerrs  []error
}

var errCycle = errors.New("circular variable definition")

func (r *run) global(name string) (xpath.Seq, error) {
	i, ok := r.s.gindex[name]
	if !ok {
		return nil, fmt.Errorf("undefined variable $%s", name)
	}
	switch r.gstate[i] {
	case 2:
		return r.gvals[i], r.gerrs[i]
	case 1:
		return nil, errCycle
	}
	r.gstate[i] = 1
	c := &xpath.Context{Item: r.doc.Root, Pos: 1, Size: 1, Globals: r.global, Budget: &r.budget}
	v, err := r.s.globals[i].expr.Eval(c)
	r.gvals[i], r.gerrs[i], r.gstate[i] = v, err, 2
	return v, err
}

// The work of one Run is bounded in node visits and predicate tests by
// BaseBudget + NodeBudget × the number of nodes, and in time by
// TimeBudget. The official rules need at most about 170 units per node on
// the test data (they are close to linear) and well under a second on the
// largest invoices; the bounds stop hostile documents that make a
// quadratic rule run for hours. An exhausted budget is a dynamic error, so
// the rule set fails and the document is rejected.
const (
	BaseBudget = 5_000_000
	NodeBudget = 500
	TimeBudget = 30 * time.Second
)

// Run evaluates the schema on doc.
func (s *Schema) Run(doc *xpath.Document) Result {
	r := &run{s: s, doc: doc,
		gvals:  make([]xpath.Seq, len(s.globals)),
		gstate: make([]uint8, len(s.globals)),
		gerrs:  make([]error, len(s.globals)),
	}
	r.budget = xpath.Budget{Units: BaseBudget + NodeBudget*int64(doc.Size()), Deadline: time.Now().Add(TimeBudget)}
	var res Result
	root := &xpath.Context{Item: doc.Root, Pos: 1, Size: 1, Globals: r.global, Budget: &r.budget}
	claimed := make([]bool, doc.Size()) // by node order
	for _, p := range s.Patterns {
		clear(claimed)
		for _, rule := range p.Rules {
			nodes, err := rule.Context.EvalPattern(root)
			if err != nil {
				res.Errors = append(res.Errors, fmt.Errorf("rule context %q: %w", rule.Context, err))
				continue
			}
			for _, it := range nodes {
				n, ok := it.(*xpath.Node)
				if !ok || claimed[n.Order] {
					continue
				}
				claimed[n.Order] = true
				r.fire(rule, n, &res)
			}
		}
	}
	return res
}

func (r *run) fire(rule *Rule, n *xpath.Node, res *Result) {
	c := &xpath.Context{Item: n, Pos: 1, Size: 1, Globals: r.global, Budget: &r.budget}
	for _, st := range rule.steps {
		if st.check == nil {
			// Evaluated when first used, like an xsl:variable.
			c.Vars = c.Vars.BindLazy(st.let, st.expr, c)
			continue
		}
		ok, err := st.check.Test.EvalBool(c)
		if err != nil {
			res.Errors = append(res.Errors, fmt.Errorf("%s at %s: %w", st.check.ID, n.Path(), err))
			continue
		}
		if ok == st.check.Report {
			res.Firings = append(res.Firings, Firing{Check: st.check, Node: n, Text: st.check.text(c, n)})
		}
	}
}

func (chk *Check) text(c *xpath.Context, n *xpath.Node) string {
	var b strings.Builder
	for _, m := range chk.msg {
		switch {
		case m.name:
			b.WriteString(n.Name())
		case m.value != nil:
			v, err := m.value.Eval(c)
			if err == nil {
				for i, it := range v {
					if i > 0 {
						b.WriteByte(' ')
					}
					b.WriteString(xpath.StringOf(it))
				}
			}
		default:
			b.WriteString(m.text)
		}
	}
	return xpath.NormalizeSpace(b.String())
}
