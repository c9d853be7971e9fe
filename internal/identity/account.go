package identity

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/jobs"
	rmail "github.com/rathaus/rathaus/internal/platform/mail"
	"github.com/rathaus/rathaus/internal/platform/ratelimit"
	"github.com/rathaus/rathaus/internal/platform/ref"
)

// Errors of the login use cases. Messages shown to users never say whether
// an account exists.
var (
	ErrBadCredentials = fmt.Errorf("e-mail address or password wrong: %w", fault.ErrUnauthorized)
	ErrNotVerified    = fmt.Errorf("e-mail address not confirmed yet: %w", fault.ErrUnauthorized)
	ErrTOTPRequired   = fmt.Errorf("one-time code required: %w", fault.ErrUnauthorized)
	ErrTokenInvalid   = fmt.Errorf("link invalid or expired: %w", fault.ErrNotFound)
)

// Profile is what a citizen or business lets the city reuse to prefill
// forms — only with their consent, which forms records per service and
// value (and shows on the account page, where it can be withdrawn).
type Profile struct {
	GivenName  string `json:"given_name,omitempty"`
	FamilyName string `json:"family_name,omitempty"`
	Company    string `json:"company,omitempty"`
	Street     string `json:"street,omitempty"`
	Postcode   string `json:"postcode,omitempty"`
	City       string `json:"city,omitempty"`
	Phone      string `json:"phone,omitempty"`
	BirthDate  string `json:"birth_date,omitempty"` // YYYY-MM-DD
}

// Token lifetimes.
const (
	VerifyTokenTTL = 48 * time.Hour
	ResetTokenTTL  = time.Hour
)

// dummyHash keeps the time of a login for an unknown address equal to one
// with a wrong password. Computed on first use: an argon2id hash costs
// 64 MiB and a good part of a second, which no CLI command should pay at
// start-up.
var dummyHash = sync.OnceValue(func() string { return HashPassword("no-such-account-dummy") })

