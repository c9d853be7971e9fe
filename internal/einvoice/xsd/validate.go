package xsd

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unsafe"
)

// Schema names one of the embedded XML Schemas.
type Schema int

const (
	// UBLInvoice is the OASIS UBL 2.1 Invoice schema (UBL-Invoice-2.1.xsd).
	UBLInvoice Schema = iota + 1
	// UBLCreditNote is the OASIS UBL 2.1 CreditNote schema.
	UBLCreditNote
	// CII is the UN/CEFACT Cross Industry Invoice D16B schema (uncoupled).
	CII
)

func (s Schema) String() string {
	switch s {
	case UBLInvoice:
		return "UBL Invoice 2.1"
	case UBLCreditNote:
		return "UBL CreditNote 2.1"
	case CII:
		return "CII D16B"
	}
	return "Schema(" + strconv.Itoa(int(s)) + ")"
}

// Error is one schema violation or a reason why the document could not be
// checked. Code is the Xerces constraint code (for example
// "cvc-complex-type.2.4.a") for schema violations, and one of the Code*
// constants below for documents that are not well-formed or exceed a limit.
type Error struct {
	Line, Col int
	Path      string
	Code      string
	Msg       string
}

func (e Error) Error() string {
	return fmt.Sprintf("%d:%d: %s: %s", e.Line, e.Col, e.Code, e.Msg)
}

// Codes for problems that stop the check before the schema is applied in full.
const (
	CodeNotWellFormed = "xml-not-wellformed"
	CodeDoctype       = "xml-doctype-not-allowed"
	CodeLimit         = "limit-exceeded"
	CodeUnknownSchema = "unknown-schema"
	CodeInternal      = "internal-error"
)

// Limits applied to every document.
const (
	MaxDepth  = 200      // element nesting
	MaxSize   = 64 << 20 // bytes of input
	MaxErrors = 100      // errors reported before the check stops
)

//go:embed schemas
var schemaFS embed.FS

type compiled struct {
	g       *grammar
	exclude qname // global root element of the other UBL document type
	err     error
}

var (
	ublGrammarV = sync.OnceValues(func() (*grammar, error) {
		docs, err := loadDocs(schemaFS,
			"schemas/ubl-2.1/maindoc/UBL-Invoice-2.1.xsd",
			"schemas/ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd")
		if err != nil {
			return nil, err
		}
		return compileGrammar(docs)
	})
	ciiGrammarV = sync.OnceValues(func() (*grammar, error) {
		docs, err := loadDocs(schemaFS, "schemas/cii-d16b/xsd/CrossIndustryInvoice_100pD16B.xsd")
		if err != nil {
			return nil, err
		}
		return compileGrammar(docs)
	})
)

const (
	nsInvoice    = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
	nsCreditNote = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
)

func load(s Schema) compiled {
	switch s {
	case UBLInvoice:
		g, err := ublGrammarV()
		return compiled{g: g, exclude: qname{nsCreditNote, "CreditNote"}, err: err}
	case UBLCreditNote:
		g, err := ublGrammarV()
		return compiled{g: g, exclude: qname{nsInvoice, "Invoice"}, err: err}
	case CII:
		g, err := ciiGrammarV()
		return compiled{g: g, err: err}
	}
	return compiled{err: errors.New("unknown schema " + s.String())}
}

// Preload compiles the schema now instead of at the first Validate call
// (for servers that want the cost at start-up).
func Preload(s Schema) error { return load(s).err }

// Validate checks doc against schema s, as the Java platform's XML Schema
// validator (Xerces) does, and returns the violations in document order.
// An empty result means the document is valid. Validate is safe for
// concurrent use.
func Validate(doc []byte, s Schema) (errs []Error) {
	defer func() {
		// Last resort: a bug must not take the process down.
		if r := recover(); r != nil {
			errs = append(errs, Error{Code: CodeInternal, Msg: fmt.Sprint("validator failure: ", r)})
		}
	}()
	c := load(s)
	if c.err != nil {
		return []Error{{Code: CodeUnknownSchema, Msg: c.err.Error()}}
	}
	if len(doc) > MaxSize {
		return []Error{{Line: 1, Col: 1, Code: CodeLimit, Msg: fmt.Sprintf("document larger than %d bytes", MaxSize)}}
	}
	v := validators.Get().(*validator)
	v.g, v.exclude = c.g, c.exclude
	v.run(doc)
	errs = v.errs
	v.reset()
	validators.Put(v)
	return errs
}

