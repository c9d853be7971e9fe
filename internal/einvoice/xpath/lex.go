package xpath

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

type tokKind uint8

const (
	tEOF tokKind = iota
	tName
	tString
	tInteger
	tDecimal
	tDouble
	tSym
)

type token struct {
	kind tokKind
	s    string
	pos  int
}

func (t token) is(sym string) bool   { return t.kind == tSym && t.s == sym }
func (t token) isName(n string) bool { return t.kind == tName && t.s == n }

func isNameStart(r rune) bool {
	return r == '_' || (r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')) || (r >= utf8.RuneSelf && unicode.IsLetter(r))
}

func isNameChar(r rune) bool {
	return isNameStart(r) || r == '-' || r == '.' || (r >= '0' && r <= '9') || (r >= utf8.RuneSelf && (unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)))
}

func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
			continue
		case c == '(' && i+1 < len(src) && src[i+1] == ':':
			depth := 0
			j := i
			for j < len(src) {
				if strings.HasPrefix(src[j:], "(:") {
					depth++
					j += 2
				} else if strings.HasPrefix(src[j:], ":)") {
					depth--
					j += 2
					if depth == 0 {
						break
					}
				} else {
					j++
				}
			}
			if depth != 0 {
				return nil, fmt.Errorf("unterminated comment at %d", i)
			}
			i = j
			continue
		case c == '"' || c == '\'':
			var b strings.Builder
			j := i + 1
			for {
				if j >= len(src) {
					return nil, fmt.Errorf("unterminated string at %d", i)
				}
				if src[j] == c {
					if j+1 < len(src) && src[j+1] == c {
						b.WriteByte(c)
						j += 2
						continue
					}
					break
				}
				b.WriteByte(src[j])
				j++
			}
			toks = append(toks, token{tString, b.String(), i})
			i = j + 1
			continue
		case c >= '0' && c <= '9' || (c == '.' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9'):
			j := i
			kind := tInteger
			for j < len(src) && src[j] >= '0' && src[j] <= '9' {
				j++
			}
			if j < len(src) && src[j] == '.' {
				kind = tDecimal
				j++
				for j < len(src) && src[j] >= '0' && src[j] <= '9' {
					j++
				}
			}
			if j < len(src) && (src[j] == 'e' || src[j] == 'E') {
				k := j + 1
				if k < len(src) && (src[k] == '+' || src[k] == '-') {
					k++
				}
				if k < len(src) && src[k] >= '0' && src[k] <= '9' {
					for k < len(src) && src[k] >= '0' && src[k] <= '9' {
						k++
					}
					kind = tDouble
					j = k
				}
			}
			toks = append(toks, token{kind, src[i:j], i})
			i = j
			continue
		}
		r, _ := utf8.DecodeRuneInString(src[i:])
		if isNameStart(r) {
			j := scanNCName(src, i)
			if j+1 < len(src) && src[j] == ':' && src[j+1] != ':' {
				r2, _ := utf8.DecodeRuneInString(src[j+1:])
				if isNameStart(r2) {
					j = scanNCName(src, j+1)
				} else if src[j+1] == '*' {
					j += 2
				}
			}
			toks = append(toks, token{tName, src[i:j], i})
			i = j
			continue
		}
		if c == '*' && i+2 < len(src) && src[i+1] == ':' {
			r2, _ := utf8.DecodeRuneInString(src[i+2:])
			if isNameStart(r2) {
				j := scanNCName(src, i+2)
				toks = append(toks, token{tName, src[i:j], i})
				i = j
				continue
			}
		}
		two := ""
		if i+1 < len(src) {
			two = src[i : i+2]
		}
		switch two {
		case "//", "::", "!=", "<=", ">=", "<<", ">>", "..", ":=":
			toks = append(toks, token{tSym, two, i})
			i += 2
			continue
		}
		switch c {
		case '(', ')', '[', ']', ',', '/', '@', '.', '=', '<', '>', '+', '-', '*', '|', '$', '?', '!':
			toks = append(toks, token{tSym, string(c), i})
			i++
			continue
		}
		return nil, fmt.Errorf("unexpected character %q at %d", r, i)
	}
	toks = append(toks, token{tEOF, "", len(src)})
	return toks, nil
}

func scanNCName(src string, i int) int {
	for i < len(src) {
		r, n := utf8.DecodeRuneInString(src[i:])
		if !isNameChar(r) {
			break
		}
		i += n
	}
	return i
}