var totpOpts = totp.ValidateOpts{Period: 30, Skew: 1, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// EnrollTOTP gives a staff member a TOTP secret (returned once, for the
// authenticator app) — from then on logins need the code.
func (s *Service) EnrollTOTP(ctx context.Context, sess *Session, issuer string) (secret, url string, err error) {
	if sess.Kind != "staff" {
		return "", "", fmt.Errorf("TOTP is for staff accounts: %w", fault.ErrForbidden)
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: sess.AccountRef})
	if err != nil {
		return "", "", err
	}
	err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET totp_secret = $1 WHERE id = $2 AND tenant_id = $3`, key.Secret(), sess.AccountID, sess.TenantID); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: sess.TenantID, Actor: sess.AccountRef, Action: "account.totp.enroll", ObjectType: "account", ObjectRef: sess.AccountRef})
	})
	return key.Secret(), key.URL(), err
}

// TOTPCode returns the current code for a secret (for tests and the demo).
func TOTPCode(secret string, at time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, at, totpOpts)
}

// RegisterInput is a new citizen or business account.
type RegisterInput struct {
	Kind     string // citizen or business
	Email    string
	Name     string
	Password string
	Addr     string // client address (rate limits)
}

// Rate limits on what sends mail or takes anonymous input, counted in the
// use case's transaction through the shared limiter (every instance counts
// against the same limit). Per client address they stop one sender from
// flooding; per recipient they stop many senders (a botnet) from burying
// one person's inbox. The recipient is counted whether or not an account
// exists, so the answer reveals nothing.
var (
	MailPerAddress   = ratelimit.Rule{Name: "identity.mail.address", Limit: 20, Window: time.Hour}
	MailPerRecipient = ratelimit.Rule{Name: "identity.mail.recipient", Limit: 5, Window: time.Hour}
	VerifyPerAddress = ratelimit.Rule{Name: "identity.verify.address", Limit: 30, Window: time.Hour}
)

// allowMail counts one mail to recipient asked for from addr.
func (s *Service) allowMail(tx *database.Tx, tenantID int64, addr, recipient string) error {
	t := fmt.Sprint(tenantID)
	if err := s.Limiter.AllowTx(tx, MailPerAddress, t, addr); err != nil {
		return err
	}
	return s.Limiter.AllowTx(tx, MailPerRecipient, t, strings.ToLower(strings.TrimSpace(recipient)))
}

func (in RegisterInput) validate() error {
	v := &fault.Validation{}
	if in.Kind != "citizen" && in.Kind != "business" {
		v.Add("kind", "invalid_choice")
	}
	switch n := strings.TrimSpace(in.Name); {
	case n == "":
		v.Add("name", "required")
	case len(n) > 200:
		v.Add("name", "too_long", "max", 200)
	}
	if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != strings.TrimSpace(in.Email) || len(in.Email) > 254 {
		v.Add("email", "invalid_email")
	}
	checkPassword(v, "password", in.Password)
	return v.Err()
}

// Password lengths: at least MinPassword characters (a sentence of words is
// easy to remember), at most MaxPassword bytes (argon2 over megabytes would
// be a way to burn our CPU).
const (
	MinPassword = 12
	MaxPassword = 200
)

// checkPassword records a password of the wrong length.
func checkPassword(v *fault.Validation, field, pw string) {
	switch {
	case utf8.RuneCountInString(pw) < MinPassword:
		v.Add(field, "too_short", "min", MinPassword)
	case len(pw) > MaxPassword:
		v.Add(field, "too_long", "max", MaxPassword)
	}
}

// Register creates an unverified citizen or business account and mails a
// confirmation link. If the address is taken, the owner gets a notice
// instead and the caller sees the same answer (no enumeration).
func (s *Service) Register(ctx context.Context, t *Tenant, in RegisterInput, baseURL string) error {
	if err := in.validate(); err != nil {
		return err
	}
	email := strings.ToLower(strings.TrimSpace(in.Email))
	hash := HashPassword(in.Password)
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		if err := s.allowMail(tx, t.ID, in.Addr, email); err != nil {
			return err
		}
		var exists int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts WHERE tenant_id = $1 AND email = $2`, t.ID, email).Scan(&exists); err != nil {
			return err
		}
		if exists > 0 {
			return enqueueMail(tx, t, email, "Registrierung bei "+t.Name,
				"Guten Tag,\n\njemand hat versucht, mit Ihrer E-Mail-Adresse ein neues Konto anzulegen. Sie haben bereits ein Konto. Falls Sie Ihr Passwort vergessen haben, können Sie es hier neu setzen:\n\n"+baseURL+"/konto/passwort-vergessen\n")
		}
		a := ref.New("U")
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO accounts (tenant_id, ref, kind, email, name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			t.ID, a, in.Kind, email, strings.TrimSpace(in.Name), hash, tx.Now()).Scan(&id); err != nil {
			return err
		}
		secret, err := issueToken(tx, id, "verify_email", VerifyTokenTTL)
		if err != nil {
			return err
		}
		if err := audit.Append(tx, audit.Event{TenantID: t.ID, Actor: a, Action: "account.register", ObjectType: "account", ObjectRef: a, After: map[string]string{"kind": in.Kind}}); err != nil {
			return err
		}
		return enqueueMail(tx, t, email, "Bitte bestätigen Sie Ihre E-Mail-Adresse",
			"Guten Tag,\n\nbitte bestätigen Sie Ihr Konto bei "+t.Name+" mit diesem Link (48 Stunden gültig):\n\n"+baseURL+"/konto/bestaetigen?token="+secret+"\n\nWenn Sie kein Konto angelegt haben, ignorieren Sie diese Nachricht.\n")
	})
}

func issueToken(tx *database.Tx, accountID int64, purpose string, ttl time.Duration) (string, error) {
	secret := newSecret()
	_, err := tx.ExecContext(tx.Context(), `INSERT INTO account_tokens (account_id, purpose, token_hash, expires_at) VALUES ($1, $2, $3, $4)`,
		accountID, purpose, hashSecret(secret), tx.Now().Add(ttl))
	return secret, err
}

