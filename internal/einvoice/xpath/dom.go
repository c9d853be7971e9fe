package xpath

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Kind is the kind of a node in the XPath data model.
type Kind uint8

// Node kinds.
const (
	DocumentNode Kind = iota
	ElementNode
	AttributeNode
	TextNode
	CommentNode
	PINode
)

// Node is a node of a parsed, immutable document. Elements keep the
// prefix they were written with, because name() is part of some rules.
type Node struct {
	Kind     Kind
	Prefix   string
	Space    string
	Local    string
	Value    string // text, attribute value, comment or PI content
	Parent   *Node
	Children []*Node
	Attrs    []*Node
	qn       string  // prefix:local, computed once
	one      [1]Item // backing array of single()
	Order    int32   // document order
	Line     int32
	doc      *Document
}

// Document is a parsed XML document with an index of its elements by name,
// so that "//name" costs a map lookup instead of a tree walk.
type Document struct {
	Root        *Node
	Elements    []*Node // all elements in document order
	byName      map[qname][]*Node
	attrsByName map[qname][]*Node
	count       int32
}

type qname struct{ space, local string }

// Size returns the number of nodes of the document.
func (d *Document) Size() int { return int(d.count) }

// Element returns the document element (nil if none).
func (d *Document) Element() *Node {
	for _, c := range d.Root.Children {
		if c.Kind == ElementNode {
			return c
		}
	}
	return nil
}

// single returns the sequence holding only n. It is shared: callers must
// not modify it (its capacity of 1 makes append copy).
func (n *Node) single() Seq {
	if n.one[0] == nil {
		n.one[0] = n
	}
	return Seq(n.one[:1:1])
}

// Doc returns the document the node belongs to.
func (n *Node) Doc() *Document { return n.doc }

// Name returns the lexical QName as written (prefix:local).
func (n *Node) Name() string {
	if n.Prefix == "" {
		return n.Local
	}
	if n.qn != "" {
		return n.qn
	}
	return n.Prefix + ":" + n.Local
}

// StringValue returns the XPath string value of the node.
func (n *Node) StringValue() string {
	switch n.Kind {
	case ElementNode, DocumentNode:
		if len(n.Children) == 1 && n.Children[0].Kind == TextNode {
			return n.Children[0].Value
		}
		if len(n.Children) == 0 {
			return ""
		}
		var b strings.Builder
		n.appendText(&b)
		return b.String()
	default:
		return n.Value
	}
}

func (n *Node) appendText(b *strings.Builder) {
	for _, c := range n.Children {
		switch c.Kind {
		case TextNode:
			b.WriteString(c.Value)
		case ElementNode:
			c.appendText(b)
		}
	}
}

// Path returns an XPath-like location of the node: /cbc:Invoice[1]/cac:X[2].
func (n *Node) Path() string {
	if n == nil || n.Kind == DocumentNode {
		return "/"
	}
	var parts []string
	for m := n; m != nil && m.Kind != DocumentNode; m = m.Parent {
		switch m.Kind {
		case AttributeNode:
			parts = append(parts, "@"+m.Name())
		case ElementNode:
			pos := 1
			if m.Parent != nil {
				for _, s := range m.Parent.Children {
					if s == m {
						break
					}
					if s.Kind == ElementNode && s.Local == m.Local && s.Space == m.Space {
						pos++
					}
				}
			}
			parts = append(parts, fmt.Sprintf("%s[%d]", m.Name(), pos))
		case TextNode:
			parts = append(parts, "text()")
		default:
			parts = append(parts, "node()")
		}
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteByte('/')
		b.WriteString(parts[i])
	}
	return b.String()
}

// Limits bound the resources a document may use.
type Limits struct {
	MaxDepth int // maximum element nesting
	MaxNodes int // maximum number of nodes
}

// Errors returned by Parse.
var (
	ErrDTD      = errors.New("document type declarations (DTD) are not allowed")
	ErrTooDeep  = errors.New("document nesting too deep")
	ErrTooLarge = errors.New("document has too many nodes")
)

// ParseError describes why a document is not well-formed.
type ParseError struct {
	Line int
	Err  error
}

func (e *ParseError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *ParseError) Unwrap() error { return e.Err }

const xmlNS = "http://www.w3.org/XML/1998/namespace"

