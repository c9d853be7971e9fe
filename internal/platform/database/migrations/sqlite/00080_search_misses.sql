-- +goose Up
-- Searches of the finder that found nothing or were given up (the citizen
-- said "nothing fitting"), counted per tenant, month and query words
-- (internal/catalog). Only the words are kept — no person, address,
-- session or time of day — and catalog staff see a row only once it
-- counts at least five searches. Searches are counted in memory and added
-- here in batches, so counting never slows a search.
CREATE TABLE search_misses (
    tenant_id  INTEGER NOT NULL REFERENCES tenants(id),
    month      TEXT NOT NULL CHECK (length(month) = 7),       -- YYYY-MM (UTC)
    words      TEXT NOT NULL CHECK (length(words) BETWEEN 1 AND 200),
    kind       TEXT NOT NULL CHECK (kind IN ('none', 'abandoned')),
    searches   INTEGER NOT NULL CHECK (searches > 0),
    PRIMARY KEY (tenant_id, month, words, kind)
);

-- +goose Down
DROP TABLE search_misses;
