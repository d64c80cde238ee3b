-- The admin role a tenant's admin token acts with (tenant_admin,
-- user_admin, helpdesk, auditor, bulk_operator). NULL: a super-admin or
-- SCIM token, or a tenant token made before roles could be chosen, which
-- keeps acting as tenant_admin.
ALTER TABLE api_tokens ADD COLUMN role TEXT;
