-- Clients that logged in to an account successfully: an address group
-- (`ip:…`, an IPv6 /64) or a device cookie (`device:<sha-256>`), with the
-- last success. The right password from such a client passes the
-- account's throttle delay, so that failures made elsewhere cannot lock the
-- owner out. Rows go with their user.
CREATE TABLE login_clients (
    user_key        INTEGER NOT NULL REFERENCES users(key) ON DELETE CASCADE,
    client          TEXT    NOT NULL,
    last_success_at INTEGER NOT NULL,
    PRIMARY KEY (user_key, client)
) WITHOUT ROWID;
