-- Token scopes: an admin API token acts on part of the directory only,
-- the members of a group or the users whose custom attribute has a value
-- (see usher_core::scope), kept as a role assignment keeps its scope
-- (0024_admin_scopes.sql); NULL in all three for the whole tenant.
-- Deleting the group deletes the tokens scoped to it (ON DELETE CASCADE):
-- a token never outlives its scope as a token of the whole tenant.
ALTER TABLE api_tokens ADD COLUMN scope_group_key INTEGER REFERENCES groups(key) ON DELETE CASCADE;
ALTER TABLE api_tokens ADD COLUMN scope_attribute TEXT;
ALTER TABLE api_tokens ADD COLUMN scope_value TEXT;
-- The cascade of a group delete finds the tokens scoped to it.
CREATE INDEX api_tokens_scope_group ON api_tokens (scope_group_key) WHERE scope_group_key IS NOT NULL;
