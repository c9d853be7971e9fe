package web

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRouteBodyLimits: the default limit answers 413 just above 64 KiB and
// lets 64 KiB through; a route registered with MaxBody reads more.
func TestRouteBodyLimits(t *testing.T) {
	rt := NewRouter(nil)
	read := func(w http.ResponseWriter, r *http.Request) error {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			return err
		}
		fmt.Fprint(w, n)
		return nil
	}
	rt.API(Operation{Method: "POST", Path: "/api/v1/small", ID: "small", Tag: "t"}, read)
	rt.API(Operation{Method: "POST", Path: "/api/v1/upload", ID: "upload", Tag: "t", MaxBody: 1 << 20}, read)
	rt.HandleFunc("POST /formular", read)
	rt.HandleFunc("POST /hochladen", read, MaxBody(1<<20))
	for _, tt := range []struct {
		path    string
		size    int
		chunked bool
		status  int
	}{
		{"/api/v1/small", DefaultBodyLimit, false, 200},
		{"/api/v1/small", DefaultBodyLimit + 1, false, 413},
		{"/api/v1/small", DefaultBodyLimit + 1, true, 413},
		{"/api/v1/upload", 1 << 20, true, 200},
		{"/api/v1/upload", 1<<20 + 1, false, 413},
		{"/formular", DefaultBodyLimit + 1, true, 413},
		{"/hochladen", 512 << 10, false, 200},
	} {
		body := io.Reader(strings.NewReader(strings.Repeat("a", tt.size)))
		if tt.chunked {
			body = io.MultiReader(body) // hides the length
		}
		req, _ := http.NewRequest("POST", tt.path, body)
		w := httptest.NewRecorder()
		rt.ServeHTTP(w, req)
		if w.Code != tt.status {
			t.Errorf("%s with %d bytes (chunked %v): %d, want %d", tt.path, tt.size, tt.chunked, w.Code, tt.status)
		}
	}
	if got := rt.BodyLimit("POST /hochladen"); got != 1<<20 {
		t.Errorf("BodyLimit = %d", got)
	}
	rt.SetBodyCeiling(256 << 10)
	if got := rt.BodyLimit("POST /hochladen"); got != 256<<10 {
		t.Errorf("BodyLimit under the ceiling = %d", got)
	}
}
