-- +goose Up
-- When a blob was last put into the store or kept by a row. The clean-up
-- removes an unreferenced blob only when this is older than its grace
-- period. A Put touches the row before it places the object, and a Put of
-- bytes already stored skips the upload (content addressing), so without
-- this the clean-up could delete an old unreferenced object between that
-- Put and the Keep of the row that is about to refer to it.
ALTER TABLE blobs ADD COLUMN touched_at DATETIME;
UPDATE blobs SET touched_at = created_at;
CREATE INDEX blobs_touched ON blobs (touched_at);

-- +goose Down
SELECT 'forward-only';
