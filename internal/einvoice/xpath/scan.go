package xpath

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// scanner is a small, strict XML 1.0 parser producing the Document tree
// directly. It accepts UTF-8 only (Parse transcodes other encodings), never
// expands anything but the predefined entities and character references,
// and rejects document type declarations.
type scanner struct {
	src  []byte
	pos  int
	line int
	lim  Limits
	doc  *Document
	ns   []nsBinding
	text []byte // scratch buffer for text and attribute values
	n    int    // nodes created

	linePos, lineNo int               // line counting resumes here
	names           map[string]string // interned names
	slab            []Node            // nodes are allocated in chunks
}

// intern returns b as a string, shared for short white-space runs (the
// indentation between elements), which are most of the text nodes.
func (s *scanner) intern(b []byte) string {
	if len(b) > 40 || len(b) == 0 || !isSpace(b[0]) || len(bytes.TrimLeft(b, " \t\n\r")) != 0 {
		return string(b)
	}
	if v, ok := s.names[string(b)]; ok {
		return v
	}
	v := string(b)
	if s.names == nil {
		s.names = map[string]string{}
	}
	s.names[v] = v
	return v
}

// node returns a zeroed node from the current chunk.
func (s *scanner) node() *Node {
	if len(s.slab) == 0 {
		s.slab = make([]Node, 128)
	}
	n := &s.slab[0]
	s.slab = s.slab[1:]
	return n
}

type nsBinding struct{ prefix, uri string }

var errEOF = errors.New("unexpected end of document")

func (s *scanner) fail(format string, args ...any) error {
	return &ParseError{Line: s.lineAt(s.pos), Err: fmt.Errorf(format, args...)}
}

// failWith reports a sentinel error (ErrDTD, ErrTooDeep, …) at the
// current position, so that callers can test it with errors.Is.
func (s *scanner) failWith(err error) error {
	return &ParseError{Line: s.lineAt(s.pos), Err: err}
}

func (s *scanner) lineAt(pos int) int {
	if pos > len(s.src) {
		pos = len(s.src)
	}
	if pos < s.linePos {
		s.linePos, s.lineNo = 0, 0
	}
	s.lineNo += bytes.Count(s.src[s.linePos:pos], []byte{'\n'})
	s.linePos = pos
	return 1 + s.lineNo
}

