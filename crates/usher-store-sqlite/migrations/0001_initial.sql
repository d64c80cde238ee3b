-- Usher's first schema on SQLite.
--
-- Conventions: ids are UUIDs stored as 16-byte BLOBs; every instant is an
-- INTEGER of microseconds since the Unix epoch (what PostgreSQL keeps, so
-- both backends return identical values). Big tables are keyed by an
-- INTEGER rowid ("key") so that their many index entries stay small, and
-- name their tenant by the tenant's integer key for the same reason.
-- User states are small integers: 0 not_invited, 1 pending_invitation,
-- 2 expired_invitation, 3 active, 4 blocked, 5 disabled.

CREATE TABLE tenants (
    key        INTEGER PRIMARY KEY,
    id         BLOB    NOT NULL UNIQUE,
    slug       TEXT    NOT NULL UNIQUE,
    name       TEXT    NOT NULL,
    settings   TEXT    NOT NULL,          -- JSON of TenantSettings
    created_at INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    id         BLOB    PRIMARY KEY,
    tenant_key INTEGER REFERENCES tenants(key),  -- NULL: super-admin
    scope      TEXT    NOT NULL,                 -- admin | scim
    name       TEXT    NOT NULL,
    hash       BLOB    NOT NULL UNIQUE,          -- SHA-256 of the secret; authentication looks tokens up by it
    created_at INTEGER NOT NULL
);

CREATE TABLE users (
    key                   INTEGER PRIMARY KEY,
    id                    BLOB    NOT NULL UNIQUE,
    tenant_key            INTEGER NOT NULL REFERENCES tenants(key),
    email                 TEXT    NOT NULL,
    -- Case-folded in Rust (SQLite's lower() knows only ASCII): the unique
    -- login key and the sort key of every user list.
    email_norm            TEXT    NOT NULL,
    first_name            TEXT,
    last_name             TEXT,
    phone                 TEXT,
    personal_email        TEXT,
    username              TEXT,
    username_norm         TEXT,
    language              TEXT    NOT NULL,
    state                 INTEGER NOT NULL,
    invitation_expires_at INTEGER,
    archived              INTEGER NOT NULL,
    source                TEXT    NOT NULL,
    external_id           TEXT,
    attributes            TEXT    NOT NULL,  -- JSON object of custom attribute values
    -- The user's search terms, each preceded by U+001F: a page of a search
    -- with many matches is read in email order testing instr(search_blob, ?).
    search_blob           TEXT    NOT NULL,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL,
    signup_completed_at   INTEGER,
    last_login_at         INTEGER,
    last_failed_login_at  INTEGER,
    mfa_enrolled          INTEGER NOT NULL DEFAULT 0,
    version               INTEGER NOT NULL
);

-- Login key and list order: pages of the unfiltered list are ranges of it.
CREATE UNIQUE INDEX users_email ON users (tenant_key, email_norm);
CREATE UNIQUE INDEX users_username ON users (tenant_key, username_norm) WHERE username_norm IS NOT NULL;
CREATE UNIQUE INDEX users_external_id ON users (tenant_key, source, external_id) WHERE external_id IS NOT NULL;
-- Pages filtered by state (and archived) are ranges of this one, in email order.
CREATE INDEX users_state_order ON users (tenant_key, state, archived, email_norm);
-- Pages filtered by archived alone.
CREATE INDEX users_archived_order ON users (tenant_key, archived, email_norm);
-- Pending invitations by expiry: the sweep, and counting expired ones not yet swept.
CREATE INDEX users_pending_expiry ON users (tenant_key, invitation_expires_at) WHERE state = 1;

-- Exact counts per state without scanning: maintained with every user write.
CREATE TABLE user_counts (
    tenant_key INTEGER NOT NULL,
    state      INTEGER NOT NULL,
    archived   INTEGER NOT NULL,
    n          INTEGER NOT NULL,
    PRIMARY KEY (tenant_key, state, archived)
) WITHOUT ROWID;

-- The search index (see usher_core::search): one row per distinct search
-- term of a user (weight +1) or common prefix of neighbouring terms
-- (negative weight), so that SUM(weight) over a prefix range counts
-- distinct users. The user's filter columns and sort key are copied here
-- so that counting and ordering a search never touch the users table.
CREATE TABLE user_search (
    tenant_key            INTEGER NOT NULL,
    term                  TEXT    NOT NULL,
    user_key              INTEGER NOT NULL,
    weight                INTEGER NOT NULL,
    state                 INTEGER NOT NULL,
    archived              INTEGER NOT NULL,
    invitation_expires_at INTEGER,
    email_norm            TEXT    NOT NULL,
    PRIMARY KEY (tenant_key, term, user_key)
) WITHOUT ROWID;

-- The search rows' weights summed per term cut to 2, 4 and 8 characters
-- (usher_core::search::head_rows): counting a search of up to eight
-- characters reads a few hundred of these rows however many users match.
CREATE TABLE search_heads (
    tenant_key INTEGER NOT NULL,
    level      INTEGER NOT NULL,
    head       TEXT    NOT NULL,
    state      INTEGER NOT NULL,
    archived   INTEGER NOT NULL,
    n          INTEGER NOT NULL,
    PRIMARY KEY (tenant_key, level, head, state, archived)
) WITHOUT ROWID;

-- Which users hold a value of which custom attribute: the in-use check and
-- the purge when a definition is removed.
CREATE TABLE user_attribute_index (
    tenant_key INTEGER NOT NULL,
    name_key   TEXT    NOT NULL,   -- lower-case attribute name
    user_key   INTEGER NOT NULL,
    PRIMARY KEY (tenant_key, name_key, user_key)
) WITHOUT ROWID;

CREATE TABLE attribute_definitions (
    tenant_key INTEGER NOT NULL,
    name_key   TEXT    NOT NULL,   -- names are unique ignoring case
    name       TEXT    NOT NULL,
    label      TEXT    NOT NULL,
    max_length INTEGER NOT NULL,
    regex      TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_key, name_key)
) WITHOUT ROWID;

-- Invitation and password-reset links; only the hash of the secret.
CREATE TABLE links (
    id         BLOB    PRIMARY KEY,
    tenant_key INTEGER NOT NULL,
    user_key   INTEGER NOT NULL,
    kind       TEXT    NOT NULL,
    hash       BLOB    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX links_user ON links (user_key, kind);

-- The audit log: one hash chain per tenant (chain = tenant id) plus the
-- global chain (chain = nil UUID). payload is the exact JSON the hash covers.
CREATE TABLE audit_events (
    chain       BLOB    NOT NULL,
    seq         INTEGER NOT NULL,
    id          BLOB    NOT NULL,
    occurred_at INTEGER NOT NULL,
    actor_id    TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    target_id   TEXT,
    outcome     TEXT    NOT NULL,
    payload     TEXT    NOT NULL,
    hash        TEXT    NOT NULL,
    UNIQUE (chain, seq)
);
-- The filters of GET /audit, each in sequence order.
CREATE INDEX audit_by_actor ON audit_events (chain, actor_id, seq);
CREATE INDEX audit_by_target ON audit_events (chain, target_id, seq);
CREATE INDEX audit_by_action ON audit_events (chain, action, seq);
CREATE INDEX audit_by_time ON audit_events (chain, occurred_at);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;

-- The last event of each chain, read and advanced under the write lock.
CREATE TABLE audit_heads (
    chain BLOB    PRIMARY KEY,
    seq   INTEGER NOT NULL,
    hash  TEXT    NOT NULL
);
