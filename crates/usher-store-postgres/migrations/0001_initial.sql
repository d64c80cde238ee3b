-- Usher's first schema on PostgreSQL.
--
-- It mirrors the SQLite schema (usher-store-sqlite/migrations/0001_initial.sql)
-- table for table, so that both backends run the same algorithms and answer
-- identically. Conventions:
--
-- * Ids are uuid; instants are timestamptz. The core clock truncates to
--   microseconds, which is exactly what timestamptz keeps.
-- * Big tables have a bigint identity "key", and name their tenant by the
--   tenant's bigint key rather than its uuid. The search index holds about
--   ten rows per user, each repeating tenant and user: 8-byte keys instead of
--   16-byte uuids keep those index entries (and the ones of user_counts,
--   links and user_attribute_index) small, as the SQLite schema does. Tenant
--   keys never change, so the store caches them per process.
-- * Text that is compared by range or used for ordering is COLLATE "C":
--   bytewise order, which for UTF-8 is code point order. That is what SQLite
--   does, what the search prefix's upper bound (usher_core::search) assumes
--   and what cursors were made from. Under a linguistic collation
--   `p <= term < upper(p)` is not a prefix range, and pages would be ordered
--   differently on each backend.
-- * User states are small integers: 0 not_invited, 1 pending_invitation,
--   2 expired_invitation, 3 active, 4 blocked, 5 disabled.
-- * Constraints and unique indexes whose violation is a client's conflict
--   (a taken email, a taken slug) are named explicitly: the store maps the
--   name to the conflict's code (src/error.rs).

CREATE TABLE tenants (
    key        bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id         uuid        NOT NULL CONSTRAINT tenants_id UNIQUE,
    slug       text        COLLATE "C" NOT NULL CONSTRAINT tenants_slug UNIQUE,
    name       text        NOT NULL,
    settings   jsonb       NOT NULL,    -- TenantSettings
    created_at timestamptz NOT NULL
);

CREATE TABLE api_tokens (
    id         uuid        PRIMARY KEY,
    tenant_key bigint      REFERENCES tenants (key),  -- NULL: super-admin
    scope      text        NOT NULL,                  -- admin | scim
    name       text        NOT NULL,
    -- SHA-256 of the secret; authentication looks tokens up by it.
    hash       bytea       NOT NULL CONSTRAINT api_tokens_hash UNIQUE,
    created_at timestamptz NOT NULL
);

CREATE TABLE users (
    key                   bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                    uuid        NOT NULL CONSTRAINT users_id UNIQUE,
    tenant_key            bigint      NOT NULL REFERENCES tenants (key),
    email                 text        NOT NULL,
    -- Case-folded in Rust (Unicode default case folding, which lower() is
    -- not): the unique login key and the sort key of every user list.
    email_norm            text        COLLATE "C" NOT NULL,
    first_name            text,
    last_name             text,
    phone                 text,
    personal_email        text,
    username              text,
    username_norm         text,
    language              text        NOT NULL,
    state                 smallint    NOT NULL,
    invitation_expires_at timestamptz,
    archived              boolean     NOT NULL,
    source                text        NOT NULL,
    external_id           text,
    attributes            jsonb       NOT NULL,  -- object of custom attribute values
    -- The user's search terms, each preceded by U+001F: a page of a search
    -- with many matches is read in email order testing
    -- strpos(search_blob, U+001F || prefix).
    search_blob           text        NOT NULL,
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL,
    signup_completed_at   timestamptz,
    last_login_at         timestamptz,
    last_failed_login_at  timestamptz,
    mfa_enrolled          boolean     NOT NULL DEFAULT false,
    version               bigint      NOT NULL
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
-- Rows are updated constantly; the spare room per page lets PostgreSQL
-- update them in place (HOT) instead of growing the table.
CREATE TABLE user_counts (
    tenant_key bigint   NOT NULL,
    state      smallint NOT NULL,
    archived   boolean  NOT NULL,
    n          bigint   NOT NULL,
    PRIMARY KEY (tenant_key, state, archived)
) WITH (fillfactor = 50);

-- The search index (see usher_core::search): one row per distinct search
-- term of a user (weight +1) or common prefix of neighbouring terms
-- (negative weight), so that SUM(weight) over a prefix range counts
-- distinct users. The user's filter columns and sort key are copied here
-- so that counting and ordering a search never touch the users table. The
-- primary key carries the filter columns and the weight too (INCLUDE): the
-- total of a search is then an index-only scan of the prefix range, what
-- SQLite gets from a WITHOUT ROWID table.
CREATE TABLE user_search (
    tenant_key            bigint      NOT NULL,
    term                  text        COLLATE "C" NOT NULL,
    user_key              bigint      NOT NULL,
    weight                smallint    NOT NULL,
    state                 smallint    NOT NULL,
    archived              boolean     NOT NULL,
    invitation_expires_at timestamptz,
    email_norm            text        COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant_key, term, user_key) INCLUDE (weight, state, archived, invitation_expires_at)
);

