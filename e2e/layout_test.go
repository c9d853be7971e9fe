//go:build e2e

package e2e

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestLayoutLinesUp: at 375 and 1280 px the secondary navigation, the
// brand and the page's heading start at the same left edge; a visitor sees
// "Anmelden" in the header and the town hall's address in the footer.
func TestLayoutLinesUp(t *testing.T) {
	prog := startProgram(t)
	browser := newBrowser(t)
	ctx := tab(t, browser, true)
	type edges struct {
		Brand, Nav, H1, Main float64
		SignIn, Address      bool
	}
	for _, width := range Widths {
		for _, path := range []string{"/", "/impressum", "/leistungen", "/anmelden"} {
			c, cancel := context.WithTimeout(ctx, 60*time.Second)
			if _, err := chromedp.Run(c, chromedp.EmulateViewport(width, 900)); err != nil {
				t.Fatal(err)
			}
			if err := chromedp.Do(c, chromedp.Navigate(prog.base+path)); err != nil {
				t.Fatal(err)
			}
			e, err := chromedp.Run(c, chromedp.Evaluate[edges](`(function(){
				var left = function(sel){ var e = document.querySelector(sel); return e ? e.getBoundingClientRect().left : -1; };
				var main = document.querySelector('main');
				var pad = parseFloat(getComputedStyle(main).paddingLeft);
				return {Brand: left('.rh-brand'), Nav: left('.rh-nav li:first-child a'), H1: left('main h1'), Main: main.getBoundingClientRect().left + pad,
					SignIn: !!document.querySelector('header a[href="/anmelden"]'), Address: /Marktplatz 1/.test((document.querySelector('footer address')||{}).textContent || '')};
			})()`))
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			for name, x := range map[string]float64{"brand": e.Brand, "secondary navigation": e.Nav, "heading": e.H1} {
				if math.Abs(x-e.Main) > 1 {
					t.Errorf("%s at %d px: %s starts at %.1f px, the page's content at %.1f px", path, width, name, x, e.Main)
				}
			}
			if !e.SignIn || !e.Address {
				t.Errorf("%s at %d px: sign-in link in the header %v, address in the footer %v", path, width, e.SignIn, e.Address)
			}
		}
	}
}
