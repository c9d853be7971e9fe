package xpath

import (
	"math"
	"math/big"
	"slices"
	"sort"
	"time"
)

// Vars is an immutable chain of variable bindings.
type Vars struct {
	name string
	val  Seq
	next *Vars
	lazy *lazyVal
}

// lazyVal is a variable evaluated on first use, as XSLT processors do
// with local variables: an error surfaces only where the variable is used.
type lazyVal struct {
	x    *Expr
	c    Context
	done bool
	v    Seq
	err  error
}

// Bind returns a chain with name bound to val in front of v.
func (v *Vars) Bind(name string, val Seq) *Vars { return &Vars{name: name, val: val, next: v} }

// BindLazy returns a chain with name bound to the value of x in context c,
// computed when first used. Not safe for concurrent use.
func (v *Vars) BindLazy(name string, x *Expr, c *Context) *Vars {
	return &Vars{name: name, next: v, lazy: &lazyVal{x: x, c: *c}}
}

// Context is the dynamic context of an evaluation.
type Context struct {
	Item      Item
	Pos, Size int
	Vars      *Vars
	// Globals resolves variables not bound in Vars (nil: none).
	Globals func(name string) (Seq, error)

	// Budget, if set, bounds the work of an evaluation (hostile
	// documents must not make quadratic rules run for hours).
	Budget *Budget

	// pattern: evaluating an XSLT match pattern, where a dynamic error in
	// a predicate means that the node does not match (XSLT 3.0 §5.5.4),
	// instead of failing the evaluation.
	pattern bool
}

// ErrBudget is returned when an evaluation exceeds Context.Budget.
var ErrBudget = &DynamicError{Code: "RATHAUS0001", Msg: "evaluation budget exhausted: document too complex"}

// Budget bounds an evaluation: node visits and predicate tests are
// subtracted from Units, and the clock is checked now and then against
// Deadline. Either running out fails the evaluation with ErrBudget.
type Budget struct {
	Units    int64
	Deadline time.Time // zero: none
	tick     int64

	// cache holds the values of context-independent paths (from the root,
	// without variables) for the evaluation the budget belongs to: the
	// document does not change, so "/a/b" in a rule evaluated for every
	// line is computed once, as Saxon's optimiser does.
	cache map[*pathExpr]cached
}

type cached struct {
	v   Seq
	err error
}

// spend subtracts k units from the budget.
func (c *Context) spend(k int) error {
	b := c.Budget
	if b == nil {
		return nil
	}
	b.Units -= int64(k)
	b.tick += int64(k)
	if b.Units < 0 {
		return ErrBudget
	}
	if b.tick > 1<<16 {
		b.tick = 0
		if !b.Deadline.IsZero() && time.Now().After(b.Deadline) {
			b.Units = -1
			return ErrBudget
		}
	}
	return nil
}

type expr interface {
	eval(c *Context) (Seq, error)
}

func walk(e expr, f func(expr)) {
	if e == nil {
		return
	}
	f(e)
	switch x := e.(type) {
	case *seqExpr:
		for _, i := range x.items {
			walk(i, f)
		}
	case *forExpr:
		for _, b := range x.vars {
			walk(b.e, f)
		}
		walk(x.ret, f)
	case *quantExpr:
		for _, b := range x.vars {
			walk(b.e, f)
		}
		walk(x.sat, f)
	case *ifExpr:
		walk(x.cond, f)
		walk(x.then, f)
		walk(x.els, f)
	case *orExpr:
		walk(x.a, f)
		walk(x.b, f)
	case *andExpr:
		walk(x.a, f)
		walk(x.b, f)
	case *cmpExpr:
		walk(x.a, f)
		walk(x.b, f)
	case *rangeExpr:
		walk(x.a, f)
		walk(x.b, f)
	case *arithExpr:
		walk(x.a, f)
		walk(x.b, f)
	case *setExpr:
		walk(x.a, f)
		walk(x.b, f)
	case *castExpr:
		walk(x.e, f)
	case *negExpr:
		walk(x.e, f)
	case *pathExpr:
		walk(x.left, f)
		walk(x.right, f)
	case *stepExpr:
		for _, p := range x.preds {
			walk(p, f)
		}
	case *filterExpr:
		walk(x.e, f)
		for _, p := range x.preds {
			walk(p, f)
		}
	case *parenExpr:
		walk(x.e, f)
	case *callExpr:
		for _, a := range x.args {
			walk(a, f)
		}
	case *userCall:
		for _, a := range x.args {
			walk(a, f)
		}
	}
}

type literal struct{ v Seq }

func (l *literal) eval(*Context) (Seq, error) { return l.v, nil }

