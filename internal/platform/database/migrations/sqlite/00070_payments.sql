-- +goose Up
-- Payments (internal/payments): what the city is owed and what it received.
-- Amounts are exact decimal strings ("30.50"), never floats; dates of
-- banking (due, booking, value) are civil dates YYYY-MM-DD.
--
-- payment_settings   per service: fee, when it is due (before or after
--                    submission), unit and cost centre for accounting,
--                    days to pay and to the reminder.
-- payment_requests   one amount owed for a subject (an application), with
--                    its ISO 11649 RF reference for the bank transfer.
-- payments_received  money that arrived for a request (bank statement,
--                    online provider, direct debit); one row per source
--                    event (UNIQUE source + external id), so a repeated
--                    statement or callback books nothing twice.
-- bank_statements    imported camt.053/054 messages (hash of the file and
--                    message/statement ids detect repeats), with their
--                    entries in statement_entries and how each was handled.
-- finance_tasks      the finance worklist: entries that could not be booked
--                    safely, overpayments to refund, and the like.
-- expected_debits    payment runs of the e-invoice module waiting for their
--                    debit on a statement.
-- provider_payments  online payments at a provider, with provider_events
--                    (each verified callback once).
-- refunds            money to give back (overpayments, cancelled requests).
-- sepa_mandates      direct-debit mandates for recurring charges.

CREATE TABLE payment_settings (
    id             INTEGER PRIMARY KEY,
    tenant_id      INTEGER NOT NULL REFERENCES tenants(id),
    service_id     TEXT NOT NULL,                          -- catalog reference "L-XXXX-XXXX"
    timing         TEXT NOT NULL CHECK (timing IN ('before_submission', 'after_submission', 'none')),
    fee_kind       TEXT NOT NULL CHECK (fee_kind IN ('fixed', 'per_quantity', 'rule')),
    amount         TEXT NOT NULL,                          -- fixed fee, or the price per unit
    rule           TEXT NOT NULL DEFAULT '',               -- JSON, payments.FeeRule
    purpose        TEXT NOT NULL CHECK (length(purpose) BETWEEN 1 AND 140),
    unit           TEXT NOT NULL DEFAULT '',
    cost_centre    TEXT NOT NULL DEFAULT '',
    due_days       INTEGER NOT NULL DEFAULT 14 CHECK (due_days BETWEEN 0 AND 365),
    reminder_days  INTEGER NOT NULL DEFAULT 7 CHECK (reminder_days BETWEEN 1 AND 365),
    updated_at     DATETIME NOT NULL,
    updated_by     TEXT NOT NULL,
    UNIQUE (tenant_id, service_id)
);

CREATE TABLE payment_requests (
    id               INTEGER PRIMARY KEY,
    tenant_id        INTEGER NOT NULL REFERENCES tenants(id),
    ref              TEXT NOT NULL,                        -- public reference "Z-XXXX-XXXX"
    rf               TEXT NOT NULL,                        -- ISO 11649 creditor reference
    subject          TEXT NOT NULL DEFAULT '',             -- e.g. the application's reference
    service_id       TEXT NOT NULL DEFAULT '',
    payer_account_id INTEGER REFERENCES accounts(id),
    payer_name       TEXT NOT NULL DEFAULT '',
    payer_email      TEXT NOT NULL DEFAULT '',
    purpose          TEXT NOT NULL CHECK (length(purpose) BETWEEN 1 AND 140),
    amount           TEXT NOT NULL,
    currency         TEXT NOT NULL DEFAULT 'EUR',
    paid             TEXT NOT NULL DEFAULT '0',
    status           TEXT NOT NULL CHECK (status IN ('open', 'partial', 'paid', 'cancelled')),
    due_date         TEXT NOT NULL,
    unit             TEXT NOT NULL DEFAULT '',
    cost_centre      TEXT NOT NULL DEFAULT '',
    reminder_days    INTEGER NOT NULL DEFAULT 7,
    reminders        INTEGER NOT NULL DEFAULT 0,
    last_reminded_at DATETIME,
    mandate_id       INTEGER,
    created_at       DATETIME NOT NULL,
    created_by       TEXT NOT NULL,
    paid_at          DATETIME,
    UNIQUE (tenant_id, ref),
    UNIQUE (tenant_id, rf)
);
CREATE INDEX payment_requests_status ON payment_requests (tenant_id, status, due_date);
CREATE INDEX payment_requests_subject ON payment_requests (tenant_id, subject);
CREATE INDEX payment_requests_payer ON payment_requests (tenant_id, payer_account_id);

