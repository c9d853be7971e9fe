package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/ref"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// Service holds the identity use cases.
type Service struct {
	DB *database.DB

	// hostCache keeps TenantByHost's answers for a second: every request
	// resolves its tenant, and three queries per request were the largest
	// cost of a busy API (the appointments release rush). Changes made
	// through this Service clear it; another process's changes show
	// within a second.
	hostCache sync.Map // host → hostEntry
}

type hostEntry struct {
	t       Tenant
	expires time.Time
}

// hostCacheTTL bounds how stale a cached tenant may be.
const hostCacheTTL = time.Second

func (s *Service) forgetHosts() { s.hostCache.Clear() }

// ErrNotFound is returned for unknown tenants, accounts and tokens.
var ErrNotFound = fmt.Errorf("identity: %w", web.ErrNotFound)

// CreateTenant adds a tenant with its hosts. Only the CLI (system) does this.
func (s *Service) CreateTenant(ctx context.Context, t Tenant) (*Tenant, error) {
	if !slugRe.MatchString(t.Slug) {
		return nil, web.Invalid("slug", "Kleinbuchstaben, Ziffern und Bindestriche, 2 bis 63 Zeichen.")
	}
	if strings.TrimSpace(t.Name) == "" {
		return nil, web.Invalid("name", "Bitte einen Namen angeben.")
	}
	if f := t.Settings.Validate(); f != nil {
		return nil, &web.ValidationError{Fields: f}
	}
	settings, _ := json.Marshal(t.Settings)
	err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		if t.IsDefault {
			if _, err := tx.ExecContext(ctx, `UPDATE tenants SET is_default = FALSE WHERE is_default`); err != nil {
				return err
			}
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO tenants (slug, name, is_default, settings, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`,
			t.Slug, t.Name, t.IsDefault, string(settings), tx.Now()).Scan(&t.ID)
		if database.IsUniqueViolation(err) {
			return fmt.Errorf("create tenant %s: %w", t.Slug, web.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("create tenant %s: %w", t.Slug, err)
		}
		for _, h := range t.Hosts {
			h = strings.ToLower(h)
			if !hostRe.MatchString(h) {
				return web.Invalid("hosts", "Ungültiger Hostname: "+h)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO tenant_hosts (host, tenant_id) VALUES ($1, $2)`, h, t.ID); err != nil {
				return fmt.Errorf("create tenant %s: host %s: %w", t.Slug, h, err)
			}
		}
		return audit.Append(tx, audit.Event{TenantID: t.ID, Actor: "system", Action: "tenant.create", ObjectType: "tenant", ObjectRef: t.Slug, After: t})
	})
	s.forgetHosts()
	if err != nil {
		return nil, err
	}
	return &t, nil
}

const tenantCols = `id, slug, name, is_default, settings`

func scanTenant(row interface{ Scan(...any) error }) (*Tenant, error) {
	var t Tenant
	var settings string
	if err := row.Scan(&t.ID, &t.Slug, &t.Name, &t.IsDefault, &settings); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	if err := json.Unmarshal([]byte(settings), &t.Settings); err != nil {
		return nil, fmt.Errorf("tenant %s: settings: %w", t.Slug, err)
	}
	return &t, nil
}

