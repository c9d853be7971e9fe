package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"sort"
	"strings"
)

// The self-hosted design assets: KERN UX CSS (web/kern/build.sh compiles the
// parts we use), Fira Sans subset to Latin, our own small stylesheet and the
// licence texts. Nothing is fetched from a third party.
//
//go:embed assets
var assetFS embed.FS

// StaticPattern is the route of the static assets. The version segment is a
// hash over all assets, so a URL names one content for ever and may be cached
// for a year; relative URLs inside the CSS (fonts/…) keep working.
const StaticPattern = "GET /static/{version}/{file...}"

// Assets serves the embedded static files.
type Assets struct {
	version string
	files   map[string]asset
}

type asset struct {
	body, gz []byte
	ctype    string
}

// NewAssets reads the embedded assets and computes their version.
func NewAssets() *Assets {
	a := &Assets{files: map[string]asset{}}
	h := sha256.New()
	var names []string
	fs.WalkDir(assetFS, "assets", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return err
	})
	sort.Strings(names)
	for _, p := range names {
		b, _ := assetFS.ReadFile(p)
		name := strings.TrimPrefix(p, "assets/")
		h.Write([]byte(name))
		h.Write(b)
		ct := mime.TypeByExtension(path.Ext(name))
		switch path.Ext(name) {
		case ".md", ".txt":
			ct = "text/plain; charset=utf-8"
		case ".woff2":
			ct = "font/woff2"
		}
		f := asset{body: b, ctype: ct}
		if strings.HasPrefix(ct, "text/") {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			zw.Write(b)
			zw.Close()
			f.gz = buf.Bytes()
		}
		a.files[name] = f
	}
	a.version = hex.EncodeToString(h.Sum(nil))[:12]
	return a
}

// Version is the content hash in every asset URL.
func (a *Assets) Version() string { return a.version }

// URL returns the cacheable URL of an asset ("kern.css").
func (a *Assets) URL(name string) string { return "/static/" + a.version + "/" + name }

// Names lists the assets.
func (a *Assets) Names() []string {
	out := make([]string, 0, len(a.files))
	for n := range a.files {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// ServeHTTP serves StaticPattern. A current URL is cacheable for a year; an
// outdated version (a page cached across a deployment) still gets the
// current file, but not cached.
func (a *Assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f, ok := a.files[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", f.ctype)
	hdr.Set("X-Content-Type-Options", "nosniff")
	if r.PathValue("version") == a.version {
		hdr.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hdr.Set("Cache-Control", "no-cache")
	}
	etag := `"` + a.version + `"`
	hdr.Set("ETag", etag)
	if f.gz != nil {
		hdr.Set("Vary", "Accept-Encoding")
	}
	if match := r.Header.Get("If-None-Match"); match == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := f.body
	if f.gz != nil && acceptsGzip(r) {
		hdr.Set("Content-Encoding", "gzip")
		body = f.gz
	}
	hdr.Set("Content-Length", itoa(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	w.Write(body)
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(enc, "gzip") && strings.ReplaceAll(params, " ", "") != "q=0" {
			return true
		}
	}
	return false
}