// validators keeps validators with their grown buffers (element stack,
// text, attributes) between calls.
var validators = sync.Pool{New: func() any { return new(validator) }}

// reset drops everything that refers to the last document, keeping the
// buffers' capacity.
func (v *validator) reset() {
	for i := range v.stack {
		f := &v.stack[i]
		clear(f.kids[:cap(f.kids)])
		*f = frame{kids: f.kids[:0], text: f.text[:0], pos: f.pos[:0]}
	}
	clear(v.s.attrs[:cap(v.s.attrs)])
	*v = validator{
		ns:      v.ns[:0],
		stack:   v.stack,
		scratch: v.scratch[:0],
		s:       scanner{attrs: v.s.attrs[:0], buf: v.s.buf[:0], abuf: v.s.abuf[:0]},
	}
}

type binding struct{ prefix, uri string }

// maxBindings bounds the namespace declarations in scope (lookups are
// linear in them).
const maxBindings = 1024

// maxKidNames is how many distinct child names a frame counts in a slice
// (for positions in paths) before it switches to a map.
const maxKidNames = 32

type frame struct {
	raw     []byte // qualified name as written
	name    qname
	decl    *elemDecl
	typ     *typeDef
	mode    processContents // pcStrict: typ is set; pcLax: no type, children looked up; pcSkip
	pos     []int32         // current positions in the content automaton
	started bool            // a child element was matched (else: at the start)
	broken  bool            // a content error was reported: no further content checks
	nilled  bool
	sawText bool
	sawKid  bool
	text    []byte
	nsMark  int
	index   int
	kids    []kidCount
	kidMap  map[string]int // used instead of kids for many distinct names
}

type kidCount struct {
	name []byte
	n    int
}

type validator struct {
	g       *grammar
	exclude qname
	s       scanner
	errs    []Error
	ns      []binding
	stack   []frame
	depth   int
	ids     map[string]bool
	scratch []int32
	done    bool // root element closed
	stop    bool
}

func (v *validator) pos() (int, int) {
	return lineCol(v.s.b, v.s.tokPos)
}

func (v *validator) report(code, msg string) {
	if len(v.errs) >= MaxErrors {
		v.stop = true
		return
	}
	line, col := v.pos()
	v.errs = append(v.errs, Error{Line: line, Col: col, Path: v.path(), Code: code, Msg: msg})
	if len(v.errs) >= MaxErrors {
		v.stop = true
	}
}

func (v *validator) fatal(code, msg string) {
	line, col := v.pos()
	v.errs = append(v.errs, Error{Line: line, Col: col, Path: v.path(), Code: code, Msg: msg})
	v.stop = true
}

func (v *validator) path() string {
	if v.depth == 0 {
		return "/"
	}
	var b strings.Builder
	for i := 0; i < v.depth; i++ {
		f := &v.stack[i]
		b.WriteByte('/')
		b.Write(f.raw)
		if i > 0 {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(f.index))
			b.WriteByte(']')
		}
	}
	return b.String()
}

func (v *validator) run(doc []byte) {
	doc, err := prepare(doc)
	if err != nil {
		v.fatal(CodeNotWellFormed, err.Error())
		return
	}
	v.s = scanner{b: doc}
	v.ns = append(v.ns, binding{"xml", xmlNS})
	seenRoot := false
	for !v.stop {
		v.s.inRoot = v.depth > 0
		switch v.s.next() {
		case tokEOF:
			if v.s.err != nil {
				code := CodeNotWellFormed
				if errors.Is(v.s.err, errLimitXML) {
					code = CodeLimit
				}
				v.fatal(code, v.s.err.Error())
				return
			}
			if !seenRoot {
				v.fatal(CodeNotWellFormed, "no document element")
				return
			}
			if v.depth > 0 {
				v.fatal(CodeNotWellFormed, "unexpected end of document: element "+string(v.stack[v.depth-1].raw)+" not closed")
			}
			return
		case tokStart:
			if v.depth == 0 {
				if seenRoot {
					v.fatal(CodeNotWellFormed, "markup after the document element")
					return
				}
				seenRoot = true
			}
			v.start()
		case tokEnd:
			if v.depth == 0 {
				v.fatal(CodeNotWellFormed, "end tag without start tag")
				return
			}
			v.end()
		case tokText:
			v.chars(v.s.text)
		case tokDoctype:
			v.fatal(CodeDoctype, "DOCTYPE and other declarations are not allowed")
			return
		}
	}
}

