-- +goose Up
-- Counters of the shared rate limiter (platform/ratelimit): one row per
-- rule, hashed key and fixed window, so that every rathaus process counts
-- against the same limit. Keys are SHA-256 of the limited subject (address,
-- recipient, account), never the subject itself. Old windows are deleted by
-- the limiter's clean-up.

CREATE TABLE rate_limits (
    rule         TEXT NOT NULL CHECK (length(rule) BETWEEN 1 AND 64),
    key_hash     TEXT NOT NULL CHECK (length(key_hash) = 64),
    window_start DATETIME NOT NULL,
    hits         INTEGER NOT NULL CHECK (hits >= 0),
    expires_at   DATETIME NOT NULL,
    PRIMARY KEY (rule, key_hash, window_start)
);
CREATE INDEX rate_limits_expiry ON rate_limits (expires_at);

-- +goose Down
SELECT 'forward-only';