// useToken consumes a one-time token of the tenant and returns its account.
func useToken(tx *database.Tx, tenantID int64, purpose, secret string) (int64, string, error) {
	var id, accountID int64
	var accRef string
	var expires time.Time
	var used sql.NullTime
	err := tx.QueryRowContext(tx.Context(), `SELECT t.id, t.account_id, a.ref, t.expires_at, t.used_at FROM account_tokens t JOIN accounts a ON a.id = t.account_id
		WHERE t.token_hash = $1 AND t.purpose = $2 AND a.tenant_id = $3 AND a.deleted_at IS NULL`+tx.DB.ForUpdate(), hashSecret(secret), purpose, tenantID).
		Scan(&id, &accountID, &accRef, &expires, &used)
	if errors.Is(err, sql.ErrNoRows) || err == nil && (used.Valid || tx.Now().After(expires)) {
		return 0, "", ErrTokenInvalid
	}
	if err != nil {
		return 0, "", err
	}
	_, err = tx.ExecContext(tx.Context(), `UPDATE account_tokens SET used_at = $1 WHERE id = $2`, tx.Now(), id)
	return accountID, accRef, err
}

func enqueueMail(tx *database.Tx, t *Tenant, to, subject, text string) error {
	from := t.Settings.MailFrom
	if from == "" {
		from = "rathaus@localhost"
	}
	key := ref.New("M")
	return jobs.Enqueue(tx, rmail.JobKind, rmail.Message{From: from, To: to, Subject: subject, Text: text, ID: strings.ToLower(key) + "@rathaus"},
		jobs.Options{Key: key, TenantID: t.ID})
}

// VerifyEmail confirms the address behind a verification link (addr: the
// client, counted against VerifyPerAddress).
func (s *Service) VerifyEmail(ctx context.Context, tenantID int64, secret, addr string) error {
	if err := s.Limiter.Allow(ctx, VerifyPerAddress, fmt.Sprint(tenantID), addr); err != nil {
		return err
	}
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		id, accRef, err := useToken(tx, tenantID, "verify_email", secret)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET email_verified_at = $1 WHERE id = $2`, tx.Now(), id); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: accRef, Action: "account.verify_email", ObjectType: "account", ObjectRef: accRef})
	})
}

// RequestPasswordReset mails a reset link if the address has an account.
// The answer is the same either way (the rate limits count the recipient
// whether or not it has an account). addr is the client's address.
func (s *Service) RequestPasswordReset(ctx context.Context, t *Tenant, email, baseURL, addr string) error {
	email = strings.ToLower(strings.TrimSpace(email))
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		if err := s.allowMail(tx, t.ID, addr, email); err != nil {
			return err
		}
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM accounts WHERE tenant_id = $1 AND email = $2 AND deleted_at IS NULL`, t.ID, email).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		secret, err := issueToken(tx, id, "reset_password", ResetTokenTTL)
		if err != nil {
			return err
		}
		return enqueueMail(tx, t, email, "Passwort neu setzen",
			"Guten Tag,\n\nmit diesem Link setzen Sie ein neues Passwort für Ihr Konto bei "+t.Name+" (eine Stunde gültig):\n\n"+baseURL+"/konto/passwort-neu?token="+secret+"\n\nWenn Sie das nicht angefordert haben, ignorieren Sie diese Nachricht; Ihr Passwort bleibt unverändert.\n")
	})
}

// ResetPassword sets a new password with a reset token and ends every
// session of the account.
func (s *Service) ResetPassword(ctx context.Context, tenantID int64, secret, password string) error {
	v := &fault.Validation{}
	checkPassword(v, "password", password)
	if err := v.Err(); err != nil {
		return err
	}
	hash := HashPassword(password)
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		id, accRef, err := useToken(tx, tenantID, "reset_password", secret)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET password_hash = $1, email_verified_at = COALESCE(email_verified_at, $2) WHERE id = $3`, hash, tx.Now(), id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE account_id = $1`, id); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: accRef, Action: "account.password_reset", ObjectType: "account", ObjectRef: accRef})
	})
}

var phoneRe = regexp.MustCompile(`^[0-9 +()/-]{3,40}$`)

