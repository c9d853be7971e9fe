-- +goose Up
-- Personal API tokens: a token may belong to an account and then acts as
-- that person, with the account's roles at the time of the request (role is
-- '' for those); integration tokens keep their one role and no account.
-- Token names are unique per account for personal tokens and per tenant for
-- integration tokens, so two clerks may both call theirs "laptop".

ALTER TABLE api_tokens ADD COLUMN account_id BIGINT REFERENCES accounts(id);
ALTER TABLE api_tokens ALTER COLUMN role SET DEFAULT '';
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_tenant_id_name_key;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_owner CHECK ((account_id IS NULL) <> (role = ''));
CREATE UNIQUE INDEX api_tokens_integration_name ON api_tokens (tenant_id, name) WHERE account_id IS NULL;
CREATE UNIQUE INDEX api_tokens_personal_name ON api_tokens (account_id, name) WHERE account_id IS NOT NULL;

-- +goose Down
SELECT 'forward-only';
