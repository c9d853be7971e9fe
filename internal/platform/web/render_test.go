package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/rathaus/rathaus/internal/platform/i18n"
)

func newTestRenderer(t *testing.T) *Renderer {
	t.Helper()
	cat, err := i18n.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	rr, err := NewRenderer(cat, NewAssets())
	if err != nil {
		t.Fatal(err)
	}
	return rr
}

func TestAssetsServe(t *testing.T) {
	a := NewAssets()
	want := []string{"KERN-LICENSE.md", "fonts/FiraSans-Regular.woff2", "fonts/FiraSans-SemiBold.woff2", "fonts/OFL.txt", "kern.css", "rathaus.css"}
	if diff := cmp.Diff(want, a.Names()); diff != "" {
		t.Errorf("embedded assets (-want +got):\n%s", diff)
	}
	mux := http.NewServeMux()
	mux.Handle(StaticPattern, a)
	tests := []struct {
		name, target, accept, ifNone string
		status                       int
		cache, encoding, ctype       string
	}{
		{"css gzip", a.URL("kern.css"), "gzip, br", "", 200, "public, max-age=31536000, immutable", "gzip", "text/css; charset=utf-8"},
		{"css plain", a.URL("rathaus.css"), "", "", 200, "public, max-age=31536000, immutable", "", "text/css; charset=utf-8"},
		{"css gzip refused", a.URL("rathaus.css"), "gzip;q=0", "", 200, "public, max-age=31536000, immutable", "", "text/css; charset=utf-8"},
		{"font not recompressed", a.URL("fonts/FiraSans-Regular.woff2"), "gzip", "", 200, "public, max-age=31536000, immutable", "", "font/woff2"},
		{"old version not cached", "/static/000000000000/kern.css", "", "", 200, "no-cache", "", "text/css; charset=utf-8"},
		{"not modified", a.URL("kern.css"), "", `"` + a.Version() + `"`, 304, "public, max-age=31536000, immutable", "", "text/css; charset=utf-8"},
		{"unknown file", a.URL("nope.css"), "", "", 404, "", "", "text/plain; charset=utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tt.target, nil)
			if tt.accept != "" {
				r.Header.Set("Accept-Encoding", tt.accept)
			}
			if tt.ifNone != "" {
				r.Header.Set("If-None-Match", tt.ifNone)
			}
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, r)
			got := []string{http.StatusText(w.Code), w.Header().Get("Cache-Control"), w.Header().Get("Content-Encoding"), w.Header().Get("Content-Type")}
			want := []string{http.StatusText(tt.status), tt.cache, tt.encoding, tt.ctype}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("status, cache, encoding, type (-want +got):\n%s", diff)
			}
			if tt.status == 200 {
				body := w.Body.Bytes()
				if tt.encoding == "gzip" {
					zr, err := gzip.NewReader(bytes.NewReader(body))
					if err != nil {
						t.Fatal(err)
					}
					body, _ = io.ReadAll(zr)
				}
				name := strings.TrimPrefix(tt.target, "/static/")
				name = name[strings.IndexByte(name, '/')+1:]
				if !bytes.Equal(body, a.files[name].body) {
					t.Errorf("body of %s differs from the embedded file", name)
				}
			}
		})
	}
}

// TestCSSReferencesOnlyLocalFiles: every url() in our CSS is a data URI or a
// file we embed (no third-party request, no missing font).
func TestCSSReferencesOnlyLocalFiles(t *testing.T) {
	a := NewAssets()
	for _, css := range []string{"kern.css", "rathaus.css"} {
		s := string(a.files[css].body)
		for _, part := range strings.Split(s, "url(")[1:] {
			ref := strings.Trim(part[:strings.IndexByte(part, ')')], `"' `)
			if strings.HasPrefix(ref, "data:") {
				continue
			}
			if _, ok := a.files[ref]; !ok {
				t.Errorf("%s references %q, which is not an embedded asset", css, ref)
			}
		}
		if strings.Contains(s, "@import") {
			t.Errorf("%s imports another stylesheet", css)
		}
	}
}