func (s *Service) hosts(ctx context.Context, t *Tenant) error {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT host FROM tenant_hosts WHERE tenant_id = $1 ORDER BY host`, t.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	t.Hosts = []string{}
	for rows.Next() {
		var h string
		rows.Scan(&h)
		t.Hosts = append(t.Hosts, h)
	}
	return rows.Err()
}

// TenantBySlug finds a tenant.
func (s *Service) TenantBySlug(ctx context.Context, slug string) (*Tenant, error) {
	t, err := scanTenant(s.DB.R.QueryRowContext(ctx, `SELECT `+tenantCols+` FROM tenants WHERE slug = $1`, slug))
	if err != nil {
		return nil, fmt.Errorf("tenant %q: %w", slug, err)
	}
	return t, s.hosts(ctx, t)
}

// TenantByID finds a tenant.
func (s *Service) TenantByID(ctx context.Context, id int64) (*Tenant, error) {
	t, err := scanTenant(s.DB.R.QueryRowContext(ctx, `SELECT `+tenantCols+` FROM tenants WHERE id = $1`, id))
	if err != nil {
		return nil, fmt.Errorf("tenant %d: %w", id, err)
	}
	return t, s.hosts(ctx, t)
}

// TenantByHost matches a request's host name (port ignored) to a tenant:
// a configured host first, else the default tenant.
func (s *Service) TenantByHost(ctx context.Context, host string) (*Tenant, error) {
	h := strings.ToLower(host)
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.HasSuffix(h, "]") {
		h = h[:i]
	}
	if e, ok := s.hostCache.Load(h); ok && time.Now().Before(e.(hostEntry).expires) {
		t := e.(hostEntry).t // a copy: callers may change theirs
		return &t, nil
	}
	t, err := s.tenantByHost(ctx, h)
	if err != nil {
		return nil, err
	}
	s.hostCache.Store(h, hostEntry{t: *t, expires: time.Now().Add(hostCacheTTL)})
	return t, nil
}

func (s *Service) tenantByHost(ctx context.Context, h string) (*Tenant, error) {
	host := h
	t, err := scanTenant(s.DB.R.QueryRowContext(ctx, `SELECT t.id, t.slug, t.name, t.is_default, t.settings FROM tenants t JOIN tenant_hosts h ON h.tenant_id = t.id WHERE h.host = $1`, h))
	if errors.Is(err, ErrNotFound) {
		t, err = scanTenant(s.DB.R.QueryRowContext(ctx, `SELECT `+tenantCols+` FROM tenants WHERE is_default`))
	}
	if err != nil {
		return nil, fmt.Errorf("tenant for host %q: %w", host, err)
	}
	return t, s.hosts(ctx, t)
}

// ResolveTenant picks the tenant for a CLI command: the slug if given, else
// the only tenant, else the default one.
func (s *Service) ResolveTenant(ctx context.Context, slug string) (*Tenant, error) {
	if slug != "" {
		return s.TenantBySlug(ctx, slug)
	}
	var n int
	s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM tenants`).Scan(&n)
	if n == 0 {
		return nil, fmt.Errorf("no tenant yet (run `rathaus demo` or create one): %w", web.ErrNotFound)
	}
	t, err := scanTenant(s.DB.R.QueryRowContext(ctx, `SELECT `+tenantCols+` FROM tenants ORDER BY is_default DESC, id LIMIT 1`))
	if err != nil {
		return nil, err
	}
	return t, s.hosts(ctx, t)
}

// UpdateSettings replaces a tenant's settings (admins only), audited with
// before and after.
func (s *Service) UpdateSettings(ctx context.Context, p Principal, tenantID int64, next Settings) (*Tenant, error) {
	if err := p.Require(tenantID, RoleAdmin); err != nil {
		return nil, err
	}
	if f := next.Validate(); f != nil {
		return nil, &web.ValidationError{Fields: f}
	}
	var out *Tenant
	err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		cur, err := scanTenant(tx.QueryRowContext(ctx, `SELECT `+tenantCols+` FROM tenants WHERE id = $1`+s.DB.ForUpdate(), tenantID))
		if err != nil {
			return err
		}
		b, _ := json.Marshal(next)
		if _, err := tx.ExecContext(ctx, `UPDATE tenants SET settings = $1, updated_at = $2 WHERE id = $3`, string(b), tx.Now(), tenantID); err != nil {
			return err
		}
		out = cur
		out.Settings = next
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "tenant.settings.update", ObjectType: "tenant", ObjectRef: cur.Slug, Before: cur.Settings, After: next})
	})
	s.forgetHosts()
	if err != nil {
		return nil, fmt.Errorf("update settings: %w", err)
	}
	return out, s.hosts(ctx, out)
}

// Token is an API token as listed (never with its secret).
type Token struct {
	Ref       string     `json:"id"`
	Name      string     `json:"name"`
	Role      Role       `json:"role"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at"`
}

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

// CreateToken makes an API token bound to the tenant and a role. The secret
// is returned once and stored only as its hash. With secret "" a random one
// is drawn (the demo passes its documented fixed secrets).
func (s *Service) CreateToken(ctx context.Context, p Principal, tenantID int64, role Role, name, secret string) (string, *Token, error) {
	if err := p.Require(tenantID, RoleAdmin); err != nil {
		return "", nil, err
	}
	if !ValidRole(role) {
		return "", nil, web.Invalid("role", fmt.Sprintf("Unbekannte Rolle %q.", role))
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return "", nil, web.Invalid("name", "Bitte einen Namen (bis 100 Zeichen) angeben.")
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
			return web.Invalid("name", "Ein Token mit diesem Namen gibt es schon.")
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

// Tokens lists a tenant's tokens (admins only).
func (s *Service) Tokens(ctx context.Context, p Principal, tenantID int64) ([]Token, error) {
	if err := p.Require(tenantID, RoleAdmin); err != nil {
		return nil, err
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT ref, name, role, created_at, revoked_at FROM api_tokens WHERE tenant_id = $1 ORDER BY name`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	out := []Token{}
	for rows.Next() {
		var t Token
		var revoked sql.NullTime
		if err := rows.Scan(&t.Ref, &t.Name, &t.Role, &t.CreatedAt, &revoked); err != nil {
			return nil, err
		}
		if revoked.Valid {
			t.RevokedAt = &revoked.Time
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken revokes a token of the tenant by its reference or name.
func (s *Service) RevokeToken(ctx context.Context, p Principal, tenantID int64, refOrName string) error {
	if err := p.See(tenantID, RoleAdmin); err != nil {
		return err
	}
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE tenant_id = $2 AND (ref = $3 OR name = $3) AND revoked_at IS NULL`, tx.Now(), tenantID, refOrName)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("revoke token %q: %w", refOrName, ErrNotFound)
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "token.revoke", ObjectType: "api_token", ObjectRef: refOrName})
	})
}

