-- Writes of one tenant no longer queue behind shared rows.
--
-- Audit events: a write used to seal its event into the tenant's hash chain
-- itself, holding the chain's head row from then until its commit, so every
-- audited write of a tenant, in every process, waited for the one before
-- it (and its fsync). Now a write adds its event's body here, in its own
-- transaction, taking no shared lock; a sealer (the `audit_seal` job every
-- second, and every reader of the log before it reads) moves committed
-- bodies into `audit_events` in the order it finds them, giving each its
-- place in the chain under the head's lock. The chain is then in commit
-- order, give or take the writes committing while a sealer runs.
CREATE TABLE audit_pending (
    id          bigserial   PRIMARY KEY,
    chain       uuid        NOT NULL,
    occurred_at timestamptz NOT NULL,
    actor_id    text        NOT NULL,
    action      text        NOT NULL,
    target_id   text,
    outcome     text        NOT NULL,
    body        text        NOT NULL   -- usher_core::audit::AuditDraft::body
);
CREATE INDEX audit_pending_chain ON audit_pending (chain, id);

-- The counters and search heads were one row per key, updated in place:
-- every create of a tenant incremented the same row and held it until
-- commit. Each key now has up to 16 rows (`shard`), a write adding to one
-- of them chosen at random, and every read already sums its rows.
ALTER TABLE user_counts ADD COLUMN shard smallint NOT NULL DEFAULT 0;
ALTER TABLE user_counts DROP CONSTRAINT user_counts_pkey;
ALTER TABLE user_counts ADD PRIMARY KEY (tenant_key, state, archived, shard);
ALTER TABLE mfa_counts ADD COLUMN shard smallint NOT NULL DEFAULT 0;
ALTER TABLE mfa_counts DROP CONSTRAINT mfa_counts_pkey;
ALTER TABLE mfa_counts ADD PRIMARY KEY (tenant_key, state, archived, shard);
ALTER TABLE search_heads ADD COLUMN shard smallint NOT NULL DEFAULT 0;
ALTER TABLE search_heads DROP CONSTRAINT search_heads_pkey;
ALTER TABLE search_heads ADD PRIMARY KEY (tenant_key, level, head, state, archived, shard);
ALTER TABLE mfa_search_heads ADD COLUMN shard smallint NOT NULL DEFAULT 0;
ALTER TABLE mfa_search_heads DROP CONSTRAINT mfa_search_heads_pkey;
ALTER TABLE mfa_search_heads ADD PRIMARY KEY (tenant_key, level, head, state, archived, shard);
