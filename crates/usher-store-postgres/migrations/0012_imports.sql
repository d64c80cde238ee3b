-- Imports as resources: a queued import keeps its file until it finishes;
-- its counts, kept errors and batches done are saved with each batch, in
-- the batch's own transaction (see usher_core::import::ImportRecord).
CREATE TABLE imports (
    id               uuid        PRIMARY KEY,   -- UUID v7: sorts by creation
    tenant_key       bigint      NOT NULL REFERENCES tenants(key),
    state            text        NOT NULL,      -- queued | running | completed | failed
    format           text        NOT NULL,      -- csv | jsonl
    dry_run          boolean     NOT NULL,
    total            bigint      NOT NULL,
    batches          bigint      NOT NULL DEFAULT 0,
    rows_done        bigint      NOT NULL DEFAULT 0,
    created          bigint      NOT NULL DEFAULT 0,
    updated          bigint      NOT NULL DEFAULT 0,
    failed_rows      bigint      NOT NULL DEFAULT 0,
    skipped_rows     bigint      NOT NULL DEFAULT 0,
    failed_batches   bigint      NOT NULL DEFAULT 0,
    errors           text        NOT NULL DEFAULT '[]',
    errors_truncated boolean     NOT NULL DEFAULT false,
    error            text,
    created_by       text        NOT NULL,
    created_at       timestamptz NOT NULL,
    finished_at      timestamptz,
    job_id           uuid,
    file             bytea                      -- dropped when the import finishes
);
CREATE INDEX imports_tenant ON imports (tenant_key, id);