func (s *scanner) lookupNS(prefix string) (string, bool) {
	if prefix == "xml" {
		return xmlNS, true
	}
	for i := len(s.ns) - 1; i >= 0; i-- {
		if s.ns[i].prefix == prefix {
			return s.ns[i].uri, true
		}
	}
	return "", prefix == ""
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (s *scanner) skipSpace() {
	for s.pos < len(s.src) && isSpace(s.src[s.pos]) {
		s.pos++
	}
}

func isNameStartRune(r rune) bool {
	return r == ':' || r == '_' || (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z') ||
		(r >= 0xC0 && r <= 0xD6) || (r >= 0xD8 && r <= 0xF6) || (r >= 0xF8 && r <= 0x2FF) ||
		(r >= 0x370 && r <= 0x37D) || (r >= 0x37F && r <= 0x1FFF) || (r >= 0x200C && r <= 0x200D) ||
		(r >= 0x2070 && r <= 0x218F) || (r >= 0x2C00 && r <= 0x2FEF) || (r >= 0x3001 && r <= 0xD7FF) ||
		(r >= 0xF900 && r <= 0xFDCF) || (r >= 0xFDF0 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0xEFFFF)
}

func isNameRune(r rune) bool {
	return isNameStartRune(r) || r == '-' || r == '.' || (r >= '0' && r <= '9') || r == 0xB7 ||
		(r >= 0x300 && r <= 0x36F) || (r >= 0x203F && r <= 0x2040)
}

// name scans an XML Name and returns it.
func (s *scanner) name() (string, error) {
	start := s.pos
	first := true
	for s.pos < len(s.src) {
		c := s.src[s.pos]
		if c < utf8.RuneSelf {
			ok := c == ':' || c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
				(!first && (c == '-' || c == '.' || (c >= '0' && c <= '9')))
			if !ok {
				break
			}
			s.pos++
		} else {
			r, n := utf8.DecodeRune(s.src[s.pos:])
			if r == utf8.RuneError || !(isNameRune(r) && (!first || isNameStartRune(r))) {
				break
			}
			s.pos += n
		}
		first = false
	}
	if s.pos == start {
		if s.pos >= len(s.src) {
			return "", s.failWith(errEOF)
		}
		return "", s.fail("invalid name character %q", s.src[s.pos])
	}
	b := s.src[start:s.pos]
	if n, ok := s.names[string(b)]; ok {
		return n, nil
	}
	n := string(b)
	if s.names == nil {
		s.names = map[string]string{}
	}
	s.names[n] = n
	return n, nil
}

func isXMLChar(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD || (r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

// checkChars verifies that b is valid UTF-8 made of XML characters.
func checkChars(b []byte) error {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return fmt.Errorf("illegal character U+%04X", c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return errors.New("invalid UTF-8")
		}
		if !isXMLChar(r) {
			return fmt.Errorf("illegal character U+%04X", r)
		}
		i += n
	}
	return nil
}

// reference decodes an entity or character reference at s.pos ('&') and
// appends it to s.text.
func (s *scanner) reference() error {
	end := bytes.IndexByte(s.src[s.pos:], ';')
	if end < 0 || end > 40 {
		return s.fail("unterminated entity reference")
	}
	ref := string(s.src[s.pos+1 : s.pos+end])
	s.pos += end + 1
	switch ref {
	case "lt":
		s.text = append(s.text, '<')
	case "gt":
		s.text = append(s.text, '>')
	case "amp":
		s.text = append(s.text, '&')
	case "apos":
		s.text = append(s.text, '\'')
	case "quot":
		s.text = append(s.text, '"')
	default:
		if !strings.HasPrefix(ref, "#") {
			return s.fail("undefined entity &%s;", ref)
		}
		var v uint64
		var err error
		if strings.HasPrefix(ref, "#x") {
			v, err = strconv.ParseUint(ref[2:], 16, 32)
		} else {
			v, err = strconv.ParseUint(ref[1:], 10, 32)
		}
		if err != nil || !isXMLChar(rune(v)) || strings.ContainsAny(ref[1:], "+-") {
			return s.fail("invalid character reference &%s;", ref)
		}
		s.text = utf8.AppendRune(s.text, rune(v))
	}
	return nil
}

// attrValue scans a quoted attribute value, normalising white space as
// XML 1.0 §3.3.3 requires for CDATA attributes.
func (s *scanner) attrValue() (string, error) {
	if s.pos >= len(s.src) {
		return "", s.failWith(errEOF)
	}
	q := s.src[s.pos]
	if q != '"' && q != '\'' {
		return "", s.fail("attribute value not quoted")
	}
	s.pos++
	s.text = s.text[:0]
	for {
		if s.pos >= len(s.src) {
			return "", s.failWith(errEOF)
		}
		c := s.src[s.pos]
		switch {
		case c == q:
			s.pos++
			return string(s.text), nil
		case c == '<':
			return "", s.fail("'<' in attribute value")
		case c == '&':
			if err := s.reference(); err != nil {
				return "", err
			}
		case c == '\r':
			s.text = append(s.text, ' ')
			s.pos++
			if s.pos < len(s.src) && s.src[s.pos] == '\n' {
				s.pos++
			}
		case c == '\n' || c == '\t':
			s.text = append(s.text, ' ')
			s.pos++
		default:
			s.text = append(s.text, c)
			s.pos++
		}
	}
}

// charData scans text up to the next '<' and appends it to cur.
func (s *scanner) charData(cur *Node) error {
	start := s.pos
	simple := true
	for s.pos < len(s.src) {
		c := s.src[s.pos]
		if c == '<' {
			break
		}
		if c == '&' || c == '\r' || (c == ']' && bytes.HasPrefix(s.src[s.pos:], []byte("]]>"))) {
			simple = false
			break
		}
		s.pos++
	}
	var val string
	if simple {
		val = s.intern(s.src[start:s.pos])
	} else {
		s.pos = start
		s.text = s.text[:0]
		for s.pos < len(s.src) && s.src[s.pos] != '<' {
			c := s.src[s.pos]
			switch {
			case c == '&':
				if err := s.reference(); err != nil {
					return err
				}
			case c == '\r':
				s.text = append(s.text, '\n')
				s.pos++
				if s.pos < len(s.src) && s.src[s.pos] == '\n' {
					s.pos++
				}
			case c == ']' && bytes.HasPrefix(s.src[s.pos:], []byte("]]>")):
				return s.fail("']]>' in character data")
			default:
				s.text = append(s.text, c)
				s.pos++
			}
		}
		val = string(s.text)
	}
	if cur.Kind == DocumentNode {
		if strings.TrimLeft(val, " \t\r\n") != "" {
			return s.fail("text outside the document element")
		}
		return nil
	}
	s.addText(cur, val)
	return nil
}

func (s *scanner) addText(cur *Node, val string) {
	if n := len(cur.Children); n > 0 && cur.Children[n-1].Kind == TextNode {
		cur.Children[n-1].Value += val
		return
	}
	s.n++
	t := s.node()
	*t = Node{Kind: TextNode, Value: val, Parent: cur, doc: s.doc}
	cur.Children = append(cur.Children, t)
}

func normalizeNewlines(b []byte) string {
	if bytes.IndexByte(b, '\r') < 0 {
		return string(b)
	}
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	return string(bytes.ReplaceAll(b, []byte("\r"), []byte("\n")))
}

func (s *scanner) parse() error {
	if err := checkChars(s.src); err != nil {
		return &ParseError{Line: 1, Err: err}
	}
	if bytes.HasPrefix(s.src, []byte("<?xml")) && len(s.src) > 5 && isSpace(s.src[5]) {
		end := bytes.Index(s.src, []byte("?>"))
		if end < 0 {
			return s.fail("unterminated XML declaration")
		}
		if err := checkDecl(string(s.src[5:end])); err != nil {
			return s.fail("%v", err)
		}
		s.pos = end + 2
	}
	root := s.doc.Root
	cur := root
	depth := 0
	seenRoot := false
	var marks []int
	for s.pos < len(s.src) {
		if s.src[s.pos] != '<' {
			if err := s.charData(cur); err != nil {
				return err
			}
			continue
		}
		rest := s.src[s.pos:]
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			end := bytes.Index(rest[4:], []byte("--"))
			if end < 0 {
				return s.fail("unterminated comment")
			}
			if !bytes.HasPrefix(rest[4+end:], []byte("-->")) {
				return s.fail("'--' in comment")
			}
			s.n++
			cur.Children = append(cur.Children, &Node{Kind: CommentNode, Value: normalizeNewlines(rest[4 : 4+end]), Parent: cur, doc: s.doc})
			s.pos += 4 + end + 3
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			if cur == root {
				return s.fail("CDATA section outside the document element")
			}
			end := bytes.Index(rest[9:], []byte("]]>"))
			if end < 0 {
				return s.fail("unterminated CDATA section")
			}
			s.addText(cur, normalizeNewlines(rest[9:9+end]))
			s.pos += 9 + end + 3
		case bytes.HasPrefix(rest, []byte("<!")):
			return s.failWith(ErrDTD)
		case bytes.HasPrefix(rest, []byte("<?")):
			s.pos += 2
			target, err := s.name()
			if err != nil {
				return err
			}
			if strings.EqualFold(target, "xml") {
				return s.fail("XML declaration not at the start of the document")
			}
			end := bytes.Index(s.src[s.pos:], []byte("?>"))
			if end < 0 {
				return s.fail("unterminated processing instruction")
			}
			data := s.src[s.pos : s.pos+end]
			if len(data) > 0 && !isSpace(data[0]) {
				return s.fail("invalid processing instruction")
			}
			s.n++
			cur.Children = append(cur.Children, &Node{Kind: PINode, Local: target, Value: strings.TrimLeft(normalizeNewlines(data), " \t\r\n"), Parent: cur, doc: s.doc})
			s.pos += end + 2
		case bytes.HasPrefix(rest, []byte("</")):
			s.pos += 2
			qn, err := s.name()
			if err != nil {
				return err
			}
			s.skipSpace()
			if s.pos >= len(s.src) || s.src[s.pos] != '>' {
				return s.fail("malformed end tag </%s", qn)
			}
			s.pos++
			if cur == root || qn != cur.Name() {
				return s.fail("unexpected end tag </%s>", qn)
			}
			s.ns = s.ns[:marks[len(marks)-1]]
			marks = marks[:len(marks)-1]
			cur = cur.Parent
			depth--
		default:
			if cur == root && seenRoot {
				return s.fail("more than one document element")
			}
			depth++
			if depth > s.lim.MaxDepth {
				return s.failWith(ErrTooDeep)
			}
			line := s.lineAt(s.pos)
			s.pos++
			el, selfClose, err := s.startTag(cur, line)
			if err != nil {
				return err
			}
			marks = append(marks, len(s.ns)-el.nsAdded)
			cur.Children = append(cur.Children, el.node)
			seenRoot = true
			s.n += 1 + len(el.node.Attrs)
			if s.n > s.lim.MaxNodes {
				return s.failWith(ErrTooLarge)
			}
			if selfClose {
				s.ns = s.ns[:marks[len(marks)-1]]
				marks = marks[:len(marks)-1]
				depth--
			} else {
				cur = el.node
			}
		}
	}
	if cur != root {
		return s.failWith(errEOF)
	}
	if !seenRoot {
		return s.fail("no document element")
	}
	return nil
}

type started struct {
	node    *Node
	nsAdded int
}

type rawAttr struct{ qn, val string }

func (s *scanner) startTag(parent *Node, line int) (started, bool, error) {
	qn, err := s.name()
	if err != nil {
		return started{}, false, err
	}
	var attrs []rawAttr
	added := 0
	selfClose := false
	for {
		hadSpace := s.pos < len(s.src) && isSpace(s.src[s.pos])
		s.skipSpace()
		if s.pos >= len(s.src) {
			return started{}, false, s.failWith(errEOF)
		}
		c := s.src[s.pos]
		if c == '>' {
			s.pos++
			break
		}
		if c == '/' {
			if s.pos+1 >= len(s.src) || s.src[s.pos+1] != '>' {
				return started{}, false, s.fail("malformed empty-element tag")
			}
			s.pos += 2
			selfClose = true
			break
		}
		if !hadSpace {
			return started{}, false, s.fail("missing white space between attributes")
		}
		an, err := s.name()
		if err != nil {
			return started{}, false, err
		}
		s.skipSpace()
		if s.pos >= len(s.src) || s.src[s.pos] != '=' {
			return started{}, false, s.fail("attribute %s without value", an)
		}
		s.pos++
		s.skipSpace()
		val, err := s.attrValue()
		if err != nil {
			return started{}, false, err
		}
		for _, a := range attrs {
			if a.qn == an {
				return started{}, false, s.fail("duplicate attribute %s", an)
			}
		}
		attrs = append(attrs, rawAttr{an, val})
		switch {
		case an == "xmlns":
			s.ns = append(s.ns, nsBinding{"", intern(val)})
			added++
		case strings.HasPrefix(an, "xmlns:"):
			if val == "" {
				return started{}, false, s.fail("empty namespace for prefix %s", an[6:])
			}
			s.ns = append(s.ns, nsBinding{an[6:], intern(val)})
			added++
		}
	}
	prefix, local := splitQName(qn)
	uri, ok := s.lookupNS(prefix)
	if !ok {
		return started{}, false, s.fail("undeclared namespace prefix %q", prefix)
	}
	el := s.node()
	*el = Node{Kind: ElementNode, Prefix: prefix, Space: uri, Local: local, Parent: parent, doc: s.doc, Line: int32(line)}
	for _, a := range attrs {
		if a.qn == "xmlns" || strings.HasPrefix(a.qn, "xmlns:") {
			continue
		}
		ap, al := splitQName(a.qn)
		auri := ""
		if ap != "" {
			auri, ok = s.lookupNS(ap)
			if !ok {
				return started{}, false, s.fail("undeclared namespace prefix %q", ap)
			}
		}
		for _, o := range el.Attrs {
			if o.Local == al && o.Space == auri {
				return started{}, false, s.fail("duplicate attribute %s", a.qn)
			}
		}
		an := s.node()
		*an = Node{Kind: AttributeNode, Prefix: ap, Space: auri, Local: al, Value: a.val, Parent: el, doc: s.doc}
		el.Attrs = append(el.Attrs, an)
	}
	return started{el, added}, selfClose, nil
}

func splitQName(qn string) (prefix, local string) {
	if i := strings.IndexByte(qn, ':'); i >= 0 {
		return qn[:i], qn[i+1:]
	}
	return "", qn
}

// checkDecl checks the pseudo-attributes of an XML declaration.
func checkDecl(d string) error {
	f := strings.Fields(strings.NewReplacer("=", " = ").Replace(d))
	if len(f) < 3 || f[0] != "version" || f[1] != "=" {
		return errors.New("malformed XML declaration")
	}
	if v := strings.Trim(f[2], `"'`); v != "1.0" && v != "1.1" {
		return fmt.Errorf("unsupported XML version %q", v)
	}
	return nil
}

// declaredEncoding returns the encoding named in the XML declaration.
func declaredEncoding(b []byte) string {
	if !bytes.HasPrefix(b, []byte("<?xml")) {
		return ""
	}
	end := bytes.Index(b, []byte("?>"))
	if end < 0 {
		return ""
	}
	d := string(b[:end])
	i := strings.Index(d, "encoding")
	if i < 0 {
		return ""
	}
	rest := strings.TrimLeft(d[i+len("encoding"):], " \t\r\n")
	rest = strings.TrimPrefix(rest, "=")
	rest = strings.TrimLeft(rest, " \t\r\n")
	if rest == "" {
		return ""
	}
	q := rest[0]
	if q != '"' && q != '\'' {
		return ""
	}
	j := strings.IndexByte(rest[1:], q)
	if j < 0 {
		return ""
	}
	return strings.ToLower(rest[1 : 1+j])
}
