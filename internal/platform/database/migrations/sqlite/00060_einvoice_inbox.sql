-- +goose Up
-- The e-invoice inbox (internal/einvoice/inbox): received invoices and
-- credit notes with the columns the workflow, the worklists and the payment
-- run look up (the parsed EN 16931 document is kept as JSON, the original
-- file as a blob), every workflow step as its own row (who, when, the hash
-- of the invoice at that moment; kept as long as the invoice), the routing
-- table from Leitweg-IDs to units, payment runs with one row per transfer
-- (an invoice is paid once: unique invoice_id), and the e-mails already
-- taken from the city's invoice mailbox (so a message is read once even if
-- the process dies before it is flagged on the server). Money is a decimal
-- string, civil dates are YYYY-MM-DD text: both compare and sort as text
-- the same way on both engines.

CREATE TABLE einvoice_invoices (
    id               INTEGER PRIMARY KEY,
    tenant_id        INTEGER NOT NULL REFERENCES tenants(id),
    ref              TEXT NOT NULL UNIQUE,                -- public reference "R-XXXX-XXXX"
    channel          TEXT NOT NULL CHECK (channel IN ('api', 'upload', 'email', 'paper')),
    kind             TEXT NOT NULL CHECK (kind IN ('invoice', 'credit_note')),
    status           TEXT NOT NULL CHECK (status IN ('clarification', 'new', 'in_approval', 'approved', 'in_payment', 'paid', 'rejected')),
    version          INTEGER NOT NULL CHECK (version >= 1),
    unit_ref         TEXT NOT NULL DEFAULT '',            -- routed unit; '' while in clarification
    leitweg_id       TEXT NOT NULL DEFAULT '',            -- BT-10 as written
    routing_problem  TEXT NOT NULL DEFAULT '',            -- why it is in clarification (fault code)
    supplier_key     TEXT NOT NULL,                       -- seller VAT id, else registration id, else name (normalised)
    supplier_name    TEXT NOT NULL,
    number           TEXT NOT NULL,                       -- BT-1
    issue_date       TEXT NOT NULL DEFAULT '',
    due_date         TEXT NOT NULL DEFAULT '',
    discount_until   TEXT NOT NULL DEFAULT '',            -- last day with cash discount, '' for none
    discount_percent TEXT NOT NULL DEFAULT '',
    currency         TEXT NOT NULL,
    amount           TEXT NOT NULL,                       -- BT-115 amount due (credit notes: the credited amount)
    iban             TEXT NOT NULL DEFAULT '',
    credits_number   TEXT NOT NULL DEFAULT '',            -- credit note: BT-25 of the invoice it corrects
    syntax           TEXT NOT NULL,
    scenario         TEXT NOT NULL DEFAULT '',
    validation       TEXT NOT NULL,                       -- JSON: accept, scenario, errors, warnings, messages
    document         TEXT NOT NULL,                       -- JSON: en16931.Invoice
    original_key     TEXT NOT NULL,                       -- SHA-256 of the file as received (blob) = the invoice hash
    original_type    TEXT NOT NULL,
    original_name    TEXT NOT NULL DEFAULT '',
    original_size    INTEGER NOT NULL,
    scan_key         TEXT NOT NULL DEFAULT '',            -- paper: the scan (= original_key)
    submitted_by     TEXT NOT NULL,                       -- principal reference (audit actor)
    submitter_account INTEGER,                            -- the supplier's business account, if it sent the invoice
    sender_email     TEXT NOT NULL DEFAULT '',            -- e-mail channel: the sender, answered on rejection
    cost_centre      TEXT NOT NULL DEFAULT '',
    budget_line      TEXT NOT NULL DEFAULT '',
    rejection_reason TEXT NOT NULL DEFAULT '',
    netted_with      TEXT NOT NULL DEFAULT '',            -- ref of the credit note / invoice it was netted with
    received_at      DATETIME NOT NULL,
    updated_at       DATETIME NOT NULL,
    closed_at        DATETIME,                            -- paid or rejected
    retain_until     TEXT NOT NULL,                       -- end of the 10-year retention (YYYY-MM-DD)
    UNIQUE (tenant_id, supplier_key, number, amount)
);
CREATE INDEX einvoice_invoices_status ON einvoice_invoices (tenant_id, status, due_date);
CREATE INDEX einvoice_invoices_retention ON einvoice_invoices (tenant_id, retain_until);

