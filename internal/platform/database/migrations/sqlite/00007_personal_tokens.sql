-- +goose Up
-- Personal API tokens: a token may belong to an account and then acts as
-- that person, with the account's roles at the time of the request (role is
-- '' for those); integration tokens keep their one role and no account.
-- Token names are unique per account for personal tokens and per tenant for
-- integration tokens, so two clerks may both call theirs "laptop". SQLite
-- cannot drop a table constraint, so the table is rebuilt (nothing refers to
-- it).

CREATE TABLE api_tokens_new (
    id           INTEGER PRIMARY KEY,
    tenant_id    INTEGER NOT NULL REFERENCES tenants(id),
    ref          TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL DEFAULT '',
    secret_hash  TEXT NOT NULL UNIQUE, -- SHA-256 of the token; the token itself is never stored
    created_at   DATETIME NOT NULL,
    revoked_at   DATETIME,
    account_id   INTEGER REFERENCES accounts(id),
    CHECK ((account_id IS NULL) <> (role = ''))
);
INSERT INTO api_tokens_new (id, tenant_id, ref, name, role, secret_hash, created_at, revoked_at)
    SELECT id, tenant_id, ref, name, role, secret_hash, created_at, revoked_at FROM api_tokens;
DROP TABLE api_tokens;
ALTER TABLE api_tokens_new RENAME TO api_tokens;
CREATE UNIQUE INDEX api_tokens_integration_name ON api_tokens (tenant_id, name) WHERE account_id IS NULL;
CREATE UNIQUE INDEX api_tokens_personal_name ON api_tokens (account_id, name) WHERE account_id IS NOT NULL;

-- +goose Down
SELECT 'forward-only';