-- The search rows' weights summed per term cut to 2, 4 and 8 characters
-- (usher_core::search::head_rows), per state and archived flag: counting a
-- search of up to eight characters reads a few hundred of these rows
-- however many users match. Updated by every write that changes search
-- rows, hence the spare room per page.
CREATE TABLE search_heads (
    tenant_key bigint   NOT NULL,
    level      smallint NOT NULL,
    head       text     COLLATE "C" NOT NULL,
    state      smallint NOT NULL,
    archived   boolean  NOT NULL,
    n          bigint   NOT NULL,
    PRIMARY KEY (tenant_key, level, head, state, archived)
) WITH (fillfactor = 50);

-- Which users hold a value of which custom attribute: the in-use check and
-- the purge when a definition is removed.
CREATE TABLE user_attribute_index (
    tenant_key bigint NOT NULL,
    name_key   text   COLLATE "C" NOT NULL,   -- lower-case attribute name
    user_key   bigint NOT NULL,
    PRIMARY KEY (tenant_key, name_key, user_key)
);

CREATE TABLE attribute_definitions (
    tenant_key bigint      NOT NULL,
    name_key   text        COLLATE "C" NOT NULL,   -- names are unique ignoring case
    name       text        NOT NULL,
    label      text        NOT NULL,
    max_length integer     NOT NULL,
    regex      text,
    created_at timestamptz NOT NULL,
    CONSTRAINT attribute_definitions_name PRIMARY KEY (tenant_key, name_key)
);

-- Invitation and password-reset links; only the hash of the secret.
CREATE TABLE links (
    id         uuid        PRIMARY KEY,
    tenant_key bigint      NOT NULL,
    user_key   bigint      NOT NULL,
    kind       text        NOT NULL,
    hash       bytea       NOT NULL CONSTRAINT links_hash UNIQUE,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX links_user ON links (user_key, kind);

-- The audit log: one hash chain per tenant (chain = tenant id) plus the
-- global chain (chain = nil uuid). payload is the exact JSON text the hash
-- covers, so it is text and never jsonb (which would reorder and respace
-- it). actor_id, action, target_id and occurred_at repeat parts of it for
-- the filters of GET /audit.
CREATE TABLE audit_events (
    chain       uuid        NOT NULL,
    seq         bigint      NOT NULL,
    id          uuid        NOT NULL,
    occurred_at timestamptz NOT NULL,
    actor_id    text        NOT NULL,
    action      text        NOT NULL,
    target_id   text,
    outcome     text        NOT NULL,
    payload     text        NOT NULL,
    hash        text        NOT NULL,
    PRIMARY KEY (chain, seq)
);
-- The filters of GET /audit, each in sequence order.
CREATE INDEX audit_by_actor ON audit_events (chain, actor_id, seq);
CREATE INDEX audit_by_target ON audit_events (chain, target_id, seq);
CREATE INDEX audit_by_action ON audit_events (chain, action, seq);
CREATE INDEX audit_by_time ON audit_events (chain, occurred_at);

-- Events are never changed or removed by Usher; the triggers make a
-- mistake (or a careless operator) fail loudly instead of silently
-- breaking the chain.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END
$$;
CREATE TRIGGER audit_events_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- The last event of each chain. Every write locks its chain's row
-- (SELECT ... FOR UPDATE) as its last step, which orders appends across
-- processes; updated constantly, hence the spare room per page.
CREATE TABLE audit_heads (
    chain uuid   PRIMARY KEY,
    seq   bigint NOT NULL,
    hash  text   NOT NULL
) WITH (fillfactor = 50);
