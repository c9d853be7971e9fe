package identity

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/oauth2"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
)

// acrStorage is zitadel's example OP storage, granting a fixed acr (the
// example itself sends none), as an eID service reports its assurance level.
type acrStorage struct {
	*storage.Storage
	acr string
}

type acrRequest struct {
	op.AuthRequest
	acr string
}

func (r acrRequest) GetACR() string { return r.acr }

func (s *acrStorage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	r, err := s.Storage.AuthRequestByID(ctx, id)
	if err != nil {
		return nil, err
	}
	return acrRequest{r, s.acr}, nil
}

func (s *acrStorage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	r, err := s.Storage.AuthRequestByCode(ctx, code)
	if err != nil {
		return nil, err
	}
	return acrRequest{r, s.acr}, nil
}

// startOP runs a real OpenID Provider (zitadel/oidc's example OP) on
// 127.0.0.1 with a web client whose redirect URI is the relying party's.
func startOP(t *testing.T, acr, redirectURI string) (issuer string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer = "http://" + ln.Addr().String()
	storage.RegisterClients(storage.WebClient("rathaus-test", "client-secret", redirectURI))
	st := &acrStorage{Storage: storage.NewStorage(storage.NewUserStore(issuer)), acr: acr}
	srv := &http.Server{Handler: exampleop.SetupServer(issuer, st, nil, false)}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return issuer
}

// rp is the relying party side: our Finish behind a callback URL.
type rp struct {
	o        *OIDC
	t        *Tenant
	callback string
	result   chan rpResult
	// capture, when set, receives the raw callback instead of Finish.
	capture chan url.Values
}

type rpResult struct {
	sess *Session
	err  error
}

