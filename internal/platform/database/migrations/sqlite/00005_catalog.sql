-- +goose Up
-- The service catalog (internal/catalog): every service of a tenant as its
-- JSON document (catalog.Service) with the columns that are looked up or
-- reported on, the full previous document of every change (versioned staff
-- edits and imports), and a revision counter per tenant that each change
-- bumps in its transaction, so every process serving the tenant notices
-- with one primary-key read that its in-memory finder is stale.

CREATE TABLE services (
    id                  INTEGER PRIMARY KEY,
    tenant_id           INTEGER NOT NULL REFERENCES tenants(id),
    ref                 TEXT NOT NULL,                  -- public reference "L-XXXX-XXXX"
    source              TEXT NOT NULL DEFAULT '',       -- muenchen, leika, demo, rathaus, ...
    external_id         TEXT NOT NULL DEFAULT '',       -- id in the source; '' for none
    name                TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 500),
    leika_keys          TEXT NOT NULL DEFAULT '',       -- space-separated 14-digit keys
    online_availability TEXT NOT NULL CHECK (online_availability IN ('information', 'download', 'online_form', 'fully_digital')),
    unit                TEXT NOT NULL DEFAULT '',       -- first responsible unit
    yearly_case_volume  INTEGER NOT NULL DEFAULT 0 CHECK (yearly_case_volume >= 0),
    document            TEXT NOT NULL,                  -- JSON, catalog.Service
    version             INTEGER NOT NULL CHECK (version >= 1),
    created_at          DATETIME NOT NULL,
    updated_at          DATETIME NOT NULL,
    updated_by          TEXT NOT NULL,
    UNIQUE (tenant_id, ref)
);
CREATE INDEX services_external ON services (tenant_id, source, external_id);
CREATE INDEX services_unit ON services (tenant_id, unit, online_availability);

CREATE TABLE service_versions (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id),
    service_id  INTEGER NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,                       -- the version this document was
    document    TEXT NOT NULL,                          -- JSON of that version, in full
    change      TEXT NOT NULL CHECK (change IN ('edit', 'import')),
    changed_by  TEXT NOT NULL,                          -- who replaced it (account or token ref, system)
    changed_at  DATETIME NOT NULL,                      -- when it was replaced
    UNIQUE (service_id, version)
);

CREATE TABLE catalog_revisions (
    tenant_id   INTEGER PRIMARY KEY REFERENCES tenants(id),
    revision    INTEGER NOT NULL
);

-- +goose Down
SELECT 'forward-only';
