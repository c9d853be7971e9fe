package xpath

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// Function is a function callable from XPath (for example an xsl:function).
type Function interface {
	Call(c *Context, args []Seq) (Seq, error)
}

// StaticContext holds what an expression needs at compile time.
type StaticContext struct {
	Namespaces map[string]string   // prefix → URI
	Functions  map[string]Function // key FuncKey(uri, local, arity)
	// BoolVars names variables known to hold a single xs:boolean (see
	// Expr.Boolean); predicates using them are not positional, which lets
	// "//x[$flag]" use the element index.
	BoolVars map[string]bool
}

// Boolean reports whether the expression always yields one xs:boolean
// (a comparison, and/or, some/every, or a boolean function).
func (x *Expr) Boolean() bool { return booleanTyped(x.e) }

func booleanTyped(e expr) bool {
	switch x := e.(type) {
	case *cmpExpr, *andExpr, *orExpr, *quantExpr:
		// A value comparison with an empty operand is empty: never a
		// number either, which is what predicates care about.
		return true
	case *castExpr:
		return x.test
	case *parenExpr:
		return booleanTyped(x.e)
	case *callExpr:
		switch x.name {
		case "not", "exists", "empty", "boolean", "true", "false", "contains", "starts-with", "ends-with", "matches":
			return true
		}
	}
	return false
}

// FuncKey is the key of a user function in StaticContext.Functions.
func FuncKey(uri, local string, arity int) string {
	return "{" + uri + "}" + local + "#" + strconv.Itoa(arity)
}

// Expr is a compiled XPath expression. It is immutable and safe for
// concurrent use.
type Expr struct {
	src string
	e   expr
}

// String returns the source of the expression.
func (x *Expr) String() string { return x.src }

// Eval evaluates the expression.
func (x *Expr) Eval(c *Context) (Seq, error) { return x.e.eval(c) }

// EvalBool evaluates the expression and returns its effective boolean value.
func (x *Expr) EvalBool(c *Context) (bool, error) {
	return ebvOf(c, x.e)
}

// EvalPattern evaluates an expression made by CompilePattern: a dynamic
// error in a predicate excludes the node it was evaluated for instead of
// failing the evaluation, as for XSLT match patterns.
func (x *Expr) EvalPattern(c *Context) (Seq, error) {
	c2 := *c
	c2.pattern = true
	return x.e.eval(&c2)
}

// Compile parses an XPath 2.0 expression (the subset used by the EN 16931
// and XRechnung rules).
func Compile(src string, sc *StaticContext) (x *Expr, err error) {
	toks, err := lex(src)
	if err != nil {
		return nil, fmt.Errorf("xpath %q: %w", src, err)
	}
	p := &parser{toks: toks, sc: sc}
	defer func() {
		if r := recover(); r != nil {
			pe, ok := r.(parseErr)
			if !ok {
				panic(r)
			}
			x, err = nil, fmt.Errorf("xpath %q: %s", src, string(pe))
		}
	}()
	e := p.expr()
	if p.peek().kind != tEOF {
		p.fail("unexpected %q", p.peek().s)
	}
	walk(e, func(e expr) {
		if pe, ok := e.(*pathExpr); ok {
			pe.plan, _ = chains(pe)
			pe.absolute = startsAtRoot(pe) && !usesVars(pe)
		}
	})
	return &Expr{src: src, e: e}, nil
}

type parseErr string

type parser struct {
	toks []token
	i    int
	sc   *StaticContext
}

func (p *parser) peek() token        { return p.toks[p.i] }
func (p *parser) peekAt(k int) token { return p.toks[min(p.i+k, len(p.toks)-1)] }
func (p *parser) next() token {
	t := p.toks[p.i]
	if p.i < len(p.toks)-1 {
		p.i++
	}
	return t
}
func (p *parser) fail(format string, args ...any) {
	panic(parseErr(fmt.Sprintf("at %d: ", p.peek().pos) + fmt.Sprintf(format, args...)))
}
func (p *parser) expect(sym string) {
	if t := p.next(); !t.is(sym) {
		p.fail("expected %q, found %q", sym, t.s)
	}
}
func (p *parser) expectName(n string) {
	if t := p.next(); !t.isName(n) {
		p.fail("expected %q, found %q", n, t.s)
	}
}