type varRef struct {
	name    string
	boolean bool // known to be a single xs:boolean
}

func (v *varRef) eval(c *Context) (Seq, error) {
	for b := c.Vars; b != nil; b = b.next {
		if b.name == v.name {
			if l := b.lazy; l != nil {
				if !l.done {
					l.done = true
					l.v, l.err = l.x.Eval(&l.c)
				}
				return l.v, l.err
			}
			return b.val, nil
		}
	}
	if c.Globals != nil {
		return c.Globals(v.name)
	}
	return nil, errorf("XPST0008", "undefined variable $%s", v.name)
}

type contextItem struct{}

func (contextItem) eval(c *Context) (Seq, error) {
	if c.Item == nil {
		return nil, errorf("XPDY0002", "no context item")
	}
	if n, ok := c.Item.(*Node); ok {
		return n.single(), nil
	}
	return Seq{c.Item}, nil
}

type parenExpr struct{ e expr }

func (p *parenExpr) eval(c *Context) (Seq, error) { return p.e.eval(c) }

type seqExpr struct{ items []expr }

func (s *seqExpr) eval(c *Context) (Seq, error) {
	var out Seq
	for _, e := range s.items {
		v, err := e.eval(c)
		if err != nil {
			return nil, err
		}
		out = append(out, v...)
	}
	return out, nil
}

type binding struct {
	name string
	e    expr
}

type forExpr struct {
	vars []binding
	ret  expr
}

func (f *forExpr) eval(c *Context) (Seq, error) {
	var out Seq
	err := f.loop(c, 0, func(c2 *Context) error {
		v, err := f.ret.eval(c2)
		out = append(out, v...)
		return err
	})
	return out, err
}

func (f *forExpr) loop(c *Context, i int, body func(*Context) error) error {
	if i == len(f.vars) {
		return body(c)
	}
	s, err := f.vars[i].e.eval(c)
	if err != nil {
		return err
	}
	if err := c.spend(len(s)); err != nil {
		return err
	}
	for _, it := range s {
		c2 := *c
		c2.Vars = c.Vars.Bind(f.vars[i].name, Seq{it})
		if err := f.loop(&c2, i+1, body); err != nil {
			return err
		}
	}
	return nil
}

type quantExpr struct {
	every bool
	vars  []binding
	sat   expr
}

var errStop = &DynamicError{Code: "stop"}

func (q *quantExpr) eval(c *Context) (Seq, error) {
	result := q.every
	fl := &forExpr{vars: q.vars}
	err := fl.loop(c, 0, func(c2 *Context) error {
		v, err := q.sat.eval(c2)
		if err != nil {
			return err
		}
		b, err := EBV(v)
		if err != nil {
			return err
		}
		if b != q.every {
			result = !q.every
			return errStop
		}
		return nil
	})
	if err != nil && err != errStop {
		return nil, err
	}
	return boolSeq(result), nil
}

type ifExpr struct{ cond, then, els expr }

func (i *ifExpr) eval(c *Context) (Seq, error) {
	v, err := i.cond.eval(c)
	if err != nil {
		return nil, err
	}
	b, err := EBV(v)
	if err != nil {
		return nil, err
	}
	if b {
		return i.then.eval(c)
	}
	return i.els.eval(c)
}

type orExpr struct{ a, b expr }

func (o *orExpr) eval(c *Context) (Seq, error) {
	b, err := ebvOf(c, o)
	return boolSeq(b), err
}

type andExpr struct{ a, b expr }

func (o *andExpr) eval(c *Context) (Seq, error) {
	b, err := ebvOf(c, o)
	return boolSeq(b), err
}

type cmpExpr struct {
	op      string
	general bool
	strings bool // both operands are single strings
	a, b    expr
}

func (x *cmpExpr) eval(c *Context) (Seq, error) {
	if x.strings {
		b, err := x.evalBool(c)
		return boolSeq(b), err
	}
	a, err := x.a.eval(c)
	if err != nil {
		return nil, err
	}
	b, err := x.b.eval(c)
	if err != nil {
		return nil, err
	}
	if x.general {
		r, err := GeneralCompare(x.op, a, b)
		return boolSeq(r), err
	}
	a, b = atomizeSeq(a), atomizeSeq(b)
	if len(a) == 0 || len(b) == 0 {
		return nil, nil
	}
	if len(a) > 1 || len(b) > 1 {
		return nil, errorf("XPTY0004", "value comparison of a sequence")
	}
	r, err := compareAtomic(x.op, a[0], b[0], false)
	return boolSeq(r), err
}

