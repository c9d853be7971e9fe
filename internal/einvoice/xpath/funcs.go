package xpath

import (
	"math"
	"math/big"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"
)

type builtin struct {
	min, max   int
	ctxDefault bool // zero arguments mean the context item
	fn         func(c *Context, args []Seq) (Seq, error)
}

// singleArgs are the functions whose parameters are all optional single
// items (xs:string?, xs:anyAtomicType?, numeric?, node()?): a longer
// sequence is a type error, as in Saxon.
var singleArgs = []string{
	"normalize-space", "upper-case", "lower-case", "contains", "starts-with", "ends-with",
	"substring", "substring-before", "substring-after", "string-length", "translate",
	"matches", "replace", "tokenize", "string", "number", "concat", "string-to-codepoints",
	"name", "local-name", "namespace-uri", "root", "abs", "round", "floor", "ceiling",
	"compare", "normalize-unicode",
}

var singleSet = map[string]bool{}

func cardinalityError(fn string, i int) error {
	return errorf("XPTY0004", "a sequence of more than one item is not allowed as argument %d of %s()", i+1, fn)
}

var builtins map[string]builtin

func init() {
	builtins = map[string]builtin{
		"position":                {0, 0, false, nil},
		"last":                    {0, 0, false, nil},
		"true":                    {0, 0, false, func(*Context, []Seq) (Seq, error) { return trueSeq, nil }},
		"false":                   {0, 0, false, func(*Context, []Seq) (Seq, error) { return falseSeq, nil }},
		"not":                     {1, 1, false, fnNot},
		"boolean":                 {1, 1, false, fnBoolean},
		"exists":                  {1, 1, false, func(_ *Context, a []Seq) (Seq, error) { return boolSeq(len(a[0]) > 0), nil }},
		"empty":                   {1, 1, false, func(_ *Context, a []Seq) (Seq, error) { return boolSeq(len(a[0]) == 0), nil }},
		"count":                   {1, 1, false, func(_ *Context, a []Seq) (Seq, error) { return Seq{Integer(len(a[0]))}, nil }},
		"sum":                     {1, 2, false, fnSum},
		"abs":                     {1, 1, false, fnAbs},
		"round":                   {1, 1, false, fnRound},
		"floor":                   {1, 1, false, fnFloor},
		"ceiling":                 {1, 1, false, fnCeiling},
		"number":                  {0, 1, true, fnNumber},
		"string":                  {0, 1, true, fnString},
		"data":                    {1, 1, false, func(_ *Context, a []Seq) (Seq, error) { return atomizeSeq(a[0]), nil }},
		"normalize-space":         {0, 1, true, fnNormalizeSpace},
		"upper-case":              {1, 1, false, fnUpperCase},
		"lower-case":              {1, 1, false, fnLowerCase},
		"contains":                {2, 2, false, fnContains},
		"starts-with":             {2, 2, false, fnStartsWith},
		"ends-with":               {2, 2, false, fnEndsWith},
		"substring":               {2, 3, false, fnSubstring},
		"substring-before":        {2, 2, false, fnSubstringBefore},
		"substring-after":         {2, 2, false, fnSubstringAfter},
		"string-length":           {0, 1, true, fnStringLength},
		"concat":                  {2, -1, false, fnConcat},
		"string-join":             {1, 2, false, fnStringJoin},
		"translate":               {3, 3, false, fnTranslate},
		"matches":                 {2, 3, false, fnMatches},
		"replace":                 {3, 4, false, fnReplace},
		"tokenize":                {1, 3, false, fnTokenize},
		"string-to-codepoints":    {1, 1, false, fnStringToCodepoints},
		"codepoints-to-string":    {1, 1, false, fnCodepointsToString},
		"reverse":                 {1, 1, false, fnReverse},
		"distinct-values":         {1, 2, false, fnDistinctValues},
		"name":                    {0, 1, true, fnName},
		"local-name":              {0, 1, true, fnLocalName},
		"namespace-uri":           {0, 1, true, fnNamespaceURI},
		"root":                    {0, 1, true, fnRoot},
		"min":                     {1, 2, false, fnMin},
		"max":                     {1, 2, false, fnMax},
		"avg":                     {1, 1, false, fnAvg},
		"index-of":                {2, 3, false, fnIndexOf},
		"subsequence":             {2, 3, false, fnSubsequence},
		"exactly-one":             {1, 1, false, func(_ *Context, a []Seq) (Seq, error) { return a[0], nil }},
		"zero-or-one":             {1, 1, false, func(_ *Context, a []Seq) (Seq, error) { return a[0], nil }},
		"one-or-more":             {1, 1, false, func(_ *Context, a []Seq) (Seq, error) { return a[0], nil }},
		"normalize-unicode":       {1, 2, false, func(_ *Context, a []Seq) (Seq, error) { return Seq{String(str(a[0]))}, nil }},
		"compare":                 {2, 3, false, fnCompare},
		"string-pad":              {2, 2, false, nil},
		"escape-html-uri":         {1, 1, false, nil},
		"encode-for-uri":          {1, 1, false, nil},
		"codepoint-equal":         {2, 2, false, nil},
		"deep-equal":              {2, 3, false, nil},
		"current-date":            {0, 0, false, nil},
		"current-dateTime":        {0, 0, false, nil},
		"implicit-timezone":       {0, 0, false, nil},
		"format-number":           {2, 3, false, nil},
		"insert-before":           {3, 3, false, nil},
		"remove":                  {2, 2, false, nil},
		"unordered":               {1, 1, false, func(_ *Context, a []Seq) (Seq, error) { return a[0], nil }},
		"in-scope-prefixes":       {1, 1, false, nil},
		"resolve-uri":             {1, 2, false, nil},
		"trace":                   {2, 2, false, func(_ *Context, a []Seq) (Seq, error) { return a[0], nil }},
		"error":                   {0, 3, false, func(*Context, []Seq) (Seq, error) { return nil, errorf("FOER0000", "error() called") }},
		"lang":                    {1, 2, false, nil},
		"base-uri":                {0, 1, true, nil},
		"document-uri":            {0, 1, true, nil},
		"static-base-uri":         {0, 0, false, nil},
		"default-collation":       {0, 0, false, nil},
		"node-name":               {0, 1, true, nil},
		"nilled":                  {1, 1, false, nil},
		"id":                      {1, 2, false, nil},
		"idref":                   {1, 2, false, nil},
		"doc":                     {1, 1, false, nil},
		"doc-available":           {1, 1, false, nil},
		"collection":              {0, 1, false, nil},
		"iri-to-uri":              {1, 1, false, nil},
		"QName":                   {2, 2, false, nil},
		"resolve-QName":           {2, 2, false, nil},
		"round-half-to-even":      {1, 2, false, nil},
		"adjust-date-to-timezone": {1, 2, false, nil},
	}
	for k, b := range builtins {
		if b.fn == nil && k != "position" && k != "last" {
			delete(builtins, k)
		}
	}
	for _, k := range singleArgs {
		singleSet[k] = true
	}
}

