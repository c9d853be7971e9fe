package xsd

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// scanner is a non-validating XML 1.0 tokenizer over a document held in
// memory. It checks well-formedness as a conforming parser must (names,
// quoting, references, character ranges, comments, CDATA, end tags are
// matched by the caller) and returns names as slices of the input, so the
// hot path does not allocate. Document type declarations are refused.

type tokKind int

const (
	tokEOF tokKind = iota
	tokStart
	tokEnd
	tokText
	tokDoctype
)

type rawAttr struct {
	qn, prefix, local []byte
	value             []byte // normalised, references replaced
}

type scanner struct {
	b   []byte
	pos int
	// current token
	qn, prefix, local []byte
	selfClose         bool
	pendingEnd        bool
	attrs             []rawAttr
	text              []byte
	tokPos            int
	buf               []byte // text with references replaced
	abuf              []byte // attribute values with references replaced
	err               error
	inRoot            bool
}

var (
	errSyntaxXML = errors.New("not well-formed")
	errLimitXML  = errors.New("limit exceeded")
)

// maxAttrs bounds the attributes of one element (duplicate checks are
// quadratic in it).
const maxAttrs = 512

func (s *scanner) fail(at int, format string, args ...any) tokKind {
	if s.err == nil {
		s.tokPos = at
		s.err = fmt.Errorf("%w: "+format, append([]any{errSyntaxXML}, args...)...)
	}
	return tokEOF
}

// lineCol computes the 1-based line and column of offset off.
func lineCol(b []byte, off int) (int, int) {
	if off > len(b) {
		off = len(b)
	}
	line := 1 + bytes.Count(b[:off], []byte{'\n'})
	start := bytes.LastIndexByte(b[:off], '\n') + 1
	return line, utf8.RuneCount(b[start:off]) + 1
}

// next reads the next token. Text tokens carry the character data (with
// line ends and references already replaced) in s.text.
func (s *scanner) next() tokKind {
	if s.err != nil {
		return tokEOF
	}
	if s.pendingEnd {
		s.pendingEnd = false
		return tokEnd
	}
	for s.pos < len(s.b) {
		s.tokPos = s.pos
		if s.b[s.pos] != '<' {
			return s.scanText()
		}
		if s.pos+1 >= len(s.b) {
			return s.fail(s.pos, "unexpected end of document after '<'")
		}
		switch s.b[s.pos+1] {
		case '/':
			return s.scanEnd()
		case '?':
			if k := s.scanPI(); k != tokText {
				return k
			}
		case '!':
			rest := s.b[s.pos+2:]
			switch {
			case bytes.HasPrefix(rest, []byte("--")):
				if !s.scanComment() {
					return tokEOF
				}
			case bytes.HasPrefix(rest, []byte("[CDATA[")):
				if !s.inRoot {
					return s.fail(s.pos, "CDATA section outside the document element")
				}
				start := s.pos + 9
				end := bytes.Index(s.b[start:], []byte("]]>"))
				if end < 0 {
					return s.fail(s.pos, "unterminated CDATA section")
				}
				raw := s.b[start : start+end]
				s.pos = start + end + 3
				if !s.checkChars(raw, start) {
					return tokEOF
				}
				s.text = s.normalizeNewlines(raw)
				return tokText
			case bytes.HasPrefix(rest, []byte("DOCTYPE")):
				return tokDoctype
			default:
				return s.fail(s.pos, "markup declarations are not allowed")
			}
		default:
			return s.scanStart()
		}
	}
	return tokEOF
}

func (s *scanner) normalizeNewlines(raw []byte) []byte {
	if bytes.IndexByte(raw, '\r') < 0 {
		return raw
	}
	s.buf = s.buf[:0]
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '\r' {
			s.buf = append(s.buf, '\n')
			if i+1 < len(raw) && raw[i+1] == '\n' {
				i++
			}
			continue
		}
		s.buf = append(s.buf, c)
	}
	return s.buf
}

