-- +goose Up
-- Installation from nothing and no demo secrets in production:
-- tenants.is_demo marks the demo city (its passwords and tokens are
-- published; `rathaus serve` refuses such a database unless RATHAUS_DEMO=1),
-- tenants.public_url is the address mailed links point to (never the
-- request's Host), account_tokens may be a first admin's one-time set-up
-- link, and sessions.totp_setup holds the secret of a staff member who must
-- set up TOTP before the session counts (first staff sign-in outside the
-- demo), and login_devices remembers the browsers an account signed in
-- from, so that failed logins of strangers against the account (the
-- per-account delay) never slow its owner down. A demo city seeded before this migration is recognised by its
-- published admin token. SQLite cannot change a CHECK, so account_tokens is
-- rebuilt (nothing refers to it).

ALTER TABLE tenants ADD COLUMN is_demo BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE tenants ADD COLUMN public_url TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN totp_setup TEXT NOT NULL DEFAULT '';

UPDATE tenants SET is_demo = TRUE WHERE id IN (SELECT tenant_id FROM api_tokens
    WHERE secret_hash = '5679ad4fc778958bf080f22980dd239ad7bb37e5c1520601accf6a018d8d6d6e'); -- sha256("rh_demo_admin_musterstadt")

CREATE TABLE account_tokens_new (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password', 'setup_account')),
    token_hash  TEXT NOT NULL UNIQUE,
    expires_at  DATETIME NOT NULL,
    used_at     DATETIME
);
INSERT INTO account_tokens_new (id, account_id, purpose, token_hash, expires_at, used_at)
    SELECT id, account_id, purpose, token_hash, expires_at, used_at FROM account_tokens;
DROP TABLE account_tokens;
ALTER TABLE account_tokens_new RENAME TO account_tokens;

CREATE TABLE login_devices (
    token_hash   TEXT PRIMARY KEY,      -- SHA-256 of the rathaus_device cookie
    account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at   DATETIME NOT NULL,
    last_used_at DATETIME NOT NULL
);
CREATE INDEX login_devices_account ON login_devices (account_id);

-- +goose Down
SELECT 'forward-only';
