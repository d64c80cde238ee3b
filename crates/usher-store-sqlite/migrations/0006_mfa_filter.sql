-- The list filter `mfa=true|false` (users with or without a confirmed
-- second factor, the derived users.mfa_enrolled), combinable with state,
-- archived and search, with exact totals and keyset pages.

-- Filtered pages are ranges of this index in email order. It replaces
-- users_state_order (one index for another, so a user write touches no
-- more index entries than before) and adds mfa_enrolled ahead of the email:
-- `mfa=true` and `mfa=false` are both exact ranges however rare either is
-- (`mfa=false&state=active` in a tenant where nearly everyone enrolled is
-- the compliance question). Lists without the mfa filter read both mfa
-- ranges of each state and merge them (usher_core::listing::UserQuery::ranges).
-- Building it reads every user once, here, during the migration (0.2 s at
-- 200,000 users).
DROP INDEX users_state_order;
CREATE INDEX users_filter_order ON users (tenant_key, state, archived, mfa_enrolled, email_norm);

-- A search with the mfa filter alone walks users in email order like one
-- without filters (usher_store_sqlite::list::walk_blobs); with the flag
-- in the covering index it is tested there too, without visiting the
-- users table. Same entries as before, one byte longer; rebuilding it
-- took 0.35 s at 200,000 users.
DROP INDEX users_email_search;
CREATE INDEX users_email_search ON users (tenant_key, email_norm, search_blob, mfa_enrolled);

-- The same for enrolled users only, so that a search with `mfa=true` (most
-- often a minority) walks just them. Writes of users without a second
-- factor do not touch it.
CREATE INDEX users_mfa_search ON users (tenant_key, email_norm, search_blob) WHERE mfa_enrolled = 1;

-- Exact counts of enrolled users per state, beside user_counts (which
-- counts everyone): `mfa=true` totals read this, `mfa=false` the
-- difference. Only writes of enrolled users (and enrolment itself) touch
-- it, in the same transaction as the change.
CREATE TABLE mfa_counts (
    tenant_key INTEGER NOT NULL,
    state      INTEGER NOT NULL,
    archived   INTEGER NOT NULL,
    n          INTEGER NOT NULL,
    PRIMARY KEY (tenant_key, state, archived)
) WITHOUT ROWID;
INSERT INTO mfa_counts (tenant_key, state, archived, n)
SELECT tenant_key, state, archived, COUNT(*) FROM users WHERE mfa_enrolled = 1
GROUP BY tenant_key, state, archived;

-- The search rows carry the user's mfa_enrolled like its other filter
-- columns, so that a search with the mfa filter is counted and paged from
-- them alone. Setting it for enrolled users reads the search rows once.
ALTER TABLE user_search ADD COLUMN mfa_enrolled INTEGER NOT NULL DEFAULT 0;
UPDATE user_search SET mfa_enrolled = 1
WHERE user_key IN (SELECT key FROM users WHERE mfa_enrolled = 1);

-- search_heads restricted to enrolled users: the total of a search of up to
-- eight characters with `mfa=true` reads these, with `mfa=false` the
-- difference. Heads are search-row weights summed per term cut to 2, 4 and
-- 8 characters (usher_core::search::head_rows), which SQL can redo here.
CREATE TABLE mfa_search_heads (
    tenant_key INTEGER NOT NULL,
    level      INTEGER NOT NULL,
    head       TEXT    NOT NULL,
    state      INTEGER NOT NULL,
    archived   INTEGER NOT NULL,
    n          INTEGER NOT NULL,
    PRIMARY KEY (tenant_key, level, head, state, archived)
) WITHOUT ROWID;
INSERT INTO mfa_search_heads (tenant_key, level, head, state, archived, n)
SELECT s.tenant_key, l.level, substr(s.term, 1, l.level), s.state, s.archived, SUM(s.weight)
FROM user_search s, (SELECT 2 AS level UNION ALL SELECT 4 UNION ALL SELECT 8) l
WHERE s.mfa_enrolled = 1
GROUP BY s.tenant_key, l.level, substr(s.term, 1, l.level), s.state, s.archived
HAVING SUM(s.weight) <> 0;
