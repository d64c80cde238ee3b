-- When a session's holder last proved who they are (a password or a code)
-- after the login that opened it: enrolling or removing a second factor
-- needs a recent one. NULL: only the login, at created_at.
ALTER TABLE sessions ADD COLUMN authenticated_at INTEGER;
