package xsd

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

const (
	xsdNS = "http://www.w3.org/2001/XMLSchema"
	xsiNS = "http://www.w3.org/2001/XMLSchema-instance"
	xmlNS = "http://www.w3.org/XML/1998/namespace"
)

type qname struct{ ns, local string }

func (q qname) String() string {
	if q.ns == "" {
		return q.local
	}
	return "{" + q.ns + "}" + q.local
}

// xnode is one element of a schema document (annotations left out).
type xnode struct {
	local string // local name in the XML Schema namespace
	attrs []xml.Attr
	kids  []*xnode
	ns    map[string]string // in-scope namespace bindings
	doc   *schemaDoc
}

type schemaDoc struct {
	file               string
	targetNS           string
	elemQualified      bool
	attrQualified      bool
	root               *xnode
	importedOrIncluded []string
}

func (n *xnode) attr(name string) (string, bool) {
	for _, a := range n.attrs {
		if a.Name.Space == "" && a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

func (n *xnode) get(name string) string {
	v, _ := n.attr(name)
	return v
}

// resolveQName resolves a QName-valued attribute in the node's scope.
func (n *xnode) resolveQName(v string) (qname, error) {
	v = strings.TrimSpace(v)
	pfx, local, ok := strings.Cut(v, ":")
	if !ok {
		local, pfx = pfx, ""
	}
	uri, found := n.ns[pfx]
	if !found && pfx != "" {
		return qname{}, fmt.Errorf("%s: prefix %q not bound in %q", n.doc.file, pfx, v)
	}
	return qname{uri, local}, nil
}

// parseSchemaDoc reads one schema file into a node tree, with the same
// scanner as documents. A DOCTYPE (the xmldsig schema has one, declaring
// an entity it does not use) is skipped, not read.
func parseSchemaDoc(fsys fs.FS, file string) (*schemaDoc, error) {
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, err
	}
	data, err = prepare(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	doc := &schemaDoc{file: file}
	type open struct {
		n    *xnode
		skip bool
		qn   []byte
	}
	var stack []open
	base := map[string]string{"xml": xmlNS}
	scope := base
	sc := &scanner{b: data}
	for {
		sc.inRoot = len(stack) > 0
		switch sc.next() {
		case tokEOF:
			if sc.err != nil {
				return nil, fmt.Errorf("%s: %w", file, sc.err)
			}
			if doc.root == nil || doc.root.local != "schema" {
				return nil, fmt.Errorf("%s: not an XML Schema", file)
			}
			return finishDoc(doc, file), nil
		case tokDoctype:
			rest := data[sc.pos:]
			end := bytes.IndexByte(rest, '>')
			if open := bytes.IndexByte(rest, '['); open >= 0 && (end < 0 || open < end) {
				end = bytes.Index(rest, []byte("]>")) + 1
			}
			if end <= 0 {
				return nil, fmt.Errorf("%s: unterminated DOCTYPE", file)
			}
			sc.pos += end + 1
		case tokText:
		case tokStart:
			qn := sc.qn
			if len(stack) > 0 && stack[len(stack)-1].skip {
				stack = append(stack, open{skip: true, qn: qn})
				continue
			}
			ns := scope
			copied := false
			for _, a := range sc.attrs {
				var pfx string
				switch {
				case a.prefix == nil && string(a.local) == "xmlns":
					pfx = ""
				case string(a.prefix) == "xmlns":
					pfx = string(a.local)
				default:
					continue
				}
				if !copied {
					ns = make(map[string]string, len(scope)+2)
					for k, v := range scope {
						ns[k] = v
					}
					copied = true
				}
				ns[pfx] = string(a.value)
			}
			uri, ok := ns[string(sc.prefix)]
			if !ok && sc.prefix != nil {
				return nil, fmt.Errorf("%s: prefix %q not bound", file, sc.prefix)
			}
			if uri != xsdNS || string(sc.local) == "annotation" {
				stack = append(stack, open{skip: true, qn: qn})
				continue
			}
			n := &xnode{local: string(sc.local), ns: ns, doc: doc}
			for _, a := range sc.attrs {
				if a.prefix == nil && string(a.local) != "xmlns" {
					n.attrs = append(n.attrs, xml.Attr{Name: xml.Name{Local: string(a.local)}, Value: string(a.value)})
				}
			}
			if len(stack) == 0 {
				doc.root = n
			} else {
				p := stack[len(stack)-1].n
				p.kids = append(p.kids, n)
			}
			stack = append(stack, open{n: n, qn: qn})
			scope = ns
		case tokEnd:
			if len(stack) == 0 || !bytes.Equal(stack[len(stack)-1].qn, sc.qn) {
				return nil, fmt.Errorf("%s: mismatched end tag %s", file, sc.qn)
			}
			stack = stack[:len(stack)-1]
			scope = base
			for i := len(stack) - 1; i >= 0; i-- {
				if stack[i].n != nil {
					scope = stack[i].n.ns
					break
				}
			}
		}
	}
}

func finishDoc(doc *schemaDoc, file string) *schemaDoc {
	doc.targetNS = doc.root.get("targetNamespace")
	doc.elemQualified = doc.root.get("elementFormDefault") == "qualified"
	doc.attrQualified = doc.root.get("attributeFormDefault") == "qualified"
	for _, k := range doc.root.kids {
		if k.local == "import" || k.local == "include" {
			if loc := k.get("schemaLocation"); loc != "" {
				doc.importedOrIncluded = append(doc.importedOrIncluded, path.Join(path.Dir(file), loc))
			}
		}
	}
	return doc
}

// loadDocs reads the schema documents reachable from the roots.
func loadDocs(fsys fs.FS, roots ...string) ([]*schemaDoc, error) {
	seen := map[string]bool{}
	var docs []*schemaDoc
	queue := append([]string(nil), roots...)
	for len(queue) > 0 {
		f := queue[0]
		queue = queue[1:]
		if seen[f] {
			continue
		}
		seen[f] = true
		d, err := parseSchemaDoc(fsys, f)
		if err != nil {
			return nil, err
		}
		docs = append(docs, d)
		queue = append(queue, d.importedOrIncluded...)
	}
	if len(docs) == 0 {
		return nil, errors.New("no schema documents")
	}
	return docs, nil
}