// Authenticate resolves a bearer token of the given tenant. Unknown, revoked
// and other tenants' tokens all give the same ErrUnauthorized.
func (s *Service) Authenticate(ctx context.Context, tenantID int64, secret string) (Principal, error) {
	if !strings.HasPrefix(secret, tokenPrefix) || len(secret) > 200 {
		return Principal{}, web.ErrUnauthorized
	}
	var p Principal
	var role string
	var tenant int64
	err := s.DB.R.QueryRowContext(ctx, `SELECT tenant_id, ref, role FROM api_tokens WHERE secret_hash = $1 AND revoked_at IS NULL`, hashSecret(secret)).Scan(&tenant, &p.Ref, &role)
	if err != nil || tenant != tenantID {
		return Principal{}, web.ErrUnauthorized
	}
	p.TenantID, p.Kind, p.Roles = tenant, "token", []Role{Role(role)}
	return p, nil
}

// Account is a staff, citizen or business login.
type Account struct {
	Ref   string `json:"id"`
	Kind  string `json:"kind"`
	Email string `json:"email"`
	Name  string `json:"name"`
	Roles []Role `json:"roles"`
}

// argon2id parameters (RFC 9106 second recommendation, lighter memory).
const (
	argonTime    = 2
	argonMemory  = 64 * 1024
	argonThreads = 2
	argonKeyLen  = 32
)

// HashPassword returns an argon2id hash in the PHC string format.
func HashPassword(pw string) string {
	var salt [16]byte
	rand.Read(salt[:])
	key := argon2.IDKey([]byte(pw), salt[:], argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", argonMemory, argonTime, argonThreads, enc.EncodeToString(salt[:]), enc.EncodeToString(key))
}

// CheckPassword compares pw with a hash made by HashPassword in constant time.
func CheckPassword(hash, pw string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var th uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &th); err != nil {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	key, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, th, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1
}

// CreateStaff adds a staff account with roles (admins, or the system).
func (s *Service) CreateStaff(ctx context.Context, p Principal, tenantID int64, email, name, password string, roles []Role) (*Account, error) {
	if err := p.Require(tenantID, RoleAdmin); err != nil {
		return nil, err
	}
	if len(password) < 12 {
		return nil, web.Invalid("password", "Das Passwort muss mindestens 12 Zeichen haben.")
	}
	for _, r := range roles {
		if !ValidRole(r) {
			return nil, web.Invalid("roles", fmt.Sprintf("Unbekannte Rolle %q.", r))
		}
	}
	a := &Account{Ref: ref.New("U"), Kind: "staff", Email: strings.ToLower(strings.TrimSpace(email)), Name: name, Roles: roles}
	hash := HashPassword(password)
	err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO accounts (tenant_id, ref, kind, email, name, password_hash, created_at) VALUES ($1, $2, 'staff', $3, $4, $5, $6) RETURNING id`,
			tenantID, a.Ref, a.Email, a.Name, hash, tx.Now()).Scan(&id)
		if database.IsUniqueViolation(err) {
			return web.Invalid("email", "Diese E-Mail-Adresse ist schon vergeben.")
		}
		if err != nil {
			return err
		}
		for _, r := range roles {
			if _, err := tx.ExecContext(ctx, `INSERT INTO account_roles (account_id, role) VALUES ($1, $2)`, id, string(r)); err != nil {
				return err
			}
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "account.create", ObjectType: "account", ObjectRef: a.Ref, After: map[string]any{"kind": "staff", "roles": roles}})
	})
	if err != nil {
		return nil, fmt.Errorf("create staff: %w", err)
	}
	return a, nil
}

// AccountExists reports whether the tenant has an account with that email.
func (s *Service) AccountExists(ctx context.Context, tenantID int64, email string) (bool, error) {
	var n int
	err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts WHERE tenant_id = $1 AND email = $2`, tenantID, strings.ToLower(email)).Scan(&n)
	return n > 0, err
}