func fnNot(_ *Context, a []Seq) (Seq, error) {
	b, err := EBV(a[0])
	return boolSeq(!b), err
}

func fnBoolean(_ *Context, a []Seq) (Seq, error) {
	b, err := EBV(a[0])
	return boolSeq(b), err
}

// str converts an optional single-item argument to a string ("" for empty).
// A longer sequence is a type error in XPath 2.0; the first item is used.
func str(s Seq) string {
	if len(s) == 0 {
		return ""
	}
	return StringOf(s[0])
}

func numArg(s Seq) (Item, error) {
	s = atomizeSeq(s)
	if len(s) == 0 {
		return nil, nil
	}
	switch v := s[0].(type) {
	case Untyped:
		return Cast(v, "double")
	case Integer, Decimal, Double:
		return v, nil
	}
	return nil, errorf("XPTY0004", "expected a number, got %T", s[0])
}

func fnSum(_ *Context, a []Seq) (Seq, error) {
	s := atomizeSeq(a[0])
	if len(s) == 0 {
		if len(a) > 1 {
			return a[1], nil
		}
		return Seq{Integer(0)}, nil
	}
	var acc Item
	for _, it := range s {
		if u, ok := it.(Untyped); ok {
			v, err := Cast(u, "double")
			if err != nil {
				return nil, err
			}
			it = v
		}
		if !isNumeric(it) {
			return nil, errorf("FORG0006", "sum of non-numeric %T", it)
		}
		if acc == nil {
			acc = it
			continue
		}
		var err error
		acc, err = Arith("+", acc, it)
		if err != nil {
			return nil, err
		}
	}
	return Seq{acc}, nil
}

