-- Lists filtered by `archived` alone now read users_state_order once per
-- state and merge the runs (usher_core::listing::UserQuery::branches), so
-- this index only cost every user write one more random page.
DROP INDEX users_archived_order;
