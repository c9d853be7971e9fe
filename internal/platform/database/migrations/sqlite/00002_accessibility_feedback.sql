-- +goose Up
-- Feedback on barriers, sent with the form on the accessibility statement
-- page (BITV 2.0 § 7 requires such a feedback mechanism). Kept durably until
-- the municipality has answered; name and email are optional and only for
-- the answer. Owned by the web shell (internal/app, pages_feedback.go).

CREATE TABLE accessibility_feedback (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id),
    ref         TEXT NOT NULL UNIQUE,
    message     TEXT NOT NULL CHECK (length(message) BETWEEN 1 AND 5000),
    page        TEXT NOT NULL DEFAULT '' CHECK (length(page) <= 500),
    name        TEXT NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    email       TEXT NOT NULL DEFAULT '' CHECK (length(email) <= 254),
    lang        TEXT NOT NULL CHECK (lang IN ('de', 'en')),
    created_at  DATETIME NOT NULL,
    answered_at DATETIME
);
CREATE INDEX accessibility_feedback_open ON accessibility_feedback (tenant_id, answered_at, created_at);

-- +goose Down
SELECT 'forward-only';
