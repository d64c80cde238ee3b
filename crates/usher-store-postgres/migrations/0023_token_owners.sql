-- The admin person who made a token while logged in; the token works only
-- while they may still do what it does, and goes with them. NULL: a token
-- of a service account (made by another token or the CLI).
ALTER TABLE api_tokens ADD COLUMN owner_key bigint REFERENCES users (key) ON DELETE CASCADE;
CREATE INDEX api_tokens_owner ON api_tokens (owner_key) WHERE owner_key IS NOT NULL;
