package i18n

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// CookieName is the cookie that keeps a visitor's language choice.
const CookieName = "lang"

// FromRequest chooses the language of a request: an explicit ?lang= query,
// then the choice kept in the lang cookie, then the browser's
// Accept-Language, then German.
func FromRequest(r *http.Request) Lang {
	if l, ok := Parse(r.URL.Query().Get("lang")); ok {
		return l
	}
	if c, err := r.Cookie(CookieName); err == nil {
		if l, ok := Parse(c.Value); ok {
			return l
		}
	}
	return FromAcceptLanguage(r.Header.Get("Accept-Language"))
}

// FromAcceptLanguage picks the supported language the header prefers most
// (RFC 9110 quality values; ties keep the header's order), or De.
func FromAcceptLanguage(h string) Lang {
	type choice struct {
		lang Lang
		q    float64
		pos  int
	}
	var cs []choice
	for i, part := range strings.Split(h, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				continue
			}
			q = f
		}
		if l, ok := Parse(tag); ok && q > 0 {
			cs = append(cs, choice{l, q, i})
		}
	}
	if len(cs) == 0 {
		return De
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].q > cs[j].q })
	return cs[0].lang
}
