-- Roles a tenant defines and assigns to its users. Names are unique per
-- tenant ignoring case (name_key is the name in ASCII lower case; names
-- are ASCII). Built-in admin roles get a row (built_in = 1) the first time
-- one is assigned, so that assignments always name a row; lists of the
-- tenant's roles leave them out.
CREATE TABLE roles (
    tenant_key  INTEGER NOT NULL REFERENCES tenants(key),
    name_key    TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    description TEXT,
    built_in    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_key, name_key)
) WITHOUT ROWID;

-- Deleting a user or a role removes its assignments.
CREATE TABLE user_roles (
    tenant_key  INTEGER NOT NULL,
    role_key    TEXT    NOT NULL,
    user_key    INTEGER NOT NULL REFERENCES users(key) ON DELETE CASCADE,
    assigned_at INTEGER NOT NULL,
    PRIMARY KEY (user_key, role_key),
    FOREIGN KEY (tenant_key, role_key) REFERENCES roles(tenant_key, name_key) ON DELETE CASCADE
) WITHOUT ROWID;
-- The holders of a role (counts, force deletes).
CREATE INDEX user_roles_role ON user_roles (tenant_key, role_key, user_key);
