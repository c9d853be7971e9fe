-- +goose Up
-- Identity: browser sessions, login throttling shared by all processes,
-- one-time account tokens (e-mail verification, password reset), units and
-- unit membership of staff, OIDC login state and linked eID identities,
-- and account fields for verification, TOTP, profile and deletion.

ALTER TABLE accounts ADD COLUMN email_verified_at DATETIME;
ALTER TABLE accounts ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN profile TEXT NOT NULL DEFAULT '{}'; -- JSON, identity.Profile (prefills forms)
ALTER TABLE accounts ADD COLUMN deleted_at DATETIME;

CREATE TABLE sessions (
    id            INTEGER PRIMARY KEY,
    token_hash    TEXT NOT NULL UNIQUE,   -- SHA-256 of the cookie value
    tenant_id     INTEGER NOT NULL REFERENCES tenants(id),
    account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    trust_level   TEXT NOT NULL CHECK (trust_level IN ('none', 'low', 'substantial', 'high')),
    provider      TEXT NOT NULL DEFAULT 'password',
    created_at    DATETIME NOT NULL,
    last_seen_at  DATETIME NOT NULL,
    expires_at    DATETIME NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE login_attempts (
    key           TEXT PRIMARY KEY,       -- "acct:<tenant>:<sha256(email)>" or "ip:<tenant>:<address>"
    failures      INTEGER NOT NULL,
    window_start  DATETIME NOT NULL,
    locked_until  DATETIME
);

CREATE TABLE account_tokens (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    token_hash  TEXT NOT NULL UNIQUE,
    expires_at  DATETIME NOT NULL,
    used_at     DATETIME
);

CREATE TABLE units (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id),
    ref         TEXT NOT NULL UNIQUE,
    parent_id   INTEGER REFERENCES units(id),
    name        TEXT NOT NULL,
    created_at  DATETIME NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE unit_members (
    unit_id     INTEGER NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    PRIMARY KEY (unit_id, account_id)
);

CREATE TABLE oidc_logins (
    state_hash  TEXT PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id),
    provider    TEXT NOT NULL,
    nonce       TEXT NOT NULL,
    verifier    TEXT NOT NULL,             -- PKCE code verifier
    return_to   TEXT NOT NULL DEFAULT '/',
    expires_at  DATETIME NOT NULL
);

CREATE TABLE external_identities (
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id),
    provider    TEXT NOT NULL,
    subject     TEXT NOT NULL,
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    PRIMARY KEY (tenant_id, provider, subject)
);

-- +goose Down
SELECT 'forward-only';
