-- +goose Up
-- Case processing (cases): versioned workflow declarations per service,
-- which unit is responsible for a service (the catalog holds free-text
-- office names; these rows map them, or a service directly, to a unit),
-- cases with their timeline, documents, information requests and
-- decisions. A sent decision is immutable: the trigger refuses any change,
-- a correction is a new decision.

CREATE TABLE workflows (
    id           INTEGER PRIMARY KEY,
    tenant_id    INTEGER NOT NULL REFERENCES tenants(id),
    service_ref  TEXT NOT NULL,
    version      INTEGER NOT NULL CHECK (version >= 1),
    document     TEXT NOT NULL,              -- JSON, cases.Workflow
    created_at   DATETIME NOT NULL,
    created_by   TEXT NOT NULL,
    UNIQUE (tenant_id, service_ref, version)
);

CREATE TABLE responsibilities (
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id),
    kind        TEXT NOT NULL CHECK (kind IN ('service', 'office')),
    match_key   TEXT NOT NULL,               -- service reference, or the catalog's unit/office name
    unit_ref    TEXT NOT NULL,               -- identity unit reference
    updated_at  DATETIME NOT NULL,
    updated_by  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, kind, match_key)
);

CREATE TABLE cases (
    id                    INTEGER PRIMARY KEY,
    tenant_id             INTEGER NOT NULL REFERENCES tenants(id),
    ref                   TEXT NOT NULL UNIQUE,
    application_ref       TEXT NOT NULL,
    service_ref           TEXT NOT NULL,
    service_name          TEXT NOT NULL,
    workflow_version      INTEGER NOT NULL,
    unit_ref              TEXT NOT NULL,     -- '' while no unit is responsible (the admin maps one)
    state                 TEXT NOT NULL,
    assignee_id           INTEGER,           -- staff account; NULL: in the unit's inbox
    applicant_account_id  INTEGER,           -- NULL: applied with a confirmed e-mail address
    applicant_email       TEXT NOT NULL DEFAULT '',
    submitted_at          DATETIME NOT NULL,
    opened_at             DATETIME NOT NULL,
    state_since           DATETIME NOT NULL,
    due_at                DATETIME NOT NULL, -- processing deadline (moved on by paused working days)
    state_due_at          DATETIME,          -- the current state's own deadline
    paused_at             DATETIME,          -- waiting for the applicant since
    follow_up_on          TEXT,              -- Wiedervorlage, YYYY-MM-DD
    closed_at             DATETIME,
    file_ref              TEXT NOT NULL DEFAULT '',
    revision              INTEGER NOT NULL DEFAULT 1,
    UNIQUE (tenant_id, application_ref)
);
CREATE INDEX cases_inbox ON cases (tenant_id, unit_ref, closed_at, due_at);
CREATE INDEX cases_assignee ON cases (tenant_id, assignee_id, closed_at);

CREATE TABLE case_events (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases(id),
    at          DATETIME NOT NULL,
    actor       TEXT NOT NULL,
    actor_name  TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('opened', 'transition', 'assigned', 'note', 'follow_up', 'information_requested',
                    'information_received', 'decision_drafted', 'decision_signed_off', 'decision_sent', 'filed',
                    'payment_requested', 'payment_settled')),
    text        TEXT NOT NULL DEFAULT '',
    data        TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX case_events_case ON case_events (case_id, id);

CREATE TABLE case_documents (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases(id),
    kind        TEXT NOT NULL CHECK (kind IN ('decision', 'message', 'answer_upload')),
    name        TEXT NOT NULL,
    media_type  TEXT NOT NULL,
    blob_key    TEXT NOT NULL,
    size        INTEGER NOT NULL,
    source_ref  TEXT NOT NULL DEFAULT '',  -- decision or message reference
    created_at  DATETIME NOT NULL
);
CREATE INDEX case_documents_case ON case_documents (case_id, id);

CREATE TABLE information_requests (
    id                  INTEGER PRIMARY KEY,
    case_id             INTEGER NOT NULL REFERENCES cases(id),
    ref                 TEXT NOT NULL UNIQUE,
    message_ref         TEXT NOT NULL,
    question            TEXT NOT NULL,
    asked_at            DATETIME NOT NULL,
    answer_due_on       TEXT NOT NULL,      -- YYYY-MM-DD
    answered_at         DATETIME,
    answer_message_ref  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX information_requests_case ON information_requests (case_id);

CREATE TABLE decisions (
    id              INTEGER PRIMARY KEY,
    tenant_id       INTEGER NOT NULL REFERENCES tenants(id),
    case_id         INTEGER NOT NULL REFERENCES cases(id),
    ref             TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL CHECK (kind IN ('approval', 'rejection')),
    status          TEXT NOT NULL CHECK (status IN ('draft', 'signed_off', 'sent', 'discarded')),
    title           TEXT NOT NULL,
    body            TEXT NOT NULL,
    legal_remedies  TEXT NOT NULL,
    reason          TEXT NOT NULL DEFAULT '',
    supersedes_ref  TEXT NOT NULL DEFAULT '',
    drafted_by      TEXT NOT NULL,
    drafted_by_id   INTEGER NOT NULL,
    drafted_at      DATETIME NOT NULL,
    signed_off_by   TEXT NOT NULL DEFAULT '',
    signed_off_at   DATETIME,
    sent_by         TEXT NOT NULL DEFAULT '',
    sent_at         DATETIME,
    pdf_key         TEXT NOT NULL DEFAULT '',   -- the sealed PDF (blob)
    pdf_size        INTEGER NOT NULL DEFAULT 0,
    delivery        TEXT NOT NULL DEFAULT '' CHECK (delivery IN ('', 'electronic', 'post')),
    message_ref     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX decisions_case ON decisions (case_id, id);

-- +goose StatementBegin
CREATE TRIGGER decisions_sent_immutable BEFORE UPDATE ON decisions
WHEN OLD.status = 'sent'
BEGIN
    SELECT RAISE(ABORT, 'a sent decision cannot be changed; issue a new decision');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER decisions_sent_undeletable BEFORE DELETE ON decisions
WHEN OLD.status = 'sent'
BEGIN
    SELECT RAISE(ABORT, 'a sent decision cannot be deleted');
END;
-- +goose StatementEnd

-- +goose Down
SELECT 'forward-only';