// Parse parses a well-formed XML document. DTDs are rejected, so no entity
// is ever expanded; nesting and size are bounded by lim.
func Parse(data []byte, lim Limits) (*Document, error) {
	if lim.MaxDepth <= 0 {
		lim.MaxDepth = 256
	}
	if lim.MaxNodes <= 0 {
		lim.MaxNodes = 4 << 20
	}
	data, err := toUTF8(data)
	if err != nil {
		return nil, &ParseError{Line: 1, Err: err}
	}
	switch enc := declaredEncoding(data); enc {
	case "", "utf-8", "utf8", "us-ascii", "ascii", "utf-16", "utf-16le", "utf-16be":
	case "iso-8859-1", "latin1", "iso_8859-1", "l1", "iso-8859-15", "latin-9", "windows-1252", "cp1252":
		var table map[byte]rune
		switch enc {
		case "windows-1252", "cp1252":
			table = cp1252
		case "iso-8859-15", "latin-9":
			table = latin9
		}
		out := make([]byte, 0, len(data)+len(data)/8)
		for _, c := range data {
			r := rune(c)
			if m, ok := table[c]; ok {
				r = m
			}
			out = utf8.AppendRune(out, r)
		}
		data = out
	default:
		return nil, &ParseError{Line: 1, Err: fmt.Errorf("unsupported encoding %q", enc)}
	}
	doc := &Document{byName: make(map[qname][]*Node, 64)}
	doc.Root = &Node{Kind: DocumentNode, doc: doc}
	s := &scanner{src: data, lim: lim, doc: doc}
	if err := s.parse(); err != nil {
		return nil, err
	}
	doc.number(doc.Root)
	return doc, nil
}

func (d *Document) number(n *Node) {
	n.Order = d.count
	d.count++
	if n.Prefix != "" {
		n.qn = n.Prefix + ":" + n.Local
	}
	if n.Kind == ElementNode {
		d.Elements = append(d.Elements, n)
		k := qname{n.Space, n.Local}
		d.byName[k] = append(d.byName[k], n)
		for _, a := range n.Attrs {
			a.Order = d.count
			d.count++
			k := qname{a.Space, a.Local}
			if d.attrsByName == nil {
				d.attrsByName = map[qname][]*Node{}
			}
			d.attrsByName[k] = append(d.attrsByName[k], a)
		}
	}
	for _, c := range n.Children {
		d.number(c)
	}
}

var internTable = map[string]string{}

// intern shares the common namespace URIs so comparisons are cheap. The
// table is fixed at init; other URIs are returned unchanged.
func intern(s string) string {
	if v, ok := internTable[s]; ok {
		return v
	}
	return s
}

func init() {
	for _, s := range []string{
		"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
		"urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
		"urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
		"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
		"urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2",
		"urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
		"urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
		"urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
		"urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
	} {
		internTable[s] = s
	}
}

// toUTF8 converts UTF-16 input (recognised by its byte order mark) to
// UTF-8 and drops a UTF-8 byte order mark.
func toUTF8(b []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return b[3:], nil
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}), bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		be := b[0] == 0xFE
		b = b[2:]
		if len(b)%2 != 0 {
			return nil, errors.New("truncated UTF-16 input")
		}
		u := make([]uint16, len(b)/2)
		for i := range u {
			if be {
				u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
			} else {
				u[i] = uint16(b[2*i+1])<<8 | uint16(b[2*i])
			}
		}
		out := []byte(string(utf16.Decode(u)))
		// The declaration still says UTF-16; the charset reader treats it as
		// already converted.
		return out, nil
	}
	return b, nil
}

// Subdocument returns a new document whose document element is a copy of
// the element n (used to run rules on an element embedded in a test file).
func Subdocument(n *Node) (*Document, error) {
	if n.Kind != ElementNode {
		return nil, errors.New("subdocument of a non-element")
	}
	doc := &Document{byName: make(map[qname][]*Node, 64)}
	root := &Node{Kind: DocumentNode, doc: doc}
	doc.Root = root
	var cp func(m, parent *Node) *Node
	cp = func(m, parent *Node) *Node {
		c := &Node{Kind: m.Kind, Prefix: m.Prefix, Space: m.Space, Local: m.Local, Value: m.Value, Parent: parent, Line: m.Line, doc: doc}
		for _, a := range m.Attrs {
			c.Attrs = append(c.Attrs, &Node{Kind: AttributeNode, Prefix: a.Prefix, Space: a.Space, Local: a.Local, Value: a.Value, Parent: c, doc: doc})
		}
		for _, ch := range m.Children {
			c.Children = append(c.Children, cp(ch, c))
		}
		return c
	}
	root.Children = []*Node{cp(n, root)}
	doc.number(root)
	return doc, nil
}

// cp1252 lists where Windows-1252 differs from ISO-8859-1.
var cp1252 = map[byte]rune{
	0x80: '€', 0x82: '‚', 0x83: 'ƒ', 0x84: '„', 0x85: '…', 0x86: '†', 0x87: '‡', 0x88: 'ˆ',
	0x89: '‰', 0x8A: 'Š', 0x8B: '‹', 0x8C: 'Œ', 0x8E: 'Ž', 0x91: '‘', 0x92: '’', 0x93: '“',
	0x94: '”', 0x95: '•', 0x96: '–', 0x97: '—', 0x98: '˜', 0x99: '™', 0x9A: 'š', 0x9B: '›',
	0x9C: 'œ', 0x9E: 'ž', 0x9F: 'Ÿ',
}

// latin9 lists where ISO-8859-15 differs from ISO-8859-1.
var latin9 = map[byte]rune{
	0xA4: '€', 0xA6: 'Š', 0xA8: 'š', 0xB4: 'Ž', 0xB8: 'ž', 0xBC: 'Œ', 0xBD: 'œ', 0xBE: 'Ÿ',
}