// checkChars verifies UTF-8 and the XML Char production.
func (s *scanner) checkChars(raw []byte, base int) bool {
	for i := 0; i < len(raw); {
		c := raw[i]
		if c >= 0x20 && c < 0x80 {
			i++
			continue
		}
		if c < 0x80 {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				s.fail(base+i, "character 0x%x is not allowed in XML", c)
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(raw[i:])
		if r == utf8.RuneError && n <= 1 {
			s.fail(base+i, "invalid UTF-8")
			return false
		}
		if !isXMLChar(r) {
			s.fail(base+i, "character U+%04X is not allowed in XML", r)
			return false
		}
		i += n
	}
	return true
}

func isXMLChar(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD || r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

func (s *scanner) scanText() tokKind {
	start := s.pos
	end := bytes.IndexByte(s.b[start:], '<')
	if end < 0 {
		end = len(s.b)
	} else {
		end += start
	}
	raw := s.b[start:end]
	s.pos = end
	if !s.checkChars(raw, start) {
		return tokEOF
	}
	if i := bytes.Index(raw, []byte("]]>")); i >= 0 {
		return s.fail(start+i, "the sequence ']]>' is not allowed in content")
	}
	if bytes.IndexByte(raw, '&') < 0 {
		s.text = s.normalizeNewlines(raw)
		return tokText
	}
	out, ok := s.replaceRefs(s.normalizeNewlines(raw), start, s.buf2(), false)
	if !ok {
		return tokEOF
	}
	s.text = out
	return tokText
}

func (s *scanner) buf2() []byte {
	// references are replaced into a buffer distinct from the newline one
	return s.abuf[:0]
}

// replaceRefs replaces entity and character references in raw, appending
// to out. In attribute values (attr) whitespace characters become spaces.
func (s *scanner) replaceRefs(raw []byte, base int, out []byte, attr bool) ([]byte, bool) {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '&' {
			if attr && (c == '\t' || c == '\n' || c == '\r') {
				if c == '\r' && i+1 < len(raw) && raw[i+1] == '\n' {
					i++
				}
				c = ' '
			}
			out = append(out, c)
			continue
		}
		semi := bytes.IndexByte(raw[i:], ';')
		if semi < 0 || semi > 12 {
			s.fail(base+i, "malformed reference")
			return nil, false
		}
		ref := raw[i+1 : i+semi]
		switch string(ref) {
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
			if len(ref) < 2 || ref[0] != '#' {
				s.fail(base+i, "the entity %q was referenced, but not declared", ref)
				return nil, false
			}
			var r rune
			digits := ref[1:]
			hex := false
			if digits[0] == 'x' {
				hex = true
				digits = digits[1:]
			}
			if len(digits) == 0 {
				s.fail(base+i, "malformed character reference")
				return nil, false
			}
			for _, d := range digits {
				var v rune
				switch {
				case d >= '0' && d <= '9':
					v = rune(d - '0')
				case hex && d >= 'a' && d <= 'f':
					v = rune(d-'a') + 10
				case hex && d >= 'A' && d <= 'F':
					v = rune(d-'A') + 10
				default:
					s.fail(base+i, "malformed character reference")
					return nil, false
				}
				if hex {
					r = r*16 + v
				} else {
					r = r*10 + v
				}
				if r > 0x10FFFF {
					break
				}
			}
			if !isXMLChar(r) {
				s.fail(base+i, "character reference to an invalid XML character")
				return nil, false
			}
			out = utf8.AppendRune(out, r)
		}
		i += semi
	}
	return out, true
}

func (s *scanner) scanComment() bool {
	start := s.pos + 4
	end := bytes.Index(s.b[start:], []byte("--"))
	if end < 0 {
		s.fail(s.pos, "unterminated comment")
		return false
	}
	if start+end+2 >= len(s.b) || s.b[start+end+2] != '>' {
		s.fail(start+end, "the string '--' is not permitted within comments")
		return false
	}
	if !s.checkChars(s.b[start:start+end], start) {
		return false
	}
	s.pos = start + end + 3
	return true
}

// scanPI skips a processing instruction (or the XML declaration at the
// very start). It returns tokText to mean "nothing to report, go on".
func (s *scanner) scanPI() tokKind {
	start := s.pos
	end := bytes.Index(s.b[start+2:], []byte("?>"))
	if end < 0 {
		return s.fail(start, "unterminated processing instruction")
	}
	body := s.b[start+2 : start+2+end]
	s.pos = start + 2 + end + 2
	nameEnd := 0
	for nameEnd < len(body) && !isWS(body[nameEnd]) {
		nameEnd++
	}
	target := body[:nameEnd]
	if !isNameBytes(target) {
		return s.fail(start, "bad processing instruction target")
	}
	if strings.EqualFold(string(target), "xml") {
		if start != 0 || string(target) != "xml" {
			return s.fail(start, "the processing instruction target matching \"[xX][mM][lL]\" is not allowed")
		}
		return s.checkDecl(body[nameEnd:])
	}
	if nameEnd < len(body) || len(body) == nameEnd {
		if !s.checkChars(body, start+2) {
			return tokEOF
		}
	}
	return tokText
}

// checkDecl checks the XML declaration's pseudo-attributes.
func (s *scanner) checkDecl(rest []byte) tokKind {
	fields := map[string]string{}
	var order []string
	i := 0
	for {
		j := i
		for j < len(rest) && isWS(rest[j]) {
			j++
		}
		if j == len(rest) {
			break
		}
		if j == i {
			return s.fail(0, "malformed XML declaration")
		}
		k := j
		for k < len(rest) && rest[k] != '=' && !isWS(rest[k]) {
			k++
		}
		key := string(rest[j:k])
		for k < len(rest) && isWS(rest[k]) {
			k++
		}
		if k >= len(rest) || rest[k] != '=' {
			return s.fail(0, "malformed XML declaration")
		}
		k++
		for k < len(rest) && isWS(rest[k]) {
			k++
		}
		if k >= len(rest) || (rest[k] != '"' && rest[k] != '\'') {
			return s.fail(0, "malformed XML declaration")
		}
		q := rest[k]
		e := bytes.IndexByte(rest[k+1:], q)
		if e < 0 {
			return s.fail(0, "malformed XML declaration")
		}
		fields[key] = string(rest[k+1 : k+1+e])
		order = append(order, key)
		i = k + 1 + e + 1
	}
	want := []string{"version", "encoding", "standalone"}
	wi := 0
	for _, k := range order {
		for wi < len(want) && want[wi] != k {
			wi++
		}
		if wi == len(want) {
			return s.fail(0, "malformed XML declaration (%s)", k)
		}
		wi++
	}
	if v, ok := fields["version"]; !ok || (v != "1.0" && v != "1.1") {
		return s.fail(0, "the XML declaration must give version 1.0")
	}
	if v, ok := fields["standalone"]; ok && v != "yes" && v != "no" {
		return s.fail(0, "bad standalone value in the XML declaration")
	}
	return tokText
}

func isWS(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// scanName reads a Name at s.pos; it returns the whole name and its split
// at the colon.
func (s *scanner) scanName() (qn, prefix, local []byte, ok bool) {
	start := s.pos
	colon := -1
	for s.pos < len(s.b) {
		c := s.b[s.pos]
		if c < 0x80 {
			if c == ':' {
				if colon >= 0 {
					s.fail(start, "a name may contain at most one colon")
					return nil, nil, nil, false
				}
				colon = s.pos
				s.pos++
				continue
			}
			if asciiNameChar[c] == 0 || (s.pos == start && asciiNameChar[c] != 2) {
				break
			}
			s.pos++
			continue
		}
		r, n := utf8.DecodeRune(s.b[s.pos:])
		if r == utf8.RuneError && n == 1 {
			s.fail(s.pos, "invalid UTF-8")
			return nil, nil, nil, false
		}
		if s.pos == start && !isNameStart(r) || !isNameChar(r) {
			break
		}
		s.pos += n
	}
	qn = s.b[start:s.pos]
	if len(qn) == 0 {
		s.fail(start, "name expected")
		return nil, nil, nil, false
	}
	if colon < 0 {
		return qn, nil, qn, true
	}
	prefix, local = s.b[start:colon], s.b[colon+1:s.pos]
	if len(prefix) == 0 || len(local) == 0 {
		s.fail(start, "malformed qualified name %q", qn)
		return nil, nil, nil, false
	}
	if r, _ := utf8.DecodeRune(local); !isNameStart(r) {
		s.fail(start, "malformed qualified name %q", qn)
		return nil, nil, nil, false
	}
	return qn, prefix, local, true
}

// asciiNameChar: 2 = name start character, 1 = other name character.
var asciiNameChar = func() (t [128]byte) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = 2
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = 2
	}
	t['_'] = 2
	for c := '0'; c <= '9'; c++ {
		t[c] = 1
	}
	t['-'], t['.'] = 1, 1
	return t
}()

