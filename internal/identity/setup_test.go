package identity

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
	"github.com/rathaus/rathaus/internal/platform/fault"
)

// TestFirstStaffSignInSetsUpTOTP: outside the demo city an invited admin
// chooses a password through the one-time link and must then confirm a
// TOTP code before the session counts; later sign-ins ask for the code. A
// staff member created with a password gets the same at the first sign-in.
func TestFirstStaffSignInSetsUpTOTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		s := &Service{DB: db}
		tn, err := s.CreateTenant(ctx, Tenant{Slug: "neustadt", Name: "Neustadt", Hosts: []string{"rathaus.neustadt.example"}, Settings: Settings{FederalState: "NW"}})
		if err != nil {
			t.Fatal(err)
		}
		if tn.IsDemo {
			t.Fatal("a new tenant is a demo")
		}
		inv, err := s.InviteStaff(ctx, System(tn.ID), tn, "chefin@neustadt.example", "Chefin", []Role{RoleAdmin}, "https://rathaus.neustadt.example", false)
		if err != nil {
			t.Fatal(err)
		}
		token, ok := strings.CutPrefix(inv.Link, "https://rathaus.neustadt.example"+SetupPath+"?token=")
		if !ok || token == "" {
			t.Fatalf("set-up link %q", inv.Link)
		}
		// Without a password the account cannot sign in.
		if _, _, err := s.Login(ctx, tn.ID, LoginInput{Email: "chefin@neustadt.example", Password: "", Addr: "x"}); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("sign-in before set-up: %v", err)
		}
		if _, _, err := s.CompleteSetup(ctx, tn.ID, token, "kurz"); !fault.HasCode(err, "password", "too_short") {
			t.Errorf("short password: %v", err)
		}
		cookie, sess, err := s.CompleteSetup(ctx, tn.ID, token, "ein-langes-passwort")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.CompleteSetup(ctx, tn.ID, token, "ein-anderes-passwort"); !errors.Is(err, ErrTokenInvalid) {
			t.Errorf("link used twice: %v", err)
		}
		if sess.TOTPSetup == "" {
			t.Fatal("the set-up session needs no TOTP")
		}
		if _, err := s.SessionByToken(ctx, tn.ID, cookie); !errors.Is(err, ErrTOTPSetupPending) {
			t.Errorf("pending session counts: %v", err)
		}
		if err := s.ConfirmTOTPSetup(ctx, sess, "000000"); !fault.HasCode(err, "totp", "invalid_totp") {
			t.Errorf("wrong code: %v", err)
		}
		code, err := TOTPCode(sess.TOTPSetup, clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := s.ConfirmTOTPSetup(ctx, sess, code); err != nil {
			t.Fatal(err)
		}
		got, err := s.SessionByToken(ctx, tn.ID, cookie)
		if err != nil || !got.Principal().Has(RoleAdmin) {
			t.Fatalf("session after TOTP set-up: %+v, %v", got, err)
		}
		// The next sign-in asks for the code.
		in := LoginInput{Email: "chefin@neustadt.example", Password: "ein-langes-passwort", Addr: "x"}
		if _, _, err := s.Login(ctx, tn.ID, in); !errors.Is(err, ErrTOTPRequired) {
			t.Errorf("second sign-in without code: %v", err)
		}
		clk.Advance(31e9)
		in.TOTP, _ = TOTPCode(sess.TOTPSetup, clk.Now())
		if _, s2, err := s.Login(ctx, tn.ID, in); err != nil || s2.TOTPSetup != "" {
			t.Errorf("second sign-in with code: %+v, %v", s2, err)
		}

		// Created with a password by an admin: the first sign-in sets up TOTP.
		if _, err := s.CreateStaff(ctx, System(tn.ID), tn.ID, "kasse@neustadt.example", "Kasse", "kassen-passwort-1", []Role{RoleFinance}); err != nil {
			t.Fatal(err)
		}
		c, ks, err := s.Login(ctx, tn.ID, LoginInput{Email: "kasse@neustadt.example", Password: "kassen-passwort-1", Addr: "y"})
		if err != nil || ks.TOTPSetup == "" {
			t.Fatalf("first sign-in of a created staff member: %+v, %v", ks, err)
		}
		if _, err := s.SessionByToken(ctx, tn.ID, c); !errors.Is(err, ErrTOTPSetupPending) {
			t.Errorf("pending session counts: %v", err)
		}
		// Citizens are not asked.
		if _, err := s.CreateCitizen(ctx, System(tn.ID), tn.ID, "citizen", "paul@example.org", "Paul", "pauls-passwort-12"); err != nil {
			t.Fatal(err)
		}
		if _, ps, err := s.Login(ctx, tn.ID, LoginInput{Email: "paul@example.org", Password: "pauls-passwort-12", Addr: "z"}); err != nil || ps.TOTPSetup != "" {
			t.Errorf("citizen sign-in: %+v, %v", ps, err)
		}
	})
}
