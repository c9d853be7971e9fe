package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/ref"
)

// API tokens come in two kinds:
//
//   - Integration tokens belong to the tenant and carry one staff role; a
//     system (a payment provider's callback, a scanner) uses them. They are
//     never a person (Principal.AccountID 0): they cannot approve, decide
//     or sign. Admins create them (page, API, `rathaus token create --role`).
//   - Personal tokens belong to an account (staff, citizen or business) and
//     act as that person: the account's kind, its roles at the time of the
//     request and its ownership. The account creates and revokes its own on
//     the account page; the operator with `rathaus token create --account`.
//
// Secrets are random (the demo passes its documented fixed ones), shown
// once and stored only as SHA-256.

// Token is an API token as listed (never with its secret).
type Token struct {
	Ref  string `json:"id"`
	Name string `json:"name"`
	// Role is the one role of an integration token ("" for personal ones).
	Role Role `json:"role,omitempty"`
	// Account is the owner of a personal token ("" for integration tokens),
	// AccountName their name as shown to admins.
	Account     string     `json:"account,omitempty"`
	AccountName string     `json:"account_name,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	RevokedAt   *time.Time `json:"revoked_at"`
}

// Personal reports whether the token acts as a person.
func (t Token) Personal() bool { return t.Account != "" }

const tokenPrefix = "rh_"

func hashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// NewTokenSecret returns a fresh random token secret.
func NewTokenSecret() string {
	var b [24]byte
	rand.Read(b[:])
	return tokenPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// validTokenName checks a token's name.
func validTokenName(name string) (string, *fault.Validation) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", fault.Invalid("name", "required")
	case utf8.RuneCountInString(name) > 100:
		return "", fault.Invalid("name", "too_long", "max", 100)
	}
	return name, nil
}

// validSecret checks a fixed secret handed in by the system (the demo).
func validSecret(secret string) error {
	if !strings.HasPrefix(secret, tokenPrefix) || len(secret) < 16 || len(secret) > 200 {
		return fault.Invalid("secret", "invalid")
	}
	return nil
}

// CreateToken makes an integration token bound to the tenant and a role.
// The secret is returned once and stored only as its hash. With secret ""
// a random one is drawn (only the system may pass a fixed one).
func (s *Service) CreateToken(ctx context.Context, p Principal, tenantID int64, role Role, name, secret string) (string, *Token, error) {
	if err := p.Require(tenantID, RoleAdmin); err != nil {
		return "", nil, err
	}
	v := &fault.Validation{}
	name, nv := validTokenName(name)
	v.Merge("", nv)
	if !ValidRole(role) {
		v.Add("role", "invalid_choice")
	}
	if secret != "" && (p.Kind != "system" || validSecret(secret) != nil) {
		v.Add("secret", "invalid")
	}
	if err := v.Err(); err != nil {
		return "", nil, err
	}
	if secret == "" {
		secret = NewTokenSecret()
	}
	tok := &Token{Ref: ref.New("K"), Name: name, Role: role}
	err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		tok.CreatedAt = tx.Now()
		_, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (tenant_id, ref, name, role, secret_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			tenantID, tok.Ref, name, string(role), hashSecret(secret), tx.Now())
		if database.IsUniqueViolation(err) {
			return fault.Invalid("name", "duplicate")
		}
		if err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "token.create", ObjectType: "api_token", ObjectRef: tok.Ref, After: tok})
	})
	if err != nil {
		return "", nil, fmt.Errorf("create token: %w", err)
	}
	return secret, tok, nil
}

// CreatePersonalToken makes a token that acts as the account accountRef.
// The account itself may (signed in: not through another token), and the
// system (the operator's CLI, demo seeding by any module); only the system
// may pass a fixed secret. Anyone else gets not found.
func (s *Service) CreatePersonalToken(ctx context.Context, p Principal, tenantID int64, accountRef, name, secret string) (string, *Token, error) {
	if err := p.Require(tenantID); err != nil {
		return "", nil, err
	}
	if p.Via != "" {
		return "", nil, fmt.Errorf("create token through a token: %w", fault.ErrForbidden)
	}
	name, nv := validTokenName(name)
	if err := nv.Err(); err != nil {
		return "", nil, err
	}
	if secret != "" && (p.Kind != "system" || validSecret(secret) != nil) {
		return "", nil, fault.Invalid("secret", "invalid")
	}
	if secret == "" {
		secret = NewTokenSecret()
	}
	tok := &Token{Ref: ref.New("K"), Name: name, Account: accountRef}
	err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		var accountID int64
		err := tx.QueryRowContext(ctx, `SELECT id, name FROM accounts WHERE ref = $1 AND tenant_id = $2 AND deleted_at IS NULL`, accountRef, tenantID).Scan(&accountID, &tok.AccountName)
		if errors.Is(err, sql.ErrNoRows) || err == nil && p.Kind != "system" && p.AccountID != accountID {
			return fmt.Errorf("account %s: %w", accountRef, ErrNotFound)
		}
		if err != nil {
			return err
		}
		tok.CreatedAt = tx.Now()
		_, err = tx.ExecContext(ctx, `INSERT INTO api_tokens (tenant_id, ref, name, role, account_id, secret_hash, created_at) VALUES ($1, $2, $3, '', $4, $5, $6)`,
			tenantID, tok.Ref, name, accountID, hashSecret(secret), tx.Now())
		if database.IsUniqueViolation(err) {
			return fault.Invalid("name", "duplicate")
		}
		if err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "token.create", ObjectType: "api_token", ObjectRef: tok.Ref,
			After: map[string]any{"name": name, "account": accountRef}})
	})
	if err != nil {
		return "", nil, fmt.Errorf("create personal token: %w", err)
	}
	return secret, tok, nil
}

const tokenSelect = `SELECT t.ref, t.name, t.role, COALESCE(a.ref, ''), COALESCE(a.name, ''), t.created_at, t.revoked_at
	FROM api_tokens t LEFT JOIN accounts a ON a.id = t.account_id`

func (s *Service) listTokens(ctx context.Context, where string, args ...any) ([]Token, error) {
	rows, err := s.DB.R.QueryContext(ctx, tokenSelect+` WHERE `+where+` ORDER BY t.name, t.created_at`, args...)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	out := []Token{}
	for rows.Next() {
		var t Token
		var role string
		var revoked sql.NullTime
		if err := rows.Scan(&t.Ref, &t.Name, &role, &t.Account, &t.AccountName, &t.CreatedAt, &revoked); err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		t.Role = Role(role)
		if revoked.Valid {
			t.RevokedAt = &revoked.Time
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Tokens lists every token of the tenant, integration and personal (admins
// only).
func (s *Service) Tokens(ctx context.Context, p Principal, tenantID int64) ([]Token, error) {
	if err := p.Require(tenantID, RoleAdmin); err != nil {
		return nil, err
	}
	return s.listTokens(ctx, `t.tenant_id = $1`, tenantID)
}

// PersonalTokens lists the acting person's own tokens.
func (s *Service) PersonalTokens(ctx context.Context, p Principal, tenantID int64) ([]Token, error) {
	if err := p.Require(tenantID); err != nil {
		return nil, err
	}
	if !p.IsPerson() {
		return nil, fmt.Errorf("personal tokens of a non-person: %w", fault.ErrForbidden)
	}
	return s.listTokens(ctx, `t.tenant_id = $1 AND t.account_id = $2`, tenantID, p.AccountID)
}

// RevokeToken revokes any token of the tenant by its reference or name
// (admins only).
func (s *Service) RevokeToken(ctx context.Context, p Principal, tenantID int64, refOrName string) error {
	if err := p.See(tenantID, RoleAdmin); err != nil {
		return err
	}
	return s.revoke(ctx, p, tenantID, `tenant_id = $2 AND (ref = $3 OR (name = $3 AND account_id IS NULL))`, refOrName)
}

// RevokePersonalToken revokes one of the acting person's own tokens;
// another person's token is not found.
func (s *Service) RevokePersonalToken(ctx context.Context, p Principal, tenantID int64, tokenRef string) error {
	if err := p.See(tenantID); err != nil {
		return err
	}
	if !p.IsPerson() {
		return fmt.Errorf("revoke token %q: %w", tokenRef, ErrNotFound)
	}
	return s.revoke(ctx, p, tenantID, `tenant_id = $2 AND ref = $3 AND account_id = $4`, tokenRef, p.AccountID)
}

func (s *Service) revoke(ctx context.Context, p Principal, tenantID int64, where, which string, more ...any) error {
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		args := append([]any{tx.Now(), tenantID, which}, more...)
		res, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE `+where+` AND revoked_at IS NULL`, args...)
		if err != nil {
			return fmt.Errorf("revoke token: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("revoke token: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("revoke token %q: %w", which, ErrNotFound)
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "token.revoke", ObjectType: "api_token", ObjectRef: which})
	})
}