// GeneralCompare implements the XPath 2.0 general comparison operators.
func GeneralCompare(op string, a, b Seq) (bool, error) {
	for _, x := range a {
		if n, ok := x.(*Node); ok {
			// Fast path for a node against literals, without boxing
			// its string value.
			r, done, err := compareNode(op, n.StringValue(), b)
			if err != nil || r {
				return r, err
			}
			if done {
				continue
			}
		}
		x = atomize(x)
		for _, y := range b {
			r, err := compareAtomic(op, x, atomize(y), true)
			if err != nil {
				return false, err
			}
			if r {
				return true, nil
			}
		}
	}
	return false, nil
}

// compareNode compares an untyped value with every item of b when all of
// them are strings or numbers; done is false when another case applies.
func compareNode(op, sx string, b Seq) (r, done bool, err error) {
	for _, y := range b {
		switch y.(type) {
		case String, Integer, Decimal, Double:
		default:
			return false, false, nil
		}
	}
	var f float64
	parsed := false
	for _, y := range b {
		switch yv := y.(type) {
		case String:
			if cmpResult(op, cmpStrings(sx, string(yv))) {
				return true, true, nil
			}
		default:
			if !parsed {
				var ok bool
				if f, ok = parseDouble(sx); !ok {
					return false, true, errorf("FORG0001", "cannot convert %q to xs:double", sx)
				}
				parsed = true
			}
			g := toDouble(yv)
			if math.IsNaN(f) || math.IsNaN(g) {
				if op == "!=" {
					return true, true, nil
				}
				continue
			}
			c := 0
			if f < g {
				c = -1
			} else if f > g {
				c = 1
			}
			if cmpResult(op, c) {
				return true, true, nil
			}
		}
	}
	return false, true, nil
}

