package identity

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/ref"
)

// OIDC login state lives OIDCLoginTTL; a callback after that is refused.
const OIDCLoginTTL = 10 * time.Minute

// ErrOIDC is any refused eID login: bad or replayed state, failed code
// exchange, invalid ID token (signature, issuer, audience, expiry, nonce).
var ErrOIDC = fmt.Errorf("eID login refused: %w", fault.ErrUnauthorized)

// DefaultACR maps well-known acr values to trust levels.
var DefaultACR = map[string]TrustLevel{
	"http://eidas.europa.eu/LoA/low":         TrustLow,
	"http://eidas.europa.eu/LoA/substantial": TrustSubstantial,
	"http://eidas.europa.eu/LoA/high":        TrustHigh,
	"STORK-QAA-Level-1":                      TrustLow,
	"STORK-QAA-Level-2":                      TrustLow,
	"STORK-QAA-Level-3":                      TrustSubstantial,
	"STORK-QAA-Level-4":                      TrustHigh,
	"low":                                    TrustLow,
	"substantial":                            TrustSubstantial,
	"high":                                   TrustHigh,
}

// TrustFor maps an acr value with the provider's table, then the defaults.
func (p OIDCProvider) TrustFor(acr string) TrustLevel {
	if t, ok := p.ACR[acr]; ok {
		return t
	}
	if t, ok := DefaultACR[acr]; ok {
		return t
	}
	return TrustLow
}

var nonAlnum = regexp.MustCompile(`[^A-Z0-9]+`)

// OIDCSecretVar is the environment variable holding a provider's client secret.
func OIDCSecretVar(tenantSlug, provider string) string {
	return "RATHAUS_OIDC_SECRET_" + nonAlnum.ReplaceAllString(strings.ToUpper(tenantSlug+"_"+provider), "_")
}

// OIDC runs eID logins. Discovery documents are cached per issuer.
type OIDC struct {
	Svc    *Service
	Secret func(tenantSlug, provider string) string // client secret lookup ("" for public clients)

	mu        sync.Mutex
	providers map[string]*oidc.Provider
}

