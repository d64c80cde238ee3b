//! Runs the store conformance suite against every backend: SQLite always
//! (a fresh database in a temporary directory per test), PostgreSQL when
//! `USHER_TEST_POSTGRES_URL` names a server (a fresh database per test,
//! dropped afterwards; with `USHER_REQUIRE_POSTGRES=1` a missing URL fails
//! the run instead of skipping it).

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
    let db = fresh_database().await?;
    let store = PostgresStore::connect(db.url())
        .await
        .unwrap_or_else(|e| panic!("connecting the PostgreSQL store to {}: {e}", db.name()));
    Some((Arc::new(store), db))
}

mod sqlite {
    usher_testkit::store_conformance_tests!(super::sqlite_store);
}

mod postgres {
    usher_testkit::store_conformance_tests!(super::postgres_store);
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