func (v *validator) lookupNS(prefix []byte) (string, bool) {
	for i := len(v.ns) - 1; i >= 0; i-- {
		if v.ns[i].prefix == string(prefix) {
			return v.ns[i].uri, true
		}
	}
	if len(prefix) == 0 {
		return "", true
	}
	return "", false
}

func displayName(qn []byte) string { return string(qn) }

func (v *validator) globalElement(q qname) *elemDecl {
	if q == v.exclude {
		return nil
	}
	return v.g.elements[q]
}

func (v *validator) start() {
	t := &v.s
	if v.depth >= MaxDepth {
		v.fatal(CodeLimit, fmt.Sprintf("elements nested deeper than %d levels", MaxDepth))
		return
	}
	mark := len(v.ns)
	if mark > maxBindings {
		v.fatal(CodeLimit, fmt.Sprintf("more than %d namespace declarations in scope", maxBindings))
		return
	}
	for _, a := range t.attrs {
		switch {
		case a.prefix == nil && string(a.local) == "xmlns":
			v.ns = append(v.ns, binding{"", string(a.value)})
		case string(a.prefix) == "xmlns":
			if len(a.value) == 0 || string(a.local) == "xmlns" || (string(a.local) == "xml") != (string(a.value) == xmlNS) {
				v.fatal(CodeNotWellFormed, "bad namespace declaration "+string(a.qn))
				return
			}
			v.ns = append(v.ns, binding{string(a.local), string(a.value)})
		}
	}
	uri, ok := v.lookupNS(t.prefix)
	if !ok {
		v.fatal(CodeNotWellFormed, fmt.Sprintf("The prefix %q for element %q is not bound.", t.prefix, t.qn))
		return
	}
	q := qname{uri, v.g.intern(t.local)}
	// namespace well-formedness of the attributes, in every mode
	for i := range t.attrs {
		a := &t.attrs[i]
		if a.prefix == nil || isNSDecl(a) {
			continue
		}
		aq, ok := v.attrName(a)
		if !ok {
			v.fatal(CodeNotWellFormed, fmt.Sprintf("The prefix %q for attribute %q is not bound.", a.prefix, a.qn))
			return
		}
		for j := 0; j < i; j++ {
			b := &t.attrs[j]
			if b.prefix != nil && !isNSDecl(b) && bytes.Equal(a.local, b.local) {
				if bq, _ := v.attrName(b); bq == aq {
					v.fatal(CodeNotWellFormed, fmt.Sprintf("Attribute %q was already specified for element %q.", a.qn, t.qn))
					return
				}
			}
		}
	}
	if v.depth == len(v.stack) {
		v.stack = append(v.stack, frame{})
	}
	var parent *frame
	if v.depth > 0 {
		parent = &v.stack[v.depth-1]
	}
	f := &v.stack[v.depth]
	kids := f.kids[:0]
	text := f.text[:0]
	pos := f.pos[:0]
	*f = frame{raw: t.qn, name: q, nsMark: mark, kids: kids, text: text, pos: pos, index: 1}
	if parent != nil {
		parent.sawKid = true
		found := false
		for i := range parent.kids {
			if bytes.Equal(parent.kids[i].name, t.qn) {
				parent.kids[i].n++
				f.index = parent.kids[i].n
				found = true
				break
			}
		}
		switch {
		case found:
		case len(parent.kids) < maxKidNames:
			parent.kids = append(parent.kids, kidCount{t.qn, 1})
		default:
			if parent.kidMap == nil {
				parent.kidMap = map[string]int{}
			}
			n := parent.kidMap[string(t.qn)] + 1
			parent.kidMap[string(t.qn)] = n
			f.index = n
		}
	}
	v.depth++

	var decl *elemDecl
	switch {
	case parent == nil:
		decl = v.globalElement(q)
		if decl == nil {
			v.report("cvc-elt.1.a", fmt.Sprintf("Cannot find the declaration of element '%s'.", displayName(t.qn)))
			f.mode = pcLax
		}
	case parent.mode == pcSkip:
		f.mode = pcSkip
	case parent.mode == pcLax:
		decl = v.globalElement(q)
		if decl == nil {
			f.mode = pcLax
		}
	default:
		decl = v.childDecl(parent, f, t.qn)
	}
	if f.mode != pcStrict {
		return
	}
	if decl == nil {
		f.mode = pcSkip
		return
	}
	f.decl = decl
	f.typ = decl.typ
	v.xsiAttrs(f, t)
	if decl.abstract {
		v.report("cvc-elt.2", fmt.Sprintf("The value of {abstract} in the element declaration for '%s' must be false.", displayName(t.qn)))
	}
	if f.typ.abstract {
		v.report("cvc-type.2", fmt.Sprintf("The type definition cannot be abstract for element %s.", displayName(t.qn)))
	}
	v.attributes(f, t)
}

