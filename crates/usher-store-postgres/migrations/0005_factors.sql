-- Second factors. A TOTP secret has to be kept (it is needed to check
-- codes); recovery codes are kept only as hashes.
CREATE TABLE factors (
    id           uuid        PRIMARY KEY,
    tenant_key   bigint      NOT NULL,
    user_key     bigint      NOT NULL REFERENCES users (key) ON DELETE CASCADE,
    kind         text        NOT NULL,            -- totp | recovery_codes
    label        text        NOT NULL,
    secret       bytea,
    confirmed    boolean     NOT NULL,
    last_step    bigint,                          -- last TOTP step accepted
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz
);
CREATE INDEX factors_user ON factors (user_key, created_at);

CREATE TABLE recovery_codes (
    factor_id uuid        NOT NULL REFERENCES factors (id) ON DELETE CASCADE,
    hash      bytea       NOT NULL,
    used_at   timestamptz,
    PRIMARY KEY (factor_id, hash)
);

-- Logins waiting for their second factor.
CREATE TABLE mfa_challenges (
    hash       bytea       PRIMARY KEY,
    tenant_key bigint      NOT NULL,
    user_key   bigint      NOT NULL REFERENCES users (key) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL,
    attempts   integer     NOT NULL,
    user_agent text
);
