-- +goose Up
-- The answer of a service's form that counts the units of a per-quantity
-- or stepped fee (e.g. the months of a resident parking permit); '' means
-- one unit. Kept by payments beside the fee it counts.
ALTER TABLE payment_settings ADD COLUMN quantity_field TEXT NOT NULL DEFAULT '';

-- +goose Down
SELECT 'forward-only';
