-- Bulk processes: an action over the users a CSV file names, and its rows.
CREATE TABLE bulk_processes (
    id          BLOB    PRIMARY KEY,
    tenant_key  INTEGER NOT NULL REFERENCES tenants(key),
    action      TEXT    NOT NULL,
    validate    INTEGER NOT NULL,
    note        TEXT,
    state       TEXT    NOT NULL,
    created_by  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    started_by  TEXT,
    started_at  INTEGER,
    finished_at INTEGER,
    total       INTEGER NOT NULL,
    malformed   INTEGER NOT NULL,
    processed   INTEGER NOT NULL DEFAULT 0,
    skipped     INTEGER NOT NULL DEFAULT 0,
    error       TEXT
);
CREATE INDEX bulk_processes_tenant ON bulk_processes (tenant_key, id);
CREATE INDEX bulk_processes_running ON bulk_processes (state) WHERE state = 'running';

-- One row per line of the file. `outcome` stays NULL until the row has run
-- ('processed' when its action was carried out); it is written in the
-- transaction that runs the row.
CREATE TABLE bulk_rows (
    process_id BLOB    NOT NULL REFERENCES bulk_processes(id) ON DELETE CASCADE,
    line       INTEGER NOT NULL,
    reference  TEXT    NOT NULL,
    first_name TEXT,
    last_name  TEXT,
    email      TEXT,
    user_id    BLOB,
    version    INTEGER,
    outcome    TEXT,
    message    TEXT,
    PRIMARY KEY (process_id, line)
) WITHOUT ROWID;
