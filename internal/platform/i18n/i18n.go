// Package i18n holds the message catalogs (German first, English second),
// chooses a request's language and formats dates, numbers and money the way
// each language writes them.
//
// Every user-visible text lives in a catalog file (messages/de.json,
// messages/en.json here; a domain may load its own files into the same
// Catalog). Keys are dotted names ("error.404.title"); values are fmt
// formats. Check fails when a key is missing in one language or the two
// translations take different arguments, so a test per catalog keeps both
// languages complete.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strings"
)

// Lang is a supported language (ISO 639-1 code).
type Lang string

// The supported languages; De is the default.
const (
	De Lang = "de"
	En Lang = "en"
)

// Langs lists the supported languages, the default first.
var Langs = []Lang{De, En}

// Parse returns the supported language named by s ("de", "EN", "en-GB").
func Parse(s string) (Lang, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if i := strings.IndexAny(s, "-_"); i > 0 {
		s = s[:i]
	}
	for _, l := range Langs {
		if string(l) == s {
			return l, true
		}
	}
	return "", false
}

//go:embed messages/*.json
var platformMessages embed.FS

// Catalog is the set of messages of every language. It is filled at start-up
// and read-only afterwards.
type Catalog struct {
	msgs map[Lang]map[string]string
}

// NewCatalog returns a catalog holding the platform's own messages (layout,
// error pages, legal pages).
func NewCatalog() (*Catalog, error) {
	c := &Catalog{msgs: map[Lang]map[string]string{}}
	for _, l := range Langs {
		c.msgs[l] = map[string]string{}
	}
	sub, _ := fs.Sub(platformMessages, "messages")
	if err := c.Load(sub); err != nil {
		return nil, err
	}
	return c, nil
}

// Load adds the messages of fsys (files de.json and en.json, each a flat JSON
// object key → format). A key defined twice is an error: domains prefix
// their keys with their name.
func (c *Catalog) Load(fsys fs.FS) error {
	for _, l := range Langs {
		b, err := fs.ReadFile(fsys, string(l)+".json")
		if err != nil {
			return fmt.Errorf("i18n: load %s: %w", l, err)
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			return fmt.Errorf("i18n: parse %s.json: %w", l, err)
		}
		for k, v := range m {
			if _, dup := c.msgs[l][k]; dup {
				return fmt.Errorf("i18n: key %q defined twice in %s", k, l)
			}
			c.msgs[l][k] = v
		}
	}
	return nil
}

var verbRE = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[a-zA-Z%]`)

func verbs(s string) string {
	var out []string
	for _, v := range verbRE.FindAllString(s, -1) {
		if v != "%%" {
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// Check reports every key missing or empty in a language, and every key
// whose translations take different fmt arguments.
func (c *Catalog) Check() error {
	keys := map[string]bool{}
	for _, l := range Langs {
		for k := range c.msgs[l] {
			keys[k] = true
		}
	}
	var probs []string
	for k := range keys {
		for _, l := range Langs {
			if strings.TrimSpace(c.msgs[l][k]) == "" {
				probs = append(probs, fmt.Sprintf("%s: missing in %s", k, l))
			}
		}
		if a, b := verbs(c.msgs[De][k]), verbs(c.msgs[En][k]); a != b && c.msgs[De][k] != "" && c.msgs[En][k] != "" {
			probs = append(probs, fmt.Sprintf("%s: arguments differ (de %q, en %q)", k, a, b))
		}
	}
	if len(probs) == 0 {
		return nil
	}
	sort.Strings(probs)
	return fmt.Errorf("i18n: incomplete catalog:\n  %s", strings.Join(probs, "\n  "))
}

// Keys returns every key of the catalog, sorted.
func (c *Catalog) Keys() []string {
	seen := map[string]bool{}
	for _, l := range Langs {
		for k := range c.msgs[l] {
			seen[k] = true
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Has reports whether key exists in language l.
func (c *Catalog) Has(l Lang, key string) bool {
	_, ok := c.msgs[l][key]
	return ok
}

// Printer returns the translator and formatter of one language (De for an
// unsupported one).
func (c *Catalog) Printer(l Lang) *Printer {
	if _, ok := c.msgs[l]; !ok {
		l = De
	}
	return &Printer{lang: l, msgs: c.msgs[l], fallback: c.msgs[De]}
}

// Printer translates and formats for one language.
type Printer struct {
	lang     Lang
	msgs     map[string]string
	fallback map[string]string
}

// Lang is the printer's language.
func (p *Printer) Lang() Lang { return p.lang }

// T returns the message key formatted with args. A key missing in the
// language falls back to German; a key missing everywhere shows as "[key]"
// so that it is noticed (the catalog test fails on it first).
func (p *Printer) T(key string, args ...any) string {
	f, ok := p.msgs[key]
	if !ok {
		if f, ok = p.fallback[key]; !ok {
			return "[" + key + "]"
		}
	}
	if len(args) == 0 {
		return f
	}
	return fmt.Sprintf(f, args...)
}

// TNamed returns the message key with each "{name}" replaced by the value of
// args[name] (used for fault codes, whose arguments are named). A missing
// key falls back like T.
func (p *Printer) TNamed(key string, args map[string]any) string {
	f, ok := p.msgs[key]
	if !ok {
		if f, ok = p.fallback[key]; !ok {
			return "[" + key + "]"
		}
	}
	for k, v := range args {
		f = strings.ReplaceAll(f, "{"+k+"}", fmt.Sprint(v))
	}
	return f
}