func compareAtomic(op string, x, y Item, general bool) (bool, error) {
	xu, xIsU := x.(Untyped)
	yu, yIsU := y.(Untyped)
	if xIsU || yIsU {
		switch {
		case xIsU && yIsU:
			return cmpResult(op, cmpStrings(string(xu), string(yu))), nil
		case !general:
			if xIsU {
				x = String(xu)
			}
			if yIsU {
				y = String(yu)
			}
		default:
			var err error
			if xIsU {
				x, err = promoteUntyped(xu, y)
			} else {
				y, err = promoteUntyped(yu, x)
			}
			if err != nil {
				return false, err
			}
		}
	}
	if isNumeric(x) && isNumeric(y) {
		xi, ok1 := x.(Integer)
		yi, ok2 := y.(Integer)
		if ok1 && ok2 {
			switch {
			case xi < yi:
				return cmpResult(op, -1), nil
			case xi > yi:
				return cmpResult(op, 1), nil
			}
			return cmpResult(op, 0), nil
		}
		if numRank(x) == 2 || numRank(y) == 2 {
			a, b := toDouble(x), toDouble(y)
			if math.IsNaN(a) || math.IsNaN(b) {
				return op == "!=", nil
			}
			switch {
			case a < b:
				return cmpResult(op, -1), nil
			case a > b:
				return cmpResult(op, 1), nil
			}
			return cmpResult(op, 0), nil
		}
		return cmpResult(op, ratOf(x).Cmp(ratOf(y))), nil
	}
	switch xv := x.(type) {
	case String:
		if yv, ok := y.(String); ok {
			return cmpResult(op, cmpStrings(string(xv), string(yv))), nil
		}
	case Bool:
		if yv, ok := y.(Bool); ok {
			return cmpResult(op, b2i(bool(xv))-b2i(bool(yv))), nil
		}
	case Date:
		if yv, ok := y.(Date); ok {
			a, b := xv.minutes(), yv.minutes()
			switch {
			case a < b:
				return cmpResult(op, -1), nil
			case a > b:
				return cmpResult(op, 1), nil
			}
			return cmpResult(op, 0), nil
		}
	}
	return false, errorf("XPTY0004", "cannot compare %T with %T", x, y)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func cmpStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func promoteUntyped(u Untyped, other Item) (Item, error) {
	switch other.(type) {
	case Integer, Decimal, Double:
		return Cast(u, "double")
	case String:
		return String(u), nil
	case Bool:
		return Cast(u, "boolean")
	case Date:
		return Cast(u, "date")
	}
	return String(u), nil
}

func cmpResult(op string, c int) bool {
	switch op {
	case "=":
		return c == 0
	case "!=":
		return c != 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	}
	return false
}

type rangeExpr struct{ a, b expr }

func (r *rangeExpr) eval(c *Context) (Seq, error) {
	a, err := singleNumber(r.a, c)
	if err != nil || a == nil {
		return nil, err
	}
	b, err := singleNumber(r.b, c)
	if err != nil || b == nil {
		return nil, err
	}
	ai, err := Cast(a, "integer")
	if err != nil {
		return nil, err
	}
	bi, err := Cast(b, "integer")
	if err != nil {
		return nil, err
	}
	lo, hi := ai.(Integer), bi.(Integer)
	if hi-lo > 1<<20 {
		return nil, errorf("XPDY0130", "range too large")
	}
	var out Seq
	for i := lo; i <= hi; i++ {
		out = append(out, i)
	}
	return out, nil
}

func singleNumber(e expr, c *Context) (Item, error) {
	v, err := e.eval(c)
	if err != nil {
		return nil, err
	}
	v = atomizeSeq(v)
	if len(v) == 0 {
		return nil, nil
	}
	it := v[0]
	if u, ok := it.(Untyped); ok {
		return Cast(u, "double")
	}
	return it, nil
}

type arithExpr struct {
	op   string
	a, b expr
}

func (x *arithExpr) eval(c *Context) (Seq, error) {
	a, err := arithOperand(x.a, c)
	if err != nil || a == nil {
		return nil, err
	}
	b, err := arithOperand(x.b, c)
	if err != nil || b == nil {
		return nil, err
	}
	r, err := Arith(x.op, a, b)
	if err != nil {
		return nil, err
	}
	return Seq{r}, nil
}

func arithOperand(e expr, c *Context) (Item, error) {
	v, err := e.eval(c)
	if err != nil {
		return nil, err
	}
	if len(v) == 0 {
		return nil, nil
	}
	if len(v) > 1 {
		return nil, errorf("XPTY0004", "arithmetic on a sequence of %d items", len(v))
	}
	it := atomize(v[0])
	if u, ok := it.(Untyped); ok {
		return Cast(u, "double")
	}
	if !isNumeric(it) {
		return nil, errorf("XPTY0004", "arithmetic on %T", it)
	}
	return it, nil
}

// divScale is the number of fractional digits kept by decimal division,
// as in Saxon.
const divScale = 18

var pow10 = new(big.Int).Exp(big.NewInt(10), big.NewInt(divScale), nil)

// Arith applies a binary arithmetic operator to two numeric values.
func Arith(op string, a, b Item) (Item, error) {
	ra, rb := numRank(a), numRank(b)
	if ra == 2 || rb == 2 {
		x, y := toDouble(a), toDouble(b)
		switch op {
		case "+":
			return Double(x + y), nil
		case "-":
			return Double(x - y), nil
		case "*":
			return Double(x * y), nil
		case "div":
			return Double(x / y), nil
		case "mod":
			return Double(math.Mod(x, y)), nil
		case "idiv":
			if y == 0 || math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) {
				return nil, errorf("FOAR0001", "integer division by zero or overflow")
			}
			return Integer(int64(math.Trunc(x / y))), nil
		}
	}
	if ra == 0 && rb == 0 {
		x, y := int64(a.(Integer)), int64(b.(Integer))
		switch op {
		case "+":
			if r := x + y; (r > x) == (y > 0) {
				return Integer(r), nil
			}
		case "-":
			if r := x - y; (r < x) == (y > 0) {
				return Integer(r), nil
			}
		case "*":
			if x == 0 || y == 0 {
				return Integer(0), nil
			}
			if r := x * y; r/y == x && !(x == -1 && y == math.MinInt64) && !(y == -1 && x == math.MinInt64) {
				return Integer(r), nil
			}
		case "idiv":
			if y == 0 {
				return nil, errorf("FOAR0001", "division by zero")
			}
			return Integer(x / y), nil
		case "mod":
			if y == 0 {
				return nil, errorf("FOAR0001", "division by zero")
			}
			return Integer(x % y), nil
		}
	}
	x, y := ratOf(a), ratOf(b)
	r := new(big.Rat)
	switch op {
	case "+":
		r.Add(x, y)
	case "-":
		r.Sub(x, y)
	case "*":
		r.Mul(x, y)
	case "div":
		if y.Sign() == 0 {
			return nil, errorf("FOAR0001", "division by zero")
		}
		r.Quo(x, y)
		r = truncScale(r)
	case "idiv":
		if y.Sign() == 0 {
			return nil, errorf("FOAR0001", "division by zero")
		}
		r.Quo(x, y)
		q := new(big.Int).Quo(r.Num(), r.Denom())
		if !q.IsInt64() {
			return nil, errorf("FOAR0002", "overflow")
		}
		return Integer(q.Int64()), nil
	case "mod":
		if y.Sign() == 0 {
			return nil, errorf("FOAR0001", "division by zero")
		}
		q := new(big.Rat).Quo(x, y)
		qi := new(big.Int).Quo(q.Num(), q.Denom())
		r.Sub(x, new(big.Rat).Mul(y, new(big.Rat).SetInt(qi)))
	default:
		return nil, errorf("XPST0017", "unknown operator %s", op)
	}
	if ra == 0 && rb == 0 && op != "div" && r.IsInt() && r.Num().IsInt64() {
		return Integer(r.Num().Int64()), nil
	}
	return Decimal{r}, nil
}

