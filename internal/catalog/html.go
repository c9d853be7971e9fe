package catalog

import (
	"html"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	nethtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"
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

// richTextPolicy is the allow-list for stored rich text (a service's
// description): paragraphs, lists, emphasis, small headings and links to
// http(s) addresses — no attributes besides href, no script, style, event
// handler, image or javascript: URL. bluemonday's policies are safe for
// concurrent use once built.
var richTextPolicy = sync.OnceValue(func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "ul", "ol", "li", "strong", "em", "b", "i", "h3", "h4")
	p.AllowAttrs("href").OnElements("a")
	p.AllowURLSchemes("http", "https")
	p.RequireParseableURLs(true)
	p.AllowRelativeURLs(false)
	p.RequireNoFollowOnFullyQualifiedLinks(false)
	p.AddTargetBlankToFullyQualifiedLinks(false)
	p.RequireNoReferrerOnFullyQualifiedLinks(true)
	return p
})

// sanitizeHTML runs rich text through the allow-list (richTextPolicy). Every
// path that stores a service passes it (Service.normalise, on import, API
// and page edits), and so does every read of a stored service, so no stored
// HTML reaches a page without the policy. The result is safe to insert
// into a page.
func sanitizeHTML(src string) string {
	if strings.TrimSpace(src) == "" {
		return ""
	}
	out := balanced(richTextPolicy().Sanitize(src))
	return strings.TrimSpace(strings.NewReplacer("\u200b", "", "\r", "").Replace(out))
}

// balanced parses sanitised markup as the content of a <div> and writes it
// back, so every element it opens is closed inside it: an unclosed <a> or
// <strong> would otherwise spill into the page after the description.
func balanced(s string) string {
	ctx := &nethtml.Node{Type: nethtml.ElementNode, Data: "div", DataAtom: atom.Div}
	nodes, err := nethtml.ParseFragment(strings.NewReader(s), ctx)
	if err != nil {
		return nethtml.EscapeString(s)
	}
	var b strings.Builder
	for _, n := range nodes {
		if err := nethtml.Render(&b, n); err != nil {
			return nethtml.EscapeString(s)
		}
	}
	return b.String()
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
