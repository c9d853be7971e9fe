-- +goose Up
-- The platform tables every domain stands on: tenants with their settings
-- and host names, accounts and API tokens (identity), the hash-chained audit
-- trail (audit), durable jobs (platform/jobs) and blob metadata
-- (platform/blob). SQLite keeps times as UTC text (_time_format=sqlite).

CREATE TABLE tenants (
    id          INTEGER PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE CHECK (length(slug) BETWEEN 2 AND 63),
    name        TEXT NOT NULL,
    is_default  BOOLEAN NOT NULL DEFAULT FALSE, -- answers on every host name (the demo city)
    settings    TEXT NOT NULL DEFAULT '{}',     -- JSON, identity.Settings
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL
);

CREATE TABLE tenant_hosts (
    host        TEXT PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE
);

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    tenant_id     INTEGER NOT NULL REFERENCES tenants(id),
    ref           TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL CHECK (kind IN ('staff', 'citizen', 'business')),
    email         TEXT NOT NULL,
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL DEFAULT '',
    created_at    DATETIME NOT NULL,
    UNIQUE (tenant_id, email)
);

CREATE TABLE account_roles (
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    role        TEXT NOT NULL,
    PRIMARY KEY (account_id, role)
);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    tenant_id    INTEGER NOT NULL REFERENCES tenants(id),
    ref          TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL,
    secret_hash  TEXT NOT NULL UNIQUE, -- SHA-256 of the token; the token itself is never stored
    created_at   DATETIME NOT NULL,
    revoked_at   DATETIME,
    UNIQUE (tenant_id, name)
);

CREATE TABLE audit_heads (
    tenant_id   INTEGER PRIMARY KEY REFERENCES tenants(id),
    seq         INTEGER NOT NULL,
    hash        TEXT NOT NULL
);

CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id),
    seq         INTEGER NOT NULL,
    at          DATETIME NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_ref  TEXT NOT NULL,
    before      TEXT NOT NULL DEFAULT '',
    after       TEXT NOT NULL DEFAULT '',
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL,
    UNIQUE (tenant_id, seq)
);

CREATE TABLE jobs (
    id            INTEGER PRIMARY KEY,
    tenant_id     INTEGER REFERENCES tenants(id),
    kind          TEXT NOT NULL,
    key           TEXT NOT NULL,             -- idempotency key: one job per (kind, key)
    payload       TEXT NOT NULL DEFAULT '{}',
    status        TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'dead')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    max_attempts  INTEGER NOT NULL DEFAULT 10,
    run_at        DATETIME NOT NULL,
    locked_by     TEXT NOT NULL DEFAULT '',
    locked_until  DATETIME,
    last_error    TEXT NOT NULL DEFAULT '',
    created_at    DATETIME NOT NULL,
    finished_at   DATETIME,
    UNIQUE (kind, key)
);
CREATE INDEX jobs_ready ON jobs (status, run_at);

CREATE TABLE blobs (
    sha256       TEXT PRIMARY KEY,
    size         INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    created_at   DATETIME NOT NULL
);

-- +goose Down
SELECT 'forward-only';
