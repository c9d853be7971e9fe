package xpath

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// parseStd parses with encoding/xml; tests compare it with Parse.
func parseStd(data []byte, lim Limits) (*Document, error) {
	data, err := toUTF8(data)
	if err != nil {
		return nil, err
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	dec.CharsetReader = charsetReader
	doc := &Document{byName: make(map[qname][]*Node, 64)}
	root := &Node{Kind: DocumentNode, doc: doc}
	doc.Root = root
	cur := root
	type scope struct{ prefix, uri string }
	var nsStack []scope
	var nsMarks []int
	lookup := func(prefix string) (string, bool) {
		if prefix == "xml" {
			return xmlNS, true
		}
		for i := len(nsStack) - 1; i >= 0; i-- {
			if nsStack[i].prefix == prefix {
				return nsStack[i].uri, true
			}
		}
		return "", prefix == ""
	}
	depth := 0
	seenRoot := false
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if cur == root && seenRoot {
				return nil, errors.New("more than one document element")
			}
			depth++
			if depth > lim.MaxDepth {
				return nil, ErrTooDeep
			}
			nsMarks = append(nsMarks, len(nsStack))
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" {
					nsStack = append(nsStack, scope{a.Name.Local, a.Value})
				} else if a.Name.Space == "" && a.Name.Local == "xmlns" {
					nsStack = append(nsStack, scope{"", a.Value})
				}
			}
			uri, ok := lookup(t.Name.Space)
			if !ok {
				return nil, errors.New("undeclared prefix")
			}
			el := &Node{Kind: ElementNode, Prefix: t.Name.Space, Space: uri, Local: t.Name.Local, Parent: cur, doc: doc}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
					continue
				}
				auri := ""
				if a.Name.Space != "" {
					if auri, ok = lookup(a.Name.Space); !ok {
						return nil, errors.New("undeclared prefix")
					}
				}
				el.Attrs = append(el.Attrs, &Node{Kind: AttributeNode, Prefix: a.Name.Space, Space: auri, Local: a.Name.Local, Value: a.Value, Parent: el, doc: doc})
			}
			cur.Children = append(cur.Children, el)
			cur = el
			seenRoot = true
		case xml.EndElement:
			if cur == root || cur.Local != t.Name.Local || cur.Prefix != t.Name.Space {
				return nil, errors.New("unexpected end element")
			}
			nsStack = nsStack[:nsMarks[len(nsMarks)-1]]
			nsMarks = nsMarks[:len(nsMarks)-1]
			cur = cur.Parent
			depth--
		case xml.CharData:
			if cur == root {
				if len(bytes.TrimLeft(t, " \t\r\n")) != 0 {
					return nil, errors.New("text outside the document element")
				}
				continue
			}
			if n := len(cur.Children); n > 0 && cur.Children[n-1].Kind == TextNode {
				cur.Children[n-1].Value += string(t)
				continue
			}
			cur.Children = append(cur.Children, &Node{Kind: TextNode, Value: string(t), Parent: cur, doc: doc})
		case xml.Comment:
			cur.Children = append(cur.Children, &Node{Kind: CommentNode, Value: string(t), Parent: cur, doc: doc})
		case xml.ProcInst:
			if t.Target == "xml" {
				continue
			}
			cur.Children = append(cur.Children, &Node{Kind: PINode, Local: t.Target, Value: string(t.Inst), Parent: cur, doc: doc})
		case xml.Directive:
			return nil, ErrDTD
		}
	}
	if cur != root || !seenRoot {
		return nil, errors.New("incomplete document")
	}
	doc.number(root)
	return doc, nil
}

func charsetReader(label string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "utf-8", "utf8", "us-ascii", "ascii", "utf-16", "utf-16le", "utf-16be":
		return input, nil
	case "iso-8859-1", "latin1", "iso_8859-1", "l1", "iso-8859-15", "windows-1252", "cp1252":
		b, err := io.ReadAll(input)
		if err != nil {
			return nil, err
		}
		out := make([]byte, 0, len(b)+len(b)/8)
		for _, c := range b {
			out = utf8.AppendRune(out, rune(c))
		}
		return bytes.NewReader(out), nil
	}
	return nil, fmt.Errorf("unsupported encoding %q", label)
}
