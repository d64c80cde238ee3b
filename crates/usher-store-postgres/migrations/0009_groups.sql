-- Groups (SCIM /Groups; the admin API's GET /groups): named sets of a
-- tenant's users. Names are unique per tenant ignoring case (name_norm is
-- case-folded in Rust, like users.email_norm).
CREATE TABLE groups (
    key          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           uuid        NOT NULL CONSTRAINT groups_id UNIQUE,
    tenant_key   bigint      NOT NULL REFERENCES tenants (key),
    display_name text        NOT NULL,
    name_norm    text        COLLATE "C" NOT NULL,
    external_id  text,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    version      bigint      NOT NULL
);
CREATE UNIQUE INDEX groups_name ON groups (tenant_key, name_norm);
CREATE INDEX groups_external_id ON groups (tenant_key, external_id) WHERE external_id IS NOT NULL;

-- Membership: deleting a user or a group removes its rows.
CREATE TABLE group_members (
    group_key bigint NOT NULL REFERENCES groups (key) ON DELETE CASCADE,
    user_key  bigint NOT NULL REFERENCES users (key) ON DELETE CASCADE,
    PRIMARY KEY (group_key, user_key)
);
-- A user's groups (GET /users/{id}/groups) and the cascade on user deletes.
CREATE INDEX group_members_user ON group_members (user_key, group_key);