// truncScale truncates r toward zero to divScale fractional digits unless
// it is already exact with fewer digits.
func truncScale(r *big.Rat) *big.Rat {
	if r.IsInt() {
		return r
	}
	n := new(big.Int).Mul(r.Num(), pow10)
	q, m := new(big.Int).QuoRem(n, r.Denom(), new(big.Int))
	if m.Sign() == 0 {
		return r
	}
	return new(big.Rat).SetFrac(q, pow10)
}

type negExpr struct{ e expr }

func (n *negExpr) eval(c *Context) (Seq, error) {
	v, err := arithOperand(n.e, c)
	if err != nil || v == nil {
		return nil, err
	}
	switch x := v.(type) {
	case Integer:
		return Seq{-x}, nil
	case Decimal:
		return Seq{Decimal{new(big.Rat).Neg(x.R)}}, nil
	case Double:
		return Seq{-x}, nil
	}
	return nil, errorf("XPTY0004", "negation of %T", v)
}

type setExpr struct {
	op   string
	a, b expr
}

func (s *setExpr) eval(c *Context) (Seq, error) {
	a, err := s.a.eval(c)
	if err != nil {
		return nil, err
	}
	b, err := s.b.eval(c)
	if err != nil {
		return nil, err
	}
	for _, it := range a {
		if _, ok := it.(*Node); !ok {
			return nil, errorf("XPTY0004", "%s of non-nodes", s.op)
		}
	}
	for _, it := range b {
		if _, ok := it.(*Node); !ok {
			return nil, errorf("XPTY0004", "%s of non-nodes", s.op)
		}
	}
	switch s.op {
	case "union":
		out := make(Seq, 0, len(a)+len(b))
		out = append(out, a...)
		out = append(out, b...)
		return sortNodes(out), nil
	case "intersect", "except":
		in := map[*Node]bool{}
		for _, it := range b {
			in[it.(*Node)] = true
		}
		var out Seq
		for _, it := range a {
			if in[it.(*Node)] == (s.op == "intersect") {
				out = append(out, it)
			}
		}
		return sortNodes(out), nil
	}
	return nil, nil
}

// sortNodes sorts nodes into document order and removes duplicates.
func sortNodes(s Seq) Seq {
	if len(s) < 2 {
		return s
	}
	sorted := true
	for i := 1; i < len(s); i++ {
		if s[i-1].(*Node).Order >= s[i].(*Node).Order {
			sorted = false
			break
		}
	}
	if sorted {
		return s
	}
	sort.SliceStable(s, func(i, j int) bool { return s[i].(*Node).Order < s[j].(*Node).Order })
	out := s[:1]
	for _, it := range s[1:] {
		if it.(*Node) != out[len(out)-1].(*Node) {
			out = append(out, it)
		}
	}
	return out
}

type castExpr struct {
	e        expr
	typ      string
	optional bool
	test     bool // castable as
}

func (x *castExpr) eval(c *Context) (Seq, error) {
	v, err := x.e.eval(c)
	if err != nil {
		return nil, err
	}
	v = atomizeSeq(v)
	if len(v) == 0 {
		if x.test {
			return boolSeq(x.optional), nil
		}
		return nil, nil
	}
	if len(v) > 1 {
		if x.test {
			return falseSeq, nil
		}
		return nil, errorf("XPTY0004", "cast of a sequence of %d items", len(v))
	}
	r, err := Cast(v[0], x.typ)
	if x.test {
		return boolSeq(err == nil), nil
	}
	if err != nil {
		return nil, err
	}
	return Seq{r}, nil
}

type rootExpr struct{}

func (rootExpr) eval(c *Context) (Seq, error) {
	n, ok := c.Item.(*Node)
	if !ok {
		return nil, errorf("XPDY0050", "context item is not a node")
	}
	return n.doc.Root.single(), nil
}

type pathExpr struct {
	left, right expr
	// absolute: starts at the root and uses no variables, so its value is
	// the same wherever it is evaluated in a document.
	absolute bool
	// plan, when set, lists the step chains the path is a union of; it
	// lets an existence test stop at the first node found.
	plan [][]*stepExpr
}

