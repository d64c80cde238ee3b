-- The list filter `mfa=true|false` (users with or without a confirmed
-- second factor, the derived users.mfa_enrolled), combinable with state,
-- archived and search, with exact totals and keyset pages. The SQLite
-- store's migration of the same name makes the same changes.

-- Filtered pages are ranges of this index in email order. It replaces
-- users_state_order (one index for another, so a user write touches no
-- more index entries than before) and adds mfa_enrolled ahead of the email:
-- `mfa=true` and `mfa=false` are both exact ranges however rare either is
-- (`mfa=false&state=active` in a tenant where nearly everyone enrolled is
-- the compliance question). Lists without the mfa filter read both mfa
-- ranges of each state and merge them (usher_core::listing::UserQuery::ranges).
-- Building it reads every user once and holds the table's lock meanwhile
-- (a few seconds at a million users), here, during the migration.
DROP INDEX users_state_order;
CREATE INDEX users_filter_order ON users (tenant_key, state, archived, mfa_enrolled, email_norm);

-- Enrolled users in email order: a search with `mfa=true` (most often a
-- minority) walks just them. Writes of users without a second factor do
-- not touch it.
CREATE INDEX users_mfa_email ON users (tenant_key, email_norm) WHERE mfa_enrolled;

-- Exact counts of enrolled users per state, beside user_counts (which
-- counts everyone): `mfa=true` totals read this, `mfa=false` the
-- difference. Only writes of enrolled users (and enrolment itself) touch
-- it, in the same transaction as the change; updated in place like
-- user_counts, hence the spare room per page.
CREATE TABLE mfa_counts (
    tenant_key bigint   NOT NULL,
    state      smallint NOT NULL,
    archived   boolean  NOT NULL,
    n          bigint   NOT NULL,
    PRIMARY KEY (tenant_key, state, archived)
) WITH (fillfactor = 50);
INSERT INTO mfa_counts (tenant_key, state, archived, n)
SELECT tenant_key, state, archived, COUNT(*) FROM users WHERE mfa_enrolled
GROUP BY tenant_key, state, archived;

-- The search rows carry the user's mfa_enrolled like its other filter
-- columns, so that a search with the mfa filter is counted and paged from
-- them alone. A constant default: adding the column rewrites nothing;
-- setting it for enrolled users reads the search rows once.
ALTER TABLE user_search ADD COLUMN mfa_enrolled boolean NOT NULL DEFAULT false;
UPDATE user_search s SET mfa_enrolled = true
FROM users u WHERE u.key = s.user_key AND u.mfa_enrolled;
-- The search rows of enrolled users only, with what a total needs (as the
-- primary key has for all rows): a long prefix with `mfa=true` is counted
-- with an index-only scan, with `mfa=false` as the difference. Writes of
-- users without a second factor do not touch it.
CREATE INDEX user_search_mfa ON user_search (tenant_key, term, user_key)
    INCLUDE (weight, state, archived, invitation_expires_at) WHERE mfa_enrolled;

-- search_heads restricted to enrolled users: the total of a search of up to
-- eight characters with `mfa=true` reads these, with `mfa=false` the
-- difference. Heads are search-row weights summed per term cut to 2, 4 and
-- 8 characters (usher_core::search::head_rows), which SQL can redo here.
CREATE TABLE mfa_search_heads (
    tenant_key bigint   NOT NULL,
    level      smallint NOT NULL,
    head       text     COLLATE "C" NOT NULL,
    state      smallint NOT NULL,
    archived   boolean  NOT NULL,
    n          bigint   NOT NULL,
    PRIMARY KEY (tenant_key, level, head, state, archived)
) WITH (fillfactor = 50);
INSERT INTO mfa_search_heads (tenant_key, level, head, state, archived, n)
SELECT s.tenant_key, l.level, substr(s.term, 1, l.level), s.state, s.archived, SUM(s.weight)
FROM user_search s CROSS JOIN (VALUES (2::smallint), (4::smallint), (8::smallint)) AS l (level)
WHERE s.mfa_enrolled
GROUP BY s.tenant_key, l.level, substr(s.term, 1, l.level), s.state, s.archived
HAVING SUM(s.weight) <> 0;
