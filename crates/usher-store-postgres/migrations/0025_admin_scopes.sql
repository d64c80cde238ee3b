-- Admin scopes (see usher_core::scope): an assignment of a built-in admin
-- role may cover only part of the tenant's directory, either the members
-- of one group or the users whose custom attribute holds one value. The
-- scope lives on the assignment itself; all three columns are NULL when it
-- covers the whole tenant. When the group goes, so do the assignments held
-- under it (ON DELETE CASCADE), so that deleting a group can never turn a
-- scoped admin into one of the whole tenant.
ALTER TABLE user_roles
    ADD COLUMN scope_group_key bigint REFERENCES groups (key) ON DELETE CASCADE,
    ADD COLUMN scope_attribute text,
    ADD COLUMN scope_value     text;
-- Lets a group's delete find the assignments scoped to it without reading
-- every assignment.
CREATE INDEX user_roles_scope_group ON user_roles (scope_group_key);
