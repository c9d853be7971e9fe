package xpath

import (
	"strings"
	"unicode/utf8"
)

// Fast paths for string functions: most rule tests apply string functions
// to a node or a literal and compare the result with a literal. These
// evaluate such expressions to a Go string without building sequences.

// stringFn computes a string-valued builtin directly from its argument
// expressions.
type stringFn func(c *Context, args []expr) (string, error)

// boolFn computes a boolean-valued builtin directly.
type boolFn func(c *Context, args []expr) (bool, error)

var stringFns map[string]stringFn
var boolFns map[string]boolFn

func init() {
	stringFns = map[string]stringFn{
		"name": func(c *Context, a []expr) (string, error) {
			n, err := nodeOf(c, a)
			if err != nil || n == nil {
				return "", err
			}
			if n.Kind == ElementNode || n.Kind == AttributeNode {
				return n.Name(), nil
			}
			if n.Kind == PINode {
				return n.Local, nil
			}
			return "", nil
		},
		"local-name": func(c *Context, a []expr) (string, error) {
			n, err := nodeOf(c, a)
			if err != nil || n == nil {
				return "", err
			}
			return n.Local, nil
		},
		"normalize-space": func(c *Context, a []expr) (string, error) {
			s, err := strArg(c, a[0])
			return NormalizeSpace(s), err
		},
		"string": func(c *Context, a []expr) (string, error) {
			return strArg(c, a[0])
		},
		"upper-case": func(c *Context, a []expr) (string, error) {
			s, err := strArg(c, a[0])
			if err != nil {
				return "", err
			}
			if isUpperASCII(s) {
				return s, nil
			}
			s = strings.ToUpper(s)
			if strings.Contains(s, "ß") {
				s = strings.ReplaceAll(s, "ß", "SS")
			}
			return s, nil
		},
		"substring-after": func(c *Context, a []expr) (string, error) {
			s, t, err := strArgs2(c, a)
			if err != nil {
				return "", err
			}
			if i := strings.Index(s, t); i >= 0 {
				return s[i+len(t):], nil
			}
			return "", nil
		},
		"substring-before": func(c *Context, a []expr) (string, error) {
			s, t, err := strArgs2(c, a)
			if err != nil {
				return "", err
			}
			if i := strings.Index(s, t); i >= 0 {
				return s[:i], nil
			}
			return "", nil
		},
		"concat": func(c *Context, a []expr) (string, error) {
			var b strings.Builder
			for _, e := range a {
				s, err := strArg(c, e)
				if err != nil {
					return "", err
				}
				b.WriteString(s)
			}
			return b.String(), nil
		},
	}
	boolFns = map[string]boolFn{
		"contains": func(c *Context, a []expr) (bool, error) {
			s, t, err := strArgs2(c, a)
			return strings.Contains(s, t), err
		},
		"starts-with": func(c *Context, a []expr) (bool, error) {
			s, t, err := strArgs2(c, a)
			return strings.HasPrefix(s, t), err
		},
		"ends-with": func(c *Context, a []expr) (bool, error) {
			s, t, err := strArgs2(c, a)
			return strings.HasSuffix(s, t), err
		},
		"exists": func(c *Context, a []expr) (bool, error) {
			return nonEmpty(c, a[0])
		},
		"not": func(c *Context, a []expr) (bool, error) {
			b, err := ebvOf(c, a[0])
			return !b, err
		},
		"boolean": func(c *Context, a []expr) (bool, error) {
			return ebvOf(c, a[0])
		},
		"true":  func(*Context, []expr) (bool, error) { return true, nil },
		"false": func(*Context, []expr) (bool, error) { return false, nil },
	}
}

func isUpperASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || (c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

func nodeOf(c *Context, a []expr) (*Node, error) {
	if _, ok := a[0].(contextItem); ok {
		n, ok := c.Item.(*Node)
		if !ok {
			if c.Item == nil {
				return nil, errorf("XPDY0002", "no context item")
			}
			return nil, errorf("XPTY0004", "expected a node")
		}
		return n, nil
	}
	if _, ok := a[0].(*contextItem); ok {
		n, ok := c.Item.(*Node)
		if !ok {
			return nil, errorf("XPTY0004", "expected a node")
		}
		return n, nil
	}
	v, err := a[0].eval(c)
	if err != nil {
		return nil, err
	}
	if len(v) > 1 {
		return nil, errSingle
	}
	return nodeArg([]Seq{v})
}

// strArg evaluates e as an optional string argument ("" for empty).
func strArg(c *Context, e expr) (string, error) {
	switch x := e.(type) {
	case *literal:
		if len(x.v) == 1 {
			if s, ok := x.v[0].(String); ok {
				return string(s), nil
			}
		}
	case *contextItem:
		if c.Item == nil {
			return "", errorf("XPDY0002", "no context item")
		}
		return StringOf(c.Item), nil
	case *callExpr:
		if x.sfn != nil {
			return x.sfn(c, x.args)
		}
	case *stepExpr:
		if n, ok := c.Item.(*Node); ok && x.simpleChild {
			var found *Node
			for _, ch := range n.Children {
				if ch.Local == x.test.local && ch.Kind == ElementNode && ch.Space == x.test.space {
					if found != nil {
						return "", errSingle
					}
					found = ch
				}
			}
			if found == nil {
				return "", nil
			}
			return found.StringValue(), nil
		}
	}
	v, err := e.eval(c)
	if err != nil {
		return "", err
	}
	if len(v) > 1 {
		return "", errSingle
	}
	return str(v), nil
}

// errSingle is the type error of a string function given several items.
var errSingle = errorf("XPTY0004", "a sequence of more than one item is not allowed as an argument of a string function")

func strArgs2(c *Context, a []expr) (string, string, error) {
	s, err := strArg(c, a[0])
	if err != nil {
		return "", "", err
	}
	t, err := strArg(c, a[1])
	return s, t, err
}

// chains decomposes a relative path of forward steps with non-positional
// predicates, possibly through parenthesised unions, into step chains.
func chains(e expr) ([][]*stepExpr, bool) {
	switch x := e.(type) {
	case *stepExpr:
		switch x.axis {
		case axisChild, axisAttribute, axisSelf:
		default:
			return nil, false
		}
		if anyPositional(x.preds) {
			return nil, false
		}
		return [][]*stepExpr{{x}}, true
	case *parenExpr:
		return chains(x.e)
	case *setExpr:
		if x.op != "union" {
			return nil, false
		}
		a, ok1 := chains(x.a)
		b, ok2 := chains(x.b)
		if !ok1 || !ok2 {
			return nil, false
		}
		return append(append([][]*stepExpr{}, a...), b...), true
	case *pathExpr:
		l, ok1 := chains(x.left)
		r, ok2 := chains(x.right)
		if !ok1 || !ok2 || len(l)*len(r) > 16 {
			return nil, false
		}
		var out [][]*stepExpr
		for _, a := range l {
			for _, b := range r {
				out = append(out, append(append([]*stepExpr{}, a...), b...))
			}
		}
		return out, true
	}
	return nil, false
}

// anyMatch reports whether the chain selects at least one node from n.
func anyMatch(c *Context, n *Node, chain []*stepExpr) (bool, error) {
	if err := c.spend(1 + len(n.Children)); err != nil {
		return false, err
	}
	st := chain[0]
	switch st.axis {
	case axisChild:
		if st.simpleChild {
			t := &st.test
			for _, ch := range n.Children {
				if ch.Local == t.local && ch.Kind == ElementNode && ch.Space == t.space {
					if len(chain) == 1 {
						return true, nil
					}
					if ok, err := anyMatch(c, ch, chain[1:]); err != nil || ok {
						return ok, err
					}
				}
			}
			return false, nil
		}
		for _, ch := range n.Children {
			if ok, err := tryStep(c, ch, chain); err != nil || ok {
				return ok, err
			}
		}
	case axisAttribute:
		for _, a := range n.Attrs {
			if ok, err := tryStep(c, a, chain); err != nil || ok {
				return ok, err
			}
		}
	case axisSelf:
		return tryStep(c, n, chain)
	}
	return false, nil
}

// tryStep reports whether m passes the first step of chain and the rest
// of the chain selects a node from it.
func tryStep(c *Context, m *Node, chain []*stepExpr) (bool, error) {
	st := chain[0]
	if !st.test.match(m, st.axis == axisAttribute) {
		return false, nil
	}
	if len(st.preds) > 0 {
		c2 := *c
		c2.Item, c2.Pos, c2.Size = m, 1, 1
		c2.pattern = false
		for _, p := range st.preds {
			ok, err := ebvOf(&c2, p)
			if err != nil || !ok {
				return false, err
			}
		}
	}
	if len(chain) == 1 {
		return true, nil
	}
	return anyMatch(c, m, chain[1:])
}

func nonEmpty(c *Context, e expr) (bool, error) {
	if p, ok := e.(*pathExpr); ok && p.plan != nil {
		if n, ok := c.Item.(*Node); ok {
			for _, chain := range p.plan {
				if ok, err := anyMatch(c, n, chain); err != nil || ok {
					return ok, err
				}
			}
			return false, nil
		}
	}
	if x, ok := e.(*stepExpr); ok && x.axis == axisChild && len(x.preds) == 0 && x.test.kind == testName && !x.test.anyLocal && !x.test.anySpace {
		n, ok := c.Item.(*Node)
		if ok {
			for _, ch := range n.Children {
				if ch.Local == x.test.local && ch.Kind == ElementNode && ch.Space == x.test.space {
					return true, nil
				}
			}
			return false, nil
		}
	}
	v, err := e.eval(c)
	return len(v) > 0, err
}

func ebvOf(c *Context, e expr) (bool, error) {
	switch x := e.(type) {
	case *callExpr:
		if x.bfn != nil {
			return x.bfn(c, x.args)
		}
	case *stepExpr, *pathExpr:
		return nonEmpty(c, e)
	case *cmpExpr:
		return x.evalBool(c)
	case *andExpr:
		if b, err := ebvOf(c, x.a); err != nil || !b {
			return false, err
		}
		return ebvOf(c, x.b)
	case *orExpr:
		if b, err := ebvOf(c, x.a); err != nil || b {
			return b, err
		}
		return ebvOf(c, x.b)
	case *parenExpr:
		return ebvOf(c, x.e)
	}
	v, err := e.eval(c)
	if err != nil {
		return false, err
	}
	return EBV(v)
}

// stringTyped reports whether e always yields exactly one xs:string.
func stringTyped(e expr) bool {
	switch x := e.(type) {
	case *literal:
		if len(x.v) == 1 {
			_, ok := x.v[0].(String)
			return ok
		}
	case *callExpr:
		return x.sfn != nil
	case *parenExpr:
		return stringTyped(x.e)
	}
	return false
}

// evalBool evaluates a comparison to a Go bool; string-typed operands are
// compared without building sequences.
func (x *cmpExpr) evalBool(c *Context) (bool, error) {
	if x.strings {
		a, err := strArg(c, x.a)
		if err != nil {
			return false, err
		}
		b, err := strArg(c, x.b)
		if err != nil {
			return false, err
		}
		return cmpResult(x.op, cmpStrings(a, b)), nil
	}
	v, err := x.eval(c)
	if err != nil {
		return false, err
	}
	return EBV(v)
}
