//! Embedded, append-only migrations: each runs once, in order, in its own
//! transaction, recorded in `schema_migrations`.

use crate::conn::DbResult;
use rusqlite::Connection;

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
        "import_unchanged",
        include_str!("../migrations/0013_import_unchanged.sql"),
    ),
    (
        14,
        "token_lifecycle",
        include_str!("../migrations/0014_token_lifecycle.sql"),
    ),
    (
        15,
        "session_reauthentication",
        include_str!("../migrations/0015_session_reauthentication.sql"),
    ),
    (
        16,
        "login_clients",
        include_str!("../migrations/0016_login_clients.sql"),
    ),
    (
        17,
        "import_on_error",
        include_str!("../migrations/0017_import_on_error.sql"),
    ),
    (18, "roles", include_str!("../migrations/0018_roles.sql")),
    (
        19,
        "mfa_resets",
        include_str!("../migrations/0019_mfa_resets.sql"),
    ),
    (
        20,
        "token_roles",
        include_str!("../migrations/0020_token_roles.sql"),
    ),
    (
        21,
        "admin_sessions",
        include_str!("../migrations/0021_admin_sessions.sql"),
    ),
    (
        22,
        "token_owners",
        include_str!("../migrations/0022_token_owners.sql"),
    ),
    (
        23,
        "bulk_roles",
        include_str!("../migrations/0023_bulk_roles.sql"),
    ),
    (
        24,
        "admin_scopes",
        include_str!("../migrations/0024_admin_scopes.sql"),
    ),
    (
        25,
        "blocked_by",
        include_str!("../migrations/0025_blocked_by.sql"),
    ),
    (
        26,
        "attribute_values",
        include_str!("../migrations/0026_attribute_values.sql"),
    ),
    (
        27,
        "login_and_external_id_search",
        include_str!("../migrations/0027_login_and_external_id_search.sql"),
    ),
    (
        28,
        "token_scopes",
        include_str!("../migrations/0028_token_scopes.sql"),
    ),
];

pub(crate) fn run(c: &Connection) -> DbResult<()> {
    c.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )?;
    for (version, name, sql) in MIGRATIONS {
        let done: bool = c
            .prepare("SELECT 1 FROM schema_migrations WHERE version = ?1")?
            .exists([version])?;
        if done {
            continue;
        }
        c.execute_batch("BEGIN IMMEDIATE")?;
        let applied = c.execute_batch(sql).and_then(|()| {
            c.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, datetime('now'))",
                (version, name),
            )
        });
        match applied {
            Ok(_) => c.execute_batch("COMMIT")?,
            Err(e) => {
                let _ = c.execute_batch("ROLLBACK");
                return Err(e);
            }
        }
        tracing::info!(version, name, "applied SQLite migration");
    }
    Ok(())
}
