// Package xmltree reads an untrusted XML document into a small in-memory
// tree with resolved namespaces, for the UBL and CII parsers.
//
// Limits and refusals: input larger than MaxSize, elements nested deeper
// than MaxDepth, more than MaxNodes elements and attributes or MaxBindings
// namespace declarations in scope, any DTD or
// other <!...> declaration (so no entity expansion and no external
// resources), content after the root element, encodings other than UTF-8
// (a UTF-8 byte order mark is allowed), and documents that are not
// namespace-well-formed (undeclared prefixes, repeated attributes, empty
// prefix bindings). Only the five predefined entities and character
// references are understood (encoding/xml in strict mode). Reading is linear
// in the input size and does not recurse. White space before an element's
// first text is not kept.
package xmltree

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/rathaus/rathaus/internal/einvoice/en16931"
)

// Limits used by Parse.
const (
	MaxSize  = 20 << 20 // bytes
	MaxDepth = 100      // element nesting
	// MaxNodes bounds elements plus attributes, and so the memory of the
	// tree (a few hundred bytes per node): 20 MB of "<a/>" would otherwise
	// become millions of elements. The largest dev invoice has under 1,000.
	MaxNodes = 250_000
	// MaxBindings bounds the namespace declarations in scope, which every
	// name lookup may scan. Invoices declare a handful.
	MaxBindings = 1000
)

// Errors returned by Parse, wrapped with detail; they are the sentinels of
// package en16931 so callers need only that package.
var (
	ErrTooLarge      = en16931.ErrTooLarge
	ErrTooDeep       = en16931.ErrTooDeep
	ErrDTD           = en16931.ErrDTD
	ErrNotWellFormed = en16931.ErrNotWellFormed
)

// Element is one XML element. Name.Space is the namespace URI.
type Element struct {
	Name     xml.Name
	Attr     []xml.Attr
	Children []*Element
	Parent   *Element
	text     []byte
}

// Parse reads data into a tree and returns its root element.
//
// It reads raw tokens and resolves namespaces itself, because
// encoding/xml's own resolution lets through what a namespace-aware XML
// parser refuses: undeclared prefixes, duplicate attributes, empty prefix
// bindings, and an XML declaration that is not at the start.
func Parse(data []byte) (*Element, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(data), MaxSize)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // UTF-8 byte order mark
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	var (
		root, cur *Element
		raw       []xml.Name // raw names of the open elements, to match end tags
		ns        nsStack
		nodes     int
		first     = true
	)
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNotWellFormed, err)
		}
		isFirst := first
		first = false
		switch t := tok.(type) {
		case xml.StartElement:
			if root != nil && cur == nil {
				return nil, fmt.Errorf("%w: element <%s> after the root element", ErrNotWellFormed, t.Name.Local)
			}
			if len(raw) >= MaxDepth {
				return nil, fmt.Errorf("%w: more than %d levels", ErrTooDeep, MaxDepth)
			}
			nodes += 1 + len(t.Attr)
			if nodes > MaxNodes {
				return nil, fmt.Errorf("%w: more than %d elements and attributes", ErrTooLarge, MaxNodes)
			}
			e, err := ns.open(t, len(raw))
			if errors.Is(err, errTooManyBindings) {
				return nil, fmt.Errorf("%w: %v", ErrTooLarge, err)
			}
			if err != nil {
				return nil, fmt.Errorf("%w: line %d: %v", ErrNotWellFormed, line(d), err)
			}
			e.Parent = cur
			if cur == nil {
				root = e
			} else {
				cur.Children = append(cur.Children, e)
			}
			cur = e
			raw = append(raw, t.Name)
		case xml.EndElement:
			if len(raw) == 0 || raw[len(raw)-1] != t.Name {
				return nil, fmt.Errorf("%w: line %d: unexpected end tag </%s>", ErrNotWellFormed, line(d), qname(t.Name))
			}
			raw = raw[:len(raw)-1]
			ns.close(len(raw))
			cur = cur.Parent
		case xml.CharData:
			if cur == nil {
				if len(bytes.TrimSpace(t)) > 0 {
					return nil, fmt.Errorf("%w: text outside the root element", ErrNotWellFormed)
				}
				continue
			}
			// White space before the first text is dropped: it is the
			// indentation of element-only content and Text trims it anyway.
			if len(cur.text) == 0 && isSpace(t) {
				continue
			}
			cur.text = append(cur.text, t...)
		case xml.Directive:
			return nil, fmt.Errorf("%w: <!%.40s", ErrDTD, t)
		case xml.ProcInst:
			if strings.EqualFold(t.Target, "xml") && !isFirst {
				return nil, fmt.Errorf("%w: line %d: XML declaration not at the start", ErrNotWellFormed, line(d))
			}
		case xml.Comment:
		}
	}
	if len(raw) > 0 {
		return nil, fmt.Errorf("%w: unexpected end of input, <%s> not closed", ErrNotWellFormed, qname(raw[len(raw)-1]))
	}
	if root == nil {
		return nil, fmt.Errorf("%w: no root element", ErrNotWellFormed)
	}
	return root, nil
}

func line(d *xml.Decoder) int {
	l, _ := d.InputPos()
	return l
}

