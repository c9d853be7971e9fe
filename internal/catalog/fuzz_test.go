package catalog

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// FuzzImport feeds arbitrary bytes to every importer: no panics, and either
// an error with no result or only valid services.
func FuzzImport(f *testing.F) {
	f.Add(`{"services":[{"id":"1","name":"A","leika":"99008001000000, 99085001000000","fees_html":"<p>5 Euro</p>"}]}`)
	f.Add(`{"format":"rathaus-catalog","version":1,"services":[{"name":"A","fees":[{"kind":"range","min":"3","max":"1"}]}]}`)
	f.Add(strings.Join(leikaHeader, ",") + "\n99012001000000,Abbruch,4,,,,10513,x,y,z\n")
	f.Add(`[{"name":"x"}]`)
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		for _, imp := range []Importer{&MunichImporter{}, &JSONImporter{}, &LeikaImporter{}, &JSONImporter{Strict: true}} {
			res, err := imp.Import(context.Background(), strings.NewReader(in))
			if err != nil {
				if res != nil {
					t.Fatalf("%T: result with error %v", imp, err)
				}
				continue
			}
			if res.Read != len(res.Services)+len(res.Skipped) {
				t.Fatalf("%T: read %d != %d + %d", imp, res.Read, len(res.Services), len(res.Skipped))
			}
			for _, s := range res.Services {
				if err := s.Validate(); err != nil {
					t.Fatalf("%T: imported invalid service: %v", imp, err)
				}
			}
		}
	})
}

// FuzzSanitizeHTML checks that sanitised HTML never carries script, event
// handlers or unknown tags.
func FuzzSanitizeHTML(f *testing.F) {
	f.Add(`<p onclick="x">a<script>b</script><a href="javascript:x">c</a></p>`)
	f.Add(`<img src=x onerror=alert(1)><<p>>`)
	f.Add(`<a href='https://x.de/"onmouseover="x'>y</a>`)
	f.Fuzz(func(t *testing.T, in string) {
		out := sanitizeHTML(in)
		low := strings.ToLower(out)
		for _, bad := range []string{"<script", "<img", "<iframe", "onerror", "onclick", "javascript:", "<style"} {
			if strings.Contains(low, bad) && !strings.Contains(strings.ToLower(in), bad) {
				t.Fatalf("sanitizeHTML introduced %q: %q", bad, out)
			}
			if bad[0] == '<' && strings.Contains(low, bad) {
				t.Fatalf("sanitizeHTML kept %q: %q", bad, out)
			}
		}
		// Every remaining tag is allow-listed and carries no attribute but
		// an http(s) href on a link (read with a real HTML tokenizer).
		allowed := map[string]bool{"p": true, "br": true, "ul": true, "ol": true, "li": true, "strong": true, "em": true, "b": true, "i": true, "h3": true, "h4": true, "a": true}
		z := html.NewTokenizer(strings.NewReader(out))
		for {
			tt := z.Next()
			if tt == html.ErrorToken {
				break
			}
			if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
				continue
			}
			tok := z.Token()
			if !allowed[tok.Data] {
				t.Fatalf("tag %q survived in %q", tok.Data, out)
			}
			for _, a := range tok.Attr {
				switch {
				case tok.Data == "a" && a.Key == "href":
					if u, err := url.Parse(a.Val); err != nil || u.Scheme != "http" && u.Scheme != "https" {
						t.Fatalf("link to %q survived in %q", a.Val, out)
					}
				case tok.Data == "a" && a.Key == "rel":
				default:
					t.Fatalf("attribute %s on %s survived in %q", a.Key, tok.Data, out)
				}
			}
		}
		_ = htmlToText(in)
	})
}
