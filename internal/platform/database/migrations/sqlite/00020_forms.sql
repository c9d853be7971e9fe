-- +goose Up
-- Online forms (internal/forms): a form per service with numbered versions
-- (a draft, then published and never changed again; publishing retires
-- the previous version), and the applications submitted with a version.
-- An application row, its files, its receipt blobs' references, its audit
-- entry and its forms.submitted job are written in one transaction, so a
-- submission is stored completely or not at all.

CREATE TABLE forms (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id),
    ref         TEXT NOT NULL,                       -- public reference "F-XXXX-XXXX"
    service_id  TEXT NOT NULL DEFAULT '',            -- catalog service reference; '' while unassigned
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    channel     TEXT NOT NULL DEFAULT 'online' CHECK (channel IN ('paper', 'pdf', 'online', 'fully_digital')),
    source      TEXT NOT NULL DEFAULT '',            -- 'fim:S05000001296 2.1.0' for imports
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL,
    UNIQUE (tenant_id, ref)
);
CREATE UNIQUE INDEX forms_service ON forms (tenant_id, service_id) WHERE service_id <> '';

CREATE TABLE form_versions (
    id            INTEGER PRIMARY KEY,
    tenant_id     INTEGER NOT NULL REFERENCES tenants(id),
    form_id       INTEGER NOT NULL REFERENCES forms(id),
    version       INTEGER NOT NULL CHECK (version >= 1),
    status        TEXT NOT NULL CHECK (status IN ('draft', 'published', 'retired')),
    definition    TEXT NOT NULL,                     -- JSON, forms.Definition
    sha256        TEXT NOT NULL,                     -- of definition
    created_at    DATETIME NOT NULL,
    created_by    TEXT NOT NULL,
    updated_at    DATETIME NOT NULL,
    published_at  DATETIME,
    published_by  TEXT NOT NULL DEFAULT '',
    UNIQUE (form_id, version)
);
CREATE INDEX form_versions_status ON form_versions (form_id, status);

CREATE TABLE applications (
    id               INTEGER PRIMARY KEY,
    tenant_id        INTEGER NOT NULL REFERENCES tenants(id),
    ref              TEXT NOT NULL,                  -- public reference "A-XXXX-XXXX"
    form_version_id  INTEGER NOT NULL REFERENCES form_versions(id),
    service_id       TEXT NOT NULL,
    account_id       INTEGER REFERENCES accounts(id), -- NULL: anonymous, with a confirmed email
    account_ref      TEXT NOT NULL DEFAULT '',       -- the account's public reference (kept with the row)
    account_kind     TEXT NOT NULL DEFAULT '' CHECK (account_kind IN ('', 'citizen', 'business')),
    email            TEXT NOT NULL DEFAULT '',       -- confirmed address of an anonymous applicant
    answers          TEXT NOT NULL,                  -- JSON, canonical answers
    receipt_pdf      TEXT NOT NULL,                  -- blob key
    receipt_json     TEXT NOT NULL,                  -- blob key
    status           TEXT NOT NULL CHECK (status IN ('submitted', 'in_progress', 'awaiting_information', 'awaiting_payment', 'decided', 'withdrawn', 'closed')),
    lang             TEXT NOT NULL DEFAULT 'de',
    submitted_at     DATETIME NOT NULL,
    updated_at       DATETIME NOT NULL,
    CHECK (account_id IS NOT NULL OR email <> ''),
    UNIQUE (tenant_id, ref)
);
CREATE INDEX applications_account ON applications (tenant_id, account_id, submitted_at);
CREATE INDEX applications_service ON applications (tenant_id, service_id, submitted_at);

CREATE TABLE application_files (
    id              INTEGER PRIMARY KEY,
    application_id  INTEGER NOT NULL REFERENCES applications(id),
    tenant_id       INTEGER NOT NULL REFERENCES tenants(id),
    position        INTEGER NOT NULL,
    field           TEXT NOT NULL,                   -- path of the file field ("nachweis", "hunde.0.foto")
    name            TEXT NOT NULL,
    media_type      TEXT NOT NULL CHECK (media_type IN ('application/pdf', 'image/jpeg', 'image/png')),
    size            INTEGER NOT NULL CHECK (size >= 0),
    sha256          TEXT NOT NULL,
    UNIQUE (application_id, position)
);

-- +goose Down
SELECT 'forward-only';
