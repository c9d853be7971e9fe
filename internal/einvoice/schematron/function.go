package schematron

import (
	"fmt"
	"strings"

	"github.com/rathaus/rathaus/internal/einvoice/xpath"
)

// userFunc is an xsl:function: typed parameters and a body of variables,
// sequences and choose/when/otherwise.
type userFunc struct {
	name   string
	params []param
	as     string
	body   []instr
}

type param struct {
	name, as string
}

type instr struct {
	kind    string // variable, sequence, choose
	name    string
	as      string
	expr    *xpath.Expr
	text    string // variable with text content
	body    []instr
	whens   []when
	otherwi []instr
}

type when struct {
	test *xpath.Expr
	body []instr
}

func (l *loader) declare(f *xpath.Node) (*userFunc, error) {
	qn := attr(f, "name")
	prefix, local, ok := strings.Cut(qn, ":")
	if !ok {
		return nil, fmt.Errorf("function %s: name without namespace", qn)
	}
	uri, ok := l.sc.Namespaces[prefix]
	if !ok {
		// The prefix may be declared only with xmlns on the schema.
		uri = lookupNS(f, prefix)
		if uri == "" {
			return nil, fmt.Errorf("function %s: undeclared prefix", qn)
		}
		l.sc.Namespaces[prefix] = uri
	}
	uf := &userFunc{name: qn, as: attr(f, "as")}
	for _, c := range elements(f) {
		if c.Space == xslNS && c.Local == "param" {
			uf.params = append(uf.params, param{attr(c, "name"), attr(c, "as")})
		}
	}
	l.sc.Functions[xpath.FuncKey(uri, local, len(uf.params))] = uf
	return uf, nil
}

// lookupNS finds the namespace declared for prefix on n or an ancestor, by
// reading the xmlns attributes the parser records as namespaces of names.
func lookupNS(n *xpath.Node, prefix string) string {
	for m := n; m != nil; m = m.Parent {
		if m.Prefix == prefix && m.Kind == xpath.ElementNode {
			return m.Space
		}
	}
	// Search the whole document for an element or attribute written with
	// this prefix.
	for _, e := range n.Doc().Elements {
		if e.Prefix == prefix {
			return e.Space
		}
	}
	return ""
}

func (l *loader) define(uf *userFunc, f *xpath.Node) error {
	body, err := l.body(f)
	if err != nil {
		return fmt.Errorf("function %s: %w", uf.name, err)
	}
	uf.body = body
	return nil
}

func (l *loader) body(n *xpath.Node) ([]instr, error) {
	var out []instr
	for _, c := range elements(n) {
		if c.Space != xslNS {
			continue
		}
		switch c.Local {
		case "param":
		case "variable":
			in := instr{kind: "variable", name: attr(c, "name"), as: attr(c, "as")}
			if sel := attr(c, "select"); sel != "" {
				e, err := l.compile(sel)
				if err != nil {
					return nil, err
				}
				in.expr = e
			} else if len(elements(c)) > 0 {
				b, err := l.body(c)
				if err != nil {
					return nil, err
				}
				in.body = b
			} else {
				in.text = c.StringValue()
			}
			out = append(out, in)
		case "sequence":
			e, err := l.compile(attr(c, "select"))
			if err != nil {
				return nil, err
			}
			out = append(out, instr{kind: "sequence", expr: e})
		case "choose":
			in := instr{kind: "choose"}
			for _, w := range elements(c) {
				switch w.Local {
				case "when":
					t, err := l.compile(attr(w, "test"))
					if err != nil {
						return nil, err
					}
					b, err := l.body(w)
					if err != nil {
						return nil, err
					}
					in.whens = append(in.whens, when{t, b})
				case "otherwise":
					b, err := l.body(w)
					if err != nil {
						return nil, err
					}
					in.otherwi = b
				}
			}
			out = append(out, in)
		default:
			return nil, fmt.Errorf("unsupported xsl:%s", c.Local)
		}
	}
	return out, nil
}

