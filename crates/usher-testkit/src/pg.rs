//! Per-test PostgreSQL databases.
//!
//! Tests that need PostgreSQL read the server from `USHER_TEST_POSTGRES_URL`
//! (e.g. `postgres://postgres@127.0.0.1:5432/postgres`) and get a database
//! of their own, created empty and dropped when the [`TestDatabase`] goes.
//! Without the variable they are skipped — unless `USHER_REQUIRE_POSTGRES=1`
//! says the run must cover PostgreSQL (CI sets it), in which case asking for
//! a database fails the test instead of letting the suite pass unexercised.

use sqlx::{AssertSqlSafe, Connection, PgConnection};
use uuid::Uuid;

/// The server tests create their databases on.
pub const URL_VAR: &str = "USHER_TEST_POSTGRES_URL";
/// Set to `1` to make a missing [`URL_VAR`] an error rather than a skip.
pub const REQUIRE_VAR: &str = "USHER_REQUIRE_POSTGRES";

/// An empty database that exists until this value is dropped.
#[derive(Debug)]
pub struct TestDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl TestDatabase {
    /// The URL of this database (the server URL with its path replaced).
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

fn required() -> bool {
    std::env::var(REQUIRE_VAR).is_ok_and(|v| v.trim() == "1")
}

/// The server URL from the environment: `None` to skip, a panic when the
/// run requires PostgreSQL and none is configured.
pub fn server_url() -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().to_owned()),
        _ if required() => {
            panic!("{REQUIRE_VAR}=1 but {URL_VAR} is not set: this run must test PostgreSQL")
        }
        _ => None,
    }
}

/// `url` naming database `name` instead of its own (query kept).
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..]
        .find('/')
        .map(|i| authority_start + i);
    let root = path_start.map_or(base, |i| &base[..i]);
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

/// Creates a fresh, uniquely named database (`usher_test_<uuid>`) on the
/// server of [`URL_VAR`]. `None` when no server is configured (and none is
/// required). Panics when the server is configured but cannot be used: a
/// broken setup must not look like a skip.
pub async fn fresh_database() -> Option<TestDatabase> {
    let admin_url = server_url()?;
    let name = format!("usher_test_{}", Uuid::now_v7().simple());
    // The error never includes the URL, which may hold a password.
    let mut conn = PgConnection::connect(&admin_url)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to the server of {URL_VAR}: {e}"));
    sqlx::raw_sql(AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("cannot create the test database {name}: {e}"));
    let _ = conn.close().await;
    Some(TestDatabase {
        url: with_database(&admin_url, &name),
        admin_url,
        name,
    })
}

async fn drop_database(admin_url: &str, name: &str) -> Result<(), sqlx::Error> {
    let mut conn = PgConnection::connect(admin_url).await?;
    sqlx::raw_sql(AssertSqlSafe(format!(
        r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#
    )))
    .execute(&mut conn)
    .await?;
    conn.close().await
}

impl Drop for TestDatabase {
    /// Drops the database on a thread of its own with its own runtime, so
    /// that it works inside an async test (where blocking on the test's own
    /// runtime is not allowed) and while a failed test unwinds.
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        let outcome = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(drop_database(&admin_url, &name))
                .map_err(|e| e.to_string())
        })
        .join();
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("warning: could not drop test database {}: {e}", self.name),
            Err(_) => eprintln!("warning: dropping test database {} panicked", self.name),
        }
    }
}
