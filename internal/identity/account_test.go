package identity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/jobs"
	"github.com/rathaus/rathaus/internal/platform/mail"
	"github.com/rathaus/rathaus/internal/platform/mail/mailtest"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// world is a tenant, its service, a real SMTP server and the mail job queue.
type world struct {
	s    *Service
	t    *Tenant
	smtp *mailtest.Server
	q    *jobs.Queue
	clk  *clock.Fake
}

func newWorld(t *testing.T, db *database.DB, clk *clock.Fake) *world {
	t.Helper()
	s := &Service{DB: db}
	tn, err := s.CreateTenant(context.Background(), Tenant{Slug: "musterstadt", Name: "Musterstadt", IsDefault: true, Hosts: []string{"musterstadt.example"},
		// Like the demo city: staff sign in with the password alone
		// (TestFirstStaffSignInSetsUpTOTP covers every other tenant).
		IsDemo:   true,
		Settings: Settings{FederalState: "BY", MailFrom: "rathaus@musterstadt.example"}})
	if err != nil {
		t.Fatal(err)
	}
	srv := mailtest.Start(t)
	q := jobs.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	q.Register(mail.JobKind, mail.JobHandler(&mail.SMTP{Host: srv.Host, Port: srv.Port, TLS: 2 /* NoTLS */}))
	return &world{s: s, t: tn, smtp: srv, q: q, clk: clk}
}

// deliver runs the mail jobs and returns the n-th message's body (1-based).
func (w *world) deliver(t *testing.T, n int) string {
	t.Helper()
	for {
		err := w.q.RunOnce(context.Background())
		if errors.Is(err, jobs.ErrNoJob) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	msgs, err := w.smtp.Wait(n, 5*time.Second)
	if err != nil {
		t.Fatalf("%v (got %d messages)", err, len(msgs))
	}
	return msgs[n-1].Body
}

var tokenRe = regexp.MustCompile(`token=([A-Za-z0-9_-]+)`)

func linkToken(t *testing.T, body string) string {
	t.Helper()
	m := tokenRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no link with token in mail:\n%s", body)
	}
	return m[1]
}

func TestRegisterVerifyLoginResetThroughRealMail(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		w := newWorld(t, db, clk)
		in := RegisterInput{Kind: "citizen", Email: "paul@example.org", Name: "Paul Beispiel", Password: "lange-geheime-phrase"}
		if err := w.s.Register(ctx, w.t, in, "http://musterstadt.example"); err != nil {
			t.Fatal(err)
		}
		body := w.deliver(t, 1)
		tok := linkToken(t, body)

		_, _, err := w.s.Login(ctx, w.t.ID, LoginInput{Email: "paul@example.org", Password: in.Password, Addr: "192.0.2.1"})
		if !errors.Is(err, ErrNotVerified) {
			t.Fatalf("login before verification: %v, want ErrNotVerified", err)
		}
		if err := w.s.VerifyEmail(ctx, w.t.ID, tok, "198.51.100.1"); err != nil {
			t.Fatal(err)
		}
		if err := w.s.VerifyEmail(ctx, w.t.ID, tok, "198.51.100.1"); !errors.Is(err, ErrTokenInvalid) {
			t.Errorf("second use of verification link: %v", err)
		}
		cookie, sess, err := w.s.Login(ctx, w.t.ID, LoginInput{Email: "PAUL@example.org ", Password: in.Password, Addr: "192.0.2.1"})
		if err != nil || sess.Kind != "citizen" || sess.Trust != TrustNone {
			t.Fatalf("login: %+v %v", sess, err)
		}
		// Registering the same address again sends a notice, not a second account.
		if err := w.s.Register(ctx, w.t, in, "http://musterstadt.example"); err != nil {
			t.Fatal(err)
		}
		if body := w.deliver(t, 2); tokenRe.MatchString(body) {
			t.Errorf("duplicate registration mailed a token: %s", body)
		}
		// Reset: unknown address and known address answer the same.
		if err := w.s.RequestPasswordReset(ctx, w.t, "nobody@example.org", "http://x", "198.51.100.1"); err != nil {
			t.Fatal(err)
		}
		if err := w.s.RequestPasswordReset(ctx, w.t, "paul@example.org", "http://x", "198.51.100.1"); err != nil {
			t.Fatal(err)
		}
		reset := linkToken(t, w.deliver(t, 3))
		if len(w.smtp.Messages()) != 3 {
			t.Errorf("a reset for an unknown address sent mail")
		}
		if err := w.s.ResetPassword(ctx, w.t.ID, reset, "kurz"); err == nil {
			t.Error("short password accepted")
		}
		if err := w.s.ResetPassword(ctx, w.t.ID, reset, "eine-ganz-neue-phrase"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.SessionByToken(ctx, w.t.ID, cookie); !errors.Is(err, web.ErrUnauthorized) {
			t.Errorf("session survived the password reset: %v", err)
		}
		if _, _, err := w.s.Login(ctx, w.t.ID, LoginInput{Email: "paul@example.org", Password: in.Password}); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("old password still works: %v", err)
		}
		if _, _, err := w.s.Login(ctx, w.t.ID, LoginInput{Email: "paul@example.org", Password: "eine-ganz-neue-phrase"}); err != nil {
			t.Errorf("new password: %v", err)
		}
		// Expired reset link.
		w.s.RequestPasswordReset(ctx, w.t, "paul@example.org", "http://x", "198.51.100.1")
		late := linkToken(t, w.deliver(t, 4))
		clk.Advance(ResetTokenTTL + time.Minute)
		if err := w.s.ResetPassword(ctx, w.t.ID, late, "noch-eine-neue-phrase"); !errors.Is(err, ErrTokenInvalid) {
			t.Errorf("expired reset link: %v", err)
		}
	})
}

