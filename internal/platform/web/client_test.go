package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

// TestForwardedHeadersOnlyFromTrustedProxies: the client address and the
// scheme come from X-Forwarded-For / -Proto only when the peer is a trusted
// proxy; HSTS follows the scheme so determined.
func TestForwardedHeadersOnlyFromTrustedProxies(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")}
	var got Client
	h := Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = ClientFrom(r) }),
		Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxBodyBytes: 1 << 10, TrustedProxies: proxies})
	for _, tt := range []struct {
		name, peer, xff, proto string
		want                   Client
		hsts                   bool
	}{
		{"no proxy", "203.0.113.5:4000", "", "", Client{Addr: "203.0.113.5"}, false},
		{"stranger forges headers", "203.0.113.5:4000", "198.51.100.1", "https", Client{Addr: "203.0.113.5"}, false},
		{"trusted proxy", "10.1.2.3:4000", "198.51.100.1", "https", Client{Addr: "198.51.100.1", HTTPS: true}, true},
		{"client prepends a forged hop", "10.1.2.3:4000", "6.6.6.6, 198.51.100.1", "https", Client{Addr: "198.51.100.1", HTTPS: true}, true},
		{"two trusted proxies", "10.1.2.3:4000", "198.51.100.1, 10.9.9.9", "http", Client{Addr: "198.51.100.1"}, false},
		{"garbage hop", "10.1.2.3:4000", "not-an-ip", "", Client{Addr: "10.1.2.3"}, false},
		{"IPv6 proxy", "[2001:db8::1]:4000", "2001:db8:ffff::9, 198.51.100.2", "https", Client{Addr: "198.51.100.2", HTTPS: true}, true},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.peer
		if tt.xff != "" {
			r.Header.Set("X-Forwarded-For", tt.xff)
		}
		if tt.proto != "" {
			r.Header.Set("X-Forwarded-Proto", tt.proto)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if got != tt.want {
			t.Errorf("%s: client %+v, want %+v", tt.name, got, tt.want)
		}
		if hsts := w.Header().Get("Strict-Transport-Security") != ""; hsts != tt.hsts {
			t.Errorf("%s: HSTS %v, want %v", tt.name, hsts, tt.hsts)
		}
	}
}

// TestRedirectsAreNeverStored: a redirect (which may carry a mailed link's
// secret in its return_to) is no-store unless its handler said otherwise;
// other answers keep what their handler set.
func TestRedirectsAreNeverStored(t *testing.T) {
	h := Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/weiter":
			http.Redirect(w, r, "/anmelden?return_to=%2Fnachricht%2Fgeheim", http.StatusSeeOther)
		case "/dauerhaft":
			w.Header().Set("Cache-Control", "max-age=60")
			http.Redirect(w, r, "/neu", http.StatusMovedPermanently)
		default:
			w.Write([]byte("ok"))
		}
	}), Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxBodyBytes: 1 << 10})
	for path, want := range map[string]string{"/weiter": "no-store", "/dauerhaft": "max-age=60", "/": ""} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		if got := w.Header().Get("Cache-Control"); got != want {
			t.Errorf("GET %s: %d, Cache-Control %q, want %q", path, w.Code, got, want)
		}
	}
}
