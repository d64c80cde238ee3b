//! Connections: how they are opened, the pool of readers, and how SQLite
//! errors become domain errors.

use rusqlite::{Connection, ErrorCode, OpenFlags};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, RwLock};
use tokio::sync::Semaphore;
use usher_core::audit::AuditDraft;
use usher_core::error::ErrorCode as Code;
use usher_core::{Error, StoreError, TenantId};
use uuid::Uuid;

pub(crate) type DbResult<T> = Result<T, rusqlite::Error>;

pub(crate) fn open(path: &Path) -> DbResult<Connection> {
    let c = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // WAL lets readers run while the writer commits; FULL syncs the WAL on
    // every commit, so an acknowledged write survives a power cut.
    c.pragma_update(None, "journal_mode", "WAL")?;
    c.pragma_update(None, "synchronous", "FULL")?;
    c.pragma_update(None, "foreign_keys", true)?;
    // Another process (the CLI beside a running server) may hold the write
    // lock for a moment: wait instead of failing.
    c.busy_timeout(std::time::Duration::from_secs(10))?;
    c.pragma_update(None, "cache_size", -65_536)?; // 64 MiB per connection
    c.pragma_update(None, "temp_store", "MEMORY")?;
    // A WAL restarted from its beginning is cut back to 64 MiB on disk.
    c.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)?;
    c.set_prepared_statement_cache_capacity(128);
    crate::users::search::register_functions(&c)?;
    Ok(c)
}

/// Settings of the one write connection, applied after the migrations.
pub(crate) fn tune_writer(c: &Connection) -> DbResult<()> {
    // SQLite walks the writer's whole page cache at every commit; a big one
    // costs more than the reads it saves (measured with `usher bench`).
    // (64 MiB: 2,200 creates/s; 8 MiB: 3,200 creates/s at 100k users.)
    c.pragma_update(None, "cache_size", -8_192)?;
    // The checkpoint thread copies the WAL back instead (see checkpoint.rs).
    c.pragma_update(None, "wal_autocheckpoint", 0)?;
    Ok(())
}

/// A fixed set of read connections used on the blocking thread pool.
#[derive(Debug)]
pub(crate) struct Readers {
    idle: Mutex<Vec<Connection>>,
    permits: Semaphore,
    total: usize,
}

impl Readers {
    pub(crate) fn new(conns: Vec<Connection>) -> Self {
        Self {
            permits: Semaphore::new(conns.len()),
            total: conns.len(),
            idle: Mutex::new(conns),
        }
    }

    /// Readers handed out and waiting (a permit taken counts as handed out).
    pub(crate) fn counts(&self) -> (u32, u32) {
        let idle = self.permits.available_permits();
        let total = self.total;
        (total.saturating_sub(idle) as u32, idle as u32)
    }

    pub(crate) async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> DbResult<T> + Send + 'static,
    {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| StoreError::Unavailable("the reader pool is closed".into()))?;
        let conn = self
            .idle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop()
            .ok_or_else(|| StoreError::Corrupt("no idle reader despite a permit".into()))?;
        let (conn, result) = tokio::task::spawn_blocking(move || {
            let r = f(&conn);
            // A failed read may leave its snapshot open; close it.
            if !conn.is_autocommit() {
                let _ = conn.execute_batch("ROLLBACK");
            }
            (conn, r)
        })
        .await
        .map_err(|_| StoreError::Corrupt("a read panicked".into()))?;
        self.idle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(conn);
        result.map_err(|e| StoreError::Unavailable(e.to_string()))
    }
}

/// Tenant id → integer key, filled on first use.
#[derive(Debug, Default)]
pub(crate) struct TenantKeys(RwLock<HashMap<TenantId, i64>>);

impl TenantKeys {
    pub(crate) fn get(&self, id: TenantId) -> Option<i64> {
        self.0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
            .copied()
    }

    pub(crate) fn insert(&self, id: TenantId, key: i64) {
        self.0
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, key);
    }
}

