package camt

import (
	"bytes"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// decode reads an XML 1.0 document into the raw shapes (xDoc) in one
// pass, without building a tree: a small strict scanner (elements,
// attributes, character and entity references, CDATA, comments and
// processing instructions; no DTD) and a stack of struct fields found by
// local name through cached reflection. It is several times faster than
// encoding/xml's Unmarshal, which matters for statements of 100,000
// entries. Besides well-formedness it reports elements that the shapes
// allow once (a non-slice field) but that appear again.
//
// The input is UTF-8 (decodeDocument transcodes other declared encodings
// first).

type fieldInfo struct {
	bit   uint64 // the field's bit in frame.seen
	index []int
	kind  fieldKind
	elem  reflect.Type // struct type for structs, pointers and slices of structs
}

type fieldKind uint8

const (
	kString         fieldKind = iota + 1 // string
	kPtrString                           // *string
	kSliceString                         // []string
	kPtrStruct                           // *T
	kSliceStruct                         // []T
	kStruct                              // T
	kSlicePtrStruct                      // []*T
)

type shapeInfo struct {
	elems    map[string]fieldInfo
	attrs    map[string][]int // attribute local name → *string field
	chardata []int            // string field with ",chardata"
}

var shapeCache sync.Map

func shapeFor(t reflect.Type) *shapeInfo {
	if s, ok := shapeCache.Load(t); ok {
		return s.(*shapeInfo)
	}
	s := &shapeInfo{elems: map[string]fieldInfo{}, attrs: map[string][]int{}}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("xml")
		name, opts, _ := strings.Cut(tag, ",")
		if f.Name == "XMLName" || tag == "" {
			continue
		}
		switch {
		case opts == "chardata":
			s.chardata = f.Index
			continue
		case opts == "attr":
			s.attrs[name] = f.Index
			continue
		}
		fi := fieldInfo{index: f.Index}
		ft := f.Type
		switch {
		case ft.Kind() == reflect.String:
			fi.kind = kString
		case ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.String:
			fi.kind = kPtrString
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.String:
			fi.kind = kSliceString
		case ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.Struct:
			fi.kind, fi.elem = kPtrStruct, ft.Elem()
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			fi.kind, fi.elem = kSliceStruct, ft.Elem()
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Pointer && ft.Elem().Elem().Kind() == reflect.Struct:
			fi.kind, fi.elem = kSlicePtrStruct, ft.Elem().Elem()
		case ft.Kind() == reflect.Struct:
			fi.kind, fi.elem = kStruct, ft
		default:
			panic("camt: unsupported field " + t.Name() + "." + f.Name)
		}
		if len(s.elems) >= 64 {
			panic("camt: more than 64 elements in " + t.Name())
		}
		fi.bit = 1 << len(s.elems)
		s.elems[name] = fi
	}
	shapeCache.Store(t, s)
	return s
}

type frame struct {
	name  string
	v     reflect.Value // the struct being filled; invalid when skipping
	shape *shapeInfo
	// target receives the element's text (a string, *string or []string
	// element), when it is a leaf of the shapes.
	target fieldInfo
	parent reflect.Value
	text   []byte
	owned  bool   // text is a copy (else a slice of the input)
	seen   uint64 // elements of maxOccurs 1 met so far
}

// wantsText: only leaves of the shapes and chardata fields keep their text.
func (f *frame) wantsText() bool {
	return f.target.kind != 0 || (f.v.IsValid() && f.shape.chardata != nil)
}

func (f *frame) addText(t []byte) {
	switch {
	case f.text == nil:
		f.text = t // a slice of the input, copied once by closeFrame
	case !f.owned:
		f.text = append(append(make([]byte, 0, len(f.text)+len(t)+16), f.text...), t...)
		f.owned = true
	default:
		f.text = append(f.text, t...)
	}
}

type decoder struct {
	data     []byte
	pos      int
	rootNS   string
	rootName string
	problems []Problem // repeated elements
}

type syntaxError struct {
	msg  string
	line int
}

