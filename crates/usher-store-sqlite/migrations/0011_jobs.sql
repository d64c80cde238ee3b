-- Background work as rows (usher_core::job): one row a job, claimed with a
-- lease so that a job runs at most once at a time and is taken over when
-- the process holding it dies. Mail deliveries, bulk runs, the invitation
-- sweep and the purge of old jobs are jobs; each queued mail gets its job
-- in the same transaction as its outbox row, so the outbox's own lease
-- columns (lease_until, next_attempt_at) are no longer used.
CREATE TABLE jobs (
    id               BLOB    PRIMARY KEY,   -- UUID v7: sorts by creation
    kind             TEXT    NOT NULL,      -- JobKind::as_str
    tenant_key       INTEGER,               -- NULL: installation-wide work
    payload          TEXT    NOT NULL,      -- JSON
    state            TEXT    NOT NULL,      -- queued | running | completed | failed
    attempts         INTEGER NOT NULL DEFAULT 0,
    run_at           INTEGER NOT NULL,      -- due from then on (µs)
    lease_owner      TEXT,
    lease_expires_at INTEGER,
    last_error       TEXT,
    every_secs       INTEGER,               -- recurring: seconds between turns
    created_at       INTEGER NOT NULL,
    finished_at      INTEGER
) WITHOUT ROWID;
-- What a claim reads: queued jobs by due time, and running ones by the end
-- of their lease (a lease that ran out makes a job due again).
CREATE INDEX jobs_due ON jobs (run_at) WHERE state = 'queued';
CREATE INDEX jobs_leased ON jobs (lease_expires_at) WHERE state = 'running';
-- One recurring job per kind and tenant, however many processes start.
CREATE UNIQUE INDEX jobs_recurring ON jobs (kind, ifnull(tenant_key, 0)) WHERE every_secs IS NOT NULL;
-- A tenant's job list, newest first.
CREATE INDEX jobs_by_tenant ON jobs (tenant_key, id);
-- The purge: finished one-off jobs by age.
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;
-- Work an older Usher left undone becomes jobs: its queued mails (due when
-- the outbox said) and its running bulk processes (due now).
INSERT INTO jobs (id, kind, tenant_key, payload, state, attempts, run_at, created_at)
SELECT randomblob(16), 'mail_delivery', tenant_key,
       json_object('mail_id', lower(substr(hex(id), 1, 8) || '-' || substr(hex(id), 9, 4) || '-' ||
                   substr(hex(id), 13, 4) || '-' || substr(hex(id), 17, 4) || '-' || substr(hex(id), 21, 12))),
       'queued', 0, coalesce(next_attempt_at, created_at), created_at
FROM outbox WHERE state = 'queued';
INSERT INTO jobs (id, kind, tenant_key, payload, state, attempts, run_at, created_at)
SELECT randomblob(16), 'bulk_run', tenant_key,
       json_object('bulk_process_id', lower(substr(hex(id), 1, 8) || '-' || substr(hex(id), 9, 4) || '-' ||
                   substr(hex(id), 13, 4) || '-' || substr(hex(id), 17, 4) || '-' || substr(hex(id), 21, 12))),
       'queued', 0, CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER),
       CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)
FROM bulk_processes WHERE state = 'running';
