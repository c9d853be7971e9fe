package web

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Client is who sent a request as far as we can tell: the address login
// delays and rate limits count, and whether the browser used HTTPS (cookie
// Secure, HSTS). Behind a reverse proxy the peer is the proxy; its
// X-Forwarded-For and X-Forwarded-Proto are believed only when the peer is
// one of the trusted proxies (RATHAUS_TRUSTED_PROXIES), because anyone else
// can send those headers.
type Client struct {
	Addr  string // IP address, no port
	HTTPS bool
}

const keyClient ctxKey = 100

// ClientFrom returns the request's client as the middleware determined it;
// without the middleware (package tests) the peer itself.
func ClientFrom(r *http.Request) Client {
	if c, ok := r.Context().Value(keyClient).(Client); ok {
		return c
	}
	return clientOf(r, nil)
}

func withClient(ctx context.Context, c Client) context.Context {
	return context.WithValue(ctx, keyClient, c)
}

func trusted(proxies []netip.Prefix, addr string) bool {
	a, err := netip.ParseAddr(strings.TrimSpace(addr))
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientOf determines the client: the peer, or — when the peer is a
// trusted proxy — the last address in X-Forwarded-For that is not itself a
// trusted proxy, and the scheme the proxy names.
func clientOf(r *http.Request, proxies []netip.Prefix) Client {
	peer, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		peer = r.RemoteAddr
	}
	c := Client{Addr: peer, HTTPS: r.TLS != nil}
	if !trusted(proxies, peer) {
		return c
	}
	if proto := r.Header.Get("X-Forwarded-Proto"); proto != "" {
		first := strings.TrimSpace(strings.Split(proto, ",")[0])
		c.HTTPS = strings.EqualFold(first, "https")
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		for _, part := range strings.Split(h, ",") {
			if part = strings.TrimSpace(part); part != "" {
				hops = append(hops, part)
			}
		}
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(hops[i])
		if err != nil {
			break // a malformed hop: keep the last address we could trust
		}
		c.Addr = a.Unmap().String()
		if !trusted(proxies, c.Addr) {
			break
		}
	}
	return c
}