func (e *syntaxError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

func (d *decoder) fail(format string, args ...any) error {
	return &syntaxError{msg: fmt.Sprintf(format, args...), line: 1 + bytes.Count(d.data[:min(d.pos, len(d.data))], []byte{'\n'})}
}

const maxDepth = 256

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

func isNameByte(b byte) bool {
	return b >= 0x80 || b == '_' || b == ':' || b == '-' || b == '.' || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')
}

// decodeInto fills out (a pointer to xDoc) from the UTF-8 document.
func (d *decoder) decodeInto(out any) error {
	if !utf8.Valid(d.data) {
		return d.fail("invalid UTF-8")
	}
	d.data = bytes.TrimPrefix(d.data, []byte("\xef\xbb\xbf"))
	var stack []frame
	rootDone := false
	nsDecl := map[string]string{} // root's namespace declarations
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		if c != '<' {
			// text
			start := d.pos
			i := bytes.IndexByte(d.data[d.pos:], '<')
			if i < 0 {
				d.pos = len(d.data)
			} else {
				d.pos += i
			}
			raw := d.data[start:d.pos]
			if len(stack) == 0 {
				if len(bytes.TrimSpace(raw)) != 0 {
					return d.fail("text outside the root element")
				}
				continue
			}
			if err := d.checkChars(raw); err != nil {
				return err
			}
			top := &stack[len(stack)-1]
			if top.wantsText() {
				t, err := d.unescape(raw)
				if err != nil {
					return err
				}
				top.addText(t)
			} else if bytes.IndexByte(raw, '&') >= 0 {
				if _, err := d.unescape(raw); err != nil {
					return err
				}
			}
			continue
		}
		rest := d.data[d.pos:]
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			end := bytes.Index(rest[4:], []byte("-->"))
			if end < 0 {
				return d.fail("unterminated comment")
			}
			d.pos += 4 + end + 3
		case bytes.HasPrefix(rest, []byte("<?")):
			end := bytes.Index(rest, []byte("?>"))
			if end < 0 {
				return d.fail("unterminated processing instruction")
			}
			d.pos += end + 2
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			if len(stack) == 0 {
				return d.fail("CDATA outside the root element")
			}
			end := bytes.Index(rest, []byte("]]>"))
			if end < 0 {
				return d.fail("unterminated CDATA section")
			}
			txt := rest[9:end]
			if err := d.checkChars(txt); err != nil {
				return err
			}
			if top := &stack[len(stack)-1]; top.wantsText() {
				top.addText(txt)
			}
			d.pos += end + 3
		case bytes.HasPrefix(rest, []byte("<!")):
			return d.fail("document type declarations are not accepted")
		case bytes.HasPrefix(rest, []byte("</")):
			d.pos += 2
			name := d.name()
			if name == "" {
				return d.fail("end tag without a name")
			}
			d.skipSpace()
			if d.pos >= len(d.data) || d.data[d.pos] != '>' {
				return d.fail("malformed end tag </%s", clip(name))
			}
			d.pos++
			if len(stack) == 0 || stack[len(stack)-1].name != name {
				return d.fail("unexpected end tag </%s>", clip(name))
			}
			d.closeFrame(&stack[len(stack)-1])
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				rootDone = true
			}
		default:
			d.pos++
			name := d.name()
			if name == "" {
				return d.fail("malformed start tag")
			}
			if rootDone {
				return d.fail("a second root element <%s>", clip(name))
			}
			if len(stack) >= maxDepth {
				return d.fail("elements nested deeper than %d", maxDepth)
			}
			attrs, selfClose, err := d.attributes()
			if err != nil {
				return err
			}
			local := name
			prefix := ""
			if i := strings.IndexByte(name, ':'); i >= 0 {
				prefix, local = name[:i], name[i+1:]
			}
			var fr frame
			fr.name = name
			if len(stack) == 0 {
				for _, a := range attrs {
					switch {
					case a.name == "xmlns":
						nsDecl[""] = a.value
					case strings.HasPrefix(a.name, "xmlns:"):
						nsDecl[a.name[6:]] = a.value
					}
				}
				ns, ok := nsDecl[prefix]
				if !ok && prefix != "" {
					return d.fail("undeclared namespace prefix %q", clip(prefix))
				}
				d.rootNS, d.rootName = ns, local
				rv := reflect.ValueOf(out).Elem()
				fr.v, fr.shape = rv, shapeFor(rv.Type())
			} else {
				d.openChild(&stack[len(stack)-1], &fr, local, stack)
			}
			if fr.v.IsValid() {
				for _, a := range attrs {
					al := a.name
					if i := strings.IndexByte(al, ':'); i >= 0 {
						al = al[i+1:]
					}
					if idx, ok := fr.shape.attrs[al]; ok && !strings.HasPrefix(a.name, "xmlns") {
						s := a.value
						fr.v.FieldByIndex(idx).Set(reflect.ValueOf(&s))
					}
				}
			}
			if selfClose {
				d.closeFrame(&fr)
				if len(stack) == 0 {
					rootDone = true
				}
				continue
			}
			stack = append(stack, fr)
		}
	}
	if len(stack) > 0 {
		return d.fail("unexpected end of document inside <%s>", clip(stack[len(stack)-1].name))
	}
	if !rootDone {
		return d.fail("no root element")
	}
	return nil
}

