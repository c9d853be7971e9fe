//go:build e2e

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/rathaus/rathaus/internal/platform/database"
)

// TestPasskeyInTheBrowser registers a passkey from the account page and
// signs in with it, in Chromium with its virtual authenticator — the real
// passkey script, the real WebAuthn API, the real server checks. WebAuthn
// needs a host name (not an IP address) as relying party: localhost.
func TestPasskeyInTheBrowser(t *testing.T) {
	prog := startProgram(t)
	base := strings.Replace(prog.base, "127.0.0.1", "localhost", 1)
	browser := newBrowser(t)
	ctx := tab(t, browser, true)
	err := chromedp.Do(ctx,
		call(webauthn.Enable, webauthn.EnableParams{}),
		call(webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol: webauthn.AuthenticatorProtocolCtap2, Transport: webauthn.AuthenticatorTransportInternal,
			HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
		}}),
	)
	if err != nil {
		t.Fatalf("virtual authenticator: %v", err)
	}
	loginAsStaff(t, ctx, base)

	db, err := database.Open(context.Background(), database.Options{DataDir: prog.dir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	count := func(q string) int {
		var n int
		if err := db.R.QueryRow(q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	waitFor := func(what, q string, want int) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for count(q) < want {
			if time.Now().After(deadline) {
				status, _ := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS("main")))
				t.Fatalf("%s did not happen: %s", what, strings.Join(strings.Fields(status), " "))
			}
			time.Sleep(50 * time.Millisecond) // polling the database for the browser's work
		}
	}

	tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(tctx,
		chromedp.Navigate(base+"/konto"),
		chromedp.WaitVisible(chromedp.CSS(`#passkey-register [data-passkey-start]`)),
		chromedp.Click(chromedp.CSS(`#passkey-register [data-passkey-start]`)),
	); err != nil {
		t.Fatalf("add a passkey: %v", err)
	}
	waitFor("passkey registration", `SELECT COUNT(*) FROM passkeys`, 1)

	// Signed out (cookies gone), then back in with the passkey alone.
	if err := chromedp.Do(tctx,
		call(network.ClearBrowserCookies, cdp.Empty{}),
		chromedp.Navigate(base+"/anmelden"),
		chromedp.WaitVisible(chromedp.CSS(`#passkey-login [data-passkey-start]`)),
		chromedp.Click(chromedp.CSS(`#passkey-login [data-passkey-start]`)),
	); err != nil {
		t.Fatalf("sign in with the passkey: %v", err)
	}
	waitFor("passkey sign-in", `SELECT COUNT(*) FROM sessions WHERE provider = 'passkey'`, 1)
	waitAway(t, tctx, "/anmelden")
}