// TestLoginDelaysLockOutNoOwner: failures make the next attempt from the
// same address wait (growing delays, 429 with Retry-After); a stranger's
// failures at an account, however many, never stop its owner — the
// owner's address has its own counter, and the owner's browser (device
// cookie) skips the soft per-account delay; spraying many accounts from
// one address stops that address only.
func TestLoginDelaysLockOutNoOwner(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		w := newWorld(t, db, clk)
		if _, err := w.s.CreateStaff(ctx, System(w.t.ID), w.t.ID, "mueller@musterstadt.example", "Frau Müller", "richtiges-passwort", []Role{RoleCaseWorker}); err != nil {
			t.Fatal(err)
		}
		owner := LoginInput{Email: "mueller@musterstadt.example", Password: "richtiges-passwort", Addr: "198.51.100.7"}
		wrong := func(in LoginInput) LoginInput { in.Password = "falsch"; return in }
		wait := func(err error) time.Duration {
			var rl *fault.RateLimited
			if !errors.As(err, &rl) {
				return 0
			}
			return rl.RetryAfter
		}
		// The owner's first sign-in: the browser gets its device cookie.
		_, sess, err := w.s.Login(ctx, w.t.ID, owner)
		if err != nil || sess.DeviceToken == "" {
			t.Fatalf("owner's sign-in: %v %+v", err, sess)
		}
		device := sess.DeviceToken

		// Own failures: three free, then 1 s, 2 s, 4 s …
		for i := range 3 {
			if _, _, err := w.s.Login(ctx, w.t.ID, wrong(owner)); !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("failure %d: %v", i+1, err)
			}
		}
		if _, _, err := w.s.Login(ctx, w.t.ID, wrong(owner)); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("4th failure: %v", err)
		}
		if _, _, err := w.s.Login(ctx, w.t.ID, owner); wait(err) != time.Second {
			t.Fatalf("right password right after the 4th failure: %v, want to wait 1 s", err)
		}
		clk.Advance(time.Second)
		if _, _, err := w.s.Login(ctx, w.t.ID, wrong(owner)); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("5th failure: %v", err)
		}
		if _, _, err := w.s.Login(ctx, w.t.ID, owner); wait(err) != 2*time.Second {
			t.Fatalf("after the 5th failure: %v, want to wait 2 s", err)
		}
		clk.Advance(2 * time.Second)
		if _, _, err := w.s.Login(ctx, w.t.ID, owner); err != nil {
			t.Fatalf("after waiting: %v", err)
		}

		// A stranger hammers the account from elsewhere: their own address
		// waits longer and longer (up to 15 min) ...
		stranger := wrong(owner)
		stranger.Addr = "203.0.113.66"
		var last time.Duration
		for failures := 0; failures < 12; {
			_, _, err := w.s.Login(ctx, w.t.ID, stranger)
			if d := wait(err); d > 0 {
				if d > 15*time.Minute {
					t.Fatalf("stranger waits %s, more than the cap", d)
				}
				last = d
				clk.Advance(d)
			} else if errors.Is(err, ErrBadCredentials) {
				failures++
			} else {
				t.Fatalf("stranger: %v", err)
			}
		}
		if last == 0 {
			t.Fatal("the stranger never had to wait")
		}
		// The account's own counter is past its free failures now: a new
		// browser of the owner waits, softly (at most 5 minutes) ...
		newBrowser := owner
		newBrowser.Addr = "198.51.100.99"
		_, _, err = w.s.Login(ctx, w.t.ID, newBrowser)
		if d := wait(err); d == 0 || d > 5*time.Minute {
			t.Errorf("owner from a new browser after 12 strangers' failures: %v (wait %s), want a wait of at most 5 min", err, d)
		}
		// ... while the owner's known browser signs in at once.
		withDevice := owner
		withDevice.Device = device
		if _, _, err := w.s.Login(ctx, w.t.ID, withDevice); err != nil {
			t.Errorf("owner's browser after a stranger's 12 failures: %v", err)
		}
		// The stranger still waits.
		if _, _, err := w.s.Login(ctx, w.t.ID, stranger); wait(err) == 0 {
			t.Errorf("stranger after the owner's sign-in: %v, want to wait", err)
		}

		// Spraying: one address, many accounts → that address waits.
		sprayer := LoginInput{Password: "Sommer2026!", Addr: "192.0.2.200"}
		for i := range 30 {
			sprayer.Email = fmt.Sprintf("person%d@example.org", i)
			if _, _, err := w.s.Login(ctx, w.t.ID, sprayer); !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("spray %d: %v", i, err)
			}
		}
		sprayer.Email = "person99@example.org"
		if _, _, err := w.s.Login(ctx, w.t.ID, sprayer); wait(err) == 0 {
			t.Errorf("the sprayer's 31st account: %v, want to wait", err)
		}
		other := sprayer
		other.Addr = "192.0.2.201"
		if _, _, err := w.s.Login(ctx, w.t.ID, other); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("another address: %v, want only the wrong password", err)
		}
		// An IPv6 sprayer is given a whole /64: its addresses count as one.
		for i := range 30 {
			v6 := LoginInput{Email: fmt.Sprintf("person%d@example.org", i), Password: "Sommer2026!", Addr: fmt.Sprintf("2001:db8:5:6::%x", i+1)}
			if _, _, err := w.s.Login(ctx, w.t.ID, v6); !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("IPv6 spray %d: %v", i, err)
			}
		}
		if _, _, err := w.s.Login(ctx, w.t.ID, LoginInput{Email: "person98@example.org", Password: "Sommer2026!", Addr: "2001:db8:5:6:ffff::1"}); wait(err) == 0 {
			t.Errorf("the IPv6 sprayer's 31st account from a fresh address of its /64: %v, want to wait", err)
		}

		// Unknown accounts answer exactly like wrong passwords.
		if _, _, err := w.s.Login(ctx, w.t.ID, LoginInput{Email: "niemand@example.org", Password: "x", Addr: "203.0.113.9"}); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("unknown account: %v", err)
		}
		// Every failure and delay is in the audit trail.
		entries, _ := audit.List(ctx, db, w.t.ID, 500)
		counts := map[string]int{}
		for _, e := range entries {
			counts[e.Action]++
		}
		if counts["login.failed"] < 40 || counts["login.throttled"] < 3 { // 5 + ~9 + 30 + 1
			t.Errorf("audit counts = %v", counts)
		}
	})
}