func (p *parser) expr() expr {
	e := p.exprSingle()
	if !p.peek().is(",") {
		return e
	}
	items := []expr{e}
	for p.peek().is(",") {
		p.next()
		items = append(items, p.exprSingle())
	}
	return &seqExpr{items}
}

func (p *parser) exprSingle() expr {
	t := p.peek()
	if t.kind == tName && p.peekAt(1).is("$") {
		switch t.s {
		case "for":
			p.next()
			vars := p.bindings("in")
			p.expectName("return")
			return &forExpr{vars: vars, ret: p.exprSingle()}
		case "some", "every":
			p.next()
			vars := p.bindings("in")
			p.expectName("satisfies")
			return &quantExpr{every: t.s == "every", vars: vars, sat: p.exprSingle()}
		}
	}
	if t.isName("if") && p.peekAt(1).is("(") {
		p.next()
		p.next()
		cond := p.expr()
		p.expect(")")
		p.expectName("then")
		th := p.exprSingle()
		p.expectName("else")
		el := p.exprSingle()
		return &ifExpr{cond, th, el}
	}
	return p.orExpr()
}

func (p *parser) bindings(kw string) []binding {
	var bs []binding
	for {
		p.expect("$")
		name := p.next()
		if name.kind != tName {
			p.fail("expected variable name")
		}
		p.expectName(kw)
		bs = append(bs, binding{name.s, p.exprSingle()})
		if !p.peek().is(",") {
			return bs
		}
		p.next()
	}
}

func (p *parser) orExpr() expr {
	e := p.andExpr()
	for p.peek().isName("or") {
		p.next()
		e = &orExpr{e, p.andExpr()}
	}
	return e
}

func (p *parser) andExpr() expr {
	e := p.cmpExpr()
	for p.peek().isName("and") {
		p.next()
		e = &andExpr{e, p.cmpExpr()}
	}
	return e
}

