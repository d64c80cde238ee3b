-- Who blocked a blocked user, and under which admin scope: the JSON text
-- of usher_core::user::BlockedBy (as the SQLite store keeps it). A block
-- made by a scoped admin is a quarantine that only an admin of the same
-- scope, or of the whole tenant, may lift; the unblock checks this column
-- under the user's row lock. NULL when the user is not blocked.
ALTER TABLE users ADD COLUMN blocked_by text;
