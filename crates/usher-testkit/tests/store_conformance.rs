//! Runs the store conformance suite against every backend: SQLite always
//! (a fresh database in a temporary directory per test); PostgreSQL only
//! when asked for, since it needs a server: its cases are ignored (and
//! reported so) unless run with `--ignored`, and then
//! `USHER_TEST_POSTGRES_URL` must name a server (a fresh database per
//! test, dropped afterwards):
//!
//! `USHER_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres
//! cargo test -p usher-testkit --test store_conformance -- --ignored postgres`

use std::sync::Arc;
use usher_core::Store;
use usher_store_postgres::PostgresStore;
use usher_store_sqlite::SqliteStore;
use usher_testkit::pg::{TestDatabase, fresh_database};

async fn sqlite_store() -> Option<(Arc<dyn Store>, tempfile::TempDir)> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store =
        SqliteStore::open(&dir.path().join("usher.db")).expect("opening a fresh SQLite store");
    Some((Arc::new(store), dir))
}

/// The database is dropped WITH (FORCE) when the guard goes, which ends any
/// connection the store's pool still holds.
async fn postgres_store() -> Option<(Arc<dyn Store>, TestDatabase)> {
    let db = postgres_database().await;
    let store = PostgresStore::connect(db.url())
        .await
        .unwrap_or_else(|e| panic!("connecting the PostgreSQL store to {}: {e}", db.name()));
    Some((Arc::new(store), db))
}

/// A fresh database for a PostgreSQL case, which runs only when asked for:
/// without a server to run on it fails rather than pass having done nothing.
async fn postgres_database() -> TestDatabase {
    fresh_database()
        .await
        .expect("USHER_TEST_POSTGRES_URL must name a PostgreSQL server for the PostgreSQL cases")
}

mod sqlite {
    usher_testkit::store_conformance_tests!(run, super::sqlite_store);
}

mod postgres {
    usher_testkit::store_conformance_tests!(needs_postgres, super::postgres_store);
}

#[test]
fn a_test_database_url_names_the_new_database() {
    use usher_testkit::pg::with_database;
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
        "postgres://postgres@127.0.0.1:5432/t1"
    );
    assert_eq!(
        with_database("postgres://u:p@h/db?sslmode=disable", "t2"),
        "postgres://u:p@h/t2?sslmode=disable"
    );
    assert_eq!(
        with_database("postgres://h:5432", "t3"),
        "postgres://h:5432/t3"
    );
}

/// Puts a database back to how migration 0005 left it, as far as the mfa
/// filter goes: its aggregates, the search rows' flag and the list index.
const SQLITE_BEFORE_0006: &str = "
    DROP TABLE mfa_counts;
    DROP TABLE mfa_search_heads;
    ALTER TABLE user_search DROP COLUMN mfa_enrolled;
    DROP INDEX users_filter_order;
    CREATE INDEX users_state_order ON users (tenant_key, state, archived, email_norm);
    DROP INDEX users_email_search;
    CREATE INDEX users_email_search ON users (tenant_key, email_norm, search_blob);
    DROP INDEX users_mfa_search;
    DELETE FROM schema_migrations WHERE version = 6;";

const POSTGRES_BEFORE_0006: &str = "
    DROP TABLE mfa_counts;
    DROP TABLE mfa_search_heads;
    DROP INDEX user_search_mfa;
    DROP INDEX users_mfa_email;
    ALTER TABLE user_search DROP COLUMN mfa_enrolled;
    DROP INDEX users_filter_order;
    CREATE INDEX users_state_order ON users (tenant_key, state, archived, email_norm);
    DELETE FROM schema_migrations WHERE version = 6;";

/// Puts a database back to before migration 0026: the attribute index
/// without the values attribute scopes read.
const SQLITE_BEFORE_0026: &str = "
    DROP INDEX user_attribute_values;
    ALTER TABLE user_attribute_index DROP COLUMN value_fold;
    DELETE FROM schema_migrations WHERE version = 26;";

/// Migration 0026 on a database that already holds attribute values
/// indexes them, so attribute scopes find their users at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_migration_0026_indexes_the_values_of_attributes() {
    use usher_testkit::conformance::scopes::{assert_sales_scope, directory};
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("usher.db");
    let store = SqliteStore::open(&path).expect("opening a fresh SQLite store");
    let (tenant, users, _) = directory(&store).await;
    drop(store);
    rusqlite::Connection::open(&path)
        .and_then(|c| c.execute_batch(SQLITE_BEFORE_0026))
        .expect("undoing migration 0026");
    let store = SqliteStore::open(&path).expect("migrating again");
    assert_sales_scope(&store, tenant, &users).await;
}

/// Runs `sql` on the database at `url`, to put it back to before a
/// migration.
async fn undo_postgres(url: &str, sql: &'static str) {
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(url).await.expect("connecting");
    sqlx::raw_sql(sql)
        .execute(&mut c)
        .await
        .expect("undoing a migration");
    c.close().await.expect("closing");
}

const POSTGRES_BEFORE_0027: &str = "
    DROP INDEX user_attribute_values;
    ALTER TABLE user_attribute_index DROP COLUMN value_fold;
    DELETE FROM schema_migrations WHERE version = 27;";

/// The same on PostgreSQL, whose migration is 0027.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set USHER_TEST_POSTGRES_URL and pass --ignored"]
async fn postgres_migration_0027_indexes_the_values_of_attributes() {
    use usher_testkit::conformance::scopes::{assert_sales_scope, directory};
    let db = postgres_database().await;
    let store = PostgresStore::connect(db.url())
        .await
        .expect("connecting the PostgreSQL store");
    let (tenant, users, _) = directory(&store).await;
    drop(store);
    undo_postgres(db.url(), POSTGRES_BEFORE_0027).await;
    let store = PostgresStore::connect(db.url())
        .await
        .expect("migrating again");
    assert_sales_scope(&store, tenant, &users).await;
}

/// Migration 0006 on a database that already holds enrolled users builds
/// the aggregates the writes would have kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_migration_0006_backfills_the_mfa_aggregates() {
    use usher_testkit::conformance::mfa::{assert_mfa_answers, seed_enrolled_people};
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("usher.db");
    let store = SqliteStore::open(&path).expect("opening a fresh SQLite store");
    let (tenant, users) = seed_enrolled_people(&store).await;
    drop(store);
    rusqlite::Connection::open(&path)
        .and_then(|c| c.execute_batch(SQLITE_BEFORE_0006))
        .expect("undoing migration 0006");
    let store = SqliteStore::open(&path).expect("migrating again");
    assert_mfa_answers(&store, tenant, &users).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set USHER_TEST_POSTGRES_URL and pass --ignored"]
async fn postgres_migration_0006_backfills_the_mfa_aggregates() {
    use usher_testkit::conformance::mfa::{assert_mfa_answers, seed_enrolled_people};
    let db = postgres_database().await;
    let store = PostgresStore::connect(db.url())
        .await
        .expect("connecting the PostgreSQL store");
    let (tenant, users) = seed_enrolled_people(&store).await;
    drop(store);
    undo_postgres(db.url(), POSTGRES_BEFORE_0006).await;
    let store = PostgresStore::connect(db.url())
        .await
        .expect("migrating again");
    assert_mfa_answers(&store, tenant, &users).await;
}