func TestSessions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		w := newWorld(t, db, clk)
		if _, err := w.s.CreateStaff(ctx, System(w.t.ID), w.t.ID, "mueller@musterstadt.example", "Frau Müller", "richtiges-passwort", []Role{RoleCaseWorker}); err != nil {
			t.Fatal(err)
		}
		good := LoginInput{Email: "mueller@musterstadt.example", Password: "richtiges-passwort", Addr: "198.51.100.7"}
		cookie, sess, err := w.s.Login(ctx, w.t.ID, good)
		if err != nil {
			t.Fatal(err)
		}
		if !sess.Principal().Has(RoleCaseWorker) {
			t.Errorf("roles = %v", sess.Roles)
		}
		// Idle timeout.
		clk.Advance(IdleTimeout - time.Minute)
		if _, err := w.s.SessionByToken(ctx, w.t.ID, cookie); err != nil {
			t.Fatalf("active session refused: %v", err)
		}
		clk.Advance(IdleTimeout + time.Second)
		if _, err := w.s.SessionByToken(ctx, w.t.ID, cookie); !errors.Is(err, web.ErrUnauthorized) {
			t.Errorf("idle session accepted: %v", err)
		}
		// Logout everywhere; a cookie is useless for another tenant.
		c1, s1, _ := w.s.Login(ctx, w.t.ID, good)
		c2, _, _ := w.s.Login(ctx, w.t.ID, good)
		other, _ := w.s.CreateTenant(ctx, Tenant{Slug: "nachbarstadt", Name: "Nachbarstadt", Settings: Settings{FederalState: "BY"}})
		if _, err := w.s.SessionByToken(ctx, other.ID, c1); !errors.Is(err, web.ErrUnauthorized) {
			t.Errorf("cookie of tenant A accepted by B: %v", err)
		}
		if entries, _ := audit.List(ctx, db, other.ID, 5); len(entries) == 0 || entries[0].Action != "session.foreign_tenant" {
			t.Errorf("foreign cookie not audited in B: %+v", entries)
		}
		if n, err := w.s.LogoutEverywhere(ctx, s1); err != nil || n != 2 {
			t.Errorf("logout everywhere: %d %v", n, err)
		}
		if _, err := w.s.SessionByToken(ctx, w.t.ID, c2); err == nil {
			t.Error("other session survived logout everywhere")
		}
	})
}

