package app

import (
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/rathaus/rathaus/internal/catalog"
)

func homeCatalogExample() catalog.Home {
	return catalog.Home{
		Popular:        []catalog.HomeLink{{Label: "Personalausweis", URL: "/leistungen/L-7K3M-Q9TX"}},
		LifeSituations: []catalog.HomeLink{{Label: "Wohnen & Umzug", URL: "/leistungen?lebenslage=Wohnen+%26+Umzug"}},
	}
}

// TestHomePageStartsWithTheQuestion: the demo's home page opens with the
// finder's search form (GET /leistungen, field q), then the most used
// services, life situations that lead to their services, and the
// assistant.
func TestHomePageStartsWithTheQuestion(t *testing.T) {
	eachInstallation(t, func(t *testing.T, in installation) {
		s := in.start(t, "demo")
		resp, body := get(t, s, "GET", "/", "")
		if resp.StatusCode != 200 {
			t.Fatalf("GET /: %d", resp.StatusCode)
		}
		doc, err := html.Parse(strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var main *html.Node
		var find func(n *html.Node)
		find = func(n *html.Node) {
			if n.Type == html.ElementNode && n.Data == "main" && main == nil {
				main = n
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				find(c)
			}
		}
		find(doc)
		if main == nil {
			t.Fatal("no main element")
		}
		// The first form and the first field of the page's content.
		var forms, inputs []*html.Node
		var walk func(n *html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode && n.Data == "form" {
				forms = append(forms, n)
			}
			if n.Type == html.ElementNode && n.Data == "input" {
				inputs = append(inputs, n)
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(main)
		attr := func(n *html.Node, k string) string {
			for _, a := range n.Attr {
				if a.Key == k {
					return a.Val
				}
			}
			return ""
		}
		if len(forms) == 0 || attr(forms[0], "method") != "get" || attr(forms[0], "action") != "/leistungen" {
			t.Fatalf("the first form is not the finder's search")
		}
		if len(inputs) == 0 || attr(inputs[0], "name") != "q" {
			t.Errorf("the first field is not q")
		}
		for _, want := range []string{`href="/assistent"`, "Personalausweis", "/leistungen?lebenslage="} {
			if !strings.Contains(body, want) {
				t.Errorf("home page lacks %s", want)
			}
		}
		// A life situation leads to its services.
		i := strings.Index(body, "/leistungen?lebenslage=")
		link := html.UnescapeString(body[i : i+strings.IndexByte(body[i:], '"')])
		resp, page := get(t, s, "GET", link, "")
		if resp.StatusCode != 200 || !strings.Contains(page, `href="/leistungen/L-`) {
			t.Errorf("GET %s: %d, no services listed", link, resp.StatusCode)
		}
	})
}
