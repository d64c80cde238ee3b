-- Passwords, and the outbox of mails waiting for delivery.

-- One password per user, as a PHC string (argon2id, or an imported format
-- that is rehashed at the next login).
CREATE TABLE user_credentials (
    user_key      bigint      PRIMARY KEY,
    password_hash text        NOT NULL,
    updated_at    timestamptz NOT NULL
);

-- Mails are written here in the same transaction as the action that causes
-- them and delivered by a background job. `link` is kept until delivery so
-- that an operator without SMTP can hand it over, then removed.
CREATE TABLE outbox (
    id              uuid        PRIMARY KEY,      -- UUID v7: sorts by creation
    tenant_key      bigint      NOT NULL,
    user_id         uuid,
    kind            text        NOT NULL,         -- invitation | password_reset
    recipient       text        NOT NULL,
    subject         text        NOT NULL,
    text_body       text        NOT NULL,
    html_body       text        NOT NULL,
    link            text,
    state           text        NOT NULL,         -- queued | sent | failed
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz,                  -- when a queued mail is due
    lease_until     timestamptz,                  -- claimed by a deliverer until then
    last_error      text,
    created_at      timestamptz NOT NULL,
    sent_at         timestamptz
);
-- The deliverers' queue: due mails, oldest first (claimed with SKIP LOCKED).
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state = 'queued';
-- GET /outbox, newest first, optionally by state.
CREATE INDEX outbox_by_tenant ON outbox (tenant_key, id);
CREATE INDEX outbox_by_tenant_state ON outbox (tenant_key, state, id);
-- Cancelling a user's queued mails when their link is replaced or revoked.
CREATE INDEX outbox_by_user ON outbox (user_id, kind) WHERE state = 'queued';