func isNameBytes(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for i, r := range string(b) {
		if i == 0 && !isNameStart(r) || !isNameChar(r) {
			return false
		}
	}
	return true
}

func (s *scanner) skipWS() bool {
	start := s.pos
	for s.pos < len(s.b) && isWS(s.b[s.pos]) {
		s.pos++
	}
	return s.pos > start
}

func (s *scanner) scanStart() tokKind {
	start := s.pos
	s.pos++
	qn, prefix, local, ok := s.scanName()
	if !ok {
		return tokEOF
	}
	s.qn, s.prefix, s.local = qn, prefix, local
	s.attrs = s.attrs[:0]
	s.abuf = s.abuf[:0]
	s.selfClose = false
	for {
		sp := s.skipWS()
		if s.pos >= len(s.b) {
			return s.fail(start, "unexpected end of document in start tag")
		}
		switch s.b[s.pos] {
		case '>':
			s.pos++
			s.tokPos = start
			return tokStart
		case '/':
			if s.pos+1 < len(s.b) && s.b[s.pos+1] == '>' {
				s.pos += 2
				s.selfClose = true
				s.pendingEnd = true
				s.tokPos = start
				return tokStart
			}
			return s.fail(s.pos, "'>' expected after '/'")
		}
		if !sp {
			return s.fail(s.pos, "whitespace required between attributes")
		}
		aqn, aprefix, alocal, ok := s.scanName()
		if !ok {
			return tokEOF
		}
		s.skipWS()
		if s.pos >= len(s.b) || s.b[s.pos] != '=' {
			return s.fail(s.pos, "'=' expected after attribute name %q", aqn)
		}
		s.pos++
		s.skipWS()
		if s.pos >= len(s.b) || (s.b[s.pos] != '"' && s.b[s.pos] != '\'') {
			return s.fail(s.pos, "quoted attribute value expected")
		}
		q := s.b[s.pos]
		vstart := s.pos + 1
		e := bytes.IndexByte(s.b[vstart:], q)
		if e < 0 {
			return s.fail(s.pos, "unterminated attribute value")
		}
		raw := s.b[vstart : vstart+e]
		s.pos = vstart + e + 1
		if bytes.IndexByte(raw, '<') >= 0 {
			return s.fail(vstart, "'<' is not allowed in attribute values")
		}
		if !s.checkChars(raw, vstart) {
			return tokEOF
		}
		val := raw
		if bytes.IndexByte(raw, '&') >= 0 || bytes.IndexAny(raw, "\t\n\r") >= 0 {
			from := len(s.abuf)
			out, ok := s.replaceRefs(raw, vstart, s.abuf, true)
			if !ok {
				return tokEOF
			}
			s.abuf = out
			val = out[from:len(out):len(out)]
			// a later append may move abuf: earlier values keep their
			// own backing array, so they stay valid.
		}
		if len(s.attrs) >= maxAttrs {
			s.tokPos = start
			s.err = fmt.Errorf("%w: more than %d attributes on element %q", errLimitXML, maxAttrs, qn)
			return tokEOF
		}
		for _, a := range s.attrs {
			if bytes.Equal(a.qn, aqn) {
				return s.fail(start, "attribute %q was already specified for element %q", aqn, qn)
			}
		}
		s.attrs = append(s.attrs, rawAttr{qn: aqn, prefix: aprefix, local: alocal, value: val})
	}
}