CREATE TABLE bank_statements (
    id           INTEGER PRIMARY KEY,
    tenant_id    INTEGER NOT NULL REFERENCES tenants(id),
    ref          TEXT NOT NULL,                            -- "K-XXXX-XXXX"
    message_type TEXT NOT NULL,
    message_id   TEXT NOT NULL,
    file_sha256  TEXT NOT NULL,
    blob_key     TEXT NOT NULL DEFAULT '',
    source       TEXT NOT NULL CHECK (source IN ('upload', 'api', 'folder', 'cli')),
    file_name    TEXT NOT NULL DEFAULT '',
    entries      INTEGER NOT NULL DEFAULT 0,
    booked       INTEGER NOT NULL DEFAULT 0,
    worklist     INTEGER NOT NULL DEFAULT 0,
    duplicate_of INTEGER REFERENCES bank_statements(id),
    imported_at  DATETIME NOT NULL,
    imported_by  TEXT NOT NULL,
    UNIQUE (tenant_id, ref)
);
CREATE INDEX bank_statements_hash ON bank_statements (tenant_id, file_sha256);
CREATE INDEX bank_statements_message ON bank_statements (tenant_id, message_id);

CREATE TABLE statement_entries (
    id           INTEGER PRIMARY KEY,
    tenant_id    INTEGER NOT NULL REFERENCES tenants(id),
    statement_id INTEGER NOT NULL REFERENCES bank_statements(id),
    stmt_id      TEXT NOT NULL,                            -- Stmt/Ntfctn Id
    account      TEXT NOT NULL DEFAULT '',
    position     INTEGER NOT NULL,                         -- entry (and detail) in the message
    entry_key    TEXT NOT NULL,                            -- identity of the transaction across messages
    amount       TEXT NOT NULL,
    currency     TEXT NOT NULL,
    credit_debit TEXT NOT NULL CHECK (credit_debit IN ('CRDT', 'DBIT')),
    status       TEXT NOT NULL,
    booking_date TEXT NOT NULL DEFAULT '',
    value_date   TEXT NOT NULL DEFAULT '',
    servicer_ref TEXT NOT NULL DEFAULT '',
    end_to_end   TEXT NOT NULL DEFAULT '',
    reference    TEXT NOT NULL DEFAULT '',                 -- creditor reference(s)
    remittance   TEXT NOT NULL DEFAULT '',
    party_name   TEXT NOT NULL DEFAULT '',
    party_iban   TEXT NOT NULL DEFAULT '',
    outcome      TEXT NOT NULL CHECK (outcome IN ('booked', 'worklist', 'ignored', 'debit_matched', 'duplicate')),
    request_id   INTEGER REFERENCES payment_requests(id),
    confidence   TEXT NOT NULL DEFAULT '',
    reason       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX statement_entries_statement ON statement_entries (statement_id, position);
CREATE INDEX statement_entries_key ON statement_entries (tenant_id, entry_key);

CREATE TABLE payments_received (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id),
    ref         TEXT NOT NULL,                             -- receipt number "Q-XXXX-XXXX"
    request_id  INTEGER NOT NULL REFERENCES payment_requests(id),
    source      TEXT NOT NULL CHECK (source IN ('statement', 'provider', 'direct_debit', 'manual')),
    external_id TEXT NOT NULL,                             -- entry key, provider payment id, ...
    amount      TEXT NOT NULL,
    currency    TEXT NOT NULL,
    received_on TEXT NOT NULL,                             -- booking date
    method      TEXT NOT NULL DEFAULT '',
    confidence  TEXT NOT NULL DEFAULT '',
    created_at  DATETIME NOT NULL,
    created_by  TEXT NOT NULL,
    UNIQUE (tenant_id, ref),
    UNIQUE (tenant_id, source, external_id)
);
CREATE INDEX payments_received_request ON payments_received (request_id);

