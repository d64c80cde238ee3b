-- Admin sessions: a person with an admin role logged in to the admin side
-- (apart from their end-user sessions). Found by the hash of their one
-- token; they go with their user, and end with the user's other sessions.
CREATE TABLE admin_sessions (
    hash         bytea       PRIMARY KEY,
    id           uuid        NOT NULL UNIQUE,
    tenant_key   bigint      NOT NULL REFERENCES tenants (key),
    user_key     bigint      NOT NULL REFERENCES users (key) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    ip           text,
    user_agent   text
);
CREATE INDEX admin_sessions_user ON admin_sessions (user_key);

-- A login's second-factor challenge says whether it opens an admin session.
ALTER TABLE mfa_challenges ADD COLUMN admin boolean NOT NULL DEFAULT false;
