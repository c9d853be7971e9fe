//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"io"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

var confirmLink = regexp.MustCompile(`/konto/bestaetigen\?token=([A-Za-z0-9_-]+)`)

// signUpCitizen is the citizen journey without shortcuts: the registration
// form, the confirmation mail the program writes to its outbox, the
// confirmation page, and the login form.
func signUpCitizen(t *testing.T, ctx context.Context, prog *program) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	const email, password = "paul@example.org", "pauls-langes-passwort"
	err := chromedp.Do(ctx,
		chromedp.Navigate(prog.base+"/registrieren?lang=de"),
		chromedp.Click(chromedp.CSS(`#register-kind-citizen`)),
		chromedp.SendKeys(chromedp.CSS(`form input[name=email]`), email),
		chromedp.SendKeys(chromedp.CSS(`form input[name=name]`), "Paul Beispiel"),
		chromedp.SendKeys(chromedp.CSS(`form input[name=password]`), password),
		chromedp.SendKeys(chromedp.CSS(`form input[name=password2]`), password),
	)
	if err != nil {
		t.Fatalf("registration form: %v", err)
	}
	press(t, ctx, `main form button[type=submit]`, `document.readyState === "complete" && location.pathname === "/registrieren/gesendet"`)
	token := waitForConfirmation(t, prog.dir)
	if err := chromedp.Do(ctx, chromedp.Navigate(prog.base+"/konto/bestaetigen?token="+token)); err != nil {
		t.Fatalf("confirm the address: %v", err)
	}
	press(t, ctx, `main form button[type=submit]`, `document.readyState === "complete" && location.pathname !== "/konto/bestaetigen"`)
	err = chromedp.Do(ctx,
		chromedp.Navigate(prog.base+"/anmelden"),
		chromedp.SendKeys(chromedp.CSS(`form input[name=email]`), email),
		chromedp.SendKeys(chromedp.CSS(`form input[name=password]`), password),
	)
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	press(t, ctx, `form:has(input[name=password]) button[type=submit]`, `document.readyState === "complete" && location.pathname !== "/anmelden"`)
}

// waitForConfirmation reads the confirmation link from the mail the
// program's job queue writes to DATA/outbox.
func waitForConfirmation(t *testing.T, dir string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		files, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			msg, err := mail.ReadMessage(bytes.NewReader(b))
			if err != nil {
				continue
			}
			var body io.Reader = msg.Body
			if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
				body = quotedprintable.NewReader(msg.Body)
			}
			text, _ := io.ReadAll(body)
			if m := confirmLink.FindSubmatch(text); m != nil {
				return string(m[1])
			}
		}
		time.Sleep(100 * time.Millisecond) // the mail job runs in the program's worker
	}
	t.Fatal("no confirmation mail in the outbox")
	return ""
}
