-- +goose Up
-- The electronic mailbox (Postfach) of citizens and businesses: messages
-- and documents from the city, replies, the recorded consent to electronic
-- delivery (without it a decision is printed for post: print_jobs), the
-- delivery record (made available, first opened) and single-use links in
-- notification mails (stored as SHA-256; the mail carries no personal data).

CREATE TABLE mailbox_messages (
    id                 INTEGER PRIMARY KEY,
    tenant_id          INTEGER NOT NULL REFERENCES tenants(id),
    ref                TEXT NOT NULL UNIQUE,
    account_id         INTEGER NOT NULL,   -- the citizen's or business's account (identity)
    direction          TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    kind               TEXT NOT NULL CHECK (kind IN ('message', 'decision', 'information_request', 'reply')),
    subject_ref        TEXT NOT NULL DEFAULT '',  -- the case or application it belongs to
    in_reply_to        INTEGER REFERENCES mailbox_messages(id),
    sender             TEXT NOT NULL,
    title              TEXT NOT NULL,
    body               TEXT NOT NULL,
    delivery           TEXT NOT NULL CHECK (delivery IN ('electronic', 'post')),
    replies_allowed    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at         DATETIME NOT NULL,
    made_available_at  DATETIME,
    first_opened_at    DATETIME
);
CREATE INDEX mailbox_messages_account ON mailbox_messages (tenant_id, account_id, id);
CREATE INDEX mailbox_messages_subject ON mailbox_messages (tenant_id, subject_ref);

CREATE TABLE mailbox_documents (
    id          INTEGER PRIMARY KEY,
    message_id  INTEGER NOT NULL REFERENCES mailbox_messages(id),
    ref         TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    media_type  TEXT NOT NULL,
    blob_key    TEXT NOT NULL,
    size        INTEGER NOT NULL,
    sealed      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  DATETIME NOT NULL
);
CREATE INDEX mailbox_documents_message ON mailbox_documents (message_id);

CREATE TABLE delivery_consents (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id),
    account_id  INTEGER NOT NULL,
    consented   BOOLEAN NOT NULL,           -- the latest row per account is in force
    at          DATETIME NOT NULL,
    source      TEXT NOT NULL               -- 'account_page', 'api', 'demo'
);
CREATE INDEX delivery_consents_account ON delivery_consents (tenant_id, account_id, id);

CREATE TABLE print_jobs (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id),
    ref         TEXT NOT NULL UNIQUE,
    message_id  INTEGER NOT NULL REFERENCES mailbox_messages(id),
    created_at  DATETIME NOT NULL,
    printed_at  DATETIME,
    printed_by  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX print_jobs_open ON print_jobs (tenant_id, printed_at);

CREATE TABLE mailbox_links (
    token_hash  TEXT PRIMARY KEY,          -- SHA-256 of the link's secret
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id),
    message_id  INTEGER NOT NULL REFERENCES mailbox_messages(id),
    expires_at  DATETIME NOT NULL,
    used_at     DATETIME
);

-- +goose Down
SELECT 'forward-only';
