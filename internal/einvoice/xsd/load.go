package xsd

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
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

// parseSchemaDoc reads one schema file into a node tree. Entities declared
// in a DTD internal subset are not read; the one schema that needs one
// (xmldsig) gets its single entity from extraEntities.
func parseSchemaDoc(fsys fs.FS, file string) (*schemaDoc, error) {
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, err
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.Entity = map[string]string{"dsig": "http://www.w3.org/2000/09/xmldsig#"}
	doc := &schemaDoc{file: file}
	type open struct {
		n    *xnode
		skip bool
	}
	var stack []open
	scope := map[string]string{"xml": xmlNS}
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) > 0 && stack[len(stack)-1].skip {
				stack = append(stack, open{skip: true})
				continue
			}
			ns := scope
			copied := false
			for _, a := range t.Attr {
				var pfx string
				switch {
				case a.Name.Space == "" && a.Name.Local == "xmlns":
					pfx = ""
				case a.Name.Space == "xmlns":
					pfx = a.Name.Local
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
				ns[pfx] = a.Value
			}
			if ns[t.Name.Space] != xsdNS || t.Name.Local == "annotation" {
				stack = append(stack, open{skip: true})
				continue
			}
			n := &xnode{local: t.Name.Local, ns: ns, doc: doc}
			for _, a := range t.Attr {
				if a.Name.Space == "" && a.Name.Local != "xmlns" {
					n.attrs = append(n.attrs, a)
				}
			}
			if len(stack) == 0 {
				doc.root = n
			} else {
				p := stack[len(stack)-1].n
				p.kids = append(p.kids, n)
			}
			stack = append(stack, open{n: n})
			scope = ns
		case xml.EndElement:
			if len(stack) == 0 {
				return nil, fmt.Errorf("%s: unbalanced end tag", file)
			}
			stack = stack[:len(stack)-1]
			scope = map[string]string{"xml": xmlNS}
			for i := len(stack) - 1; i >= 0; i-- {
				if stack[i].n != nil {
					scope = stack[i].n.ns
					break
				}
			}
		}
	}
	if doc.root == nil || doc.root.local != "schema" {
		return nil, fmt.Errorf("%s: not an XML Schema", file)
	}
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
	return doc, nil
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
