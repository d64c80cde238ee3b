-- The name to show for a user (SCIM displayName; Entra ID and Okta send
-- it for every user). Not a search term and not a sort key: no index.
ALTER TABLE users ADD COLUMN display_name TEXT;
