-- Imports as resources: a queued import keeps its file until it finishes;
-- its counts, kept errors and batches done are saved with each batch, in
-- the batch's own transaction (see usher_core::import::ImportRecord).
CREATE TABLE imports (
    id             BLOB    PRIMARY KEY,
    tenant_key     INTEGER NOT NULL REFERENCES tenants(key),
    state          TEXT    NOT NULL,
    format         TEXT    NOT NULL,
    dry_run        INTEGER NOT NULL,
    total          INTEGER NOT NULL,
    batches        INTEGER NOT NULL DEFAULT 0,
    rows_done      INTEGER NOT NULL DEFAULT 0,
    created        INTEGER NOT NULL DEFAULT 0,
    updated        INTEGER NOT NULL DEFAULT 0,
    failed_rows    INTEGER NOT NULL DEFAULT 0,
    skipped_rows   INTEGER NOT NULL DEFAULT 0,
    failed_batches INTEGER NOT NULL DEFAULT 0,
    errors         TEXT    NOT NULL DEFAULT '[]',
    errors_truncated INTEGER NOT NULL DEFAULT 0,
    error          TEXT,
    created_by     TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    finished_at    INTEGER,
    job_id         BLOB,
    file           BLOB
);
CREATE INDEX imports_tenant ON imports (tenant_key, id);
