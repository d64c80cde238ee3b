-- The name to show for a user (SCIM displayName; Entra ID and Okta send
-- it for every user). Not a search term and not a sort key: no index.
ALTER TABLE users ADD COLUMN display_name text;

-- SCIM filters compare userName in code point order: `userName sw "ab"`
-- is a range of the username index only when the column sorts bytewise,
-- like email_norm. Equality (the uniqueness of usernames) is unchanged.
ALTER TABLE users ALTER COLUMN username_norm TYPE text COLLATE "C";
