package catalog

import (
	"html"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// htmlTag is one tag found by scanHTML.
type htmlTag struct {
	name    string // lower case, without '/'
	closing bool
	attrs   string // raw attribute text
}

// scanHTML walks src and calls text for character data (entities still
// encoded) and tag for every tag. Comments, scripts and styles are dropped.
// It never fails: malformed markup degrades to text.
func scanHTML(src string, text func(string), tag func(htmlTag)) {
	for len(src) > 0 {
		i := strings.IndexByte(src, '<')
		if i < 0 {
			text(src)
			return
		}
		if i > 0 {
			text(src[:i])
			src = src[i:]
		}
		if strings.HasPrefix(src, "<!--") {
			end := strings.Index(src, "-->")
			if end < 0 {
				return
			}
			src = src[end+3:]
			continue
		}
		end := strings.IndexByte(src, '>')
		if end < 0 {
			text(src)
			return
		}
		raw := src[1:end]
		src = src[end+1:]
		t := htmlTag{}
		if strings.HasPrefix(raw, "/") {
			t.closing = true
			raw = raw[1:]
		}
		n := 0
		for n < len(raw) && (raw[n] < utf8.RuneSelf && (unicode.IsLetter(rune(raw[n])) || unicode.IsDigit(rune(raw[n])))) {
			n++
		}
		if n == 0 {
			text("<" + raw + ">")
			continue
		}
		t.name = strings.ToLower(raw[:n])
		t.attrs = raw[n:]
		if !t.closing && (t.name == "script" || t.name == "style") {
			closeTag := "</" + t.name
			j := strings.Index(strings.ToLower(src), closeTag)
			if j < 0 {
				return
			}
			src = src[j:]
			continue
		}
		tag(t)
	}
}

var blockTags = map[string]bool{
	"p": true, "div": true, "br": true, "ul": true, "ol": true, "li": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"table": true, "tr": true, "section": true, "blockquote": true,
}

// htmlToText converts source HTML to plain text: block elements become line
// breaks, list items start with "- ", entities are decoded, runs of blank
// space collapse. Paragraphs are separated by one blank line.
func htmlToText(src string) string {
	var b strings.Builder
	scanHTML(src, func(s string) {
		b.WriteString(html.UnescapeString(s))
	}, func(t htmlTag) {
		if !blockTags[t.name] {
			return
		}
		switch {
		case t.name == "li":
			if !t.closing {
				b.WriteString("\n- ")
			}
		case t.name == "p" || t.name == "ul" || t.name == "ol" || strings.HasPrefix(t.name, "h"):
			b.WriteString("\n\n")
		default:
			b.WriteString("\n")
		}
	})
	return tidyText(b.String())
}

// tidyText removes invisible characters, collapses spaces within lines and
// keeps at most one blank line between paragraphs.
func tidyText(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '\u200b', '\ufeff', '\u00ad':
			return -1
		case '\u00a0', '\t', '\r':
			return ' '
		}
		if unicode.IsControl(r) && r != '\n' {
			return -1
		}
		return r
	}, s)
	var out []string
	blank := false
	for _, line := range strings.Split(s, "\n") {
		line = strings.Join(strings.Fields(line), " ")
		if line == "" || line == "-" {
			blank = len(out) > 0
			continue
		}
		if blank {
			out = append(out, "")
			blank = false
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

var allowedTags = map[string]bool{
	"p": true, "br": true, "ul": true, "ol": true, "li": true, "strong": true,
	"em": true, "b": true, "i": true, "a": true, "h3": true, "h4": true,
}

// sanitizeHTML keeps only allow-listed tags without attributes (except an
// http(s) href on links), re-escapes text and closes what it opened. The
// result is safe to insert into a page.
func sanitizeHTML(src string) string {
	var b strings.Builder
	var open []string
	scanHTML(src, func(s string) {
		b.WriteString(html.EscapeString(html.UnescapeString(s)))
	}, func(t htmlTag) {
		if !allowedTags[t.name] {
			return
		}
		if t.closing {
			for i := len(open) - 1; i >= 0; i-- {
				if open[i] == t.name {
					for j := len(open) - 1; j >= i; j-- {
						b.WriteString("</" + open[j] + ">")
					}
					open = open[:i]
					break
				}
			}
			return
		}
		if t.name == "br" {
			b.WriteString("<br>")
			return
		}
		if t.name == "a" {
			href := attrValue(t.attrs, "href")
			u, err := url.Parse(href)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				b.WriteString("<a>")
			} else {
				b.WriteString(`<a href="` + html.EscapeString(u.String()) + `" rel="noopener">`)
			}
		} else {
			b.WriteString("<" + t.name + ">")
		}
		open = append(open, t.name)
	})
	for i := len(open) - 1; i >= 0; i-- {
		b.WriteString("</" + open[i] + ">")
	}
	return strings.TrimSpace(strings.NewReplacer("\u200b", "", "\r", "").Replace(b.String()))
}

// attrValue extracts a quoted or bare attribute from raw tag text.
func attrValue(attrs, name string) string {
	low := strings.ToLower(attrs)
	i := strings.Index(low, name+"=")
	if i < 0 {
		return ""
	}
	v := attrs[i+len(name)+1:]
	if v == "" {
		return ""
	}
	if q := v[0]; q == '"' || q == '\'' {
		if j := strings.IndexByte(v[1:], q); j >= 0 {
			return html.UnescapeString(v[1 : j+1])
		}
		return ""
	}
	if j := strings.IndexAny(v, " \t\n>"); j >= 0 {
		v = v[:j]
	}
	return html.UnescapeString(v)
}

// summarize returns the first sentences of plain text, at most about max
// bytes, cut at a sentence end where possible, else at a word with "…".
func summarize(text string, max int) string {
	para := text
	if i := strings.Index(para, "\n\n"); i >= 0 {
		para = para[:i]
	}
	para = strings.Join(strings.Fields(strings.ReplaceAll(para, "\n", " ")), " ")
	if len(para) <= max {
		return para
	}
	cut := -1
	for i := 0; i < len(para) && i < max; i++ {
		if (para[i] == '.' || para[i] == '!' || para[i] == '?') && (i+1 == len(para) || para[i+1] == ' ') && i > 40 {
			cut = i + 1
		}
	}
	if cut > 0 {
		return para[:cut]
	}
	cut = strings.LastIndexByte(para[:max], ' ')
	if cut <= 0 {
		cut = max
		for cut > 0 && !utf8.RuneStart(para[cut]) {
			cut--
		}
	}
	return strings.TrimRight(para[:cut], " ,;:") + " …"
}
