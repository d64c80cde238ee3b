//! Usher's [`Store`] on embedded SQLite.
//!
//! One thread owns the write connection and commits waiting writes together
//! ([`writer`]); reads run on a small pool of connections on the blocking
//! thread pool. The database runs in WAL mode with `synchronous = FULL`:
//! a write is acknowledged only after its commit reached the disk.

mod admins;
mod audit;
mod bulk;
mod checkpoint;
mod conn;
mod files;
mod groups;
mod jobs;
mod links;
mod migrations;
mod role_scopes;
mod roles;
mod sessions;
mod tenants;
mod users;
mod writer;

use async_trait::async_trait;
use conn::{DbResult, Readers, TenantKeys};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use usher_core::audit::ChainKeys;
use usher_core::store::StoreStats;
use usher_core::{Error, Store, StoreError, TenantId};
use writer::Writer;

/// The SQLite store. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    writer: Writer,
    readers: Readers,
    tenants: TenantKeys,
    /// Dropping it stops the checkpoint thread.
    _checkpoints: std::sync::mpsc::Sender<()>,
}

/// How many read connections to keep: reads are short, and the machine's
/// cores are shared with the writer and the HTTP server.
const READERS: usize = 4;

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and runs pending
    /// migrations; audit events are hashed without a key.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_keyed(path, None)
    }

    /// Like [`Self::open`], with audit events hashed under `chain_keys`
    /// when given (see `usher_core::audit::ChainKeys`).
    pub fn open_keyed(path: &Path, chain_keys: Option<ChainKeys>) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            files::private_dir(dir).map_err(|e| {
                StoreError::Unavailable(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        files::private_file(path).map_err(|e| {
            StoreError::Unavailable(format!("cannot create {}: {e}", path.display()))
        })?;
        let write_conn = conn::open(path).map_err(unavailable)?;
        migrations::run(&write_conn).map_err(unavailable)?;
        conn::tune_writer(&write_conn).map_err(unavailable)?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let c = conn::open(path).map_err(unavailable)?;
            c.pragma_update(None, "query_only", true)
                .map_err(unavailable)?;
            readers.push(c);
        }
        let checkpoints =
            checkpoint::start(conn::open(path).map_err(unavailable)?).map_err(|e| {
                StoreError::Unavailable(format!("cannot start the checkpoint thread: {e}"))
            })?;
        Ok(Self {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                writer: Writer::start(write_conn, chain_keys),
                readers: Readers::new(readers),
                tenants: TenantKeys::default(),
                _checkpoints: checkpoints,
            }),
        })
    }

    /// Parses `sqlite://PATH` (also `sqlite:PATH`).
    pub fn path_from_url(url: &str) -> Option<PathBuf> {
        let rest = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))?;
        let rest = rest.split('?').next().unwrap_or(rest);
        (!rest.is_empty()).then(|| PathBuf::from(rest))
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Copies the live database into `dest` with SQLite's online backup.
    pub async fn backup_to(&self, dest: &Path) -> Result<(), StoreError> {
        let dest = dest.to_owned();
        files::private_file(&dest).map_err(|e| {
            StoreError::Unavailable(format!("cannot create {}: {e}", dest.display()))
        })?;
        self.read(move |c| {
            c.backup(rusqlite::MAIN_DB, &dest, None)?;
            Ok(())
        })
        .await
    }

    /// Replaces the database at `target` with the backup at `backup` (a file
    /// written by [`SqliteStore::backup_to`]). No server may be using
    /// `target` meanwhile.
    pub fn restore(backup: &Path, target: &Path) -> Result<(), StoreError> {
        let check = Connection::open_with_flags(backup, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| StoreError::Unavailable(format!("cannot open the backup: {e}")))?;
        let is_usher: bool = check
            .query_row(
                "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
                [],
                |r| r.get(0),
            )
            .map_err(|e| StoreError::Corrupt(format!("the backup is not a SQLite database: {e}")))?;
        if !is_usher {
            return Err(StoreError::Corrupt(
                "the file is not a backup of an Usher database".into(),
            ));
        }
        drop(check);
        if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
            files::private_dir(dir).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        }
        files::private_file(target).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let mut conn = conn::open(target).map_err(unavailable)?;
        conn.restore(
            rusqlite::MAIN_DB,
            backup,
            None::<fn(rusqlite::backup::Progress)>,
        )
        .map_err(unavailable)?;
        Ok(())
    }

    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> DbResult<T> + Send + 'static,
    {
        self.inner.readers.run(f).await
    }

    /// Runs `f` in the next write transaction: a write that records no
    /// audit event of its own and can only fail as a store failure.
    async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> DbResult<T> + Send + 'static,
    {
        self.inner
            .writer
            .write(move |c| f(c).map_err(|e| conn::db_error(e).into()))
            .await
            .map_err(store_only)
    }

    /// The integer key of a tenant, cached after the first lookup (a
    /// tenant's key never changes).
    async fn tenant_key(&self, tenant_id: TenantId) -> Result<i64, StoreError> {
        if let Some(k) = self.inner.tenants.get(tenant_id) {
            return Ok(k);
        }
        let key = self
            .read(move |c| tenants::key_of(c, tenant_id))
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("tenant {tenant_id} has no row")))?;
        self.inner.tenants.insert(tenant_id, key);
        Ok(key)
    }
}

/// Writes that refuse nothing answer only store errors.
fn store_only(e: Error) -> StoreError {
    match e {
        Error::Store(s) => s,
        other => StoreError::Corrupt(other.to_string()),
    }
}

fn unavailable(e: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.read(|c| c.query_row("SELECT 1", [], |_| Ok(()))).await
    }

    fn stats(&self) -> StoreStats {
        let (in_use, idle) = self.inner.readers.counts();
        let mut wal = self.inner.path.clone().into_os_string();
        wal.push("-wal");
        StoreStats {
            connections_in_use: in_use,
            connections_idle: idle,
            // No file: nothing written since the last clean close.
            wal_bytes: Some(std::fs::metadata(wal).map_or(0, |m| m.len())),
        }
    }
}
