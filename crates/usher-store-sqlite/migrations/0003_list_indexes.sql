-- Search and list indexes, revised after measuring at a million users.
--
-- Lists filtered by `archived` alone now read users_state_order once per
-- state and merge the runs (usher_core::listing::UserQuery::branches), so
-- this index only cost every user write one more random page.
DROP INDEX users_archived_order;

-- Search pages walked in email order test each user's search blob; with
-- the blob in the index the walk reads dozens of users per page instead of
-- one row of the users table each (usher_store_sqlite::list::walk_blobs).
CREATE INDEX users_email_search ON users (tenant_key, email_norm, search_blob);
