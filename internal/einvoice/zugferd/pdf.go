package zugferd

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// A small PDF object reader: enough of ISO 32000 to reach the embedded
// files of a document. It does not trust the cross-reference table:
// objects are found by scanning the file for "N G obj" headers (later
// definitions win, as with incremental updates), plus the contents of
// object streams. This also reads files whose xref offsets are broken.

type name string

type ref struct{ num, gen int }

type dict map[name]any

type stream struct {
	dict dict
	raw  []byte // undecoded data
}

var errSyntax = errors.New("PDF syntax error")

// Limits on hostile input.
const (
	maxNesting  = 64      // arrays and dictionaries inside each other
	maxObjects  = 1 << 20 // objects indexed
	maxRefChain = 32      // references followed to reach a value
)

type lexer struct {
	b     []byte
	pos   int
	depth int
}

func isWhite(c byte) bool {
	return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '
}

func isDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

func (l *lexer) skipSpace() {
	for l.pos < len(l.b) {
		c := l.b[l.pos]
		if isWhite(c) {
			l.pos++
			continue
		}
		if c == '%' {
			for l.pos < len(l.b) && l.b[l.pos] != '\n' && l.b[l.pos] != '\r' {
				l.pos++
			}
			continue
		}
		return
	}
}

// keyword reads a regular token (a run of non-white, non-delimiter bytes).
func (l *lexer) keyword() []byte {
	start := l.pos
	for l.pos < len(l.b) && !isWhite(l.b[l.pos]) && !isDelim(l.b[l.pos]) {
		l.pos++
	}
	return l.b[start:l.pos]
}

type keywordTok string

// value parses one PDF object at the current position. Integers followed
// by "G R" become references.
func (l *lexer) value() (any, error) {
	l.skipSpace()
	if l.pos >= len(l.b) {
		return nil, fmt.Errorf("%w: unexpected end of data", errSyntax)
	}
	switch c := l.b[l.pos]; c {
	case '/':
		l.pos++
		return l.name(), nil
	case '(':
		return l.literalString()
	case '<':
		if l.pos+1 < len(l.b) && l.b[l.pos+1] == '<' {
			l.pos += 2
			return l.dict()
		}
		return l.hexString()
	case '[':
		l.pos++
		return l.array()
	case ']', '>', ')', '{', '}':
		l.pos++
		return keywordTok(string(c)), nil
	}
	tok := l.keyword()
	if len(tok) == 0 {
		l.pos++
		return nil, fmt.Errorf("%w: unexpected byte at %d", errSyntax, l.pos-1)
	}
	switch string(tok) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	case "null":
		return nil, nil
	}
	if n, err := strconv.ParseInt(string(tok), 10, 64); err == nil {
		// maybe a reference "n g R"
		save := l.pos
		l.skipSpace()
		g := l.keyword()
		if gen, err := strconv.Atoi(string(g)); err == nil && len(g) > 0 {
			l.skipSpace()
			if r := l.keyword(); string(r) == "R" && n >= 0 && n <= 1<<31 {
				return ref{int(n), gen}, nil
			}
		}
		l.pos = save
		return n, nil
	}
	if f, err := strconv.ParseFloat(string(tok), 64); err == nil {
		return f, nil
	}
	return keywordTok(tok), nil
}

func (l *lexer) name() name {
	start := l.pos
	for l.pos < len(l.b) && !isWhite(l.b[l.pos]) && !isDelim(l.b[l.pos]) {
		l.pos++
	}
	raw := l.b[start:l.pos]
	if bytes.IndexByte(raw, '#') < 0 {
		return name(raw)
	}
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		if raw[i] == '#' && i+2 < len(raw) {
			if v, err := strconv.ParseUint(string(raw[i+1:i+3]), 16, 8); err == nil {
				out = append(out, byte(v))
				i += 2
				continue
			}
		}
		out = append(out, raw[i])
	}
	return name(out)
}

func (l *lexer) literalString() ([]byte, error) {
	l.pos++ // (
	var out []byte
	depth := 1
	for l.pos < len(l.b) {
		c := l.b[l.pos]
		l.pos++
		switch c {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return out, nil
			}
		case '\\':
			if l.pos >= len(l.b) {
				break
			}
			e := l.b[l.pos]
			l.pos++
			switch e {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case '\r':
				if l.pos < len(l.b) && l.b[l.pos] == '\n' {
					l.pos++
				}
				continue
			case '\n':
				continue
			default:
				if e >= '0' && e <= '7' {
					v := int(e - '0')
					for k := 0; k < 2 && l.pos < len(l.b) && l.b[l.pos] >= '0' && l.b[l.pos] <= '7'; k++ {
						v = v*8 + int(l.b[l.pos]-'0')
						l.pos++
					}
					c = byte(v)
				} else {
					c = e
				}
			}
		}
		out = append(out, c)
	}
	return nil, fmt.Errorf("%w: unterminated string", errSyntax)
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func (l *lexer) hexString() ([]byte, error) {
	l.pos++ // <
	var out []byte
	half := -1
	for l.pos < len(l.b) {
		c := l.b[l.pos]
		l.pos++
		if c == '>' {
			if half >= 0 {
				out = append(out, byte(half<<4))
			}
			return out, nil
		}
		if isWhite(c) {
			continue
		}
		v, ok := unhex(c)
		if !ok {
			return nil, fmt.Errorf("%w: bad hex string", errSyntax)
		}
		if half < 0 {
			half = int(v)
		} else {
			out = append(out, byte(half<<4)|v)
			half = -1
		}
	}
	return nil, fmt.Errorf("%w: unterminated hex string", errSyntax)
}

func (l *lexer) array() ([]any, error) {
	if l.depth++; l.depth > maxNesting {
		return nil, fmt.Errorf("%w: nesting too deep", errSyntax)
	}
	defer func() { l.depth-- }()
	var out []any
	for {
		l.skipSpace()
		if l.pos >= len(l.b) {
			return nil, fmt.Errorf("%w: unterminated array", errSyntax)
		}
		if l.b[l.pos] == ']' {
			l.pos++
			return out, nil
		}
		v, err := l.value()
		if err != nil {
			return nil, err
		}
		if k, ok := v.(keywordTok); ok && (k == ">" || k == ")" || k == "endobj") {
			return nil, fmt.Errorf("%w: unterminated array", errSyntax)
		}
		out = append(out, v)
	}
}

func (l *lexer) dict() (dict, error) {
	if l.depth++; l.depth > maxNesting {
		return nil, fmt.Errorf("%w: nesting too deep", errSyntax)
	}
	defer func() { l.depth-- }()
	d := dict{}
	for {
		l.skipSpace()
		if l.pos >= len(l.b) {
			return nil, fmt.Errorf("%w: unterminated dictionary", errSyntax)
		}
		if l.b[l.pos] == '>' {
			if l.pos+1 < len(l.b) && l.b[l.pos+1] == '>' {
				l.pos += 2
				return d, nil
			}
			return nil, fmt.Errorf("%w: bad dictionary end", errSyntax)
		}
		if l.b[l.pos] != '/' {
			return nil, fmt.Errorf("%w: dictionary key is not a name", errSyntax)
		}
		l.pos++
		k := l.name()
		v, err := l.value()
		if err != nil {
			return nil, err
		}
		if kw, ok := v.(keywordTok); ok && (kw == "endobj" || kw == "stream") {
			return nil, fmt.Errorf("%w: unterminated dictionary", errSyntax)
		}
		d[k] = v
	}
}
