package app

import (
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/rathaus/rathaus/internal/catalog"
)

// finderHit is one result of the finder page as a citizen sees it.
type finderHit struct {
	name, href string
	// federal: the entry says the city is not responsible and links the
	// federal portal.
	federal bool
}

// finderPage searches on the real demo's page GET /leistungen?q=… and
// reads the result list.
func finderPage(t *testing.T, s *server, q string) []finderHit {
	t.Helper()
	resp, body := get(t, s, "GET", "/leistungen?q="+url.QueryEscape(q), "")
	if resp.StatusCode != 200 {
		t.Fatalf("GET /leistungen?q=%s: %d", q, resp.StatusCode)
	}
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	attr := func(n *html.Node, k string) string {
		for _, a := range n.Attr {
			if a.Key == k {
				return a.Val
			}
		}
		return ""
	}
	var text func(n *html.Node) string
	text = func(n *html.Node) string {
		if n.Type == html.TextNode {
			return n.Data
		}
		var b strings.Builder
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			b.WriteString(text(c))
		}
		return b.String()
	}
	var hits []finderHit
	var walk func(n *html.Node, inList bool)
	walk = func(n *html.Node, inList bool) {
		if n.Type == html.ElementNode && n.Data == "ol" && attr(n, "aria-labelledby") == "ergebnisse" {
			inList = true
		}
		if inList && n.Type == html.ElementNode && n.Data == "li" {
			var h finderHit
			var item func(m *html.Node)
			item = func(m *html.Node) {
				if m.Type == html.ElementNode && m.Data == "h3" {
					for a := m.FirstChild; a != nil; a = a.NextSibling {
						if a.Type == html.ElementNode && a.Data == "a" {
							h.name, h.href = strings.TrimSpace(text(a)), attr(a, "href")
						}
					}
				}
				if m.Type == html.ElementNode && m.Data == "a" && attr(m, "href") == catalog.FederalPortal {
					h.federal = true
				}
				for c := m.FirstChild; c != nil; c = c.NextSibling {
					item(c)
				}
			}
			item(n)
			hits = append(hits, h)
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inList)
		}
	}
	walk(doc, false)
	return hits
}

// TestDemoFinderWithFederalCatalogue: the demo city serves the federal
// catalogue next to its own services. Everyday municipal matters only the
// federal catalogue holds are found in the top 3, and such entries say on
// the result list that the city is not responsible, with the federal
// portal's link (their own page says it too); the city's own service comes
// before federal entries of the same matter; a federal entry whose key
// the city covers is not listed at all.
func TestDemoFinderWithFederalCatalogue(t *testing.T) {
	eachInstallation(t, func(t *testing.T, in installation) {
		s := in.start(t, "demo")
		for _, tc := range []struct{ q, name string }{
			{"Sperrmüll", "Sperrmüll"},
			{"Baugenehmigung", "Baugenehmigung"},
			{"Kita", "Kita"},
			{"Wohngeld", "Wohngeld"},
		} {
			hits := finderPage(t, s, tc.q)
			found := false
			for i, h := range hits {
				if i < 3 && strings.Contains(h.name, tc.name) {
					found = true
					if !h.federal {
						continue
					}
					_, body := get(t, s, "GET", h.href, "")
					if !strings.Contains(body, `href="`+catalog.FederalPortal+`"`) || !strings.Contains(body, "nicht die Stadt zuständig") {
						t.Errorf("%q: the page of %q does not say the city is not responsible or lacks the portal link", tc.q, h.name)
					}
				}
			}
			if !found {
				t.Errorf("%q: no %q in the top 3: %+v", tc.q, tc.name, hits)
			}
		}
		// Hundesteuer: the city's own service, then the federal entries of
		// the same LeiKa object (99102013).
		hits := finderPage(t, s, "Hundesteuer")
		if len(hits) < 2 || hits[0].name != "Hundesteuer" || hits[0].federal || !hits[1].federal || !strings.HasPrefix(hits[1].name, "Hundesteuer") {
			t.Errorf("Hundesteuer: want the city's service first, then federal entries of the matter: %+v", hits)
		}
		// The city covers the Personalausweis key 99008001000000: the
		// federal "Personalausweis" is not listed.
		for _, h := range finderPage(t, s, "Personalausweis") {
			if h.name == "Personalausweis" && h.federal {
				t.Errorf("the federal entry of a key the city covers is listed: %+v", h)
			}
		}
	})
}
