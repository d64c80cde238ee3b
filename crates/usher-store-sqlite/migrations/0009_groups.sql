-- Groups (SCIM /Groups; the admin API's GET /groups): named sets of a
-- tenant's users. Names are unique per tenant ignoring case (name_norm is
-- case-folded in Rust, like users.email_norm).
CREATE TABLE groups (
    key          INTEGER PRIMARY KEY,
    id           BLOB    NOT NULL UNIQUE,
    tenant_key   INTEGER NOT NULL REFERENCES tenants(key),
    display_name TEXT    NOT NULL,
    name_norm    TEXT    NOT NULL,
    external_id  TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    version      INTEGER NOT NULL
);
CREATE UNIQUE INDEX groups_name ON groups (tenant_key, name_norm);
CREATE INDEX groups_external_id ON groups (tenant_key, external_id) WHERE external_id IS NOT NULL;

-- Membership: deleting a user or a group removes its rows.
CREATE TABLE group_members (
    group_key INTEGER NOT NULL REFERENCES groups(key) ON DELETE CASCADE,
    user_key  INTEGER NOT NULL REFERENCES users(key) ON DELETE CASCADE,
    PRIMARY KEY (group_key, user_key)
) WITHOUT ROWID;
-- A user's groups (GET /users/{id}/groups) and the cascade on user deletes.
CREATE INDEX group_members_user ON group_members (user_key, group_key);
