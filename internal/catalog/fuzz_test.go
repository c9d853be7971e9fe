package catalog

import (
	"context"
	"strings"
	"testing"
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
		// every remaining tag is allow-listed
		scanHTML(out, func(string) {}, func(tg htmlTag) {
			if !allowedTags[tg.name] {
				t.Fatalf("tag %q survived in %q", tg.name, out)
			}
		})
		_ = htmlToText(in)
	})
}