CREATE TABLE einvoice_steps (
    id           INTEGER PRIMARY KEY,
    tenant_id    INTEGER NOT NULL REFERENCES tenants(id),
    invoice_id   INTEGER NOT NULL REFERENCES einvoice_invoices(id),
    step         TEXT NOT NULL CHECK (step IN ('received', 'routed', 'sachlich', 'rechnerisch', 'anordnung', 'rejected', 'payment_run', 'paid', 'netted')),
    account_id   INTEGER,                                 -- the person, if a person acted
    actor        TEXT NOT NULL,                           -- account or token reference, system
    actor_name   TEXT NOT NULL DEFAULT '',
    on_behalf_of TEXT NOT NULL DEFAULT '',                -- substitution: the absent approver's name
    invoice_hash TEXT NOT NULL,
    version      INTEGER NOT NULL,                        -- the invoice version the step was taken on
    note         TEXT NOT NULL DEFAULT '',
    at           DATETIME NOT NULL
);
CREATE INDEX einvoice_steps_invoice ON einvoice_steps (invoice_id, id);
CREATE UNIQUE INDEX einvoice_steps_once ON einvoice_steps (invoice_id, step) WHERE step IN ('sachlich', 'rechnerisch', 'anordnung', 'paid');

CREATE TABLE einvoice_routes (
    id         INTEGER PRIMARY KEY,
    tenant_id  INTEGER NOT NULL REFERENCES tenants(id),
    leitweg_id TEXT NOT NULL UNIQUE,                      -- normal form; one public body per Leitweg-ID
    unit_ref   TEXT NOT NULL,
    created_at DATETIME NOT NULL
);

CREATE TABLE einvoice_payment_runs (
    id             INTEGER PRIMARY KEY,
    tenant_id      INTEGER NOT NULL REFERENCES tenants(id),
    ref            TEXT NOT NULL UNIQUE,                  -- "Z-XXXX-XXXX", also the pain.001 MsgId
    count          INTEGER NOT NULL,
    control_sum    TEXT NOT NULL,
    file_key       TEXT NOT NULL,                         -- the pain.001 document (blob)
    file_size      INTEGER NOT NULL,
    created_by     TEXT NOT NULL,
    created_at     DATETIME NOT NULL
);

CREATE TABLE einvoice_payments (
    id             INTEGER PRIMARY KEY,
    tenant_id      INTEGER NOT NULL REFERENCES tenants(id),
    run_id         INTEGER NOT NULL REFERENCES einvoice_payment_runs(id),
    invoice_id     INTEGER NOT NULL UNIQUE REFERENCES einvoice_invoices(id),
    end_to_end_id  TEXT NOT NULL,
    amount         TEXT NOT NULL,
    discount       TEXT NOT NULL DEFAULT '0.00',
    execution_date TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('sent', 'paid')),
    paid_at        DATETIME,
    UNIQUE (tenant_id, end_to_end_id)
);

CREATE TABLE einvoice_mails (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id),
    message_key TEXT NOT NULL,                            -- SHA-256 of Message-ID (or of the message)
    outcome     TEXT NOT NULL,                            -- received, refused, ignored
    invoices    TEXT NOT NULL DEFAULT '',                 -- refs received from it
    at          DATETIME NOT NULL,
    UNIQUE (tenant_id, message_key)
);

-- +goose Down
SELECT 'forward-only';
