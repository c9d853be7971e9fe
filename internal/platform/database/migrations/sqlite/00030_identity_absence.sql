-- +goose Up
-- Absence and substitutes (Vertretung): each staff account may name one
-- substitute, and has absence periods. Cases and e-invoice approvals ask
-- identity.SubstituteFor who acts for an absent person; marking someone
-- absent enqueues identity.absence_started at the start of the period so
-- the domains move that person's open work.

CREATE TABLE substitutes (
    account_id     INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    substitute_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    updated_at     DATETIME NOT NULL,
    CHECK (account_id <> substitute_id)
);

CREATE TABLE absences (
    id            INTEGER PRIMARY KEY,
    tenant_id     INTEGER NOT NULL REFERENCES tenants(id),
    ref           TEXT NOT NULL UNIQUE,
    account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    starts_at     DATETIME NOT NULL,
    ends_at       DATETIME NOT NULL,
    created_at    DATETIME NOT NULL,
    created_by    TEXT NOT NULL,
    cancelled_at  DATETIME,
    CHECK (ends_at > starts_at)
);
CREATE INDEX absences_account ON absences (account_id, starts_at);

-- +goose Down
SELECT 'forward-only';