/// A database failure as a store error.
pub(crate) fn db_error(e: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

/// Maps a unique-constraint violation to the conflict it means; any other
/// error is a store failure.
pub(crate) fn constraint(e: rusqlite::Error) -> Error {
    if let rusqlite::Error::SqliteFailure(f, Some(msg)) = &e
        && f.code == ErrorCode::ConstraintViolation
    {
        let known: [(&str, Code, Option<&'static str>, &str); 7] = [
            (
                "users.tenant_key, users.email_norm",
                Code::EmailTaken,
                Some("email"),
                "a user with this email already exists",
            ),
            (
                "users.tenant_key, users.username_norm",
                Code::UsernameTaken,
                Some("username"),
                "a user with this username already exists",
            ),
            (
                "users.tenant_key, users.source, users.external_id",
                Code::ExternalIdTaken,
                Some("external_id"),
                "a user with this external id already exists in this source",
            ),
            (
                "tenants.slug",
                Code::SlugTaken,
                Some("slug"),
                "a tenant with this slug already exists",
            ),
            (
                "attribute_definitions.tenant_key, attribute_definitions.name_key",
                Code::AttributeExists,
                Some("name"),
                "an attribute with this name already exists",
            ),
            (
                "roles.tenant_key, roles.name_key",
                Code::RoleExists,
                Some("name"),
                "a role with this name already exists",
            ),
            (
                "api_tokens.hash",
                Code::TokenExists,
                None,
                "a token with this secret already exists",
            ),
        ];
        for (cols, code, field, message) in known {
            if msg.contains(cols) {
                return Error::Conflict {
                    code,
                    field,
                    message: message.to_owned(),
                };
            }
        }
    }
    Error::Store(db_error(e))
}

/// Converts rusqlite results inside write jobs.
pub(crate) trait DbExt<T> {
    /// Any error is a store failure.
    fn db(self) -> Result<T, Error>;
}

impl<T> DbExt<T> for DbResult<T> {
    fn db(self) -> Result<T, Error> {
        self.map_err(|e| Error::Store(db_error(e)))
    }
}

/// Runs one audited operation inside a write job: on success its audit
/// event is appended; on a refusal the refusal is recorded instead.
///
/// No savepoint is taken (copying pages into a statement journal for every
/// write costs more than the rest of a create): operations refuse before
/// their first write, or at a first write statement that SQLite undoes by
/// itself. Should a refusal ever follow a write, the change counter shows
/// it and the operation fails as a store error, which rolls back its whole
/// batch, rather than commit a half-done change.
pub(crate) fn audited<T>(
    c: &Connection,
    draft: AuditDraft,
    op: impl FnOnce(&Connection, &mut AuditDraft) -> Result<T, Error>,
) -> Result<T, Error> {
    let before = c.total_changes();
    let mut draft = draft;
    match op(c, &mut draft) {
        Ok(v) => {
            crate::audit::append(c, draft).db()?;
            Ok(v)
        }
        Err(e) if e.is_refusal() => {
            if c.total_changes() != before {
                tracing::error!(
                    code = e.code().as_str(),
                    "a refused write left changes behind; rolling back its batch"
                );
                return Err(
                    StoreError::Corrupt("a refused write left changes behind".into()).into(),
                );
            }
            crate::audit::append(c, draft.failed_with(&e)).db()?;
            Err(e)
        }
        Err(e) => Err(e),
    }
}

/// A column whose stored value Usher cannot have written.
pub(crate) fn corrupt(what: &str) -> rusqlite::Error {
    rusqlite::Error::InvalidColumnType(0, what.to_owned(), rusqlite::types::Type::Null)
}

/// Reads a 16-byte UUID column, as a typed id or a bare UUID.
pub(crate) fn uuid<T: From<Uuid>>(bytes: &[u8]) -> DbResult<T> {
    Uuid::from_slice(bytes)
        .map(T::from)
        .map_err(|_| corrupt("uuid"))
}
