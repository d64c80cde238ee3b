-- Bulk processes: an action over the users a CSV file names, and its rows.
CREATE TABLE bulk_processes (
    id          uuid        PRIMARY KEY,
    tenant_key  bigint      NOT NULL REFERENCES tenants (key),
    action      text        NOT NULL,
    validate    boolean     NOT NULL,
    note        text,
    state       text        NOT NULL,
    created_by  text        NOT NULL,
    created_at  timestamptz NOT NULL,
    started_by  text,
    started_at  timestamptz,
    finished_at timestamptz,
    total       integer     NOT NULL,
    malformed   integer     NOT NULL,
    processed   integer     NOT NULL DEFAULT 0,
    skipped     integer     NOT NULL DEFAULT 0,
    error       text
);
CREATE INDEX bulk_processes_tenant ON bulk_processes (tenant_key, id);
CREATE INDEX bulk_processes_running ON bulk_processes (state) WHERE state = 'running';

-- One row per line of the file. `outcome` stays NULL until the row has run
-- ('processed' when its action was carried out); it is written in the
-- transaction that runs the row.
CREATE TABLE bulk_rows (
    process_id uuid    NOT NULL REFERENCES bulk_processes (id) ON DELETE CASCADE,
    line       integer NOT NULL,
    reference  text    NOT NULL,
    first_name text,
    last_name  text,
    email      text,
    user_id    uuid,
    version    bigint,
    outcome    text,
    message    text,
    PRIMARY KEY (process_id, line)
);