func (p *pathExpr) eval(c *Context) (Seq, error) {
	if p.absolute && c.Budget != nil && !c.pattern {
		b := c.Budget
		if r, ok := b.cache[p]; ok {
			return r.v, r.err
		}
		v, err := p.evalPath(c)
		if b.cache == nil {
			b.cache = map[*pathExpr]cached{}
		}
		b.cache[p] = cached{v, err}
		return v, err
	}
	return p.evalPath(c)
}

func (p *pathExpr) evalPath(c *Context) (Seq, error) {
	left, err := p.left.eval(c)
	if err != nil || len(left) == 0 {
		return nil, err
	}
	if st, ok := p.right.(*stepExpr); ok {
		return st.evalFrom(left, c)
	}
	var out Seq
	nodes := true
	c2 := *c
	c2.Size = len(left)
	for i, it := range left {
		if _, ok := it.(*Node); !ok {
			return nil, errorf("XPTY0019", "path step on an atomic value")
		}
		c2.Item, c2.Pos = it, i+1
		r, err := p.right.eval(&c2)
		if err != nil {
			return nil, err
		}
		for _, x := range r {
			if _, ok := x.(*Node); !ok {
				nodes = false
			}
		}
		out = append(out, r...)
	}
	if nodes {
		return sortNodes(out), nil
	}
	return out, nil
}

type axis uint8

const (
	axisChild axis = iota
	axisAttribute
	axisSelf
	axisParent
	axisAncestor
	axisAncestorOrSelf
	axisDescendant
	axisDescendantOrSelf
	axisFollowingSibling
	axisPrecedingSibling
	axisFollowing
	axisPreceding
	axisDescendantAttribute // attributes of descendant-or-self elements (for //@x)
)

var axisNames = map[string]axis{
	"child": axisChild, "attribute": axisAttribute, "self": axisSelf, "parent": axisParent,
	"ancestor": axisAncestor, "ancestor-or-self": axisAncestorOrSelf, "descendant": axisDescendant,
	"descendant-or-self": axisDescendantOrSelf, "following-sibling": axisFollowingSibling,
	"preceding-sibling": axisPrecedingSibling, "following": axisFollowing, "preceding": axisPreceding,
}

func (a axis) reverse() bool {
	switch a {
	case axisParent, axisAncestor, axisAncestorOrSelf, axisPrecedingSibling, axisPreceding:
		return true
	}
	return false
}

type testKind uint8

const (
	testName testKind = iota
	testNode
	testText
	testComment
	testPI
	testAttr
	testDoc
)

type nodeTest struct {
	kind               testKind
	space, local       string
	anySpace, anyLocal bool
}

func (t *nodeTest) match(n *Node, attrAxis bool) bool {
	switch t.kind {
	case testNode:
		return true
	case testText:
		return n.Kind == TextNode
	case testComment:
		return n.Kind == CommentNode
	case testPI:
		return n.Kind == PINode
	case testDoc:
		return n.Kind == DocumentNode
	case testAttr:
		return n.Kind == AttributeNode
	}
	want := ElementNode
	if attrAxis {
		want = AttributeNode
	}
	if n.Kind != want {
		return false
	}
	return (t.anyLocal || n.Local == t.local) && (t.anySpace || n.Space == t.space)
}

type stepExpr struct {
	axis        axis
	test        nodeTest
	preds       []expr
	simpleChild bool // child::name without predicates
}

func (s *stepExpr) eval(c *Context) (Seq, error) {
	n, ok := c.Item.(*Node)
	if !ok {
		return nil, errorf("XPTY0020", "axis step on an atomic value")
	}
	return s.from(n, c, nil)
}

// childSingle handles the common child::name step without predicates
// without allocating when at most one child matches.
func (s *stepExpr) childSingle(n *Node) (Seq, bool) {
	t := &s.test
	var found *Node
	for _, ch := range n.Children {
		if ch.Local == t.local && ch.Kind == ElementNode && ch.Space == t.space {
			if found != nil {
				return nil, false
			}
			found = ch
		}
	}
	if found == nil {
		return nil, true
	}
	return found.single(), true
}

func (s *stepExpr) evalFrom(left Seq, c *Context) (Seq, error) {
	if len(left) == 1 {
		n, ok := left[0].(*Node)
		if !ok {
			return nil, errorf("XPTY0019", "path step on an atomic value")
		}
		return s.from(n, c, nil)
	}
	var out Seq
	for _, it := range left {
		n, ok := it.(*Node)
		if !ok {
			return nil, errorf("XPTY0019", "path step on an atomic value")
		}
		var err error
		out, err = s.from(n, c, out)
		if err != nil {
			return nil, err
		}
	}
	return sortNodes(out), nil
}

