-- Token scopes (see usher_core::scope): an admin API token may act on part
-- of the tenant's directory only, the members of one group or the users
-- whose custom attribute holds one value. The scope is kept on the token as
-- a role assignment keeps its own (0025_admin_scopes.sql); all three
-- columns are NULL for the whole tenant. When the group goes, so do the
-- tokens scoped to it (ON DELETE CASCADE): deleting a group can never turn
-- a scoped token into one of the whole tenant.
ALTER TABLE api_tokens
    ADD COLUMN scope_group_key bigint REFERENCES groups (key) ON DELETE CASCADE,
    ADD COLUMN scope_attribute text,
    ADD COLUMN scope_value     text;
-- Lets a group's delete find the tokens scoped to it without reading every
-- token.
CREATE INDEX api_tokens_scope_group ON api_tokens (scope_group_key)
    WHERE scope_group_key IS NOT NULL;