func (d *decoder) openChild(parent *frame, fr *frame, local string, stack []frame) {
	if !parent.v.IsValid() {
		return // inside an element the shapes do not read
	}
	fi, ok := parent.shape.elems[local]
	if !ok {
		return
	}
	f := parent.v.FieldByIndex(fi.index)
	once := fi.kind != kSliceString && fi.kind != kSliceStruct && fi.kind != kSlicePtrStruct
	dup := once && parent.seen&fi.bit != 0
	parent.seen |= fi.bit
	if dup && len(d.problems) < 1000 {
		var names []string
		for _, s := range stack[1:] {
			names = append(names, localName(s.name))
		}
		names = append(names, local)
		d.problems = append(d.problems, Problem{Path: strings.Join(names, "/"), Reason: "may appear only once"})
	}
	switch fi.kind {
	case kString, kPtrString, kSliceString:
		fr.target, fr.parent = fi, parent.v
	case kPtrStruct:
		nv := reflect.New(fi.elem)
		f.Set(nv)
		fr.v, fr.shape = nv.Elem(), shapeFor(fi.elem)
	case kStruct:
		f.Set(reflect.Zero(fi.elem))
		fr.v, fr.shape = f, shapeFor(fi.elem)
	case kSliceStruct:
		f.Set(reflect.Append(f, reflect.Zero(fi.elem)))
		fr.v, fr.shape = f.Index(f.Len()-1), shapeFor(fi.elem)
	case kSlicePtrStruct:
		nv := reflect.New(fi.elem)
		f.Set(reflect.Append(f, nv))
		fr.v, fr.shape = nv.Elem(), shapeFor(fi.elem)
	}
}

func localName(n string) string {
	if i := strings.IndexByte(n, ':'); i >= 0 {
		return n[i+1:]
	}
	return n
}

func (d *decoder) closeFrame(fr *frame) {
	switch fr.target.kind {
	case kString:
		fr.parent.FieldByIndex(fr.target.index).SetString(string(fr.text))
	case kPtrString:
		s := string(fr.text)
		fr.parent.FieldByIndex(fr.target.index).Set(reflect.ValueOf(&s))
	case kSliceString:
		f := fr.parent.FieldByIndex(fr.target.index)
		f.Set(reflect.Append(f, reflect.ValueOf(string(fr.text))))
	}
	if fr.v.IsValid() && fr.shape.chardata != nil {
		fr.v.FieldByIndex(fr.shape.chardata).SetString(string(fr.text))
	}
}

