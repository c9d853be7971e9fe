-- +goose Up
-- Passkeys (WebAuthn): registered credentials per account, and the state of
-- a registration or login ceremony between its two steps (server-side, so
-- the browser cannot alter the challenge).

CREATE TABLE passkeys (
    id             INTEGER PRIMARY KEY,
    tenant_id      INTEGER NOT NULL REFERENCES tenants(id),
    account_id     INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    credential_id  TEXT NOT NULL UNIQUE,  -- base64url of the credential id
    credential     TEXT NOT NULL,         -- JSON of the verified credential (public key, sign count, flags)
    created_at     DATETIME NOT NULL,
    last_used_at   DATETIME
);

CREATE TABLE passkey_ceremonies (
    id          TEXT PRIMARY KEY,         -- SHA-256 of the random ceremony handle given to the browser
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id),
    account_id  INTEGER REFERENCES accounts(id) ON DELETE CASCADE, -- set for registration
    kind        TEXT NOT NULL CHECK (kind IN ('register', 'login')),
    session     TEXT NOT NULL,            -- JSON of webauthn.SessionData
    expires_at  DATETIME NOT NULL
);

-- +goose Down
SELECT 'forward-only';
