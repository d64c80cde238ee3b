-- End-user sessions. Each secret is stored as its SHA-256 hash only.
CREATE TABLE sessions (
    id                uuid        PRIMARY KEY,
    tenant_key        bigint      NOT NULL,
    user_key          bigint      NOT NULL REFERENCES users (key) ON DELETE CASCADE,
    session_hash      bytea       NOT NULL UNIQUE,
    access_hash       bytea       NOT NULL UNIQUE,
    access_expires_at timestamptz NOT NULL,
    refresh_hash      bytea       NOT NULL UNIQUE,
    created_at        timestamptz NOT NULL,
    last_seen_at      timestamptz NOT NULL,
    expires_at        timestamptz NOT NULL,
    ip                text,
    user_agent        text,
    platform          text        NOT NULL,
    os                text,
    os_version        text,
    browser           text,
    browser_version   text,
    location          text
);
CREATE INDEX sessions_user ON sessions (user_key, created_at);

-- Refresh tokens already replaced: one coming back ends its session.
CREATE TABLE spent_refresh_tokens (
    hash       bytea       PRIMARY KEY,
    session_id uuid        NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    spent_at   timestamptz NOT NULL
);
CREATE INDEX spent_refresh_by_session ON spent_refresh_tokens (session_id);

-- Consecutive login failures per account and per client address, kept in
-- the database so that every process and every restart sees them.
CREATE TABLE login_throttle (
    tenant_key      bigint      NOT NULL,
    key             text        NOT NULL,
    failures        integer     NOT NULL,
    last_failure_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_key, key)
);