// from appends the nodes selected from n to out (document order for a
// single n).
func (s *stepExpr) from(n *Node, c *Context, out Seq) (Seq, error) {
	if err := c.spend(1 + len(n.Children)); err != nil {
		return nil, err
	}
	if out == nil && s.simpleChild {
		if r, ok := s.childSingle(n); ok {
			return r, nil
		}
	}
	start := len(out)
	attr := s.axis == axisAttribute
	add := func(m *Node) {
		if s.test.match(m, attr) {
			out = append(out, m)
		}
	}
	switch s.axis {
	case axisChild:
		t := &s.test
		if t.kind == testName && !t.anyLocal && !t.anySpace {
			for _, ch := range n.Children {
				if ch.Local == t.local && ch.Kind == ElementNode && ch.Space == t.space {
					out = append(out, ch)
				}
			}
			break
		}
		for _, ch := range n.Children {
			if t.match(ch, false) {
				out = append(out, ch)
			}
		}
	case axisAttribute:
		for _, a := range n.Attrs {
			add(a)
		}
	case axisSelf:
		add(n)
	case axisParent:
		if n.Parent != nil && len(s.preds) == 0 && out == nil && s.test.match(n.Parent, false) {
			return n.Parent.single(), nil
		}
		if n.Parent != nil {
			add(n.Parent)
		}
	case axisAncestor, axisAncestorOrSelf:
		m := n
		if s.axis == axisAncestor {
			m = n.Parent
		}
		for ; m != nil; m = m.Parent {
			add(m)
		}
	case axisDescendantAttribute:
		if n.Kind == AttributeNode {
			break
		}
		if s.test.kind == testName && !s.test.anyLocal && !s.test.anySpace {
			out = appendRange(out, n.doc.attrsByName[qname{s.test.space, s.test.local}], n.Order, n.end())
		} else {
			var rec func(m *Node)
			rec = func(m *Node) {
				for _, a := range m.Attrs {
					if s.test.match(a, true) {
						out = append(out, a)
					}
				}
				for _, ch := range m.Children {
					if ch.Kind == ElementNode {
						rec(ch)
					}
				}
			}
			rec(n)
		}
	case axisDescendant, axisDescendantOrSelf:
		if s.axis == axisDescendantOrSelf {
			add(n)
		}
		if n.Kind == AttributeNode {
			break
		}
		if s.test.kind == testName && !s.test.anyLocal && !s.test.anySpace {
			out = appendRange(out, n.doc.byName[qname{s.test.space, s.test.local}], n.Order+1, n.end())
		} else if s.test.kind == testName {
			els := n.doc.Elements
			end := n.end()
			i := sort.Search(len(els), func(i int) bool { return els[i].Order > n.Order })
			for ; i < len(els) && els[i].Order <= end; i++ {
				add(els[i])
			}
		} else {
			var rec func(m *Node)
			rec = func(m *Node) {
				for _, ch := range m.Children {
					add(ch)
					rec(ch)
				}
			}
			rec(n)
		}
	case axisFollowingSibling, axisPrecedingSibling:
		if n.Parent != nil && n.Kind != AttributeNode {
			sib := n.Parent.Children
			idx := slices.Index(sib, n)
			if s.axis == axisFollowingSibling {
				for _, m := range sib[idx+1:] {
					add(m)
				}
			} else {
				for i := idx - 1; i >= 0; i-- {
					add(sib[i])
				}
			}
		}
	case axisFollowing:
		for _, m := range n.doc.allAfter(n) {
			add(m)
		}
	case axisPreceding:
		if s.test.kind == testName && !s.test.anyLocal && !s.test.anySpace && n.Kind != AttributeNode {
			// Same-named elements before n that are not its ancestors,
			// nearest first.
			list := n.doc.byName[qname{s.test.space, s.test.local}]
			i := sort.Search(len(list), func(i int) bool { return list[i].Order >= n.Order })
			if err := c.spend(i); err != nil {
				return nil, err
			}
			for i--; i >= 0; i-- {
				if list[i].end() < n.Order {
					out = append(out, list[i])
				}
			}
			break
		}
		all := n.doc.allBefore(n)
		for i := len(all) - 1; i >= 0; i-- {
			add(all[i])
		}
	}
	if err := c.spend(len(out) - start); err != nil {
		return nil, err
	}
	if len(s.preds) > 0 {
		sel, err := applyPreds(out[start:], s.preds, c)
		if err != nil {
			return nil, err
		}
		out = append(out[:start], sel...)
	}
	if s.axis.reverse() && len(out)-start > 1 {
		slices.Reverse(out[start:])
	}
	return out, nil
}

