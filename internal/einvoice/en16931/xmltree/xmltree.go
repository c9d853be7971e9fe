// Package xmltree reads an untrusted XML document into a small in-memory
// tree with resolved namespaces, for the UBL and CII parsers.
//
// Limits and refusals: input larger than MaxSize, elements nested deeper
// than MaxDepth, more than MaxNodes elements and attributes, any DTD or other <!...> declaration (so no entity
// expansion), content after the root element, and any encoding but UTF-8 are
// errors. Only the five predefined entities and character references are
// understood (encoding/xml in strict mode). Reading is linear in the input
// size; there is no recursion in the reader.
package xmltree

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
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
func Parse(data []byte) (*Element, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(data), MaxSize)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // UTF-8 byte order mark
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	var root, cur *Element
	depth, nodes := 0, 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNotWellFormed, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root != nil && cur == nil {
				return nil, fmt.Errorf("%w: element <%s> after the root element", ErrNotWellFormed, t.Name.Local)
			}
			depth++
			if depth > MaxDepth {
				return nil, fmt.Errorf("%w: more than %d levels", ErrTooDeep, MaxDepth)
			}
			nodes += 1 + len(t.Attr)
			if nodes > MaxNodes {
				return nil, fmt.Errorf("%w: more than %d elements and attributes", ErrTooLarge, MaxNodes)
			}
			e := &Element{Name: t.Name, Parent: cur}
			if len(t.Attr) > 0 {
				e.Attr = t.Attr
			}
			if cur == nil {
				root = e
			} else {
				cur.Children = append(cur.Children, e)
			}
			cur = e
		case xml.EndElement:
			depth--
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
		case xml.ProcInst, xml.Comment:
		}
	}
	if root == nil {
		return nil, fmt.Errorf("%w: no root element", ErrNotWellFormed)
	}
	return root, nil
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
