-- Who blocked a blocked user and under which admin scope (JSON of
-- usher_core::user::BlockedBy): an unblock by an admin of another scope
-- is refused under the row's lock. NULL when not blocked.
ALTER TABLE users ADD COLUMN blocked_by TEXT;