func fnAbs(_ *Context, a []Seq) (Seq, error) {
	v, err := numArg(a[0])
	if err != nil || v == nil {
		return nil, err
	}
	switch x := v.(type) {
	case Integer:
		if x < 0 {
			return Seq{-x}, nil
		}
		return Seq{x}, nil
	case Decimal:
		return Seq{Decimal{new(big.Rat).Abs(x.R)}}, nil
	case Double:
		return Seq{Double(math.Abs(float64(x)))}, nil
	}
	return nil, nil
}

func ratFloor(r *big.Rat) *big.Rat {
	q, m := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	if m.Sign() < 0 {
		q.Sub(q, big.NewInt(1))
	}
	return new(big.Rat).SetInt(q)
}

func fnRound(_ *Context, a []Seq) (Seq, error) {
	v, err := numArg(a[0])
	if err != nil || v == nil {
		return nil, err
	}
	switch x := v.(type) {
	case Integer:
		return Seq{x}, nil
	case Decimal:
		return Seq{Decimal{ratFloor(new(big.Rat).Add(x.R, big.NewRat(1, 2)))}}, nil
	case Double:
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return Seq{x}, nil
		}
		r := math.Floor(f + 0.5)
		if r-f > 0.5 { // f+0.5 rounded up in binary
			r--
		}
		return Seq{Double(r)}, nil
	}
	return nil, nil
}

func fnFloor(_ *Context, a []Seq) (Seq, error) {
	v, err := numArg(a[0])
	if err != nil || v == nil {
		return nil, err
	}
	switch x := v.(type) {
	case Integer:
		return Seq{x}, nil
	case Decimal:
		return Seq{Decimal{ratFloor(x.R)}}, nil
	case Double:
		return Seq{Double(math.Floor(float64(x)))}, nil
	}
	return nil, nil
}

func fnCeiling(_ *Context, a []Seq) (Seq, error) {
	v, err := numArg(a[0])
	if err != nil || v == nil {
		return nil, err
	}
	switch x := v.(type) {
	case Integer:
		return Seq{x}, nil
	case Decimal:
		f := ratFloor(x.R)
		if f.Cmp(x.R) != 0 {
			f.Add(f, big.NewRat(1, 1))
		}
		return Seq{Decimal{f}}, nil
	case Double:
		return Seq{Double(math.Ceil(float64(x)))}, nil
	}
	return nil, nil
}

func fnNumber(_ *Context, a []Seq) (Seq, error) {
	s := atomizeSeq(a[0])
	if len(s) == 0 {
		return Seq{Double(math.NaN())}, nil
	}
	switch v := s[0].(type) {
	case Double:
		return Seq{v}, nil
	case Integer, Decimal:
		return Seq{Double(toDouble(v))}, nil
	case Bool:
		if v {
			return Seq{Double(1)}, nil
		}
		return Seq{Double(0)}, nil
	}
	f, ok := parseDouble(StringOf(s[0]))
	if !ok {
		f = math.NaN()
	}
	return Seq{Double(f)}, nil
}

func fnString(_ *Context, a []Seq) (Seq, error) { return Seq{String(str(a[0]))}, nil }

// NormalizeSpace collapses XML white space as normalize-space() does.
func NormalizeSpace(s string) string {
	simple := true
	prevSpace := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isXMLSpace(c) {
			if c != ' ' || prevSpace {
				simple = false
				break
			}
			prevSpace = true
		} else {
			prevSpace = false
		}
	}
	if simple && !prevSpace {
		return s
	}
	if simple && s == "" {
		return s
	}
	var b strings.Builder
	for f := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(f)
	}
	return b.String()
}

func fnNormalizeSpace(_ *Context, a []Seq) (Seq, error) {
	return Seq{String(NormalizeSpace(str(a[0])))}, nil
}

func fnUpperCase(_ *Context, a []Seq) (Seq, error) {
	s := strings.ToUpper(str(a[0]))
	if strings.Contains(s, "ß") {
		s = strings.ReplaceAll(s, "ß", "SS")
	}
	return Seq{String(s)}, nil
}

func fnLowerCase(_ *Context, a []Seq) (Seq, error) {
	return Seq{String(strings.ToLower(str(a[0])))}, nil
}

func fnContains(_ *Context, a []Seq) (Seq, error) {
	return boolSeq(strings.Contains(str(a[0]), str(a[1]))), nil
}