func TestTOTPForStaff(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		w := newWorld(t, db, clk)
		w.s.CreateStaff(ctx, System(w.t.ID), w.t.ID, "admin@musterstadt.example", "Admin", "richtiges-passwort", []Role{RoleAdmin})
		in := LoginInput{Email: "admin@musterstadt.example", Password: "richtiges-passwort"}
		_, sess, err := w.s.Login(ctx, w.t.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		secret, url, err := w.s.EnrollTOTP(ctx, sess, "Musterstadt")
		if err != nil || secret == "" || url == "" {
			t.Fatalf("enroll: %v", err)
		}
		if _, _, err := w.s.Login(ctx, w.t.ID, in); !errors.Is(err, ErrTOTPRequired) {
			t.Fatalf("login without code: %v", err)
		}
		in.TOTP = "000000"
		if code, _ := TOTPCode(secret, clk.Now()); code == in.TOTP {
			in.TOTP = "111111"
		}
		if _, _, err := w.s.Login(ctx, w.t.ID, in); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("wrong code: %v", err)
		}
		in.TOTP, _ = TOTPCode(secret, clk.Now())
		if _, _, err := w.s.Login(ctx, w.t.ID, in); err != nil {
			t.Errorf("right code: %v", err)
		}
	})
}

func TestExportAndDeleteAccount(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		w := newWorld(t, db, clk)
		w.s.Register(ctx, w.t, RegisterInput{Kind: "citizen", Email: "paul@example.org", Name: "Paul Beispiel", Password: "lange-geheime-phrase"}, "http://x")
		w.s.VerifyEmail(ctx, w.t.ID, linkToken(t, w.deliver(t, 1)), "198.51.100.1")
		_, sess, err := w.s.Login(ctx, w.t.ID, LoginInput{Email: "paul@example.org", Password: "lange-geheime-phrase"})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.s.UpdateProfile(ctx, sess, Profile{GivenName: "Paul", FamilyName: "Beispiel", Postcode: "91052"}); err != nil {
			t.Fatal(err)
		}
		// A case worker reads the account: allowed, and logged.
		staff, _ := w.s.CreateStaff(ctx, System(w.t.ID), w.t.ID, "mueller@musterstadt.example", "Frau Müller", "richtiges-passwort", []Role{RoleCaseWorker})
		cw := Principal{TenantID: w.t.ID, Ref: staff.Ref, Kind: "staff", Roles: []Role{RoleCaseWorker}}
		if _, pr, err := w.s.AccountForStaff(ctx, cw, w.t.ID, sess.AccountRef); err != nil || pr.Postcode != "91052" {
			t.Fatalf("staff read: %v", err)
		}
		finance := Principal{TenantID: w.t.ID, Ref: "x", Roles: []Role{RoleFinance}}
		if _, _, err := w.s.AccountForStaff(ctx, finance, w.t.ID, sess.AccountRef); !errors.Is(err, web.ErrNotFound) {
			t.Errorf("finance read personal data: %v", err)
		}
		data, err := w.s.Export(ctx, sess)
		if err != nil {
			t.Fatal(err)
		}
		actions := map[string]bool{}
		for _, e := range data.Audit {
			actions[e.Action] = true
		}
		if data.Account.Email != "paul@example.org" || data.Profile.GivenName != "Paul" || len(data.Sessions) != 1 || !actions["account.read"] || !actions["login"] {
			t.Errorf("export = %+v", data)
		}
		if err := w.s.DeleteAccount(ctx, sess); err != nil {
			t.Fatal(err)
		}
		var email, name, profile string
		db.R.QueryRow(`SELECT email, name, profile FROM accounts WHERE ref = $1`, sess.AccountRef).Scan(&email, &name, &profile)
		if email == "paul@example.org" || name != "" || profile != "{}" {
			t.Errorf("personal data kept after deletion: %s %s %s", email, name, profile)
		}
		if _, _, err := w.s.Login(ctx, w.t.ID, LoginInput{Email: "paul@example.org", Password: "lange-geheime-phrase"}); err == nil {
			t.Error("deleted account can log in")
		}
		if res, _ := audit.Verify(ctx, db, w.t.ID); !res.OK {
			t.Errorf("audit chain after deletion: %+v", res)
		}
		_ = strconv.Itoa
	})
}