// appendRange appends the nodes of list (in document order) whose order is
// within [lo, hi].
func appendRange(out Seq, list []*Node, lo, hi int32) Seq {
	i := sort.Search(len(list), func(i int) bool { return list[i].Order >= lo })
	for ; i < len(list) && list[i].Order <= hi; i++ {
		out = append(out, list[i])
	}
	return out
}

func (n *Node) end() int32 {
	m := n
	for len(m.Children) > 0 {
		m = m.Children[len(m.Children)-1]
	}
	if m.Kind == ElementNode && len(m.Attrs) > 0 {
		return m.Attrs[len(m.Attrs)-1].Order
	}
	return m.Order
}

func (d *Document) allNodes() []*Node {
	var all []*Node
	var rec func(m *Node)
	rec = func(m *Node) {
		for _, ch := range m.Children {
			all = append(all, ch)
			rec(ch)
		}
	}
	rec(d.Root)
	return all
}

// allAfter returns the nodes after n in document order, not descendants.
func (d *Document) allAfter(n *Node) []*Node {
	end := n.end()
	var out []*Node
	for _, m := range d.allNodes() {
		if m.Order > end {
			out = append(out, m)
		}
	}
	return out
}

// allBefore returns the nodes before n in document order, not ancestors.
func (d *Document) allBefore(n *Node) []*Node {
	anc := map[*Node]bool{}
	for m := n.Parent; m != nil; m = m.Parent {
		anc[m] = true
	}
	var out []*Node
	for _, m := range d.allNodes() {
		if m.Order < n.Order && !anc[m] {
			out = append(out, m)
		}
	}
	return out
}

func applyPreds(s Seq, preds []expr, c *Context) (Seq, error) {
	for _, p := range preds {
		if len(s) == 0 {
			return s, nil
		}
		if l, ok := p.(*literal); ok && len(l.v) == 1 {
			if i, ok := l.v[0].(Integer); ok {
				if i >= 1 && int(i) <= len(s) {
					s = Seq{s[i-1]}
				} else {
					s = nil
				}
				continue
			}
		}
		if err := c.spend(len(s)); err != nil {
			return nil, err
		}
		var out Seq
		c2 := *c
		c2.Size = len(s)
		c2.pattern = false
		for i, it := range s {
			c2.Item, c2.Pos = it, i+1
			v, err := p.eval(&c2)
			if err != nil {
				if c.pattern {
					continue
				}
				return nil, err
			}
			keep := false
			if len(v) == 1 && isNumeric(v[0]) {
				keep = toDouble(v[0]) == float64(i+1)
			} else {
				keep, err = EBV(v)
				if err != nil {
					if c.pattern {
						continue
					}
					return nil, err
				}
			}
			if keep {
				out = append(out, it)
			}
		}
		s = out
	}
	return s, nil
}

type filterExpr struct {
	e     expr
	preds []expr
}

func (f *filterExpr) eval(c *Context) (Seq, error) {
	v, err := f.e.eval(c)
	if err != nil {
		return nil, err
	}
	v = slices.Clone(v)
	return applyPreds(v, f.preds, c)
}

type callExpr struct {
	name   string
	single bool // arguments must be single items
	fn     func(c *Context, args []Seq) (Seq, error)
	sfn    stringFn // direct string-valued implementation, if any
	bfn    boolFn   // direct boolean-valued implementation, if any
	args   []expr
}

func (x *callExpr) eval(c *Context) (Seq, error) {
	if x.bfn != nil {
		b, err := x.bfn(c, x.args)
		return boolSeq(b), err
	}
	if x.sfn != nil {
		s, err := x.sfn(c, x.args)
		if err != nil {
			return nil, err
		}
		return Seq{String(s)}, nil
	}
	switch x.name {
	case "position":
		return Seq{Integer(c.Pos)}, nil
	case "last":
		return Seq{Integer(c.Size)}, nil
	}
	var buf [4]Seq
	args := buf[:0]
	for i, a := range x.args {
		v, err := a.eval(c)
		if err != nil {
			return nil, err
		}
		if x.single && len(v) > 1 {
			return nil, cardinalityError(x.name, i)
		}
		args = append(args, v)
	}
	return x.fn(c, args)
}

type userCall struct {
	name string
	f    Function
	args []expr
}

func (x *userCall) eval(c *Context) (Seq, error) {
	args := make([]Seq, len(x.args))
	for i, a := range x.args {
		v, err := a.eval(c)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	return x.f.Call(c, args)
}