// childDecl moves the parent's content model over the child element and
// returns the child's declaration (nil when it is not to be checked, with
// f.mode set accordingly).
func (v *validator) childDecl(parent, f *frame, raw []byte) *elemDecl {
	pt := parent.typ
	name := raw // formatted only when an error is reported
	switch {
	case pt.simple != nil:
		// Like Xerces, the value checked at the end is the text after
		// the last child element.
		parent.text = parent.text[:0]
		if !parent.broken {
			v.report("cvc-type.3.1.2", fmt.Sprintf("Element '%s' is a simple type, so it must have no element information item [children].", displayName(parent.raw)))
			parent.broken = true
		}
		return v.unexpected(f, nil)
	case pt.content == ctSimple:
		parent.text = parent.text[:0]
		if !parent.broken {
			v.report("cvc-complex-type.2.2", fmt.Sprintf("Element '%s' must have no element [children], and the value must be valid.", displayName(parent.raw)))
			parent.broken = true
		}
		return v.unexpected(f, nil)
	case pt.content == ctEmpty:
		if !parent.broken {
			v.report("cvc-complex-type.2.1", fmt.Sprintf("Element '%s' must have no character or element information item [children], because the type's content type is empty.", displayName(parent.raw)))
			parent.broken = true
		}
		return v.unexpected(f, nil)
	}
	a := pt.automaton()
	if parent.broken || parent.nilled {
		return v.unexpected(f, a)
	}
	next, leaf := a.step(parent.pos, parent.started, f.name, v.scratch)
	if leaf != nil {
		v.scratch = parent.pos
		parent.pos, parent.started = next, true
		if leaf.kind == pElem {
			f.mode = pcStrict
			return leaf.elem
		}
		switch leaf.wc.process {
		case pcSkip:
			f.mode = pcSkip
			return nil
		case pcLax:
			if d := v.globalElement(f.name); d != nil {
				f.mode = pcStrict
				return d
			}
			f.mode = pcLax
			return nil
		default:
			if d := v.globalElement(f.name); d != nil {
				f.mode = pcStrict
				return d
			}
			v.report("cvc-complex-type.2.4.c", fmt.Sprintf("The matching wildcard is strict, but no declaration can be found for element '%s'.", name))
			f.mode = pcLax
			return nil
		}
	}
	v.scratch = next
	parent.broken = true
	if exp := a.expected(parent.pos, parent.started); len(exp) == 0 {
		v.report("cvc-complex-type.2.4.d", fmt.Sprintf("Invalid content was found starting with element '%s'. No child element is expected at this point.", name))
	} else {
		v.report("cvc-complex-type.2.4.a", fmt.Sprintf("Invalid content was found starting with element '%s'. One of '{%s}' is expected.", name, strings.Join(exp, ", ")))
	}
	return v.unexpected(f, a)
}

