-- Admin sessions: a person with an admin role logged in to the admin side
-- (apart from their end-user sessions). Found by the hash of their one
-- token; they go with their user, and end with the user's other sessions.
CREATE TABLE admin_sessions (
    hash         BLOB    PRIMARY KEY,
    id           BLOB    NOT NULL UNIQUE,
    tenant_key   INTEGER NOT NULL REFERENCES tenants(key),
    user_key     INTEGER NOT NULL REFERENCES users(key) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    ip           TEXT,
    user_agent   TEXT
);
CREATE INDEX admin_sessions_user ON admin_sessions (user_key);

-- A login's second-factor challenge says whether it opens an admin session.
ALTER TABLE mfa_challenges ADD COLUMN admin INTEGER NOT NULL DEFAULT 0;
