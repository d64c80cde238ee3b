-- Second factors. A TOTP secret has to be kept (it is needed to check
-- codes); recovery codes are kept only as hashes.
CREATE TABLE factors (
    id           BLOB    PRIMARY KEY,
    tenant_key   INTEGER NOT NULL,
    user_key     INTEGER NOT NULL REFERENCES users(key) ON DELETE CASCADE,
    kind         TEXT    NOT NULL,            -- totp | recovery_codes
    label        TEXT    NOT NULL,
    secret       BLOB,
    confirmed    INTEGER NOT NULL,
    last_step    INTEGER,                     -- last TOTP step accepted
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
);
CREATE INDEX factors_user ON factors (user_key, created_at);

CREATE TABLE recovery_codes (
    factor_id BLOB    NOT NULL REFERENCES factors(id) ON DELETE CASCADE,
    hash      BLOB    NOT NULL,
    used_at   INTEGER,
    PRIMARY KEY (factor_id, hash)
) WITHOUT ROWID;

-- Logins waiting for their second factor.
CREATE TABLE mfa_challenges (
    hash       BLOB    PRIMARY KEY,
    tenant_key INTEGER NOT NULL,
    user_key   INTEGER NOT NULL REFERENCES users(key) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL,
    attempts   INTEGER NOT NULL,
    user_agent TEXT
);