// unexpected handles an element its parent's type does not allow (the
// error is reported). Like Xerces, it is still checked: against the first
// declaration of its name in the parent's content model (unless a
// wildcard for its namespace comes first), else against a global
// declaration, else laxly.
func (v *validator) unexpected(f *frame, a *automaton) *elemDecl {
	if a != nil {
		if d := a.findDecl(f.name); d != nil {
			f.mode = pcStrict
			return d
		}
	}
	if d := v.globalElement(f.name); d != nil {
		f.mode = pcStrict
		return d
	}
	f.mode = pcLax
	return nil
}

func (v *validator) attrName(a *rawAttr) (qname, bool) {
	if a.prefix == nil {
		return qname{"", v.g.intern(a.local)}, true
	}
	uri, ok := v.lookupNS(a.prefix)
	if !ok {
		return qname{}, false
	}
	return qname{uri, v.g.intern(a.local)}, true
}

func isNSDecl(a *rawAttr) bool {
	return string(a.prefix) == "xmlns" || (a.prefix == nil && string(a.local) == "xmlns")
}

func (v *validator) xsiAttrs(f *frame, t *scanner) {
	for i := range t.attrs {
		a := &t.attrs[i]
		if isNSDecl(a) || a.prefix == nil {
			continue
		}
		q, ok := v.attrName(a)
		if !ok || q.ns != xsiNS {
			continue
		}
		switch q.local {
		case "type":
			val := strings.TrimSpace(string(a.value))
			pfx, local, has := strings.Cut(val, ":")
			if !has {
				pfx, local = "", val
			}
			uri, ok := v.lookupNS([]byte(pfx))
			if !ok {
				v.report("UndeclaredPrefix", fmt.Sprintf("Cannot resolve '%s' as a QName: the prefix '%s' is not declared.", val, pfx))
				v.report("cvc-attribute.3", fmt.Sprintf("The value '%s' of attribute 'xsi:type' on element '%s' is not valid with respect to its type, 'QName'.", val, displayName(t.qn)))
				v.report("cvc-elt.4.1", fmt.Sprintf("The value '%s' of attribute 'xsi:type' is not a valid QName.", val))
				continue
			}
			var xt *typeDef
			if uri == xsdNS {
				if local == "anyType" {
					xt = v.g.anyType
				} else if st := builtins[local]; st != nil {
					xt = v.g.wrappers[st] // read-only after compilation
				}
			} else {
				xt = v.g.types[qname{uri, local}]
			}
			if xt == nil {
				v.report("cvc-elt.4.2", fmt.Sprintf("Cannot resolve '%s' to a type definition for element '%s'.", val, displayName(t.qn)))
				continue
			}
			if !xt.derivedFrom(f.typ, v.g) {
				// reported, and (as Xerces does) the element is still
				// checked against the type it names
				v.report("cvc-elt.4.3", fmt.Sprintf("Type '%s' is not validly derived from the type definition of element '%s'.", val, displayName(t.qn)))
			}
			f.typ = xt
		case "nil":
			if !f.decl.nillable {
				v.report("cvc-elt.3.1", fmt.Sprintf("Attribute 'xsi:nil' must not appear on element '%s', because the {nillable} property of '%s' is false.", displayName(t.qn), displayName(t.qn)))
			}
			val := strings.TrimSpace(string(a.value))
			if !lexicalOK(primBoolean, val) {
				v.report("cvc-datatype-valid.1.2.1", fmt.Sprintf("'%s' is not a valid value for 'boolean'.", val))
				v.report("cvc-attribute.3", fmt.Sprintf("The value '%s' of attribute 'xsi:nil' on element '%s' is not valid with respect to its type, 'boolean'.", val, displayName(t.qn)))
				continue
			}
			if (val == "true" || val == "1") && f.decl.nillable {
				f.nilled = true
			}
		}
	}
}

