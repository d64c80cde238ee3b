-- The user list's last-login filters (last_login_before/after,
-- never_logged_in) read a range of this index, and count it, rather than
-- every user of the tenant.
CREATE INDEX users_last_login ON users (tenant_key, last_login_at);
-- A search limited to the external id (`fields=external_id`) reads a
-- range of external ids across sources; the unique index starts with the
-- source, so it cannot.
CREATE INDEX users_external_id_prefix ON users (tenant_key, external_id) WHERE external_id IS NOT NULL;
