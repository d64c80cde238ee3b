-- API tokens get a lifecycle: an optional expiry, the actor who made them
-- (as the audit log names actors) and when they were last used, to the
-- minute. Listing a tenant's tokens reads them by tenant.
ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER;
ALTER TABLE api_tokens ADD COLUMN created_by TEXT;
ALTER TABLE api_tokens ADD COLUMN last_used_at INTEGER;
CREATE INDEX api_tokens_tenant ON api_tokens (tenant_key, created_at);
