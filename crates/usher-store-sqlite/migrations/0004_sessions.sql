-- End-user sessions. Each secret is stored as its SHA-256 hash only.
CREATE TABLE sessions (
    id                BLOB    PRIMARY KEY,
    tenant_key        INTEGER NOT NULL,
    user_key          INTEGER NOT NULL REFERENCES users(key) ON DELETE CASCADE,
    session_hash      BLOB    NOT NULL UNIQUE,
    access_hash       BLOB    NOT NULL UNIQUE,
    access_expires_at INTEGER NOT NULL,
    refresh_hash      BLOB    NOT NULL UNIQUE,
    created_at        INTEGER NOT NULL,
    last_seen_at      INTEGER NOT NULL,
    expires_at        INTEGER NOT NULL,
    ip                TEXT,
    user_agent        TEXT,
    platform          TEXT    NOT NULL,
    os                TEXT,
    os_version        TEXT,
    browser           TEXT,
    browser_version   TEXT,
    location          TEXT
);
CREATE INDEX sessions_user ON sessions (user_key, created_at);

-- Refresh tokens already replaced: one coming back ends its session.
CREATE TABLE spent_refresh_tokens (
    hash       BLOB    PRIMARY KEY,
    session_id BLOB    NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    spent_at   INTEGER NOT NULL
);
CREATE INDEX spent_refresh_by_session ON spent_refresh_tokens (session_id);

-- Consecutive login failures per account and per client address, kept in
-- the database so that every process and every restart sees them.
CREATE TABLE login_throttle (
    tenant_key      INTEGER NOT NULL,
    key             TEXT    NOT NULL,
    failures        INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_key, key)
) WITHOUT ROWID;