CREATE TABLE finance_tasks (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id),
    ref         TEXT NOT NULL,                             -- "F-XXXX-XXXX"
    kind        TEXT NOT NULL CHECK (kind IN ('unmatched', 'ambiguous', 'excess_decimals', 'foreign_currency', 'duplicate_statement',
                    'duplicate_entry', 'reversal', 'overpayment', 'paid_twice', 'debit_mismatch', 'not_booked', 'refund')),
    entry_id    INTEGER REFERENCES statement_entries(id),
    request_id  INTEGER REFERENCES payment_requests(id),
    statement_id INTEGER REFERENCES bank_statements(id),
    amount      TEXT NOT NULL DEFAULT '',
    currency    TEXT NOT NULL DEFAULT 'EUR',
    detail      TEXT NOT NULL DEFAULT '',
    candidates  TEXT NOT NULL DEFAULT '',                  -- request refs with confidence, for ambiguous matches
    status      TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
    resolution  TEXT NOT NULL DEFAULT '',
    created_at  DATETIME NOT NULL,
    resolved_at DATETIME,
    resolved_by TEXT NOT NULL DEFAULT '',
    UNIQUE (tenant_id, ref)
);
CREATE INDEX finance_tasks_open ON finance_tasks (tenant_id, status, kind);

CREATE TABLE expected_debits (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id),
    run         TEXT NOT NULL,
    end_to_end  TEXT NOT NULL,
    amount      TEXT NOT NULL,
    currency    TEXT NOT NULL DEFAULT 'EUR',
    entry_id    INTEGER REFERENCES statement_entries(id),
    matched_at  DATETIME,
    created_at  DATETIME NOT NULL,
    UNIQUE (tenant_id, end_to_end)
);

CREATE TABLE provider_payments (
    id           INTEGER PRIMARY KEY,
    tenant_id    INTEGER NOT NULL REFERENCES tenants(id),
    ref          TEXT NOT NULL,                            -- our id at the provider "O-XXXX-XXXX"
    request_id   INTEGER NOT NULL REFERENCES payment_requests(id),
    provider     TEXT NOT NULL,
    provider_id  TEXT NOT NULL DEFAULT '',
    amount       TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('created', 'paid', 'failed', 'cancelled', 'refunded')),
    created_at   DATETIME NOT NULL,
    updated_at   DATETIME NOT NULL,
    UNIQUE (tenant_id, ref)
);
CREATE INDEX provider_payments_request ON provider_payments (request_id);

CREATE TABLE provider_events (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id),
    provider    TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    payment_id  INTEGER NOT NULL REFERENCES provider_payments(id),
    status      TEXT NOT NULL,
    received_at DATETIME NOT NULL,
    UNIQUE (tenant_id, provider, event_id)
);

CREATE TABLE refunds (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id),
    ref         TEXT NOT NULL,                             -- "R-XXXX-XXXX"
    request_id  INTEGER NOT NULL REFERENCES payment_requests(id),
    amount      TEXT NOT NULL,
    method      TEXT NOT NULL CHECK (method IN ('provider', 'bank_transfer')),
    iban        TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL CHECK (status IN ('open', 'done')),
    task_id     INTEGER REFERENCES finance_tasks(id),
    created_at  DATETIME NOT NULL,
    created_by  TEXT NOT NULL,
    done_at     DATETIME,
    UNIQUE (tenant_id, ref)
);

CREATE TABLE sepa_mandates (
    id            INTEGER PRIMARY KEY,
    tenant_id     INTEGER NOT NULL REFERENCES tenants(id),
    ref           TEXT NOT NULL,                           -- mandate reference "M-XXXX-XXXX"
    account_id    INTEGER REFERENCES accounts(id),
    debtor_name   TEXT NOT NULL CHECK (length(debtor_name) BETWEEN 1 AND 70),
    iban          TEXT NOT NULL,
    bic           TEXT NOT NULL DEFAULT '',
    purpose       TEXT NOT NULL CHECK (length(purpose) BETWEEN 1 AND 140),
    amount        TEXT NOT NULL,
    signed_on     TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
    sequence      TEXT NOT NULL DEFAULT 'FRST' CHECK (sequence IN ('FRST', 'RCUR')),
    created_at    DATETIME NOT NULL,
    created_by    TEXT NOT NULL,
    UNIQUE (tenant_id, ref)
);

-- +goose Down
SELECT 'forward-only';