func (v *validator) attributes(f *frame, t *scanner) {
	typ := f.typ
	var seen [16]qname
	nseen := 0
	var seenMore []qname
	for i := range t.attrs {
		a := &t.attrs[i]
		if isNSDecl(a) {
			continue
		}
		q, ok := v.attrName(a)
		if !ok {
			v.fatal(CodeNotWellFormed, fmt.Sprintf("The prefix %q for attribute %q is not bound.", a.prefix, a.qn))
			return
		}
		for j := 0; j < i; j++ {
			if isNSDecl(&t.attrs[j]) {
				continue
			}
			if q2, _ := v.attrName(&t.attrs[j]); q2 == q {
				v.fatal(CodeNotWellFormed, fmt.Sprintf("Attribute %q was already specified for element %q.", a.qn, t.qn))
				return
			}
		}
		if q.ns == xsiNS {
			switch q.local {
			case "type", "nil", "schemaLocation", "noNamespaceSchemaLocation":
			default:
				v.report("cvc-complex-type.3.2.2", fmt.Sprintf("Attribute '%s' is not allowed to appear in element '%s'.", displayName(a.qn), displayName(t.qn)))
			}
			continue
		}
		if typ.simple != nil {
			v.report("cvc-type.3.1.1", fmt.Sprintf("Element '%s' is a simple type, so it cannot have attributes, excepting those whose namespace name is identical to 'http://www.w3.org/2001/XMLSchema-instance' and whose [local name] is one of 'type', 'nil', 'schemaLocation' or 'noNamespaceSchemaLocation'. However, the attribute, '%s' was found.", displayName(t.qn), displayName(a.qn)))
			continue
		}
		var use *attrUse
		for _, u := range typ.attrs {
			if u.name == q {
				use = u
				break
			}
		}
		if use == nil && typ.anyAttr != nil && typ.anyAttr.allows(q.ns) {
			switch typ.anyAttr.process {
			case pcSkip:
				continue
			case pcLax:
				use = v.g.attrs[q]
				if use == nil {
					continue
				}
			default:
				use = v.g.attrs[q]
				if use == nil && q.ns != xmlNS {
					v.report("cvc-complex-type.3.2.2", fmt.Sprintf("Attribute '%s' is not allowed to appear in element '%s'.", displayName(a.qn), displayName(t.qn)))
					continue
				}
				if use == nil {
					continue
				}
			}
		}
		if use == nil {
			v.report("cvc-complex-type.3.2.2", fmt.Sprintf("Attribute '%s' is not allowed to appear in element '%s'.", displayName(a.qn), displayName(t.qn)))
			continue
		}
		if nseen < len(seen) {
			seen[nseen] = q
			nseen++
		} else {
			seenMore = append(seenMore, q)
		}
		value := bytesView(a.value) // not retained, see bytesView
		if e := use.typ.validate(value); e != nil {
			v.report(e.code, e.msg)
			v.report("cvc-attribute.3", fmt.Sprintf("The value '%s' of attribute '%s' on element '%s' is not valid with respect to its type.", value, displayName(a.qn), displayName(t.qn)))
			continue
		}
		if use.fixed != nil && normalize(value, use.typ.ws) != normalize(*use.fixed, use.typ.ws) {
			v.report(use.fixedCode, fmt.Sprintf("The value '%s' of attribute '%s' on element '%s' is not valid with respect to its fixed {value constraint}.", value, displayName(a.qn), displayName(t.qn)))
		}
		if use.typ.id {
			v.checkID(normalize(value, wsCollapse))
		}
	}
	if typ.simple != nil {
		return
	}
	for _, u := range typ.attrs {
		if !u.required {
			continue
		}
		present := false
		for _, s := range seen[:nseen] {
			if s == u.name {
				present = true
				break
			}
		}
		if !present {
			for _, s := range seenMore {
				if s == u.name {
					present = true
					break
				}
			}
		}
		if !present {
			v.report("cvc-complex-type.4", fmt.Sprintf("Attribute '%s' must appear on element '%s'.", u.name.local, displayName(t.qn)))
		}
	}
}

func (v *validator) checkID(id string) {
	if v.ids == nil {
		v.ids = map[string]bool{}
	}
	if v.ids[id] {
		v.report("cvc-id.2", fmt.Sprintf("There are multiple occurrences of ID value '%s'.", id))
		return
	}
	v.ids[strings.Clone(id)] = true
}