// Call implements xpath.Function.
func (uf *userFunc) Call(c *xpath.Context, args []xpath.Seq) (xpath.Seq, error) {
	fc := &xpath.Context{Globals: c.Globals, Budget: c.Budget}
	for i, p := range uf.params {
		v, err := convert(args[i], p.as)
		if err != nil {
			return nil, fmt.Errorf("%s: parameter $%s: %w", uf.name, p.name, err)
		}
		fc.Vars = fc.Vars.Bind(p.name, v)
	}
	out, err := exec(uf.body, fc)
	if err != nil {
		return nil, err
	}
	return convert(out, uf.as)
}

func exec(body []instr, c *xpath.Context) (xpath.Seq, error) {
	var out xpath.Seq
	for _, in := range body {
		switch in.kind {
		case "variable":
			var v xpath.Seq
			var err error
			switch {
			case in.expr != nil:
				v, err = in.expr.Eval(c)
			case in.body != nil:
				v, err = exec(in.body, c)
			default:
				v = xpath.Seq{xpath.Untyped(in.text)}
			}
			if err != nil {
				return nil, err
			}
			if v, err = convert(v, in.as); err != nil {
				return nil, err
			}
			c2 := *c
			c2.Vars = c.Vars.Bind(in.name, v)
			c = &c2
		case "sequence":
			v, err := in.expr.Eval(c)
			if err != nil {
				return nil, err
			}
			out = append(out, v...)
		case "choose":
			done := false
			for _, w := range in.whens {
				b, err := w.test.EvalBool(c)
				if err != nil {
					return nil, err
				}
				if b {
					v, err := exec(w.body, c)
					if err != nil {
						return nil, err
					}
					out = append(out, v...)
					done = true
					break
				}
			}
			if !done && in.otherwi != nil {
				v, err := exec(in.otherwi, c)
				if err != nil {
					return nil, err
				}
				out = append(out, v...)
			}
		}
	}
	return out, nil
}

// convert applies the function conversion rules for an atomic sequence
// type such as "xs:decimal" or "xs:string?".
func convert(v xpath.Seq, as string) (xpath.Seq, error) {
	if as == "" {
		return v, nil
	}
	typ := strings.TrimRight(as, "?*+")
	local, ok := strings.CutPrefix(typ, "xs:")
	if !ok {
		return v, nil
	}
	occ := as[len(typ):]
	if len(v) > 1 && occ != "*" && occ != "+" {
		return nil, fmt.Errorf("XPTY0004: a sequence of %d items is not allowed as %s", len(v), as)
	}
	if len(v) == 0 && occ != "?" && occ != "*" {
		return nil, fmt.Errorf("XPTY0004: an empty sequence is not allowed as %s", as)
	}
	out := make(xpath.Seq, 0, len(v))
	for _, it := range v {
		if n, ok := it.(*xpath.Node); ok {
			it = xpath.Untyped(n.StringValue())
		}
		switch x := it.(type) {
		case xpath.Untyped:
			c, err := xpath.Cast(x, local)
			if err != nil {
				return nil, err
			}
			it = c
		case xpath.Integer:
			if local == "decimal" || local == "double" {
				c, err := xpath.Cast(x, local)
				if err != nil {
					return nil, err
				}
				it = c
			}
		case xpath.Decimal:
			if local == "double" {
				c, _ := xpath.Cast(x, local)
				it = c
			} else if local == "integer" {
				return nil, fmt.Errorf("XPTY0004: xs:decimal is not xs:integer")
			}
		case xpath.Double:
			if local == "decimal" || local == "integer" {
				return nil, fmt.Errorf("XPTY0004: xs:double is not xs:%s", local)
			}
		case xpath.String:
			if local != "string" {
				return nil, fmt.Errorf("XPTY0004: xs:string is not xs:%s", local)
			}
		}
		out = append(out, it)
	}
	return out, nil
}
