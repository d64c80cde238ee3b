-- SCIM's userName is the username where one is set, else the email. An
-- index on that expression makes `userName eq` and `userName sw` one range
-- (counted from the index alone) and lets pages in userName order, the
-- SCIM lists' default, read just their rows. Before it, `userName sw "jo"`
-- at a million users (31,451 matches) took 270 ms at p50: a union of the
-- username and email indexes, then a visit of every match's row.
CREATE INDEX users_user_name ON users (tenant_key, coalesce(username_norm, email_norm));