func (o *OIDC) discover(ctx context.Context, issuer string) (*oidc.Provider, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if p, ok := o.providers[issuer]; ok {
		return p, nil
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(oidc.ClientContext(dctx, nil), issuer)
	if err != nil {
		return nil, fmt.Errorf("discover %s: %w", issuer, err)
	}
	if o.providers == nil {
		o.providers = map[string]*oidc.Provider{}
	}
	o.providers[issuer] = p
	return p, nil
}

func findProvider(t *Tenant, name string) (OIDCProvider, error) {
	for _, p := range t.Settings.OIDC {
		if p.Name == name {
			return p, nil
		}
	}
	return OIDCProvider{}, fmt.Errorf("eID provider %q: %w", name, fault.ErrNotFound)
}

func (o *OIDC) config(ctx context.Context, t *Tenant, p OIDCProvider, redirectURL string) (*oauth2.Config, *oidc.Provider, error) {
	dp, err := o.discover(ctx, p.Issuer)
	if err != nil {
		return nil, nil, err
	}
	secret := ""
	if o.Secret != nil {
		secret = o.Secret(t.Slug, p.Name)
	}
	scopes := p.Scopes
	if len(scopes) == 0 {
		scopes = []string{oidc.ScopeOpenID, "profile", "email"}
	}
	return &oauth2.Config{ClientID: p.ClientID, ClientSecret: secret, Endpoint: dp.Endpoint(), RedirectURL: redirectURL, Scopes: scopes}, dp, nil
}

func stateHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// Start begins a login at provider: it stores state, nonce and the PKCE
// verifier and returns the provider's authorization URL.
func (o *OIDC) Start(ctx context.Context, t *Tenant, provider, redirectURL, returnTo string) (string, error) {
	p, err := findProvider(t, provider)
	if err != nil {
		return "", err
	}
	cfg, _, err := o.config(ctx, t, p, redirectURL)
	if err != nil {
		return "", err
	}
	state, nonce, verifier := newSecret(), newSecret(), oauth2.GenerateVerifier()
	if !strings.HasPrefix(returnTo, "/") || strings.HasPrefix(returnTo, "//") {
		returnTo = "/"
	}
	err = database.WithTx(ctx, o.Svc.DB, func(tx *database.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM oidc_logins WHERE expires_at < $1`, tx.Now()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO oidc_logins (state_hash, tenant_id, provider, nonce, verifier, return_to, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			stateHash(state), t.ID, p.Name, nonce, verifier, returnTo, tx.Now().Add(OIDCLoginTTL))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("start eID login: %w", err)
	}
	return cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce)), nil
}

// Callback is what the provider sends back.
type Callback struct {
	State, Code, Error, ErrorDescription string
}

// Finish completes a login: it consumes the state (once), exchanges the
// code with the PKCE verifier, verifies the ID token (signature, issuer,
// audience, expiry with the injected clock, nonce), maps acr to a trust
// level and starts a session for the linked or a new citizen account.
// Every refusal is audited.
func (o *OIDC) Finish(ctx context.Context, t *Tenant, provider string, cb Callback, redirectURL string) (cookie, returnTo string, sess *Session, err error) {
	refuse := func(reason string, cause error) (string, string, *Session, error) {
		database.WithTx(ctx, o.Svc.DB, func(tx *database.Tx) error {
			return audit.Append(tx, audit.Event{TenantID: t.ID, Actor: "anonymous", Action: "login.eid.refused", ObjectType: "oidc_provider", ObjectRef: provider, After: map[string]string{"reason": reason}})
		})
		if cause != nil {
			return "", "", nil, fmt.Errorf("%s: %v: %w", reason, cause, ErrOIDC)
		}
		return "", "", nil, fmt.Errorf("%s: %w", reason, ErrOIDC)
	}
	p, err := findProvider(t, provider)
	if err != nil {
		return "", "", nil, err
	}
	if cb.Error != "" {
		return refuse("provider answered "+cb.Error, nil)
	}
	var nonce, verifier string
	err = database.WithTx(ctx, o.Svc.DB, func(tx *database.Tx) error {
		var prov string
		var expires time.Time
		err := tx.QueryRowContext(ctx, `SELECT provider, nonce, verifier, return_to, expires_at FROM oidc_logins WHERE state_hash = $1 AND tenant_id = $2`+o.Svc.DB.ForUpdate(),
			stateHash(cb.State), t.ID).Scan(&prov, &nonce, &verifier, &returnTo, &expires)
		if errors.Is(err, sql.ErrNoRows) {
			return errBadState
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM oidc_logins WHERE state_hash = $1`, stateHash(cb.State)); err != nil {
			return err
		}
		if prov != p.Name || tx.Now().After(expires) {
			return errBadState
		}
		return nil
	})
	if errors.Is(err, errBadState) {
		return refuse("unknown, replayed or expired state", nil)
	}
	if err != nil {
		return "", "", nil, err
	}
	cfg, dp, err := o.config(ctx, t, p, redirectURL)
	if err != nil {
		return "", "", nil, err
	}
	tok, err := cfg.Exchange(ctx, cb.Code, oauth2.VerifierOption(verifier))
	if err != nil {
		return refuse("code exchange failed", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok {
		return refuse("no id_token in the token response", nil)
	}
	idt, err := o.Verify(ctx, dp, p, raw, nonce)
	if err != nil {
		return refuse("invalid ID token", err)
	}
	var claims struct {
		Email string `json:"email"`
		Name  string `json:"name"`
		ACR   string `json:"acr"`
	}
	idt.Claims(&claims)
	trust := p.TrustFor(claims.ACR)
	var accRef string
	err = database.WithTx(ctx, o.Svc.DB, func(tx *database.Tx) error {
		var accountID int64
		err := tx.QueryRowContext(ctx, `SELECT e.account_id, a.ref FROM external_identities e JOIN accounts a ON a.id = e.account_id
			WHERE e.tenant_id = $1 AND e.provider = $2 AND e.subject = $3 AND a.deleted_at IS NULL`, t.ID, p.Name, idt.Subject).Scan(&accountID, &accRef)
		if errors.Is(err, sql.ErrNoRows) {
			// A new citizen account. It is never linked to an existing
			// account by e-mail address (that would hand an account to
			// whoever controls an eID with the same address).
			accRef = ref.New("U")
			email := "eid-" + strings.ToLower(accRef) + "@" + p.Name + ".invalid"
			name := claims.Name
			if name == "" {
				name = "eID-Nutzer*in"
			}
			if err := tx.QueryRowContext(ctx, `INSERT INTO accounts (tenant_id, ref, kind, email, name, created_at) VALUES ($1, $2, 'citizen', $3, $4, $5) RETURNING id`,
				t.ID, accRef, email, name, tx.Now()).Scan(&accountID); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO external_identities (tenant_id, provider, subject, account_id) VALUES ($1, $2, $3, $4)`, t.ID, p.Name, idt.Subject, accountID); err != nil {
				return err
			}
			if err := audit.Append(tx, audit.Event{TenantID: t.ID, Actor: accRef, Action: "account.register.eid", ObjectType: "account", ObjectRef: accRef, After: map[string]string{"provider": p.Name}}); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		cookie, err = startSession(tx, t.ID, accountID, trust, p.Name, "")
		if err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: t.ID, Actor: accRef, Action: "login.eid", ObjectType: "account", ObjectRef: accRef, After: map[string]string{"provider": p.Name, "trust_level": string(trust)}})
	})
	if err != nil {
		return "", "", nil, fmt.Errorf("eID login: %w", err)
	}
	sess, err = o.Svc.SessionByToken(ctx, t.ID, cookie)
	return cookie, returnTo, sess, err
}

var errBadState = errors.New("bad state")

// Verify checks an ID token against the provider's keys, the client id,
// the issuer, the expiry (with the service's clock) and the nonce.
func (o *OIDC) Verify(ctx context.Context, dp *oidc.Provider, p OIDCProvider, raw, nonce string) (*oidc.IDToken, error) {
	v := dp.Verifier(&oidc.Config{ClientID: p.ClientID, Now: o.Svc.DB.Clock.Now})
	idt, err := v.Verify(ctx, raw)
	if err != nil {
		return nil, err
	}
	if idt.Nonce != nonce {
		return nil, errors.New("nonce mismatch")
	}
	return idt, nil
}

// Discover exposes the cached discovery (for tests and the admin page).
func (o *OIDC) Discover(ctx context.Context, issuer string) (*oidc.Provider, error) {
	return o.discover(ctx, issuer)
}