func TestSafeRedirectPath(t *testing.T) {
	tests := map[string]string{
		"/impressum":             "/impressum",
		"/suche?q=pass":          "/suche?q=pass",
		"":                       "/",
		"impressum":              "/",
		"//evil.example/x":       "/",
		"/\\evil.example":        "/",
		"https://evil.example/":  "/",
		"/a\r\nSet-Cookie: x=y":  "/",
		"javascript:alert(1)":    "/",
		"/barrierefreiheit#form": "/barrierefreiheit#form",
	}
	for in, want := range tests {
		if got := SafeRedirectPath(in); got != want {
			t.Errorf("SafeRedirectPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLocalPathDropsLang(t *testing.T) {
	tests := map[string]string{
		"/":                     "/",
		"/impressum?lang=en":    "/impressum",
		"/suche?q=pass&lang=en": "/suche?q=pass",
		"/a%20b?x=1":            "/a%20b?x=1",
		"/suche?q=%3Cscript%3E": "/suche?q=%3Cscript%3E",
	}
	for in, want := range tests {
		u, _ := url.Parse(in)
		if got := LocalPath(u); got != want {
			t.Errorf("LocalPath(%q) = %q, want %q", in, got, want)
		}
	}
}

type testPage struct{ Name string }

func TestRendererAddAndRender(t *testing.T) {
	rr := newTestRenderer(t)
	fsys := fstest.MapFS{
		"ok.html":       {Data: []byte(`{{define "title"}}T{{end}}{{define "content"}}<p>{{.Data.Name}}</p>{{end}}`)},
		"notitle.html":  {Data: []byte(`{{define "content"}}x{{end}}`)},
		"broken.html":   {Data: []byte(`{{define "title"}}{{end}}{{define "content"}}{{.Data.Name{{end}}`)},
		"badfield.html": {Data: []byte(`{{define "title"}}T{{end}}{{define "content"}}{{.Data.Missing}}{{end}}`)},
	}
	if err := rr.Add("ok", fsys, "ok.html"); err != nil {
		t.Fatal(err)
	}
	if err := rr.Add("ok", fsys, "ok.html"); err == nil {
		t.Error("adding a page name twice succeeded")
	}
	if err := rr.Add("notitle", fsys, "notitle.html"); err == nil {
		t.Error("a page without a title block was accepted")
	}
	if err := rr.Add("broken", fsys, "broken.html"); err == nil {
		t.Error("a broken template was accepted")
	}
	if err := rr.Add("badfield", fsys, "badfield.html"); err != nil {
		t.Fatal(err)
	}

	r := httptest.NewRequest("GET", "/x?lang=en", nil)
	w := httptest.NewRecorder()
	if err := rr.Render(w, r, 201, "ok", Shell{Tenant: "Musterstadt <&>"}, testPage{Name: "<b>Paul</b>"}); err != nil {
		t.Fatal(err)
	}
	body := w.Body.String()
	for _, want := range []string{`<html lang="en">`, `<p>&lt;b&gt;Paul&lt;/b&gt;</p>`, `Musterstadt &lt;&amp;&gt;`, `name="next" value="/x"`, `lang="de"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if w.Code != 201 || w.Header().Get("Content-Language") != "en" {
		t.Errorf("status %d, Content-Language %q", w.Code, w.Header().Get("Content-Language"))
	}

	w = httptest.NewRecorder()
	if err := rr.Render(w, r, 200, "badfield", Shell{}, testPage{}); err == nil {
		t.Error("a template using a field its view model lacks rendered")
	}
	if w.Body.Len() != 0 || len(w.Header()) != 0 {
		t.Error("a failed render wrote to the response")
	}
}

func TestRouterMethodNotAllowedIsAnErrorPage(t *testing.T) {
	var got []int
	rt := NewRouter(func(w http.ResponseWriter, r *http.Request, status int) {
		got = append(got, status)
		w.WriteHeader(status)
	})
	rt.HandleFunc("GET /page", func(w http.ResponseWriter, r *http.Request) error { return nil })
	for _, m := range []string{"POST", "GET"} {
		rt.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(m, "/page", nil))
	}
	w := httptest.NewRecorder()
	rt.ServeHTTP(w, httptest.NewRequest("POST", "/page", nil))
	rt.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/nope", nil))
	if diff := cmp.Diff([]int{405, 405, 404}, got); diff != "" {
		t.Errorf("error pages (-want +got):\n%s", diff)
	}
	if a := w.Header().Get("Allow"); a != "GET" {
		t.Errorf("Allow = %q, want GET", a)
	}
}

func TestNavMarksTheCurrentEntry(t *testing.T) {
	rr := newTestRenderer(t)
	rr.Nav[AreaCitizen] = append(rr.Nav[AreaCitizen], NavEntry{Href: "/leistungen", Key: "nav.home"}, NavEntry{Href: "/leistungen/suche", Key: "nav.home"})
	tests := []struct {
		path string
		area Area
		want []string // hrefs, the current one starred
	}{
		{"/", AreaCitizen, []string{"/*", "/leistungen", "/leistungen/suche"}},
		{"/impressum", AreaCitizen, []string{"/", "/leistungen", "/leistungen/suche"}},
		{"/leistungen/99", AreaCitizen, []string{"/", "/leistungen*", "/leistungen/suche"}},
		{"/leistungen/suche?q=pass", AreaCitizen, []string{"/", "/leistungen", "/leistungen/suche*"}},
		{"/verwaltung/einheiten", AreaStaff, []string{"/verwaltung*"}},
	}
	for _, tt := range tests {
		v := rr.View(httptest.NewRequest("GET", tt.path, nil), 200, Shell{Area: tt.area}, nil)
		var got []string
		for _, l := range v.Nav() {
			s := l.Href
			if l.Current {
				s += "*"
			}
			got = append(got, s)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.path, diff)
		}
	}
}