func (d *decoder) name() string {
	start := d.pos
	for d.pos < len(d.data) && isNameByte(d.data[d.pos]) {
		d.pos++
	}
	n := string(d.data[start:d.pos])
	if n != "" {
		c := n[0]
		if c == '-' || c == '.' || (c >= '0' && c <= '9') {
			return ""
		}
	}
	return n
}

func (d *decoder) skipSpace() {
	for d.pos < len(d.data) && isSpace(d.data[d.pos]) {
		d.pos++
	}
}

type xattr struct{ name, value string }

func (d *decoder) attributes() ([]xattr, bool, error) {
	var out []xattr
	for {
		hadSpace := d.pos < len(d.data) && isSpace(d.data[d.pos])
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, false, d.fail("unterminated start tag")
		}
		switch d.data[d.pos] {
		case '>':
			d.pos++
			return out, false, nil
		case '/':
			if d.pos+1 < len(d.data) && d.data[d.pos+1] == '>' {
				d.pos += 2
				return out, true, nil
			}
			return nil, false, d.fail("malformed start tag")
		}
		if !hadSpace {
			return nil, false, d.fail("attributes must be separated by white space")
		}
		n := d.name()
		if n == "" {
			return nil, false, d.fail("malformed attribute")
		}
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != '=' {
			return nil, false, d.fail("attribute %s without a value", clip(n))
		}
		d.pos++
		d.skipSpace()
		if d.pos >= len(d.data) || (d.data[d.pos] != '"' && d.data[d.pos] != '\'') {
			return nil, false, d.fail("attribute %s: value must be quoted", clip(n))
		}
		q := d.data[d.pos]
		d.pos++
		end := bytes.IndexByte(d.data[d.pos:], q)
		if end < 0 {
			return nil, false, d.fail("unterminated attribute value")
		}
		raw := d.data[d.pos : d.pos+end]
		if bytes.IndexByte(raw, '<') >= 0 {
			return nil, false, d.fail("'<' in an attribute value")
		}
		if err := d.checkChars(raw); err != nil {
			return nil, false, err
		}
		v, err := d.unescape(raw)
		if err != nil {
			return nil, false, err
		}
		d.pos += end + 1
		for _, a := range out {
			if a.name == n {
				return nil, false, d.fail("attribute %s given twice", clip(n))
			}
		}
		out = append(out, xattr{n, string(v)})
	}
}

// checkChars refuses characters XML 1.0 does not allow.
func (d *decoder) checkChars(b []byte) error {
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return d.fail("control character 0x%02x", c)
		}
	}
	if bytes.Contains(b, []byte("\xef\xbf\xbe")) || bytes.Contains(b, []byte("\xef\xbf\xbf")) {
		return d.fail("character U+FFFE/U+FFFF is not allowed")
	}
	return nil
}

func (d *decoder) unescape(b []byte) ([]byte, error) {
	if bytes.IndexByte(b, '&') < 0 {
		return b, nil
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] != '&' {
			out = append(out, b[i])
			continue
		}
		j := bytes.IndexByte(b[i:], ';')
		if j < 0 || j > 12 {
			return nil, d.fail("'&' not starting an entity reference")
		}
		ent := string(b[i+1 : i+j])
		switch ent {
		case "lt":
			out = append(out, '<')
		case "gt":
			out = append(out, '>')
		case "amp":
			out = append(out, '&')
		case "apos":
			out = append(out, '\'')
		case "quot":
			out = append(out, '"')
		default:
			if !strings.HasPrefix(ent, "#") || len(ent) < 2 {
				return nil, d.fail("unknown entity &%s;", clip(ent))
			}
			var n uint64
			var err error
			if ent[1] == 'x' {
				n, err = strconv.ParseUint(ent[2:], 16, 32)
			} else {
				n, err = strconv.ParseUint(ent[1:], 10, 32)
			}
			r := rune(n)
			if err != nil || !(r == 0x9 || r == 0xA || r == 0xD || (r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)) {
				return nil, d.fail("invalid character reference &%s;", clip(ent))
			}
			out = utf8.AppendRune(out, r)
		}
		i += j
	}
	return out, nil
}
