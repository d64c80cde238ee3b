-- SCIM's userName is the username where one is set, else the email. An
-- index on that expression (both columns sort bytewise, COLLATE "C") makes
-- `userName eq` and `userName sw` one range and lets pages in userName
-- order, the SCIM lists' default, read just their rows.
CREATE INDEX users_user_name ON users (tenant_key, (coalesce(username_norm, email_norm)));