// Validate checks a profile: names and address lines up to 200
// characters, a five-digit postcode, a phone number of digits and + ( ) / -,
// a birth date YYYY-MM-DD from 1900 up to now. Empty fields are fine.
func (p Profile) Validate(now time.Time) *fault.Validation {
	v := &fault.Validation{}
	for _, k := range []struct{ field, v string }{{"company", p.Company}, {"given_name", p.GivenName}, {"family_name", p.FamilyName}, {"street", p.Street}, {"city", p.City}} {
		if utf8.RuneCountInString(k.v) > 200 {
			v.Add(k.field, "too_long", "max", 200)
		}
	}
	if p.Postcode != "" && !postcodeRe.MatchString(p.Postcode) {
		v.Add("postcode", "invalid_postcode")
	}
	if p.Phone != "" && !phoneRe.MatchString(p.Phone) {
		v.Add("phone", "invalid_phone")
	}
	if p.BirthDate != "" {
		d, err := time.Parse("2006-01-02", p.BirthDate)
		switch {
		case err != nil || d.Year() < 1900:
			v.Add("birth_date", "invalid_date")
		case d.After(now):
			v.Add("birth_date", "date_in_future")
		}
	}
	if len(v.Errors) == 0 {
		return nil
	}
	return v
}

// UpdateProfile stores the account's own profile after checking it.
func (s *Service) UpdateProfile(ctx context.Context, sess *Session, p Profile) error {
	if v := p.Validate(s.DB.Clock.Now()); v != nil {
		return v
	}
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET profile = $1 WHERE id = $2 AND tenant_id = $3`, string(b), sess.AccountID, sess.TenantID); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: sess.TenantID, Actor: sess.AccountRef, Action: "account.profile.update", ObjectType: "account", ObjectRef: sess.AccountRef})
	})
}

// AccountData is everything the city stores about an account in identity
// (GDPR Art. 15 / 20 export). Other domains add their parts.
type AccountData struct {
	Account   Account       `json:"account"`
	Profile   Profile       `json:"profile"`
	CreatedAt time.Time     `json:"created_at"`
	Verified  *time.Time    `json:"email_verified_at"`
	Sessions  []SessionRow  `json:"sessions"`
	EIDs      []string      `json:"eid_providers"`
	Audit     []audit.Entry `json:"audit_entries"`
}

// SessionRow is a session as exported.
type SessionRow struct {
	CreatedAt  time.Time  `json:"created_at"`
	LastSeenAt time.Time  `json:"last_seen_at"`
	Trust      TrustLevel `json:"trust_level"`
	Provider   string     `json:"provider"`
}

// Export returns all identity data of the session's own account.
func (s *Service) Export(ctx context.Context, sess *Session) (*AccountData, error) {
	d := &AccountData{Sessions: []SessionRow{}, EIDs: []string{}, Audit: []audit.Entry{}}
	var profile string
	var verified sql.NullTime
	err := s.DB.R.QueryRowContext(ctx, `SELECT ref, kind, email, name, profile, created_at, email_verified_at FROM accounts WHERE id = $1 AND tenant_id = $2`, sess.AccountID, sess.TenantID).
		Scan(&d.Account.Ref, &d.Account.Kind, &d.Account.Email, &d.Account.Name, &profile, &d.CreatedAt, &verified)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	if err := json.Unmarshal([]byte(profile), &d.Profile); err != nil {
		return nil, fmt.Errorf("export: profile: %w", err)
	}
	if verified.Valid {
		d.Verified = &verified.Time
	}
	d.Account.Roles = sess.Roles
	rows, err := s.DB.R.QueryContext(ctx, `SELECT created_at, last_seen_at, trust_level, provider FROM sessions WHERE account_id = $1 ORDER BY created_at`, sess.AccountID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var r SessionRow
		if err := rows.Scan(&r.CreatedAt, &r.LastSeenAt, &r.Trust, &r.Provider); err != nil {
			rows.Close()
			return nil, fmt.Errorf("export: sessions: %w", err)
		}
		d.Sessions = append(d.Sessions, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("export: sessions: %w", err)
	}
	rows, err = s.DB.R.QueryContext(ctx, `SELECT provider FROM external_identities WHERE account_id = $1 ORDER BY provider`, sess.AccountID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			rows.Close()
			return nil, fmt.Errorf("export: eID links: %w", err)
		}
		d.EIDs = append(d.EIDs, p)
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return nil, fmt.Errorf("export: eID links: %w", err)
	}
	rows.Close()
	entries, err := audit.ByActorOrObject(ctx, s.DB, sess.TenantID, sess.AccountRef, 1000)
	if err != nil {
		return nil, err
	}
	d.Audit = entries
	return d, nil
}

// DeleteAccount erases the session's own account: personal data is removed,
// sessions, tokens and eID links are deleted; the account row stays as an
// anonymous stub because audit entries (kept for their legal retention
// period) refer to its reference.
func (s *Service) DeleteAccount(ctx context.Context, sess *Session) error {
	if sess.Kind == "staff" {
		return fmt.Errorf("staff accounts are removed by an admin: %w", fault.ErrForbidden)
	}
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET email = $1, name = '', password_hash = '', totp_secret = '', profile = '{}', deleted_at = $2 WHERE id = $3 AND tenant_id = $4`,
			"deleted-"+strings.ToLower(sess.AccountRef), tx.Now(), sess.AccountID, sess.TenantID); err != nil {
			return err
		}
		for _, q := range []string{`DELETE FROM sessions WHERE account_id = $1`, `DELETE FROM account_tokens WHERE account_id = $1`, `DELETE FROM external_identities WHERE account_id = $1`} {
			if _, err := tx.ExecContext(ctx, q, sess.AccountID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL`, tx.Now(), sess.AccountID); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: sess.TenantID, Actor: sess.AccountRef, Action: "account.delete", ObjectType: "account", ObjectRef: sess.AccountRef,
			After: map[string]string{"kept": "anonymous account stub and audit entries (legal retention)"}})
	})
}

// AccountForStaff returns an account's data to staff of the same tenant and
// records the read in the audit trail (reading personal data is logged).
func (s *Service) AccountForStaff(ctx context.Context, p Principal, tenantID int64, accountRef string) (*Account, *Profile, error) {
	if err := p.See(tenantID, RoleAdmin, RoleCaseWorker, RoleUnitHead); err != nil {
		return nil, nil, err
	}
	var a Account
	var profile string
	var id int64
	err := s.DB.R.QueryRowContext(ctx, `SELECT id, ref, kind, email, name, profile FROM accounts WHERE ref = $1 AND tenant_id = $2 AND deleted_at IS NULL`, accountRef, tenantID).
		Scan(&id, &a.Ref, &a.Kind, &a.Email, &a.Name, &profile)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, fmt.Errorf("account %s: %w", accountRef, ErrNotFound)
	}
	if err != nil {
		return nil, nil, err
	}
	var pr Profile
	if err := json.Unmarshal([]byte(profile), &pr); err != nil {
		return nil, nil, fmt.Errorf("account %s: profile: %w", accountRef, err)
	}
	if a.Roles, err = s.roles(ctx, id); err != nil {
		return nil, nil, err
	}
	err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "account.read", ObjectType: "account", ObjectRef: a.Ref})
	})
	return &a, &pr, err
}

// ContactEmail returns the e-mail address of the person acting (for
// notifications of other modules, such as an appointment's confirmation);
// "" when the account has none (an eID account's placeholder).
func (s *Service) ContactEmail(ctx context.Context, p Principal) (string, error) {
	if !p.IsPerson() {
		return "", fmt.Errorf("contact e-mail: %w", fault.ErrForbidden)
	}
	var email string
	err := s.DB.R.QueryRowContext(ctx, `SELECT email FROM accounts WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL`, p.AccountID, p.TenantID).Scan(&email)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("contact e-mail: %w", fault.ErrNotFound)
	}
	if err != nil {
		return "", err
	}
	if strings.HasSuffix(email, ".invalid") {
		return "", nil
	}
	return email, nil
}