func fnStartsWith(_ *Context, a []Seq) (Seq, error) {
	return boolSeq(strings.HasPrefix(str(a[0]), str(a[1]))), nil
}

func fnEndsWith(_ *Context, a []Seq) (Seq, error) {
	return boolSeq(strings.HasSuffix(str(a[0]), str(a[1]))), nil
}

func xround(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return f
	}
	return math.Floor(f + 0.5)
}

func fnSubstring(_ *Context, a []Seq) (Seq, error) {
	s := str(a[0])
	st, err := numArg(a[1])
	if err != nil {
		return nil, err
	}
	if st == nil {
		return nil, errorf("XPTY0004", "empty start in substring")
	}
	start := xround(toDouble(st))
	end := math.Inf(1)
	if len(a) > 2 {
		ln, err := numArg(a[2])
		if err != nil {
			return nil, err
		}
		if ln == nil {
			return nil, errorf("XPTY0004", "empty length in substring")
		}
		end = start + xround(toDouble(ln))
	}
	var b strings.Builder
	pos := 1.0
	for _, r := range s {
		if pos >= start && pos < end {
			b.WriteRune(r)
		}
		pos++
	}
	return Seq{String(b.String())}, nil
}

func fnSubstringBefore(_ *Context, a []Seq) (Seq, error) {
	s, t := str(a[0]), str(a[1])
	i := strings.Index(s, t)
	if i < 0 {
		return Seq{String("")}, nil
	}
	return Seq{String(s[:i])}, nil
}

func fnSubstringAfter(_ *Context, a []Seq) (Seq, error) {
	s, t := str(a[0]), str(a[1])
	i := strings.Index(s, t)
	if i < 0 {
		return Seq{String("")}, nil
	}
	return Seq{String(s[i+len(t):])}, nil
}

func fnStringLength(_ *Context, a []Seq) (Seq, error) {
	return Seq{Integer(utf8.RuneCountInString(str(a[0])))}, nil
}

func fnConcat(_ *Context, a []Seq) (Seq, error) {
	var b strings.Builder
	for _, s := range a {
		b.WriteString(str(s))
	}
	return Seq{String(b.String())}, nil
}

func fnStringJoin(_ *Context, a []Seq) (Seq, error) {
	sep := ""
	if len(a) > 1 {
		sep = str(a[1])
	}
	parts := make([]string, len(a[0]))
	for i, it := range a[0] {
		parts[i] = StringOf(it)
	}
	return Seq{String(strings.Join(parts, sep))}, nil
}

func fnTranslate(_ *Context, a []Seq) (Seq, error) {
	s := str(a[0])
	from := []rune(str(a[1]))
	to := []rune(str(a[2]))
	var b strings.Builder
	for _, r := range s {
		idx := -1
		for i, f := range from {
			if f == r {
				idx = i
				break
			}
		}
		switch {
		case idx < 0:
			b.WriteRune(r)
		case idx < len(to):
			b.WriteRune(to[idx])
		}
	}
	return Seq{String(b.String())}, nil
}

var regexCache sync.Map // pattern+"\x00"+flags → *regexp.Regexp

// Regexp compiles an XPath regular expression with flags.
func Regexp(pattern, flags string) (*regexp.Regexp, error) {
	key := pattern + "\x00" + flags
	if re, ok := regexCache.Load(key); ok {
		return re.(*regexp.Regexp), nil
	}
	goPat, err := translateRegex(pattern, flags)
	if err != nil {
		return nil, err
	}
	re, err := regexp.Compile(goPat)
	if err != nil {
		return nil, errorf("FORX0002", "invalid regular expression %q: %v", pattern, err)
	}
	regexCache.Store(key, re)
	return re, nil
}

