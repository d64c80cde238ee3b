-- Background work as rows (usher_core::job): one row a job, claimed with a
-- lease (FOR UPDATE SKIP LOCKED, so several processes never claim one job)
-- and taken over when the process holding it dies. Mail deliveries, bulk
-- runs, the invitation sweep and the purge of old jobs are jobs; each
-- queued mail gets its job in the same transaction as its outbox row, so
-- the outbox's own lease columns (lease_until, next_attempt_at) are no
-- longer used.
CREATE TABLE jobs (
    id               uuid        PRIMARY KEY,   -- UUID v7: sorts by creation
    kind             text        NOT NULL,      -- JobKind::as_str
    tenant_key       bigint,                    -- NULL: installation-wide work
    payload          jsonb       NOT NULL,
    state            text        NOT NULL,      -- queued | running | completed | failed
    attempts         integer     NOT NULL DEFAULT 0,
    run_at           timestamptz NOT NULL,      -- due from then on
    lease_owner      text,
    lease_expires_at timestamptz,
    last_error       text,
    every_secs       bigint,                    -- recurring: seconds between turns
    created_at       timestamptz NOT NULL,
    finished_at      timestamptz
);
-- What a claim reads: queued jobs by due time, and running ones by the end
-- of their lease (a lease that ran out makes a job due again).
CREATE INDEX jobs_due ON jobs (run_at) WHERE state = 'queued';
CREATE INDEX jobs_leased ON jobs (lease_expires_at) WHERE state = 'running';
-- One recurring job per kind and tenant, however many processes start.
CREATE UNIQUE INDEX jobs_recurring ON jobs (kind, coalesce(tenant_key, 0)) WHERE every_secs IS NOT NULL;
-- A tenant's job list, newest first.
CREATE INDEX jobs_by_tenant ON jobs (tenant_key, id);
-- The purge: finished one-off jobs by age.
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;
-- Work an older Usher left undone becomes jobs: its queued mails (due when
-- the outbox said) and its running bulk processes (due now). The ids are
-- random (md5 rather than gen_random_uuid, which needs PostgreSQL 13).
INSERT INTO jobs (id, kind, tenant_key, payload, state, attempts, run_at, created_at)
SELECT md5(random()::text || id::text)::uuid, 'mail_delivery', tenant_key,
       jsonb_build_object('mail_id', id::text), 'queued', 0,
       coalesce(next_attempt_at, created_at), created_at
FROM outbox WHERE state = 'queued';
INSERT INTO jobs (id, kind, tenant_key, payload, state, attempts, run_at, created_at)
SELECT md5(random()::text || id::text)::uuid, 'bulk_run', tenant_key,
       jsonb_build_object('bulk_process_id', id::text), 'queued', 0, now(), now()
FROM bulk_processes WHERE state = 'running';