func (s *scanner) scanEnd() tokKind {
	start := s.pos
	s.pos += 2
	qn, prefix, local, ok := s.scanName()
	if !ok {
		return tokEOF
	}
	s.skipWS()
	if s.pos >= len(s.b) || s.b[s.pos] != '>' {
		return s.fail(start, "'>' expected in end tag")
	}
	s.pos++
	s.qn, s.prefix, s.local = qn, prefix, local
	s.tokPos = start
	return tokEnd
}

// prepare returns the document as UTF-8 without byte order mark, following
// the byte order mark or the encoding declaration.
func prepare(doc []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(doc, []byte{0xEF, 0xBB, 0xBF}):
		return doc[3:], nil
	case bytes.HasPrefix(doc, []byte{0xFE, 0xFF}), bytes.HasPrefix(doc, []byte{0xFF, 0xFE}):
		be := doc[0] == 0xFE
		doc = doc[2:]
		if len(doc)%2 != 0 {
			return nil, errors.New("odd number of bytes in UTF-16 document")
		}
		u := make([]uint16, len(doc)/2)
		for i := range u {
			if be {
				u[i] = uint16(doc[2*i])<<8 | uint16(doc[2*i+1])
			} else {
				u[i] = uint16(doc[2*i+1])<<8 | uint16(doc[2*i])
			}
		}
		return []byte(string(utf16.Decode(u))), nil
	}
	if !bytes.HasPrefix(doc, []byte("<?xml")) {
		return doc, nil
	}
	end := bytes.Index(doc, []byte("?>"))
	if end < 0 {
		return doc, nil
	}
	decl := string(doc[:end])
	i := strings.Index(decl, "encoding")
	if i < 0 {
		return doc, nil
	}
	rest := strings.TrimLeft(decl[i+len("encoding"):], " \t\r\n")
	rest = strings.TrimPrefix(rest, "=")
	rest = strings.TrimLeft(rest, " \t\r\n")
	if rest == "" || (rest[0] != '"' && rest[0] != '\'') {
		return doc, nil
	}
	label, _, _ := strings.Cut(rest[1:], rest[:1])
	var table *[128]rune
	// The JDK accepts IANA and Java names; these are the ones of the
	// encodings supported here.
	switch strings.ToLower(label) {
	case "utf-8", "utf8", "us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us", "us", "csascii", "ascii7", "646":
		return doc, nil
	case "iso-8859-1", "iso_8859-1", "iso8859-1", "iso8859_1", "8859_1", "latin1", "l1", "iso-ir-100", "ibm819", "cp819", "csisolatin1", "819":
		table = nil
	case "windows-1252", "cp1252":
		table = &cp1252
	case "iso-8859-15", "iso_8859-15", "iso8859-15", "iso8859_15", "8859_15", "latin9", "latin-9", "l9", "csisolatin9", "iso8859_15_fdis", "ibm923", "cp923":
		table = &latin9
	default:
		return nil, fmt.Errorf("unsupported encoding %q", label)
	}
	out := make([]byte, 0, len(doc)+len(doc)/8)
	for _, c := range doc {
		if c < 0x80 {
			out = append(out, c)
			continue
		}
		r := rune(c)
		if table != nil && table[c-0x80] != 0 {
			r = table[c-0x80]
		}
		out = utf8.AppendRune(out, r)
	}
	return out, nil
}

// cp1252 and latin9 give the code points that differ from Latin-1
// (0 = same as Latin-1).
var cp1252 = [128]rune{
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
}

var latin9 = func() (t [128]rune) {
	t[0xA4-0x80] = 0x20AC
	t[0xA6-0x80] = 0x0160
	t[0xA8-0x80] = 0x0161
	t[0xB4-0x80] = 0x017D
	t[0xB8-0x80] = 0x017E
	t[0xBC-0x80] = 0x0152
	t[0xBD-0x80] = 0x0153
	t[0xBE-0x80] = 0x0178
	return t
}()
