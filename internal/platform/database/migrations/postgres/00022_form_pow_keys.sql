-- +goose Up
-- Online forms (internal/forms): each tenant's key for signing the
-- proof-of-work challenges that anonymous applicants solve once many
-- anonymous drafts have been started (internal/platform/pow). Kept in the
-- database so that every process of an installation verifies what another
-- issued.
CREATE TABLE form_pow_keys (
    tenant_id  BIGINT PRIMARY KEY REFERENCES tenants(id),
    pow_key    TEXT NOT NULL
);

-- +goose Down
DROP TABLE form_pow_keys;
