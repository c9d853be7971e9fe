-- +goose Up
-- Who keeps which blob. A domain that stores a blob's key in one of its rows
-- records a reference here in the same transaction (blob.Keep), and removes
-- it when the row goes (blob.Release). A blob is written to the store before
-- its reference, so a crash leaves at most an unreferenced blob, which the
-- clean-up removes after a grace period — never a row pointing at nothing.

CREATE TABLE blob_refs (
    sha256     TEXT NOT NULL REFERENCES blobs(sha256),
    owner      TEXT NOT NULL CHECK (length(owner) BETWEEN 1 AND 200),
    tenant_id  BIGINT,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (sha256, owner)
);
CREATE INDEX blob_refs_owner ON blob_refs (owner);

-- +goose Down
SELECT 'forward-only';