// bytesView returns b as a string without copying. The caller must not
// keep the string beyond the current token: the bytes are reused.
func bytesView(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func isSpace(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

func (v *validator) chars(t []byte) {
	if v.depth == 0 {
		if !isSpace(t) {
			v.fatal(CodeNotWellFormed, "content is not allowed outside the document element")
		}
		return
	}
	f := &v.stack[v.depth-1]
	if f.mode != pcStrict {
		return
	}
	if f.nilled {
		if !isSpace(t) {
			f.sawText = true
		}
		return
	}
	typ := f.typ
	if typ.simple != nil || typ.content == ctSimple {
		f.text = append(f.text, t...)
		return
	}
	switch typ.content {
	case ctElement:
		if !f.sawText && !isSpace(t) {
			f.sawText = true
			v.report("cvc-complex-type.2.3", fmt.Sprintf("Element '%s' cannot have character [children], because the type's content type is element-only.", displayName(f.raw)))
		}
	case ctEmpty:
		if !f.sawText && !isSpace(t) {
			f.sawText = true
			if !f.broken {
				f.broken = true
				v.report("cvc-complex-type.2.1", fmt.Sprintf("Element '%s' must have no character or element information item [children], because the type's content type is empty.", displayName(f.raw)))
			}
		}
	}
}

func (v *validator) end() {
	f := &v.stack[v.depth-1]
	if !bytes.Equal(f.raw, v.s.qn) {
		v.fatal(CodeNotWellFormed, fmt.Sprintf("The element type %q must be terminated by the matching end-tag \"</%s>\".", displayName(f.raw), displayName(f.raw)))
		return
	}
	if f.mode == pcStrict {
		v.endStrict(f)
	}
	v.ns = v.ns[:f.nsMark]
	v.depth--
}

func (v *validator) endStrict(f *frame) {
	typ := f.typ
	name := f.raw // formatted only when an error is reported
	if f.nilled {
		if f.sawText || f.sawKid {
			v.report("cvc-elt.3.2.1", fmt.Sprintf("Element '%s' cannot have character or element information [children], because 'xsi:nil' is specified.", name))
		}
		return
	}
	var st *simpleType
	ctxCode := "cvc-complex-type.2.2"
	switch {
	case typ.simple != nil:
		st = typ.simple
		ctxCode = "cvc-type.3.1.3"
	case typ.content == ctSimple:
		st = typ.text
	case typ.content == ctElement || typ.content == ctMixed:
		if !f.broken {
			if a := typ.automaton(); !a.final(f.pos, f.started) {
				v.report("cvc-complex-type.2.4.b", fmt.Sprintf("The content of element '%s' is not complete. One of '{%s}' is expected.", name, strings.Join(a.expected(f.pos, f.started), ", ")))
			}
		}
		return
	default:
		return
	}
	// With element children (reported already) the value is still
	// checked, as Xerces does: it is the text after the last child.
	// The value is only looked at here (messages copy it; IDs are cloned),
	// so it may share the reused text buffer.
	val := bytesView(f.text)
	if val == "" && f.decl.def != nil {
		val = *f.decl.def
	}
	if val == "" && f.decl.fixed != nil {
		val = *f.decl.fixed
	}
	if e := st.validate(val); e != nil {
		v.report(e.code, e.msg)
		if ctxCode == "cvc-type.3.1.3" {
			v.report(ctxCode, fmt.Sprintf("The value '%s' of element '%s' is not valid.", val, name))
		} else {
			v.report(ctxCode, fmt.Sprintf("Element '%s' must have no element [children], and the value must be valid.", name))
		}
		return
	}
	if f.decl.fixed != nil && normalize(val, st.ws) != normalize(*f.decl.fixed, st.ws) {
		v.report("cvc-elt.5.2.2.2.2", fmt.Sprintf("The value '%s' of element '%s' does not match the {value constraint} value '%s'.", val, name, *f.decl.fixed))
	}
	if st.id {
		v.checkID(normalize(val, wsCollapse))
	}
}
