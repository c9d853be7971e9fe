package xsd

import (
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

type contentKind int

const (
	ctEmpty contentKind = iota
	ctSimple
	ctElement
	ctMixed
)

type processContents int

const (
	pcStrict processContents = iota
	pcLax
	pcSkip
)

type wildcard struct {
	any      bool     // ##any
	not      []string // ##other: namespaces excluded (target and absent)
	list     []string // explicit namespaces ("" = ##local)
	process  processContents
	location string
}

func (w *wildcard) allows(ns string) bool {
	if w.any {
		return true
	}
	if w.not != nil {
		for _, n := range w.not {
			if n == ns {
				return false
			}
		}
		return true
	}
	for _, n := range w.list {
		if n == ns {
			return true
		}
	}
	return false
}

type attrUse struct {
	name      qname
	typ       *simpleType
	required  bool
	fixed     *string
	fixedCode string // cvc-attribute.4 (declaration's value) or cvc-complex-type.3.1 (use's)
}

type elemDecl struct {
	name     qname
	typ      *typeDef
	nillable bool
	abstract bool
	fixed    *string
	def      *string
}

type particleKind int

const (
	pElem particleKind = iota
	pAny
	pSeq
	pChoice
	pAll
)

type particle struct {
	kind     particleKind
	min, max int // max < 0: unbounded
	elem     *elemDecl
	wc       *wildcard
	kids     []*particle
}

// typeDef is a simple or complex type definition.
type typeDef struct {
	name     qname
	simple   *simpleType // simple type definition; nil for complex types
	base     *typeDef
	abstract bool

	content  contentKind
	text     *simpleType // value type of simple content
	attrs    []*attrUse
	anyAttr  *wildcard
	particle *particle

	node     *xnode
	compiled bool
	busy     bool

	dfaOnce sync.Once
	dfa     *automaton
}

// grammar holds the compiled components of a set of schema documents.
type grammar struct {
	elements map[qname]*elemDecl
	types    map[qname]*typeDef
	attrs    map[qname]*attrUse

	rawElems      map[qname]*xnode
	rawAttrs      map[qname]*xnode
	rawGroups     map[qname]*xnode
	rawAttrGroups map[qname]*xnode
	wrappers      map[*simpleType]*typeDef
	anyType       *typeDef
	names         map[string]string // local names of elements and attributes
}

func newGrammar() *grammar {
	g := &grammar{
		elements:      map[qname]*elemDecl{},
		types:         map[qname]*typeDef{},
		attrs:         map[qname]*attrUse{},
		rawElems:      map[qname]*xnode{},
		rawAttrs:      map[qname]*xnode{},
		rawGroups:     map[qname]*xnode{},
		rawAttrGroups: map[qname]*xnode{},
		wrappers:      map[*simpleType]*typeDef{},
	}
	g.anyType = &typeDef{
		name:     qname{xsdNS, "anyType"},
		content:  ctMixed,
		anyAttr:  &wildcard{any: true, process: pcLax},
		compiled: true,
		particle: &particle{kind: pAny, min: 0, max: -1, wc: &wildcard{any: true, process: pcLax}},
	}
	return g
}

func compileGrammar(docs []*schemaDoc) (*grammar, error) {
	g := newGrammar()
	// First pass: register every global component.
	for _, d := range docs {
		for _, n := range d.root.kids {
			name := n.get("name")
			q := qname{d.targetNS, name}
			switch n.local {
			case "element":
				g.rawElems[q] = n
				g.elements[q] = &elemDecl{name: q}
			case "complexType", "simpleType":
				g.types[q] = &typeDef{name: q, node: n}
			case "attribute":
				g.rawAttrs[q] = n
			case "group":
				g.rawGroups[q] = n
			case "attributeGroup":
				g.rawAttrGroups[q] = n
			}
		}
	}
	for _, t := range g.types {
		if err := g.ensure(t); err != nil {
			return nil, err
		}
	}
	for q, n := range g.rawAttrs {
		a, err := g.attribute(n, true)
		if err != nil {
			return nil, err
		}
		g.attrs[q] = a
	}
	for q, n := range g.rawElems {
		if err := g.fillElement(g.elements[q], n, true); err != nil {
			return nil, err
		}
	}
	// every built-in type gets its wrapper now: validation only reads
	for _, st := range builtins {
		g.wrap(st)
	}
	g.names = map[string]string{}
	for _, d := range docs {
		var walk func(n *xnode)
		walk = func(n *xnode) {
			if n.local == "element" || n.local == "attribute" {
				if nm := n.get("name"); nm != "" {
					g.names[nm] = nm
				}
			}
			for _, k := range n.kids {
				walk(k)
			}
		}
		walk(d.root)
	}
	for _, l := range []string{"type", "nil", "schemaLocation", "noNamespaceSchemaLocation", "lang", "space", "base", "id"} {
		g.names[l] = l
	}
	return g, nil
}

func (g *grammar) typeByName(n *xnode, v string) (*typeDef, error) {
	q, err := n.resolveQName(v)
	if err != nil {
		return nil, err
	}
	if q.ns == xsdNS {
		if q.local == "anyType" {
			return g.anyType, nil
		}
		if st := builtins[q.local]; st != nil {
			return g.wrap(st), nil
		}
		return nil, fmt.Errorf("%s: unknown built-in type %s", n.doc.file, v)
	}
	t := g.types[q]
	if t == nil {
		return nil, fmt.Errorf("%s: unknown type %s", n.doc.file, q)
	}
	return t, g.ensure(t)
}

// typeRef resolves a type used by an element declaration: named types are
// compiled by compileGrammar, so a reference does not need to wait for it
// (recursive content such as a type containing an element of its own type).
func (g *grammar) typeRef(n *xnode, v string) (*typeDef, error) {
	q, err := n.resolveQName(v)
	if err != nil {
		return nil, err
	}
	if q.ns != xsdNS {
		if t := g.types[q]; t != nil {
			return t, nil
		}
	}
	return g.typeByName(n, v)
}

func (g *grammar) wrap(st *simpleType) *typeDef {
	if t := g.wrappers[st]; t != nil {
		return t
	}
	t := &typeDef{name: st.name, simple: st, compiled: true}
	g.wrappers[st] = t
	return t
}

func (g *grammar) simpleByName(n *xnode, v string) (*simpleType, error) {
	t, err := g.typeByName(n, v)
	if err != nil {
		return nil, err
	}
	if t.simple == nil {
		if t == g.anyType {
			return builtins["anySimpleType"], nil
		}
		return nil, fmt.Errorf("%s: %s is not a simple type", n.doc.file, v)
	}
	return t.simple, nil
}

func (g *grammar) ensure(t *typeDef) error {
	if t.compiled {
		return nil
	}
	if t.busy {
		return fmt.Errorf("circular type derivation at %s", t.name)
	}
	t.busy = true
	defer func() { t.busy = false }()
	var err error
	if t.node.local == "simpleType" {
		t.simple, err = g.simpleType(t.node, t.name)
	} else {
		err = g.complexType(t, t.node)
	}
	if err != nil {
		return err
	}
	t.compiled = true
	return nil
}

func kids(n *xnode, names ...string) []*xnode {
	var out []*xnode
	for _, k := range n.kids {
		for _, nm := range names {
			if k.local == nm {
				out = append(out, k)
			}
		}
	}
	return out
}

func firstKid(n *xnode, names ...string) *xnode {
	if k := kids(n, names...); len(k) > 0 {
		return k[0]
	}
	return nil
}

func (g *grammar) simpleType(n *xnode, name qname) (*simpleType, error) {
	if r := firstKid(n, "restriction"); r != nil {
		var base *simpleType
		var err error
		if b, ok := r.attr("base"); ok {
			base, err = g.simpleByName(r, b)
		} else if in := firstKid(r, "simpleType"); in != nil {
			base, err = g.simpleType(in, qname{})
		} else {
			err = fmt.Errorf("%s: restriction without base", n.doc.file)
		}
		if err != nil {
			return nil, err
		}
		st := base.derive()
		st.name = name
		if err := applyFacets(st, r); err != nil {
			return nil, err
		}
		return st, nil
	}
	if l := firstKid(n, "list"); l != nil {
		st := newSimple(name, primAnySimple, wsCollapse)
		st.variety = varList
		var err error
		if it, ok := l.attr("itemType"); ok {
			st.item, err = g.simpleByName(l, it)
		} else if in := firstKid(l, "simpleType"); in != nil {
			st.item, err = g.simpleType(in, qname{})
		}
		if err != nil {
			return nil, err
		}
		if st.item == nil {
			return nil, fmt.Errorf("%s: list without item type", n.doc.file)
		}
		return st, nil
	}
	if u := firstKid(n, "union"); u != nil {
		st := newSimple(name, primAnySimple, wsCollapse)
		st.variety = varUnion
		for _, m := range strings.Fields(u.get("memberTypes")) {
			mt, err := g.simpleByName(u, m)
			if err != nil {
				return nil, err
			}
			st.members = append(st.members, mt)
		}
		for _, in := range kids(u, "simpleType") {
			mt, err := g.simpleType(in, qname{})
			if err != nil {
				return nil, err
			}
			st.members = append(st.members, mt)
		}
		return st, nil
	}
	return nil, fmt.Errorf("%s: simpleType %s without restriction, list or union", n.doc.file, name.local)
}

func applyFacets(st *simpleType, r *xnode) error {
	var enums []string
	var pats []string
	for _, f := range r.kids {
		v := f.get("value")
		atoi := func() (int, error) {
			i, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || i < 0 {
				return 0, fmt.Errorf("%s: bad %s facet %q", r.doc.file, f.local, v)
			}
			return i, nil
		}
		rat := func() (*big.Rat, error) {
			x, ok := new(big.Rat).SetString(strings.TrimSpace(v))
			if !ok {
				return nil, fmt.Errorf("%s: bad %s facet %q", r.doc.file, f.local, v)
			}
			return x, nil
		}
		var err error
		switch f.local {
		case "enumeration":
			enums = append(enums, v)
		case "pattern":
			pats = append(pats, v)
		case "length":
			st.length, err = atoi()
		case "minLength":
			st.minLen, err = atoi()
		case "maxLength":
			st.maxLen, err = atoi()
		case "totalDigits":
			st.totalDigits, err = atoi()
		case "fractionDigits":
			st.fracDigits, err = atoi()
		case "minInclusive":
			st.minIncl, err = rat()
		case "maxInclusive":
			st.maxIncl, err = rat()
		case "minExclusive":
			st.minExcl, err = rat()
		case "maxExclusive":
			st.maxExcl, err = rat()
		case "whiteSpace":
			switch v {
			case "preserve":
				st.ws = wsPreserve
			case "replace":
				st.ws = wsReplace
			case "collapse":
				st.ws = wsCollapse
			}
		}
		if err != nil {
			return err
		}
	}
	if enums != nil {
		st.enums = make([]string, len(enums))
		for i, e := range enums {
			st.enums[i] = normalize(e, st.ws)
		}
	}
	if len(pats) > 0 {
		re, err := compilePattern(pats)
		if err != nil {
			return fmt.Errorf("%s: %w", r.doc.file, err)
		}
		st.patterns = append(st.patterns, re)
	}
	return nil
}

// compilePattern translates XML Schema regular expressions (several
// patterns of one restriction step are alternatives) into one anchored Go
// regexp. Only the common subset is translated: the multi-character escapes
// \i, \I, \c, \C; character class subtraction and Unicode block escapes
// are not supported and give an error at schema load.
func compilePattern(pats []string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString(`^(?:`)
	for i, p := range pats {
		if i > 0 {
			b.WriteString("|")
		}
		b.WriteString("(?:")
		r := strings.NewReplacer(`\i`, `[\p{L}_:]`, `\I`, `[^\p{L}_:]`, `\c`, `[\p{L}\p{N}._:\-]`, `\C`, `[^\p{L}\p{N}._:\-]`)
		b.WriteString(r.Replace(p))
		b.WriteString(")")
	}
	b.WriteString(`)$`)
	return regexp.Compile(b.String())
}

func (g *grammar) complexType(t *typeDef, n *xnode) error {
	t.abstract = n.get("abstract") == "true"
	mixed := n.get("mixed") == "true"
	if sc := firstKid(n, "simpleContent"); sc != nil {
		t.content = ctSimple
		der := firstKid(sc, "extension", "restriction")
		if der == nil {
			return fmt.Errorf("%s: empty simpleContent", n.doc.file)
		}
		base, err := g.typeByName(der, der.get("base"))
		if err != nil {
			return err
		}
		t.base = base
		if base.simple != nil {
			t.text = base.simple
		} else {
			t.text = base.text
			if t.text == nil {
				t.text = builtins["anySimpleType"]
			}
			t.attrs = append(t.attrs, base.attrs...)
			t.anyAttr = base.anyAttr
		}
		if der.local == "restriction" {
			st := t.text
			if in := firstKid(der, "simpleType"); in != nil {
				st, err = g.simpleType(in, qname{})
				if err != nil {
					return err
				}
			}
			st = st.derive()
			if err := applyFacets(st, der); err != nil {
				return err
			}
			t.text = st
			t.anyAttr = nil
		}
		return g.attributes(t, der)
	}
	if cc := firstKid(n, "complexContent"); cc != nil {
		if m, ok := cc.attr("mixed"); ok {
			mixed = m == "true"
		}
		der := firstKid(cc, "extension", "restriction")
		if der == nil {
			return fmt.Errorf("%s: empty complexContent", n.doc.file)
		}
		base, err := g.typeByName(der, der.get("base"))
		if err != nil {
			return err
		}
		t.base = base
		own, err := g.modelOf(der)
		if err != nil {
			return err
		}
		if der.local == "extension" {
			t.attrs = append(t.attrs, base.attrs...)
			t.anyAttr = base.anyAttr
			switch {
			case base.particle == nil:
				t.particle = own
			case own == nil:
				t.particle = base.particle
			default:
				t.particle = &particle{kind: pSeq, min: 1, max: 1, kids: []*particle{base.particle, own}}
			}
			if base.content == ctMixed {
				mixed = true
			}
		} else {
			t.attrs = append(t.attrs, base.attrs...)
			t.particle = own
		}
		t.content = contentOf(t.particle, mixed)
		return g.attributes(t, der)
	}
	t.base = g.anyType
	p, err := g.modelOf(n)
	if err != nil {
		return err
	}
	t.particle = p
	t.content = contentOf(p, mixed)
	return g.attributes(t, n)
}

func contentOf(p *particle, mixed bool) contentKind {
	if mixed {
		return ctMixed
	}
	if p == nil || emptyParticle(p) {
		return ctEmpty
	}
	return ctElement
}

func emptyParticle(p *particle) bool {
	if p.max == 0 {
		return true
	}
	if p.kind == pSeq || p.kind == pChoice || p.kind == pAll {
		for _, k := range p.kids {
			if !emptyParticle(k) {
				return false
			}
		}
		return true
	}
	return false
}

// modelOf returns the particle directly below n (sequence, choice, all or
// group reference), or nil.
func (g *grammar) modelOf(n *xnode) (*particle, error) {
	k := firstKid(n, "sequence", "choice", "all", "group")
	if k == nil {
		return nil, nil
	}
	return g.particle(k)
}

func occurs(n *xnode) (int, int, error) {
	min, max := 1, 1
	if v, ok := n.attr("minOccurs"); ok {
		i, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || i < 0 {
			return 0, 0, fmt.Errorf("%s: bad minOccurs %q", n.doc.file, v)
		}
		min = i
	}
	if v, ok := n.attr("maxOccurs"); ok {
		if strings.TrimSpace(v) == "unbounded" {
			max = -1
		} else {
			i, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || i < 0 {
				return 0, 0, fmt.Errorf("%s: bad maxOccurs %q", n.doc.file, v)
			}
			max = i
		}
	}
	return min, max, nil
}

func (g *grammar) particle(n *xnode) (*particle, error) {
	min, max, err := occurs(n)
	if err != nil {
		return nil, err
	}
	p := &particle{min: min, max: max}
	switch n.local {
	case "element":
		p.kind = pElem
		if ref, ok := n.attr("ref"); ok {
			q, err := n.resolveQName(ref)
			if err != nil {
				return nil, err
			}
			p.elem = g.elements[q]
			if p.elem == nil {
				return nil, fmt.Errorf("%s: unknown element %s", n.doc.file, q)
			}
			return p, nil
		}
		p.elem = &elemDecl{}
		if err := g.fillElement(p.elem, n, false); err != nil {
			return nil, err
		}
	case "any":
		p.kind = pAny
		p.wc = wildcardOf(n)
	case "sequence", "choice", "all":
		p.kind = map[string]particleKind{"sequence": pSeq, "choice": pChoice, "all": pAll}[n.local]
		for _, k := range n.kids {
			switch k.local {
			case "element", "any", "sequence", "choice", "group":
				kp, err := g.particle(k)
				if err != nil {
					return nil, err
				}
				p.kids = append(p.kids, kp)
			}
		}
	case "group":
		q, err := n.resolveQName(n.get("ref"))
		if err != nil {
			return nil, err
		}
		gn := g.rawGroups[q]
		if gn == nil {
			return nil, fmt.Errorf("%s: unknown group %s", n.doc.file, q)
		}
		inner, err := g.modelOf(gn)
		if err != nil {
			return nil, err
		}
		if inner == nil {
			return nil, nil
		}
		c := *inner
		c.min, c.max = min, max
		return &c, nil
	default:
		return nil, fmt.Errorf("%s: unexpected %s in content model", n.doc.file, n.local)
	}
	return p, nil
}

func wildcardOf(n *xnode) *wildcard {
	w := &wildcard{}
	switch n.get("processContents") {
	case "lax":
		w.process = pcLax
	case "skip":
		w.process = pcSkip
	}
	ns, ok := n.attr("namespace")
	if !ok {
		ns = "##any"
	}
	switch strings.TrimSpace(ns) {
	case "##any":
		w.any = true
	case "##other":
		w.not = []string{n.doc.targetNS, ""}
	default:
		w.list = []string{}
		for _, f := range strings.Fields(ns) {
			switch f {
			case "##targetNamespace":
				w.list = append(w.list, n.doc.targetNS)
			case "##local":
				w.list = append(w.list, "")
			default:
				w.list = append(w.list, f)
			}
		}
	}
	return w
}

func (g *grammar) fillElement(e *elemDecl, n *xnode, global bool) error {
	ns := ""
	if global || n.get("form") == "qualified" || (n.get("form") == "" && n.doc.elemQualified) {
		ns = n.doc.targetNS
	}
	e.name = qname{ns, n.get("name")}
	e.nillable = n.get("nillable") == "true"
	e.abstract = n.get("abstract") == "true"
	if v, ok := n.attr("fixed"); ok {
		e.fixed = &v
	}
	if v, ok := n.attr("default"); ok {
		e.def = &v
	}
	if tn, ok := n.attr("type"); ok {
		t, err := g.typeRef(n, tn)
		if err != nil {
			return err
		}
		e.typ = t
		return nil
	}
	if in := firstKid(n, "complexType"); in != nil {
		t := &typeDef{node: in}
		if err := g.ensure(t); err != nil {
			return err
		}
		e.typ = t
		return nil
	}
	if in := firstKid(n, "simpleType"); in != nil {
		st, err := g.simpleType(in, qname{})
		if err != nil {
			return err
		}
		e.typ = &typeDef{simple: st, compiled: true}
		return nil
	}
	if sg, ok := n.attr("substitutionGroup"); ok {
		q, err := n.resolveQName(sg)
		if err != nil {
			return err
		}
		head := g.elements[q]
		if head == nil {
			return fmt.Errorf("%s: unknown substitution group head %s", n.doc.file, q)
		}
		if head.typ == nil {
			if err := g.fillElement(head, g.rawElems[q], true); err != nil {
				return err
			}
		}
		e.typ = head.typ
		return nil
	}
	e.typ = g.anyType
	return nil
}

// attributes adds the attribute declarations, attribute group references
// and attribute wildcard below n to t. A declaration replaces an inherited
// one of the same name; use="prohibited" removes it.
func (g *grammar) attributes(t *typeDef, n *xnode) error {
	for _, k := range n.kids {
		switch k.local {
		case "attribute":
			if k.get("use") == "prohibited" {
				q := g.attrName(k)
				t.removeAttr(q)
				continue
			}
			a, err := g.attribute(k, false)
			if err != nil {
				return err
			}
			t.removeAttr(a.name)
			t.attrs = append(t.attrs, a)
		case "attributeGroup":
			q, err := k.resolveQName(k.get("ref"))
			if err != nil {
				return err
			}
			gn := g.rawAttrGroups[q]
			if gn == nil {
				return fmt.Errorf("%s: unknown attribute group %s", k.doc.file, q)
			}
			if err := g.attributes(t, gn); err != nil {
				return err
			}
		case "anyAttribute":
			t.anyAttr = wildcardOf(k)
		}
	}
	return nil
}

func (t *typeDef) removeAttr(q qname) {
	for i, a := range t.attrs {
		if a.name == q {
			t.attrs = append(t.attrs[:i:i], t.attrs[i+1:]...)
			return
		}
	}
}

func (g *grammar) attrName(n *xnode) qname {
	if ref, ok := n.attr("ref"); ok {
		q, _ := n.resolveQName(ref)
		return q
	}
	ns := ""
	if n.get("form") == "qualified" || (n.get("form") == "" && n.doc.attrQualified) {
		ns = n.doc.targetNS
	}
	return qname{ns, n.get("name")}
}

func (g *grammar) attribute(n *xnode, global bool) (*attrUse, error) {
	a := &attrUse{required: n.get("use") == "required"}
	if ref, ok := n.attr("ref"); ok {
		q, err := n.resolveQName(ref)
		if err != nil {
			return nil, err
		}
		var decl *attrUse
		if q.ns == xmlNS {
			decl = &attrUse{name: q, typ: builtins["string"]}
			if q.local == "lang" {
				decl.typ = builtins["language"]
			}
		} else if rn := g.rawAttrs[q]; rn != nil {
			decl, err = g.attribute(rn, true)
			if err != nil {
				return nil, err
			}
		} else {
			return nil, fmt.Errorf("%s: unknown attribute %s", n.doc.file, q)
		}
		a.name, a.typ, a.fixed, a.fixedCode = decl.name, decl.typ, decl.fixed, "cvc-attribute.4"
		if v, ok := n.attr("fixed"); ok {
			a.fixed, a.fixedCode = &v, "cvc-complex-type.3.1"
		}
		return a, nil
	}
	if global {
		a.name = qname{n.doc.targetNS, n.get("name")}
	} else {
		a.name = g.attrName(n)
	}
	if v, ok := n.attr("fixed"); ok {
		a.fixed = &v
		// Xerces keeps a local declaration's fixed value on the use
		a.fixedCode = "cvc-complex-type.3.1"
		if global {
			a.fixedCode = "cvc-attribute.4"
		}
	}
	a.typ = builtins["anySimpleType"]
	if tn, ok := n.attr("type"); ok {
		st, err := g.simpleByName(n, tn)
		if err != nil {
			return nil, err
		}
		a.typ = st
	} else if in := firstKid(n, "simpleType"); in != nil {
		st, err := g.simpleType(in, qname{})
		if err != nil {
			return nil, err
		}
		a.typ = st
	}
	return a, nil
}

// derivedFrom reports whether t is d or derived from d (for xsi:type).
func (t *typeDef) derivedFrom(d *typeDef, g *grammar) bool {
	if d == g.anyType {
		return true
	}
	for x := t; x != nil; x = x.base {
		if x == d {
			return true
		}
		if x.simple != nil && d.simple != nil && x.simple == d.simple {
			return true
		}
	}
	return false
}

// intern returns the grammar's copy of a local name, so looking a name up
// does not allocate; unknown names are copied.
func (g *grammar) intern(b []byte) string {
	if s, ok := g.names[string(b)]; ok {
		return s
	}
	return string(b)
}