func qname(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

const nsXML = "http://www.w3.org/XML/1998/namespace"

var errTooManyBindings = fmt.Errorf("more than %d namespace declarations in scope", MaxBindings)

// nsStack holds the prefix bindings in scope; each binding records the
// depth of the element that declared it.
type nsStack struct {
	b []binding
}

type binding struct {
	prefix, uri string
	depth       int
}

func (s *nsStack) lookup(prefix string) (string, bool) {
	if prefix == "xml" {
		return nsXML, true
	}
	for i := len(s.b) - 1; i >= 0; i-- {
		if s.b[i].prefix == prefix {
			return s.b[i].uri, true
		}
	}
	if prefix == "" {
		return "", true // no default namespace
	}
	return "", false
}

// open declares the bindings of start element t (at the given depth) and
// returns its element with resolved names.
func (s *nsStack) open(t xml.StartElement, depth int) (*Element, error) {
	for _, a := range t.Attr {
		switch {
		case a.Name.Space == "xmlns":
			if a.Value == "" {
				return nil, fmt.Errorf("empty namespace for prefix %q", a.Name.Local)
			}
			if a.Name.Local == "xmlns" || (a.Name.Local == "xml") != (a.Value == nsXML) {
				return nil, fmt.Errorf("reserved prefix %q bound to %q", a.Name.Local, a.Value)
			}
			s.b = append(s.b, binding{prefix: a.Name.Local, uri: a.Value, depth: depth})
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			s.b = append(s.b, binding{prefix: "", uri: a.Value, depth: depth})
		}
	}
	if len(s.b) > MaxBindings {
		return nil, errTooManyBindings
	}
	uri, ok := s.lookup(t.Name.Space)
	if !ok {
		return nil, fmt.Errorf("undeclared prefix in <%s>", qname(t.Name))
	}
	e := &Element{Name: xml.Name{Space: uri, Local: t.Name.Local}}
	for _, a := range t.Attr {
		if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
			continue
		}
		name := a.Name
		if name.Space != "" {
			u, ok := s.lookup(name.Space)
			if !ok {
				return nil, fmt.Errorf("undeclared prefix in attribute %s", qname(a.Name))
			}
			name.Space = u
		}
		e.Attr = append(e.Attr, xml.Attr{Name: name, Value: a.Value})
	}
	if dup := repeated(e.Attr); dup != nil {
		return nil, fmt.Errorf("attribute {%s}%s repeated in <%s>", dup.Space, dup.Local, qname(t.Name))
	}
	return e, nil
}

// repeated returns a name that occurs twice in attrs, or nil. Pairwise for
// the usual few attributes, with a set for many, so the work stays linear.
func repeated(attrs []xml.Attr) *xml.Name {
	if len(attrs) <= 16 {
		for i := range attrs {
			for j := range i {
				if attrs[i].Name == attrs[j].Name {
					return &attrs[i].Name
				}
			}
		}
		return nil
	}
	seen := make(map[xml.Name]bool, len(attrs))
	for i := range attrs {
		if seen[attrs[i].Name] {
			return &attrs[i].Name
		}
		seen[attrs[i].Name] = true
	}
	return nil
}

// close drops the bindings declared by the element at depth.
func (s *nsStack) close(depth int) {
	for len(s.b) > 0 && s.b[len(s.b)-1].depth >= depth {
		s.b = s.b[:len(s.b)-1]
	}
}

// Child returns the first child element with the given namespace and local
// name, or nil. It is safe on a nil receiver, so lookups chain.
func (e *Element) Child(space, local string) *Element {
	if e == nil {
		return nil
	}
	for _, c := range e.Children {
		if c.Name.Local == local && c.Name.Space == space {
			return c
		}
	}
	return nil
}

// All returns the child elements with the given name, in document order.
func (e *Element) All(space, local string) []*Element {
	if e == nil {
		return nil
	}
	var out []*Element
	for _, c := range e.Children {
		if c.Name.Local == local && c.Name.Space == space {
			out = append(out, c)
		}
	}
	return out
}

// Text returns the element's own character data with surrounding white space
// removed; "" for a nil element.
func (e *Element) Text() string {
	if e == nil {
		return ""
	}
	return string(bytes.TrimSpace(e.text))
}

// RawText returns the element's own character data unchanged.
func (e *Element) RawText() []byte {
	if e == nil {
		return nil
	}
	return e.text
}

// AttrValue returns the value of the unqualified attribute local, or "".
func (e *Element) AttrValue(local string) string {
	if e == nil {
		return ""
	}
	for _, a := range e.Attr {
		if a.Name.Space == "" && a.Name.Local == local {
			return strings.TrimSpace(a.Value)
		}
	}
	return ""
}

// Path returns the element's location from the root, with the prefixes
// that prefix gives for namespace URIs and a 1-based index where siblings
// share the name: /Invoice/cac:InvoiceLine[2]/cbc:LineExtensionAmount.
func (e *Element) Path(prefix func(space string) string) string {
	var parts []string
	for n := e; n != nil; n = n.Parent {
		name := n.Name.Local
		if p := prefix(n.Name.Space); p != "" {
			name = p + ":" + name
		}
		if n.Parent != nil {
			idx, count := 0, 0
			for _, s := range n.Parent.Children {
				if s.Name == n.Name {
					count++
					if s == n {
						idx = count
					}
				}
			}
			if count > 1 {
				name += "[" + strconv.Itoa(idx) + "]"
			}
		}
		parts = append(parts, name)
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteByte('/')
		b.WriteString(parts[i])
	}
	return b.String()
}

// Base64 decodes the element's text as xs:base64Binary (white space allowed).
func (e *Element) Base64() ([]byte, error) {
	raw := e.RawText()
	clean := make([]byte, 0, len(raw))
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\r', '\n':
		default:
			clean = append(clean, c)
		}
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
	n, err := base64.StdEncoding.Decode(out, clean)
	if err != nil {
		return nil, fmt.Errorf("not valid base64: %v", err)
	}
	return out[:n], nil
}

func isSpace(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}