// Authenticate resolves a bearer token of the given tenant. Unknown, revoked
// and other tenants' tokens, and tokens of deleted accounts, all give the
// same ErrUnauthorized. A personal token acts as its account with the roles
// the account holds now.
func (s *Service) Authenticate(ctx context.Context, tenantID int64, secret string) (Principal, error) {
	if !strings.HasPrefix(secret, tokenPrefix) || len(secret) > 200 {
		return Principal{}, fault.ErrUnauthorized
	}
	var p Principal
	var tokenRef, role, accRef, kind string
	var tenant, accountID int64
	var deleted sql.NullTime
	err := s.DB.R.QueryRowContext(ctx, `SELECT t.tenant_id, t.ref, t.role, COALESCE(t.account_id, 0), COALESCE(a.ref, ''), COALESCE(a.kind, ''), a.deleted_at
		FROM api_tokens t LEFT JOIN accounts a ON a.id = t.account_id WHERE t.secret_hash = $1 AND t.revoked_at IS NULL`, hashSecret(secret)).
		Scan(&tenant, &tokenRef, &role, &accountID, &accRef, &kind, &deleted)
	if errors.Is(err, sql.ErrNoRows) || err == nil && (tenant != tenantID || deleted.Valid) {
		return Principal{}, fault.ErrUnauthorized
	}
	if err != nil {
		return Principal{}, fmt.Errorf("authenticate token: %w", err)
	}
	if accountID == 0 {
		return Principal{TenantID: tenant, Ref: tokenRef, Kind: "token", Roles: []Role{Role(role)}}, nil
	}
	roles, err := s.roles(ctx, accountID)
	if err != nil {
		return Principal{}, fmt.Errorf("authenticate token: %w", err)
	}
	p = Principal{TenantID: tenant, AccountID: accountID, Ref: accRef, Kind: kind, Roles: roles, Via: tokenRef}
	return p, nil
}

// AccountByEmail finds a live account of the tenant by its address, for
// the operator (the system) and admins, e.g. `rathaus token create
// --account EMAIL`.
func (s *Service) AccountByEmail(ctx context.Context, p Principal, tenantID int64, email string) (*Account, error) {
	if err := p.Require(tenantID, RoleAdmin); err != nil {
		return nil, err
	}
	var a Account
	var id int64
	err := s.DB.R.QueryRowContext(ctx, `SELECT id, ref, kind, email, name FROM accounts WHERE tenant_id = $1 AND email = $2 AND deleted_at IS NULL`,
		tenantID, strings.ToLower(strings.TrimSpace(email))).Scan(&id, &a.Ref, &a.Kind, &a.Email, &a.Name)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("account %q: %w", email, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("account %q: %w", email, err)
	}
	if a.Roles, err = s.roles(ctx, id); err != nil {
		return nil, err
	}
	return &a, nil
}
