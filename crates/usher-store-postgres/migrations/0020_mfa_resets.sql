-- Users whose second factors an admin reset: they must enrol an
-- authenticator at their next login, whatever the tenant's policy. The row
-- goes when they confirm one (or with the user).
CREATE TABLE mfa_resets (
    user_key bigint      PRIMARY KEY REFERENCES users (key) ON DELETE CASCADE,
    reset_at timestamptz NOT NULL
);