func (p *parser) cmpExpr() expr {
	e := p.rangeExpr()
	t := p.peek()
	if t.kind == tSym {
		switch t.s {
		case "=", "!=", "<", "<=", ">", ">=":
			p.next()
			b := p.rangeExpr()
			return &cmpExpr{op: t.s, general: true, strings: stringTyped(e) && stringTyped(b), a: e, b: b}
		}
	}
	if t.kind == tName {
		ops := map[string]string{"eq": "=", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
		if op, ok := ops[t.s]; ok {
			p.next()
			return &cmpExpr{op: op, general: false, a: e, b: p.rangeExpr()}
		}
	}
	return e
}

func (p *parser) rangeExpr() expr {
	e := p.additive()
	if p.peek().isName("to") {
		p.next()
		return &rangeExpr{e, p.additive()}
	}
	return e
}

func (p *parser) additive() expr {
	e := p.multiplicative()
	for {
		t := p.peek()
		if t.is("+") || t.is("-") {
			p.next()
			e = &arithExpr{op: t.s, a: e, b: p.multiplicative()}
			continue
		}
		return e
	}
}

func (p *parser) multiplicative() expr {
	e := p.union()
	for {
		t := p.peek()
		op := ""
		switch {
		case t.is("*"):
			op = "*"
		case t.isName("div"), t.isName("idiv"), t.isName("mod"):
			op = t.s
		}
		if op == "" {
			return e
		}
		p.next()
		e = &arithExpr{op: op, a: e, b: p.union()}
	}
}

func (p *parser) union() expr {
	e := p.intersect()
	for p.peek().is("|") || p.peek().isName("union") {
		p.next()
		e = &setExpr{op: "union", a: e, b: p.intersect()}
	}
	return e
}

func (p *parser) intersect() expr {
	e := p.castable()
	for p.peek().isName("intersect") || p.peek().isName("except") {
		op := p.next().s
		e = &setExpr{op: op, a: e, b: p.castable()}
	}
	return e
}

func (p *parser) castable() expr {
	e := p.cast()
	if p.peek().isName("castable") && p.peekAt(1).isName("as") {
		p.next()
		p.next()
		typ, opt := p.singleType()
		return &castExpr{e: e, typ: typ, optional: opt, test: true}
	}
	return e
}

func (p *parser) cast() expr {
	e := p.unary()
	if p.peek().isName("cast") && p.peekAt(1).isName("as") {
		p.next()
		p.next()
		typ, opt := p.singleType()
		return &castExpr{e: e, typ: typ, optional: opt}
	}
	return e
}

func (p *parser) singleType() (string, bool) {
	t := p.next()
	if t.kind != tName {
		p.fail("expected type name")
	}
	typ := p.xsType(t.s)
	opt := false
	if p.peek().is("?") {
		p.next()
		opt = true
	}
	return typ, opt
}

func (p *parser) xsType(qn string) string {
	prefix, local, ok := strings.Cut(qn, ":")
	if !ok || p.sc.Namespaces[prefix] != xsNS || !castTypes[local] {
		p.fail("unsupported type %q", qn)
	}
	return local
}

// castTypes are the atomic types Cast supports.
var castTypes = map[string]bool{
	"string": true, "untypedAtomic": true, "double": true, "float": true, "decimal": true,
	"integer": true, "int": true, "long": true, "boolean": true, "date": true,
}

const xsNS = "http://www.w3.org/2001/XMLSchema"

func (p *parser) unary() expr {
	neg := false
	for p.peek().is("-") || p.peek().is("+") {
		if p.next().s == "-" {
			neg = !neg
		}
	}
	e := p.path()
	if neg {
		return &negExpr{e}
	}
	return e
}

func (p *parser) path() expr {
	t := p.peek()
	if t.is("/") {
		p.next()
		if p.startsStep() {
			return p.relPath(&rootExpr{})
		}
		return &rootExpr{}
	}
	if t.is("//") {
		p.next()
		return p.relPathAfterDesc(&rootExpr{})
	}
	return p.relPath(nil)
}

func (p *parser) startsStep() bool {
	t := p.peek()
	switch t.kind {
	case tName, tString, tInteger, tDecimal, tDouble:
		return true
	case tSym:
		switch t.s {
		case "@", ".", "..", "*", "(", "$":
			return true
		}
	}
	return false
}

// relPath parses StepExpr (("/"|"//") StepExpr)*, starting after left (nil
// for a relative path).
func (p *parser) relPath(left expr) expr {
	e := p.stepExpr()
	if left != nil {
		e = &pathExpr{left: left, right: e}
	}
	for {
		if p.peek().is("/") {
			p.next()
			e = &pathExpr{left: e, right: p.stepExpr()}
			continue
		}
		if p.peek().is("//") {
			p.next()
			e = p.descStep(e)
			continue
		}
		return e
	}
}

func (p *parser) relPathAfterDesc(left expr) expr {
	e := p.descStep(left)
	for {
		if p.peek().is("/") {
			p.next()
			e = &pathExpr{left: e, right: p.stepExpr()}
			continue
		}
		if p.peek().is("//") {
			p.next()
			e = p.descStep(e)
			continue
		}
		return e
	}
}

// descStep handles left//step. A child step with non-positional predicates
// is fused into a descendant step (which can use the name index).
func (p *parser) descStep(left expr) expr {
	s := p.stepExpr()
	if f, ok := fuseDesc(s); ok {
		return &pathExpr{left: left, right: f}
	}
	dos := &stepExpr{axis: axisDescendantOrSelf, test: nodeTest{kind: testNode}}
	return &pathExpr{left: &pathExpr{left: left, right: dos}, right: s}
}

// fuseDesc turns the step after "//" into an equivalent descendant step
// when that does not change positions: child::x → descendant::x,
// attribute::x → the attributes of descendant-or-self elements, and a
// parenthesised union of such steps into a union of descendant steps.
func fuseDesc(s expr) (expr, bool) {
	switch st := s.(type) {
	case *stepExpr:
		if anyPositional(st.preds) {
			return nil, false
		}
		switch st.axis {
		case axisChild:
			return &stepExpr{axis: axisDescendant, test: st.test, preds: st.preds}, true
		case axisAttribute:
			return &stepExpr{axis: axisDescendantAttribute, test: st.test, preds: st.preds}, true
		}
	case *parenExpr:
		return fuseDesc(st.e)
	case *setExpr:
		if st.op != "union" {
			return nil, false
		}
		a, ok1 := fuseDesc(st.a)
		b, ok2 := fuseDesc(st.b)
		if ok1 && ok2 {
			return &setExpr{op: "union", a: a, b: b}, true
		}
	}
	return nil, false
}

func anyPositional(preds []expr) bool {
	for _, e := range preds {
		if positional(e) {
			return true
		}
	}
	return false
}

// positional reports whether a predicate may depend on the context position
// (a number, or a use of position()/last()).
func positional(e expr) bool {
	switch x := e.(type) {
	case *cmpExpr:
		return usesPos(x.a) || usesPos(x.b)
	case *andExpr:
		return usesPos(x.a) || usesPos(x.b)
	case *orExpr:
		return usesPos(x.a) || usesPos(x.b)
	case *stepExpr:
		return usesPos(e)
	case *pathExpr:
		// A path ending in a step selects nodes; one ending in a
		// function may yield a number, which is positional.
		if _, ok := rightmost(x).(*stepExpr); !ok {
			return true
		}
		return usesPos(e)
	case *callExpr:
		switch x.name {
		case "not", "exists", "empty", "boolean", "contains", "starts-with", "ends-with", "matches", "normalize-space", "true", "false", "string", "upper-case":
			return usesPos(e)
		}
	case *quantExpr:
		return usesPos(e)
	case *varRef:
		return !x.boolean
	}
	return true
}

func startsAtRoot(p *pathExpr) bool {
	switch l := p.left.(type) {
	case *rootExpr:
		return true
	case *pathExpr:
		return startsAtRoot(l)
	}
	return false
}

func usesVars(e expr) bool {
	found := false
	walk(e, func(e expr) {
		switch x := e.(type) {
		case *varRef:
			found = true
		case *callExpr:
			if x.name == "position" || x.name == "last" {
				// inside predicates these are the predicate's own
				// focus, but stay conservative
				found = true
			}
		}
	})
	return found
}

func rightmost(p *pathExpr) expr {
	if r, ok := p.right.(*pathExpr); ok {
		return rightmost(r)
	}
	return p.right
}

func usesPos(e expr) bool {
	found := false
	walk(e, func(e expr) {
		if c, ok := e.(*callExpr); ok && (c.name == "position" || c.name == "last") {
			found = true
		}
	})
	return found
}

func (p *parser) stepExpr() expr {
	t := p.peek()
	var e expr
	switch {
	case t.is(".."):
		p.next()
		e = &stepExpr{axis: axisParent, test: nodeTest{kind: testNode}}
	case t.is("@"):
		p.next()
		e = &stepExpr{axis: axisAttribute, test: p.nodeTest(true)}
	case t.kind == tName && p.peekAt(1).is("::"):
		ax, ok := axisNames[t.s]
		if !ok {
			p.fail("unknown axis %q", t.s)
		}
		p.next()
		p.next()
		e = &stepExpr{axis: ax, test: p.nodeTest(ax == axisAttribute)}
	case t.is("*"):
		e = &stepExpr{axis: axisChild, test: p.nodeTest(false)}
	case t.kind == tName && !p.peekAt(1).is("("):
		e = &stepExpr{axis: axisChild, test: p.nodeTest(false)}
	case t.kind == tName && kindTests[t.s]:
		e = &stepExpr{axis: axisChild, test: p.nodeTest(false)}
		if st := e.(*stepExpr); st.test.kind == testAttr {
			st.axis = axisAttribute
		}
	default:
		prim := p.primary()
		preds := p.predicates()
		if len(preds) == 0 {
			return prim
		}
		return &filterExpr{prim, preds}
	}
	st := e.(*stepExpr)
	st.preds = p.predicates()
	st.simpleChild = st.axis == axisChild && len(st.preds) == 0 && st.test.kind == testName && !st.test.anyLocal && !st.test.anySpace
	return st
}

var kindTests = map[string]bool{"node": true, "text": true, "comment": true, "element": true, "attribute": true, "processing-instruction": true, "document-node": true}

func (p *parser) predicates() []expr {
	var preds []expr
	for p.peek().is("[") {
		p.next()
		preds = append(preds, p.expr())
		p.expect("]")
	}
	return preds
}

func (p *parser) nodeTest(attr bool) nodeTest {
	t := p.next()
	if t.is("*") {
		return nodeTest{kind: testName, anySpace: true, anyLocal: true}
	}
	if t.kind != tName {
		p.fail("expected node test, found %q", t.s)
	}
	if kindTests[t.s] && p.peek().is("(") {
		p.next()
		if !p.peek().is(")") {
			p.next() // element(name) etc.: only the simple form is used
		}
		p.expect(")")
		switch t.s {
		case "node":
			return nodeTest{kind: testNode}
		case "text":
			return nodeTest{kind: testText}
		case "comment":
			return nodeTest{kind: testComment}
		case "processing-instruction":
			return nodeTest{kind: testPI}
		case "attribute":
			return nodeTest{kind: testAttr, anySpace: true, anyLocal: true}
		case "document-node":
			return nodeTest{kind: testDoc}
		}
		return nodeTest{kind: testName, anySpace: true, anyLocal: true}
	}
	prefix, local, hasPrefix := strings.Cut(t.s, ":")
	if !hasPrefix {
		local = prefix
		prefix = ""
	}
	nt := nodeTest{kind: testName, local: local}
	switch {
	case prefix == "*":
		nt.anySpace = true
	case hasPrefix:
		uri, ok := p.sc.Namespaces[prefix]
		if !ok {
			p.fail("undeclared prefix %q", prefix)
		}
		nt.space = uri
	}
	if local == "*" {
		nt.anyLocal = true
	}
	return nt
}

func (p *parser) primary() expr {
	t := p.next()
	switch t.kind {
	case tString:
		return &literal{Seq{String(t.s)}}
	case tInteger:
		v, err := strconv.ParseInt(t.s, 10, 64)
		if err != nil {
			r, _ := new(big.Rat).SetString(t.s)
			return &literal{Seq{Decimal{r}}}
		}
		return &literal{Seq{Integer(v)}}
	case tDecimal:
		r, _ := new(big.Rat).SetString(t.s)
		return &literal{Seq{Decimal{r}}}
	case tDouble:
		f, _ := strconv.ParseFloat(t.s, 64)
		return &literal{Seq{Double(f)}}
	case tSym:
		switch t.s {
		case "$":
			n := p.next()
			if n.kind != tName {
				p.fail("expected variable name")
			}
			return &varRef{name: n.s, boolean: p.sc.BoolVars[n.s]}
		case "(":
			if p.peek().is(")") {
				p.next()
				return &literal{nil}
			}
			e := p.expr()
			p.expect(")")
			return &parenExpr{e}
		case ".":
			return &contextItem{}
		}
	case tName:
		if p.peek().is("(") {
			p.next()
			var args []expr
			if !p.peek().is(")") {
				args = append(args, p.exprSingle())
				for p.peek().is(",") {
					p.next()
					args = append(args, p.exprSingle())
				}
			}
			p.expect(")")
			return p.call(t.s, args)
		}
	}
	p.fail("unexpected %q", t.s)
	return nil
}

func (p *parser) call(qn string, args []expr) expr {
	prefix, local, hasPrefix := strings.Cut(qn, ":")
	if !hasPrefix {
		local = prefix
		prefix = ""
	}
	uri := ""
	if hasPrefix {
		var ok bool
		uri, ok = p.sc.Namespaces[prefix]
		if !ok {
			if prefix == "fn" {
				uri = fnNS
			} else {
				p.fail("undeclared prefix %q", prefix)
			}
		}
	}
	switch uri {
	case xsNS:
		if len(args) != 1 {
			p.fail("constructor %s needs one argument", qn)
		}
		if !castTypes[local] {
			p.fail("unsupported type %s", qn)
		}
		return &castExpr{e: args[0], typ: local, optional: true}
	case "", fnNS:
		b, ok := builtins[local]
		if !ok {
			p.fail("unknown function %s", qn)
		}
		if len(args) < b.min || (b.max >= 0 && len(args) > b.max) {
			p.fail("wrong number of arguments for %s", qn)
		}
		if len(args) == 0 && b.ctxDefault {
			args = []expr{&contextItem{}}
		}
		call := &callExpr{name: local, fn: b.fn, args: args, single: singleSet[local]}
		if len(args) > 0 {
			call.sfn = stringFns[local]
			call.bfn = boolFns[local]
		}
		if local == "true" || local == "false" {
			call.bfn = boolFns[local]
		}
		return call
	}
	f, ok := p.sc.Functions[FuncKey(uri, local, len(args))]
	if !ok {
		p.fail("unknown function %s#%d", qn, len(args))
	}
	return &userCall{name: qn, f: f, args: args}
}

const fnNS = "http://www.w3.org/2005/xpath-functions"

// CompilePattern compiles an XSLT match pattern into an expression that,
// evaluated with the document node as context, selects every node the
// pattern matches. Relative branches become "//branch"; absolute ones stay.
func CompilePattern(src string, sc *StaticContext) (*Expr, error) {
	x, err := Compile(src, sc)
	if err != nil {
		return nil, err
	}
	return &Expr{src: src, e: anchor(x.e)}, nil
}

func anchor(e expr) expr {
	switch x := e.(type) {
	case *setExpr:
		if x.op == "union" {
			return &setExpr{op: "union", a: anchor(x.a), b: anchor(x.b)}
		}
	case *parenExpr:
		if absolute(x.e) {
			return x
		}
		return &parenExpr{anchor(x.e)}
	}
	if absolute(e) {
		return e
	}
	return anchorLeftmost(e)
}

func absolute(e expr) bool {
	switch x := e.(type) {
	case *rootExpr:
		return true
	case *pathExpr:
		return absolute(x.left)
	case *parenExpr:
		return absolute(x.e)
	case *setExpr:
		return absolute(x.a) && absolute(x.b)
	case *filterExpr:
		return absolute(x.e)
	}
	return false
}

func anchorLeftmost(e expr) expr {
	if p, ok := e.(*pathExpr); ok {
		return &pathExpr{left: anchorLeftmost(p.left), right: p.right}
	}
	if f, ok := fuseDesc(e); ok {
		return &pathExpr{left: &rootExpr{}, right: f}
	}
	dos := &stepExpr{axis: axisDescendantOrSelf, test: nodeTest{kind: testNode}}
	return &pathExpr{left: &pathExpr{left: &rootExpr{}, right: dos}, right: e}
}
