// Package e2e is the real-browser harness of Rathaus: it starts the real
// program (the demo city on a temporary data directory, port 0), takes every
// GET route the router registers (internal/app.RouteTable, not a hand-kept
// list), and visits each page in headless Chromium (Debian's chromium, driven
// by chromedp):
//
//   - axe-core with the WCAG 2.0/2.1 A and AA rules at 375 px and 1280 px:
//     0 violations;
//   - the page with JavaScript disabled: its content is there and every form
//     can be submitted with a button;
//   - no request leaves the site, no Content-Security-Policy violation;
//   - the page weight budget: HTML + CSS + fonts + JavaScript actually
//     transferred on a first visit (cache disabled) at most 150 KB, and no
//     JavaScript at all on citizen pages;
//   - journeys without JavaScript: the accessibility feedback form (refused,
//     then sent) and the language switch.
//
// The tests carry the build tag e2e, so `make test` skips them; run them with
// `make e2e`. CHROMIUM overrides the browser binary (default /usr/bin/chromium).
// axe.min.js is axe-core (MPL-2.0, see axe-LICENSE.txt), copied by
// web/kern/build.sh.
package e2e