// translateRegex turns an XML Schema / XPath regular expression into RE2
// syntax: \d and \s follow XML's definitions, \i and \c are expanded.
func translateRegex(p, flags string) (string, error) {
	var b strings.Builder
	prefix := ""
	for _, f := range flags {
		switch f {
		case 's':
			prefix += "s"
		case 'm':
			prefix += "m"
		case 'i':
			prefix += "i"
		case 'x':
			var q strings.Builder
			for _, r := range p {
				if r != ' ' && r != '\t' && r != '\n' && r != '\r' {
					q.WriteRune(r)
				}
			}
			p = q.String()
		default:
			return "", errorf("FORX0001", "invalid regex flag %q", f)
		}
	}
	if prefix != "" {
		b.WriteString("(?" + prefix + ")")
	}
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '\\' && i+1 < len(p) {
			i++
			e := p[i]
			switch e {
			case 's':
				if inClass {
					b.WriteString(` \t\n\r`)
				} else {
					b.WriteString(`[ \t\n\r]`)
				}
			case 'S':
				if inClass {
					b.WriteString(`\S`)
				} else {
					b.WriteString(`[^ \t\n\r]`)
				}
			case 'd':
				b.WriteString(`\p{Nd}`)
			case 'D':
				b.WriteString(`\P{Nd}`)
			case 'i':
				if inClass {
					b.WriteString(`\p{L}_:`)
				} else {
					b.WriteString(`[\p{L}_:]`)
				}
			case 'c':
				if inClass {
					b.WriteString(`\p{L}\p{Nd}._:\-`)
				} else {
					b.WriteString(`[\p{L}\p{Nd}._:\-]`)
				}
			default:
				b.WriteByte('\\')
				b.WriteByte(e)
			}
			continue
		}
		switch c {
		case '[':
			inClass = true
		case ']':
			inClass = false
		}
		b.WriteByte(c)
	}
	return b.String(), nil
}

func regexArgs(a []Seq, fi int) (*regexp.Regexp, error) {
	flags := ""
	if len(a) > fi {
		flags = str(a[fi])
	}
	return Regexp(str(a[fi-1]), flags)
}

func fnMatches(_ *Context, a []Seq) (Seq, error) {
	re, err := regexArgs(a, 2)
	if err != nil {
		return nil, err
	}
	return boolSeq(re.MatchString(str(a[0]))), nil
}

