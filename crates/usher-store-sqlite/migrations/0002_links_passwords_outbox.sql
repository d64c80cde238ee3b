-- Passwords, and the outbox of mails waiting for delivery.

-- One password per user, as a PHC string (argon2id, or an imported format
-- that is rehashed at the next login).
CREATE TABLE user_credentials (
    user_key      INTEGER PRIMARY KEY,
    password_hash TEXT    NOT NULL,
    updated_at    INTEGER NOT NULL
);

-- Mails are written here in the same transaction as the action that causes
-- them and delivered by a background job. `link` is kept until delivery so
-- that an operator without SMTP can hand it over, then removed.
CREATE TABLE outbox (
    id              BLOB    PRIMARY KEY,      -- UUID v7: sorts by creation
    tenant_key      INTEGER NOT NULL,
    user_id         BLOB,
    kind            TEXT    NOT NULL,         -- invitation | password_reset
    recipient       TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    text_body       TEXT    NOT NULL,
    html_body       TEXT    NOT NULL,
    link            TEXT,
    state           TEXT    NOT NULL,         -- queued | sent | failed
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,                  -- when a queued mail is due
    lease_until     INTEGER,                  -- claimed by a deliverer until then
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
) WITHOUT ROWID;
-- The deliverer's queue: due mails, oldest first.
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state = 'queued';
-- GET /outbox, newest first, optionally by state.
CREATE INDEX outbox_by_tenant ON outbox (tenant_key, id);
CREATE INDEX outbox_by_tenant_state ON outbox (tenant_key, state, id);
-- Cancelling a user's queued mails when their link is replaced or revoked.
CREATE INDEX outbox_by_user ON outbox (user_id, kind) WHERE state = 'queued';
