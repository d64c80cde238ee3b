//! Embedded, append-only migrations: each runs once, in order, in its own
//! transaction, recorded in `schema_migrations`.
//!
//! Several `usher serve` processes may start against one database at the
//! same moment. Each migration's transaction first takes a transaction-level
//! advisory lock, so one process applies it while the others wait and then
//! find it recorded.

use crate::error::unavailable;
use sqlx::PgPool;
use usher_core::StoreError;

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "initial", include_str!("../migrations/0001_initial.sql")),
    (
        2,
        "links_passwords_outbox",
        include_str!("../migrations/0002_links_passwords_outbox.sql"),
    ),
    (
        3,
        "list_indexes",
        include_str!("../migrations/0003_list_indexes.sql"),
    ),
    (
        4,
        "sessions",
        include_str!("../migrations/0004_sessions.sql"),
    ),
    (5, "factors", include_str!("../migrations/0005_factors.sql")),
    (
        6,
        "mfa_filter",
        include_str!("../migrations/0006_mfa_filter.sql"),
    ),
    (
        7,
        "bulk_processes",
        include_str!("../migrations/0007_bulk_processes.sql"),
    ),
    (
        8,
        "display_name",
        include_str!("../migrations/0008_display_name.sql"),
    ),
    (9, "groups", include_str!("../migrations/0009_groups.sql")),
    (
        10,
        "user_name_index",
        include_str!("../migrations/0010_user_name_index.sql"),
    ),
    (11, "jobs", include_str!("../migrations/0011_jobs.sql")),
    (
        12,
        "imports",
        include_str!("../migrations/0012_imports.sql"),
    ),
    (
        13,
        "write_path",
        include_str!("../migrations/0013_write_path.sql"),
    ),
    (
        14,
        "import_unchanged",
        include_str!("../migrations/0014_import_unchanged.sql"),
    ),
    (
        15,
        "token_lifecycle",
        include_str!("../migrations/0015_token_lifecycle.sql"),
    ),
    (
        16,
        "session_reauthentication",
        include_str!("../migrations/0016_session_reauthentication.sql"),
    ),
    (
        17,
        "login_clients",
        include_str!("../migrations/0017_login_clients.sql"),
    ),
    (
        18,
        "import_on_error",
        include_str!("../migrations/0018_import_on_error.sql"),
    ),
    (19, "roles", include_str!("../migrations/0019_roles.sql")),
    (
        20,
        "mfa_resets",
        include_str!("../migrations/0020_mfa_resets.sql"),
    ),
    (
        21,
        "token_roles",
        include_str!("../migrations/0021_token_roles.sql"),
    ),
    (
        22,
        "admin_sessions",
        include_str!("../migrations/0022_admin_sessions.sql"),
    ),
    (
        23,
        "token_owners",
        include_str!("../migrations/0023_token_owners.sql"),
    ),
    (
        24,
        "bulk_roles",
        include_str!("../migrations/0024_bulk_roles.sql"),
    ),
    (
        25,
        "admin_scopes",
        include_str!("../migrations/0025_admin_scopes.sql"),
    ),
    (
        26,
        "blocked_by",
        include_str!("../migrations/0026_blocked_by.sql"),
    ),
    (
        27,
        "attribute_values",
        include_str!("../migrations/0027_attribute_values.sql"),
    ),
    (
        28,
        "login_and_external_id_search",
        include_str!("../migrations/0028_login_and_external_id_search.sql"),
    ),
    (
        29,
        "token_scopes",
        include_str!("../migrations/0029_token_scopes.sql"),
    ),
];

/// The advisory lock key of migrations: "usher" in ASCII, so that it is
/// recognisable in `pg_locks` and unlikely to collide with another program.
const LOCK_KEY: i64 = 0x75_73_68_65_72;

pub(crate) async fn run(pool: &PgPool) -> Result<(), StoreError> {
    for (version, name, sql) in MIGRATIONS {
        let mut tx = pool.begin().await.map_err(unavailable)?;
        // Another process may be applying a long migration: wait for it
        // rather than give up after the store's usual lock timeout.
        sqlx::raw_sql("SET LOCAL lock_timeout = 0")
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(LOCK_KEY)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        // Created under the lock: two concurrent `CREATE TABLE IF NOT EXISTS`
        // can still collide in the catalog.
        sqlx::raw_sql(
            "CREATE TABLE IF NOT EXISTS schema_migrations (\
             version bigint PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
        )
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        let done: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)",
        )
        .bind(version)
        .fetch_one(&mut *tx)
        .await
        .map_err(unavailable)?;
        if done {
            tx.commit().await.map_err(unavailable)?;
            continue;
        }
        sqlx::raw_sql(*sql).execute(&mut *tx).await.map_err(|e| {
            StoreError::Unavailable(format!("migration {version} ({name}) failed: {e}"))
        })?;
        sqlx::query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)")
            .bind(version)
            .bind(name)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)?;
        tracing::info!(version, name, "applied PostgreSQL migration");
    }
    warn_if_newer(pool).await
}

/// A database migrated by a newer Usher may have tables this one does not
/// know; say so rather than fail, since migrations only ever add.
async fn warn_if_newer(pool: &PgPool) -> Result<(), StoreError> {
    let latest: Option<i64> = sqlx::query_scalar("SELECT max(version) FROM schema_migrations")
        .fetch_one(pool)
        .await
        .map_err(unavailable)?;
    let known = MIGRATIONS.last().map(|m| m.0).unwrap_or(0);
    if let Some(v) = latest.filter(|v| *v > known) {
        tracing::warn!(
            database = v,
            binary = known,
            "the database was migrated by a newer Usher"
        );
    }
    Ok(())
}
