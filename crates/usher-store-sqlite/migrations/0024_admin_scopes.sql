-- Admin scopes: a built-in admin role may be held for part of the
-- directory only, the members of a group or the users whose custom
-- attribute has a value (see usher_core::scope). Kept with the assignment;
-- NULL in all three for the whole tenant. Deleting the group takes the
-- roles held under it away (ON DELETE CASCADE): a scope is never widened
-- behind anyone's back.
ALTER TABLE user_roles ADD COLUMN scope_group_key INTEGER REFERENCES groups(key) ON DELETE CASCADE;
ALTER TABLE user_roles ADD COLUMN scope_attribute TEXT;
ALTER TABLE user_roles ADD COLUMN scope_value TEXT;
-- The cascade of a group delete finds the assignments held under it.
CREATE INDEX user_roles_scope_group ON user_roles (scope_group_key);