func newRP(t *testing.T, db *database.DB, acr string) (*rp, string) {
	t.Helper()
	r := &rp{result: make(chan rpResult, 1)}
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		q := req.URL.Query()
		if r.capture != nil {
			r.capture <- q
			return
		}
		_, _, sess, err := r.o.Finish(req.Context(), r.t, "bayernid", Callback{State: q.Get("state"), Code: q.Get("code"), Error: q.Get("error")}, r.callback)
		r.result <- rpResult{sess, err}
		w.Write([]byte("ok"))
	}))
	t.Cleanup(cb.Close)
	r.callback = cb.URL + "/login/eid/bayernid/callback"
	issuer := startOP(t, acr, r.callback)
	s := &Service{DB: db}
	tn, err := s.CreateTenant(context.Background(), Tenant{Slug: "musterstadt", Name: "Musterstadt", IsDefault: true, Settings: Settings{FederalState: "BY",
		OIDC: []OIDCProvider{{Name: "bayernid", Label: "BayernID", Issuer: issuer, ClientID: "rathaus-test", Scopes: []string{"openid", "profile", "email"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	r.t = tn
	r.o = &OIDC{Svc: s, Secret: func(tenant, provider string) string { return "client-secret" }}
	return r, issuer
}

// browse follows the whole code flow like a browser: authorize, the OP's
// login form, the redirect back to our callback.
func browse(t *testing.T, authURL, issuer string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	resp, err := c.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	id := resp.Request.URL.Query().Get("authRequestID")
	if id == "" {
		t.Fatalf("OP did not show its login page: %s", resp.Request.URL)
	}
	host := strings.TrimPrefix(issuer, "http://")
	resp, err = c.PostForm(issuer+"/login/username", url.Values{"id": {id}, "username": {"test-user@" + strings.Split(host, ":")[0]}, "password": {"verysecure"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

func TestOIDCCodeFlowWithRealProvider(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		clk.Set(time.Now()) // the OP signs with its own real clock
		ctx := context.Background()
		r, issuer := newRP(t, db, "http://eidas.europa.eu/LoA/substantial")
		authURL, err := r.o.Start(ctx, r.t, "bayernid", r.callback, "/konto")
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(authURL)
		q := u.Query()
		if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" {
			t.Fatalf("authorization URL lacks PKCE, nonce or state: %s", authURL)
		}
		browse(t, authURL, issuer)
		res := <-r.result
		if res.err != nil {
			t.Fatalf("Finish: %v", res.err)
		}
		if res.sess.Trust != TrustSubstantial || res.sess.Provider != "bayernid" || res.sess.Kind != "citizen" {
			t.Errorf("session = %+v", res.sess)
		}
		// A second login with the same eID reuses the account.
		authURL, _ = r.o.Start(ctx, r.t, "bayernid", r.callback, "/")
		browse(t, authURL, issuer)
		res2 := <-r.result
		if res2.err != nil || res2.sess.AccountRef != res.sess.AccountRef {
			t.Errorf("second login: %+v %v", res2.sess, res2.err)
		}
		// Replaying the first callback (same state) is refused.
		_, _, _, err = r.o.Finish(ctx, r.t, "bayernid", Callback{State: q.Get("state"), Code: "whatever"}, r.callback)
		if !errors.Is(err, ErrOIDC) {
			t.Errorf("replayed state: %v", err)
		}
		// Forged state, provider errors: refused and audited.
		_, _, _, err = r.o.Finish(ctx, r.t, "bayernid", Callback{State: "forged", Code: "x"}, r.callback)
		if !errors.Is(err, ErrOIDC) {
			t.Errorf("forged state: %v", err)
		}
		_, _, _, err = r.o.Finish(ctx, r.t, "bayernid", Callback{Error: "access_denied"}, r.callback)
		if !errors.Is(err, ErrOIDC) {
			t.Errorf("provider error: %v", err)
		}
		entries, _ := audit.List(ctx, db, r.t.ID, 50)
		refused := 0
		for _, e := range entries {
			if e.Action == "login.eid.refused" {
				refused++
			}
		}
		if refused != 3 {
			t.Errorf("refusals audited: %d, want 3", refused)
		}
	})
}

func TestOIDCTrustLevelMapping(t *testing.T) {
	p := OIDCProvider{ACR: map[string]TrustLevel{"urn:bund:high": TrustHigh}}
	for acr, want := range map[string]TrustLevel{"urn:bund:high": TrustHigh, "http://eidas.europa.eu/LoA/substantial": TrustSubstantial, "STORK-QAA-Level-4": TrustHigh, "": TrustLow, "unknown": TrustLow} {
		if got := p.TrustFor(acr); got != want {
			t.Errorf("TrustFor(%q) = %s, want %s", acr, got, want)
		}
	}
}

// TestOIDCRejectsBadTokens checks the ID token verification against the
// real provider's keys: a token signed by another key, an expired token and
// a token with another nonce are all refused.
func TestOIDCRejectsBadTokens(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		clk.Set(time.Now())
		ctx := context.Background()
		r, issuer := newRP(t, db, "")
		dp, err := r.o.Discover(ctx, issuer)
		if err != nil {
			t.Fatal(err)
		}
		p := r.t.Settings.OIDC[0]
		// Forged: signed by a key the provider never published.
		key, _ := rsa.GenerateKey(rand.Reader, 2048)
		signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", "key1"))
		forged, _ := jwt.Signed(signer).Claims(map[string]any{"iss": issuer, "aud": "rathaus-test", "sub": "id1", "nonce": "n",
			"exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix()}).Serialize()
		if _, err := r.o.Verify(ctx, dp, p, forged, "n"); err == nil {
			t.Error("forged signature accepted")
		}
		// A real token from the provider: the test plays the relying party's
		// callback itself to get at the raw ID token.
		r.capture = make(chan url.Values, 1)
		authURL, err := r.o.Start(ctx, r.t, "bayernid", r.callback, "/")
		if err != nil {
			t.Fatal(err)
		}
		browse(t, authURL, issuer)
		cb := <-r.capture
		var nonce, verifier string
		if err := db.R.QueryRow(`SELECT nonce, verifier FROM oidc_logins WHERE state_hash = $1`, stateHash(cb.Get("state"))).Scan(&nonce, &verifier); err != nil {
			t.Fatal(err)
		}
		cfg, _, err := r.o.config(ctx, r.t, p, r.callback)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := cfg.Exchange(ctx, cb.Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatal(err)
		}
		raw := tok.Extra("id_token").(string)
		if _, err := r.o.Verify(ctx, dp, p, raw, nonce); err != nil {
			t.Fatalf("the genuine token was refused: %v", err)
		}
		if _, err := r.o.Verify(ctx, dp, p, raw, "another-nonce"); err == nil {
			t.Error("token with another nonce accepted")
		}
		other := p
		other.ClientID = "someone-else"
		if _, err := r.o.Verify(ctx, dp, other, raw, nonce); err == nil {
			t.Error("token for another audience accepted")
		}
		clk.Advance(2 * time.Hour)
		if _, err := r.o.Verify(ctx, dp, p, raw, nonce); err == nil {
			t.Error("expired token accepted")
		}
		clk.Advance(-2 * time.Hour)
		// Tampered payload with the genuine signature.
		parts := strings.Split(raw, ".")
		parts[1] = strings.TrimRight(parts[1], "A") + "B"
		if _, err := r.o.Verify(ctx, dp, p, strings.Join(parts, "."), nonce); err == nil {
			t.Error("tampered token accepted")
		}
	})
}
