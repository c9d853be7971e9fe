-- +goose Up
-- Records (E-Akte): one e-file per case, opened with the case and closed
-- with it, with every document's SHA-256, the audit trail (as a document) and the retention period from
-- the service's workflow. Rows are never deleted: disposal after the
-- retention period marks the file handed over or destroyed (a proof of
-- disposal) and releases the blobs; the triggers refuse deletion and any
-- change to a document.

CREATE TABLE record_files (
    id               INTEGER PRIMARY KEY,
    tenant_id        INTEGER NOT NULL REFERENCES tenants(id),
    ref              TEXT NOT NULL UNIQUE,
    case_ref         TEXT NOT NULL,
    application_ref  TEXT NOT NULL,
    title            TEXT NOT NULL,
    service_ref      TEXT NOT NULL,
    service_name     TEXT NOT NULL,
    leika_key        TEXT NOT NULL DEFAULT '',
    unit_ref         TEXT NOT NULL,
    unit_name        TEXT NOT NULL,
    opened_at        DATETIME NOT NULL,
    closed_at        DATETIME,               -- NULL while the case runs
    retention_years  INTEGER NOT NULL CHECK (retention_years >= 1),
    retain_until     TEXT,                 -- YYYY-MM-DD, end of the retention period (set at closing)
    status           TEXT NOT NULL CHECK (status IN ('open', 'kept', 'handed_over', 'destroyed')),
    metadata         TEXT NOT NULL DEFAULT '{}',  -- JSON: outcome, decision refs, applicant kind
    created_at       DATETIME NOT NULL,
    disposed_at      DATETIME,
    disposed_by      TEXT NOT NULL DEFAULT '',
    UNIQUE (tenant_id, case_ref)
);
CREATE INDEX record_files_retention ON record_files (tenant_id, status, retain_until);

CREATE TABLE record_documents (
    id          INTEGER PRIMARY KEY,
    file_id     INTEGER NOT NULL REFERENCES record_files(id),
    seq         INTEGER NOT NULL,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,   -- receipt, application_json, upload, decision, message, answer_upload, audit_trail
    media_type  TEXT NOT NULL,
    blob_key    TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    size        INTEGER NOT NULL,
    created_at  DATETIME NOT NULL,
    UNIQUE (file_id, seq)
);

-- +goose StatementBegin
CREATE TRIGGER record_files_undeletable BEFORE DELETE ON record_files
BEGIN
    SELECT RAISE(ABORT, 'e-files are never deleted; disposal marks them');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER record_documents_immutable BEFORE UPDATE ON record_documents
BEGIN
    SELECT RAISE(ABORT, 'documents of an e-file are immutable');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER record_documents_undeletable BEFORE DELETE ON record_documents
BEGIN
    SELECT RAISE(ABORT, 'documents of an e-file are never deleted');
END;
-- +goose StatementEnd

-- +goose Down
SELECT 'forward-only';
