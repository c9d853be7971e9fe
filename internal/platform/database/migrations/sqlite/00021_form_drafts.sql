-- +goose Up
-- Online forms (internal/forms), part two: drafts that a citizen fills in
-- step by step and resumes later (through the account, or — for services
-- that allow applying without an account — through a browser cookie or an
-- emailed link that expires and carries no personal data), the links
-- themselves (stored only as SHA-256), and the consent to prefill a
-- service's form from the account's profile: who, when, which fields, for
-- which service, until withdrawn.

CREATE TABLE form_drafts (
    id                  INTEGER PRIMARY KEY,
    tenant_id           INTEGER NOT NULL REFERENCES tenants(id),
    ref                 TEXT NOT NULL,                   -- public reference "D-XXXX-XXXX"
    service_id          TEXT NOT NULL,
    form_version_id     INTEGER NOT NULL REFERENCES form_versions(id),
    account_id          INTEGER REFERENCES accounts(id), -- NULL: an anonymous draft
    secret_hash         TEXT NOT NULL DEFAULT '',        -- anonymous: SHA-256 of the browser's draft cookie
    answers             TEXT NOT NULL DEFAULT '{}',      -- JSON, as entered
    files               TEXT NOT NULL DEFAULT '[]',      -- JSON, uploads already stored (forms.File)
    email               TEXT NOT NULL DEFAULT '',        -- anonymous applicant's address
    email_confirmed_at  DATETIME,
    prefill             TEXT NOT NULL DEFAULT '' CHECK (prefill IN ('', 'yes', 'no')),
    lang                TEXT NOT NULL DEFAULT 'de',
    created_at          DATETIME NOT NULL,
    updated_at          DATETIME NOT NULL,
    expires_at          DATETIME NOT NULL,
    CHECK (account_id IS NOT NULL OR secret_hash <> ''),
    UNIQUE (tenant_id, ref)
);
CREATE INDEX form_drafts_account ON form_drafts (tenant_id, account_id, updated_at);
CREATE INDEX form_drafts_expiry ON form_drafts (expires_at);

CREATE TABLE form_draft_links (
    id          INTEGER PRIMARY KEY,
    draft_id    INTEGER NOT NULL REFERENCES form_drafts(id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL CHECK (purpose IN ('resume', 'confirm_email')),
    token_hash  TEXT NOT NULL UNIQUE,
    email       TEXT NOT NULL DEFAULT '',                -- confirm_email: the address being confirmed
    expires_at  DATETIME NOT NULL,
    used_at     DATETIME
);
CREATE INDEX form_draft_links_draft ON form_draft_links (draft_id);

CREATE TABLE prefill_consents (
    id            INTEGER PRIMARY KEY,
    tenant_id     INTEGER NOT NULL REFERENCES tenants(id),
    ref           TEXT NOT NULL,                         -- public reference "C-XXXX-XXXX"
    account_id    INTEGER NOT NULL REFERENCES accounts(id),
    service_id    TEXT NOT NULL,
    fields        TEXT NOT NULL,                         -- JSON list of profile values (given_name, address, ...)
    granted_at    DATETIME NOT NULL,
    withdrawn_at  DATETIME,
    UNIQUE (tenant_id, ref)
);
CREATE INDEX prefill_consents_account ON prefill_consents (tenant_id, account_id, service_id);

-- +goose Down
SELECT 'forward-only';
