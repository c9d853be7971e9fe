package identity

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/leitweg"
	"github.com/rathaus/rathaus/internal/platform/ratelimit"
	"github.com/rathaus/rathaus/internal/platform/ref"
)

// Service holds the identity use cases.
type Service struct {
	DB *database.DB
	// Limiter counts mail and anonymous input (registration, resets,
	// confirmations) and switches login delays off with RATHAUS_RATE_LIMITS=off;
	// nil: login delays on, mail limits off (package tests).
	Limiter *ratelimit.Limiter

	// hostCache keeps TenantByHost's answers for a second: every request
	// resolves its tenant, and three queries per request were the largest
	// cost of a busy API (the appointments release rush). Changes made
	// through this Service clear it; another process's changes show
	// within a second.
	hostCache sync.Map // host → hostEntry
}

type hostEntry struct {
	t       *Tenant // nil: no tenant answers on the host
	expires time.Time
}

// hostCacheTTL bounds how stale a cached tenant may be.
const hostCacheTTL = time.Second

func (s *Service) forgetHosts() { s.hostCache.Clear() }

// ErrNotFound is returned for unknown tenants, accounts and tokens.
var ErrNotFound = fmt.Errorf("identity: %w", fault.ErrNotFound)

// CreateTenant adds a tenant with its hosts. Only the CLI (system) does this.
func (s *Service) CreateTenant(ctx context.Context, t Tenant) (*Tenant, error) {
	v := &fault.Validation{}
	if !slugRe.MatchString(t.Slug) {
		v.Add("slug", "invalid_slug")
	}
	switch n := strings.TrimSpace(t.Name); {
	case n == "":
		v.Add("name", "required")
	case len(n) > 200:
		v.Add("name", "too_long", "max", 200)
	}
	for i, h := range t.Hosts {
		if !ValidHost(h) {
			v.Add(fmt.Sprintf("hosts.%d", i), "invalid_host")
		}
	}
	if t.PublicURL != "" && !ValidPublicURL(t.PublicURL) {
		v.Add("public_url", "invalid_url")
	}
	v.Merge("settings.", t.Settings.Validate())
	if err := v.Err(); err != nil {
		return nil, err
	}
	if t.Settings.LeitwegID != "" {
		t.Settings.LeitwegID = normalLeitwegID(t.Settings.LeitwegID)
	}
	settings, err := json.Marshal(t.Settings)
	if err != nil {
		return nil, fmt.Errorf("create tenant %s: %w", t.Slug, err)
	}
	err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		if taken, err := coarseTaken(ctx, tx, t.Settings.LeitwegID, 0); err != nil {
			return err
		} else if taken {
			return fault.Invalid("settings.leitweg_id", "leitweg_coarse_taken")
		}
		if t.IsDefault {
			if _, err := tx.ExecContext(ctx, `UPDATE tenants SET is_default = FALSE WHERE is_default`); err != nil {
				return err
			}
		}
		t.PublicURL = strings.TrimSuffix(t.PublicURL, "/")
		err := tx.QueryRowContext(ctx, `INSERT INTO tenants (slug, name, is_default, is_demo, public_url, settings, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`,
			t.Slug, t.Name, t.IsDefault, t.IsDemo, t.PublicURL, string(settings), tx.Now()).Scan(&t.ID)
		if database.IsUniqueViolation(err) {
			return fmt.Errorf("create tenant %s: %w", t.Slug, fault.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("create tenant %s: %w", t.Slug, err)
		}
		for i, h := range t.Hosts {
			h = NormalizeHost(h)
			t.Hosts[i] = h
			_, err := tx.ExecContext(ctx, `INSERT INTO tenant_hosts (host, tenant_id) VALUES ($1, $2)`, h, t.ID)
			if database.IsUniqueViolation(err) {
				return fault.Invalid("hosts", "duplicate")
			}
			if err != nil {
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

const tenantCols = `id, slug, name, is_default, is_demo, public_url, settings`

func scanTenant(row interface{ Scan(...any) error }) (*Tenant, error) {
	var t Tenant
	var settings string
	if err := row.Scan(&t.ID, &t.Slug, &t.Name, &t.IsDefault, &t.IsDemo, &t.PublicURL, &settings); err != nil {
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
		if err := rows.Scan(&h); err != nil {
			return err
		}
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

// TenantByHost matches a request's host name (port ignored) to the tenant
// configured for it. An unknown host is not found: no tenant answers on
// every name (the demo's loopback names are the composition root's
// Handler.DemoHosts).
func (s *Service) TenantByHost(ctx context.Context, host string) (*Tenant, error) {
	h := NormalizeHost(host)
	if e, ok := s.hostCache.Load(h); ok && time.Now().Before(e.(hostEntry).expires) {
		if e.(hostEntry).t == nil {
			return nil, fmt.Errorf("tenant for host %q: %w", host, ErrNotFound)
		}
		t := *e.(hostEntry).t // a copy: callers may change theirs
		return &t, nil
	}
	t, err := s.tenantByHost(ctx, h)
	if err == nil || errors.Is(err, fault.ErrNotFound) {
		s.hostCache.Store(h, hostEntry{t: copyTenant(t), expires: time.Now().Add(hostCacheTTL)})
	}
	if err != nil {
		return nil, fmt.Errorf("tenant for host %q: %w", host, err)
	}
	return t, nil
}

func copyTenant(t *Tenant) *Tenant {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}

func (s *Service) tenantByHost(ctx context.Context, h string) (*Tenant, error) {
	t, err := scanTenant(s.DB.R.QueryRowContext(ctx, `SELECT t.id, t.slug, t.name, t.is_default, t.is_demo, t.public_url, t.settings FROM tenants t JOIN tenant_hosts h ON h.tenant_id = t.id WHERE h.host = $1`, h))
	if err != nil {
		return nil, err
	}
	return t, s.hosts(ctx, t)
}

// demoKey caches DemoTenant among the hosts (no host name is empty).
const demoKey = ""

// DemoTenant is the installation's demo city, if it has one (cached for
// a second like TenantByHost: the demo's loopback names ask on every
// request).
func (s *Service) DemoTenant(ctx context.Context) (*Tenant, error) {
	if e, ok := s.hostCache.Load(demoKey); ok && time.Now().Before(e.(hostEntry).expires) && e.(hostEntry).t != nil {
		t := *e.(hostEntry).t
		return &t, nil
	}
	t, err := scanTenant(s.DB.R.QueryRowContext(ctx, `SELECT `+tenantCols+` FROM tenants WHERE is_demo ORDER BY id LIMIT 1`))
	if err != nil {
		return nil, fmt.Errorf("demo tenant: %w", err)
	}
	if err := s.hosts(ctx, t); err != nil {
		return nil, err
	}
	s.hostCache.Store(demoKey, hostEntry{t: copyTenant(t), expires: time.Now().Add(hostCacheTTL)})
	return t, nil
}

// Tenants lists every tenant of the installation (the operator's CLI).
func (s *Service) Tenants(ctx context.Context) ([]Tenant, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT `+tenantCols+` FROM tenants ORDER BY slug`)
	if err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	var out []Tenant
	for rows.Next() {
		t, err := scanTenant(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("list tenants: %w", err)
		}
		out = append(out, *t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	for i := range out {
		if err := s.hosts(ctx, &out[i]); err != nil {
			return nil, fmt.Errorf("list tenants: %w", err)
		}
	}
	return out, nil
}

// ErrTenantAmbiguous: several tenants and none chosen.
var ErrTenantAmbiguous = errors.New("several municipalities: choose one with --tenant SLUG")

// ResolveTenant picks the tenant for a CLI command: the slug if given, else
// the only tenant, else the default one; with several and no default it
// refuses (ErrTenantAmbiguous) rather than guess.
func (s *Service) ResolveTenant(ctx context.Context, slug string) (*Tenant, error) {
	if slug != "" {
		return s.TenantBySlug(ctx, slug)
	}
	var n int
	if err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM tenants`).Scan(&n); err != nil {
		return nil, fmt.Errorf("resolve tenant: %w", err)
	}
	if n == 0 {
		return nil, fmt.Errorf("no municipality yet (create one with `rathaus tenant create`, or try `rathaus demo`): %w", fault.ErrNotFound)
	}
	q := `SELECT ` + tenantCols + ` FROM tenants`
	if n > 1 {
		q += ` WHERE is_default`
	}
	t, err := scanTenant(s.DB.R.QueryRowContext(ctx, q+` ORDER BY id LIMIT 1`))
	if errors.Is(err, ErrNotFound) {
		return nil, ErrTenantAmbiguous
	}
	if err != nil {
		return nil, err
	}
	return t, s.hosts(ctx, t)
}

// Settings returns all settings of the tenant (admins only).
func (s *Service) Settings(ctx context.Context, p Principal, tenantID int64) (Settings, error) {
	if err := p.Require(tenantID, RoleAdmin); err != nil {
		return Settings{}, err
	}
	t, err := s.TenantByID(ctx, tenantID)
	if err != nil {
		return Settings{}, err
	}
	if t.Settings.OIDC == nil {
		t.Settings.OIDC = []OIDCProvider{}
	}
	return t.Settings, nil
}

// UpdateSettings replaces a tenant's settings (admins only), audited with
// before and after. The tenant's own Leitweg-ID is not among them: it names
// the public body (its Grobadressierung bounds the e-invoice routes the
// tenant may set), so the operator sets it (SetLeitwegID, `rathaus tenant
// set`). next.LeitwegID empty or equal to the current one keeps it; any
// other value is refused (leitweg_id: set_by_operator).
func (s *Service) UpdateSettings(ctx context.Context, p Principal, tenantID int64, next Settings) (*Tenant, error) {
	if err := p.Require(tenantID, RoleAdmin); err != nil {
		return nil, err
	}
	asked := next.LeitwegID
	next.LeitwegID = ""
	if err := next.Validate().Err(); err != nil {
		return nil, err
	}
	var out *Tenant
	err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		cur, err := scanTenant(tx.QueryRowContext(ctx, `SELECT `+tenantCols+` FROM tenants WHERE id = $1`+s.DB.ForUpdate(), tenantID))
		if err != nil {
			return err
		}
		if asked != "" && normalLeitwegID(asked) != cur.Settings.LeitwegID {
			return fault.Invalid("leitweg_id", "set_by_operator")
		}
		next.LeitwegID = cur.Settings.LeitwegID
		b, err := json.Marshal(next)
		if err != nil {
			return err
		}
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

// SetLeitwegID sets (or with "" clears) the tenant's own Leitweg-ID. Only
// the operator does this (the system principal of `rathaus tenant set`),
// never a tenant's admin: the Grobadressierung of this ID is what the
// tenant may route e-invoices under, so one Grobadressierung belongs to at
// most one tenant of the installation (leitweg_coarse_taken otherwise).
// Audited with before and after.
func (s *Service) SetLeitwegID(ctx context.Context, p Principal, tenantID int64, id string) (*Tenant, error) {
	if err := p.Require(tenantID); err != nil {
		return nil, err
	}
	if p.Kind != "system" {
		return nil, fmt.Errorf("set Leitweg-ID: only the operator: %w", fault.ErrForbidden)
	}
	if id = strings.TrimSpace(id); id != "" {
		if !ValidLeitwegID(id) {
			return nil, fault.Invalid("leitweg_id", "invalid_leitweg_id")
		}
		id = normalLeitwegID(id)
	}
	var out *Tenant
	err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		cur, err := scanTenant(tx.QueryRowContext(ctx, `SELECT `+tenantCols+` FROM tenants WHERE id = $1`+s.DB.ForUpdate(), tenantID))
		if err != nil {
			return err
		}
		out = cur
		if cur.Settings.LeitwegID == id {
			return nil
		}
		if taken, err := coarseTaken(ctx, tx, id, tenantID); err != nil {
			return err
		} else if taken {
			return fault.Invalid("leitweg_id", "leitweg_coarse_taken")
		}
		next := cur.Settings
		next.LeitwegID = id
		b, err := json.Marshal(next)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tenants SET settings = $1, updated_at = $2 WHERE id = $3`, string(b), tx.Now(), tenantID); err != nil {
			return err
		}
		out.Settings = next
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "tenant.leitweg_id.set", ObjectType: "tenant", ObjectRef: cur.Slug,
			Before: map[string]string{"leitweg_id": cur.Settings.LeitwegID}, After: map[string]string{"leitweg_id": id}})
	})
	s.forgetHosts()
	if err != nil {
		return nil, fmt.Errorf("set Leitweg-ID: %w", err)
	}
	return out, s.hosts(ctx, out)
}

// normalLeitwegID is the stored form of a valid Leitweg-ID (capitals).
func normalLeitwegID(id string) string {
	lid, err := leitweg.Parse(id)
	if err != nil {
		return strings.TrimSpace(id)
	}
	return lid.String()
}

// coarseTaken reports whether a tenant other than except holds a
// Leitweg-ID with the Grobadressierung of id ("" is never taken). The
// settings are a JSON document, so the tenants are read here: an
// installation has few, and only the operator's commands ask.
func coarseTaken(ctx context.Context, tx *database.Tx, id string, except int64) (bool, error) {
	lid, err := leitweg.Parse(id)
	if id == "" || err != nil {
		return false, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, settings FROM tenants WHERE id <> $1`, except)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	for rows.Next() {
		var tid int64
		var raw string
		if err := rows.Scan(&tid, &raw); err != nil {
			return false, err
		}
		var st Settings
		if err := json.Unmarshal([]byte(raw), &st); err != nil {
			return false, fmt.Errorf("tenant %d: settings: %w", tid, err)
		}
		if other, err := leitweg.Parse(st.LeitwegID); err == nil && other.Coarse == lid.Coarse {
			return true, nil
		}
	}
	return false, rows.Err()
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
	v := &fault.Validation{}
	switch n := strings.TrimSpace(name); {
	case n == "":
		v.Add("name", "required")
	case len(n) > 200:
		v.Add("name", "too_long", "max", 200)
	}
	if a, err := mail.ParseAddress(email); err != nil || a.Address != strings.TrimSpace(email) || len(email) > 254 {
		v.Add("email", "invalid_email")
	}
	checkPassword(v, "password", password)
	for _, r := range roles {
		if !ValidRole(r) {
			v.Add("roles", "invalid_choice")
			break
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	a := &Account{Ref: ref.New("U"), Kind: "staff", Email: strings.ToLower(strings.TrimSpace(email)), Name: name, Roles: roles}
	hash := HashPassword(password)
	err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO accounts (tenant_id, ref, kind, email, name, password_hash, created_at) VALUES ($1, $2, 'staff', $3, $4, $5, $6) RETURNING id`,
			tenantID, a.Ref, a.Email, a.Name, hash, tx.Now()).Scan(&id)
		if database.IsUniqueViolation(err) {
			return fault.Invalid("email", "duplicate")
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

// CreateCitizen adds a confirmed citizen or business account with a
// password, for the system only (demo seeding, imports by the operator);
// people register themselves through Register and the confirmation mail.
func (s *Service) CreateCitizen(ctx context.Context, p Principal, tenantID int64, kind, email, name, password string) (*Account, error) {
	if err := p.Require(tenantID, RoleAdmin); err != nil {
		return nil, err
	}
	if p.Kind != "system" {
		return nil, fmt.Errorf("create citizen account: %w", fault.ErrForbidden)
	}
	if err := (RegisterInput{Kind: kind, Email: email, Name: name, Password: password}).validate(); err != nil {
		return nil, err
	}
	a := &Account{Ref: ref.New("U"), Kind: kind, Email: strings.ToLower(strings.TrimSpace(email)), Name: strings.TrimSpace(name), Roles: []Role{}}
	hash := HashPassword(password)
	err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO accounts (tenant_id, ref, kind, email, name, password_hash, created_at, email_verified_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`,
			tenantID, a.Ref, kind, a.Email, a.Name, hash, tx.Now())
		if database.IsUniqueViolation(err) {
			return fault.Invalid("email", "duplicate")
		}
		if err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "account.create", ObjectType: "account", ObjectRef: a.Ref, After: map[string]any{"kind": kind}})
	})
	if err != nil {
		return nil, fmt.Errorf("create citizen account: %w", err)
	}
	return a, nil
}