func fnReplace(_ *Context, a []Seq) (Seq, error) {
	flags := ""
	if len(a) > 3 {
		flags = str(a[3])
	}
	re, err := Regexp(str(a[1]), flags)
	if err != nil {
		return nil, err
	}
	if re.MatchString("") {
		return nil, errorf("FORX0003", "regular expression matches the empty string")
	}
	// XPath replacement: $n groups, \$ and \\ escapes.
	repl := str(a[2])
	var b strings.Builder
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		switch {
		case c == '\\' && i+1 < len(repl):
			i++
			if repl[i] == '$' {
				b.WriteString("$$")
			} else {
				b.WriteByte(repl[i])
			}
		case c == '$':
			j := i + 1
			for j < len(repl) && repl[j] >= '0' && repl[j] <= '9' {
				j++
			}
			b.WriteString("${" + repl[i+1:j] + "}")
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	return Seq{String(re.ReplaceAllString(str(a[0]), b.String()))}, nil
}

func fnTokenize(_ *Context, a []Seq) (Seq, error) {
	s := str(a[0])
	if len(a) == 1 {
		var out Seq
		for _, f := range strings.Fields(NormalizeSpace(s)) {
			out = append(out, String(f))
		}
		return out, nil
	}
	re, err := regexArgs(a, 2)
	if err != nil {
		return nil, err
	}
	if s == "" {
		return nil, nil
	}
	if re.MatchString("") {
		return nil, errorf("FORX0003", "regular expression matches the empty string")
	}
	parts := re.Split(s, -1)
	out := make(Seq, len(parts))
	for i, p := range parts {
		out[i] = String(p)
	}
	return out, nil
}

func fnStringToCodepoints(_ *Context, a []Seq) (Seq, error) {
	s := str(a[0])
	if s == "" {
		return nil, nil
	}
	var out Seq
	for _, r := range s {
		out = append(out, Integer(r))
	}
	return out, nil
}

func fnCodepointsToString(_ *Context, a []Seq) (Seq, error) {
	var b strings.Builder
	for _, it := range atomizeSeq(a[0]) {
		v, err := Cast(it, "integer")
		if err != nil {
			return nil, err
		}
		r := rune(v.(Integer))
		if !utf8.ValidRune(r) || r == 0 {
			return nil, errorf("FOCH0001", "invalid code point %d", r)
		}
		b.WriteRune(r)
	}
	return Seq{String(b.String())}, nil
}

func fnReverse(_ *Context, a []Seq) (Seq, error) {
	out := make(Seq, len(a[0]))
	for i, it := range a[0] {
		out[len(out)-1-i] = it
	}
	return out, nil
}

func fnDistinctValues(_ *Context, a []Seq) (Seq, error) {
	var out Seq
	for _, it := range atomizeSeq(a[0]) {
		if u, ok := it.(Untyped); ok {
			it = String(u)
		}
		dup := false
		for _, o := range out {
			eq, err := compareAtomic("=", o, it, false)
			if err == nil && eq {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, it)
		}
	}
	return out, nil
}

func nodeArg(a []Seq) (*Node, error) {
	if len(a[0]) == 0 {
		return nil, nil
	}
	n, ok := a[0][0].(*Node)
	if !ok {
		return nil, errorf("XPTY0004", "expected a node")
	}
	return n, nil
}

func fnName(_ *Context, a []Seq) (Seq, error) {
	n, err := nodeArg(a)
	if err != nil || n == nil {
		return Seq{String("")}, err
	}
	switch n.Kind {
	case ElementNode, AttributeNode:
		return Seq{String(n.Name())}, nil
	case PINode:
		return Seq{String(n.Local)}, nil
	}
	return Seq{String("")}, nil
}

func fnLocalName(_ *Context, a []Seq) (Seq, error) {
	n, err := nodeArg(a)
	if err != nil || n == nil {
		return Seq{String("")}, err
	}
	return Seq{String(n.Local)}, nil
}

func fnNamespaceURI(_ *Context, a []Seq) (Seq, error) {
	n, err := nodeArg(a)
	if err != nil || n == nil {
		return Seq{String("")}, err
	}
	return Seq{String(n.Space)}, nil
}

func fnRoot(_ *Context, a []Seq) (Seq, error) {
	n, err := nodeArg(a)
	if err != nil || n == nil {
		return nil, err
	}
	return Seq{n.doc.Root}, nil
}

func minMax(a []Seq, want int) (Seq, error) {
	s := atomizeSeq(a[0])
	var best Item
	for _, it := range s {
		if u, ok := it.(Untyped); ok {
			v, err := Cast(u, "double")
			if err != nil {
				return nil, err
			}
			it = v
		}
		if best == nil {
			best = it
			continue
		}
		op := "<"
		if want > 0 {
			op = ">"
		}
		b, err := compareAtomic(op, it, best, false)
		if err != nil {
			return nil, err
		}
		if b {
			best = it
		}
	}
	if best == nil {
		return nil, nil
	}
	return Seq{best}, nil
}

func fnMin(_ *Context, a []Seq) (Seq, error) { return minMax(a, -1) }
func fnMax(_ *Context, a []Seq) (Seq, error) { return minMax(a, 1) }

func fnAvg(c *Context, a []Seq) (Seq, error) {
	if len(a[0]) == 0 {
		return nil, nil
	}
	s, err := fnSum(c, a)
	if err != nil {
		return nil, err
	}
	r, err := Arith("div", s[0], Integer(len(a[0])))
	if err != nil {
		return nil, err
	}
	return Seq{r}, nil
}

func fnIndexOf(_ *Context, a []Seq) (Seq, error) {
	var out Seq
	if len(a[1]) == 0 {
		return nil, nil
	}
	target := atomize(a[1][0])
	if u, ok := target.(Untyped); ok {
		target = String(u)
	}
	for i, it := range atomizeSeq(a[0]) {
		if u, ok := it.(Untyped); ok {
			it = String(u)
		}
		if eq, err := compareAtomic("=", it, target, false); err == nil && eq {
			out = append(out, Integer(i+1))
		}
	}
	return out, nil
}

func fnSubsequence(_ *Context, a []Seq) (Seq, error) {
	st, err := numArg(a[1])
	if err != nil || st == nil {
		return nil, err
	}
	start := xround(toDouble(st))
	end := math.Inf(1)
	if len(a) > 2 {
		ln, err := numArg(a[2])
		if err != nil || ln == nil {
			return nil, err
		}
		end = start + xround(toDouble(ln))
	}
	var out Seq
	for i, it := range a[0] {
		p := float64(i + 1)
		if p >= start && p < end {
			out = append(out, it)
		}
	}
	return out, nil
}

func fnCompare(_ *Context, a []Seq) (Seq, error) {
	if len(a[0]) == 0 || len(a[1]) == 0 {
		return nil, nil
	}
	return Seq{Integer(cmpStrings(str(a[0]), str(a[1])))}, nil
}
