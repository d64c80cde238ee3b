//! Usher's [`Store`] on PostgreSQL, for larger installs and for several
//! `usher serve` processes sharing one database.
//!
//! It keeps the SQLite store's schema and algorithms, so that both answer
//! alike; what differs is how concurrent writers are kept apart. SQLite has
//! one writer; here every write is its own READ COMMITTED transaction
//! (see `write.rs`) that locks what it changes: the user's row, the counters it
//! moves, and, as its last step, the head of its audit chain. Reads that
//! must agree with each other (a page and its total) share one REPEATABLE
//! READ snapshot.
//!
//! Needs PostgreSQL 11 or later (covering indexes, `hashtextextended`).

mod admins;
mod audit;
mod bulk;
mod error;
mod groups;
mod ids;
mod jobs;
mod links;
mod migrations;
mod role_scopes;
mod roles;
mod sessions;
mod tenants;
mod users;
mod write;

use async_trait::async_trait;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, RwLock};
use usher_core::audit::ChainKeys;
use usher_core::store::StoreStats;
use usher_core::{Error, Store, StoreError, TenantId};

/// The PostgreSQL store. Cheap to clone; clones share the pool.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    pool: PgPool,
    /// Tenant id → integer key, filled on first use (a key never changes).
    tenant_keys: RwLock<HashMap<TenantId, i64>>,
    /// The keys sealing hashes audit events with, if any.
    chain_keys: Option<ChainKeys>,
}

/// Connections per process. Each write holds one for a few round trips;
/// several processes share the server's `max_connections` (100 by default).
const MAX_CONNECTIONS: u32 = 16;

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user@host/db`) and
    /// runs pending migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_keyed(url, None).await
    }

    /// Like [`Self::connect`], with audit events hashed under `chain_keys`
    /// when given (see `usher_core::audit::ChainKeys`). Every process on
    /// one database must be given the same keys.
    pub async fn connect_keyed(
        url: &str,
        chain_keys: Option<ChainKeys>,
    ) -> Result<Self, StoreError> {
        let mut options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("invalid PostgreSQL URL: {e}")))?;
        // Lets an operator tell Usher's sessions apart in pg_stat_activity.
        if options.get_application_name().is_none() {
            options = options.application_name("usher");
        }
        // Session settings, each unless the URL's `options` sets it:
        // * Tenants differ in size by orders of magnitude, and one prepared
        //   statement serves them all: a generic plan made for an average
        //   tenant (a sort where an index walk would stop after a page) can
        //   be far off for a big one. Planning each execution costs well
        //   under a millisecond.
        // * A row lock held by something stuck (an operator's open psql
        //   transaction) would otherwise make writes wait forever, each
        //   holding a connection, until the pool runs dry. Ten seconds is
        //   what the SQLite store waits for another process's write lock.
        for (name, value) in [
            ("plan_cache_mode", "force_custom_plan"),
            ("lock_timeout", "10s"),
        ] {
            if !options.get_options().is_some_and(|o| o.contains(name)) {
                options = options.options([(name, value)]);
            }
        }
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .connect_with(options)
            .await
            .map_err(error::unavailable)?;
        migrations::run(&pool).await?;
        Ok(Self {
            inner: Arc::new(Inner {
                pool,
                tenant_keys: RwLock::default(),
                chain_keys,
            }),
        })
    }

    /// Closes every connection, waiting for the ones in use to be returned.
    pub async fn close(&self) {
        self.inner.pool.close().await;
    }

    fn pool(&self) -> &PgPool {
        &self.inner.pool
    }

    fn chain_keys(&self) -> Option<&ChainKeys> {
        self.inner.chain_keys.as_ref()
    }

    /// The integer key of a tenant, cached after the first lookup.
    async fn tenant_key(&self, tenant_id: TenantId) -> Result<i64, StoreError> {
        let cached = self
            .inner
            .tenant_keys
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&tenant_id)
            .copied();
        if let Some(k) = cached {
            return Ok(k);
        }
        let key = tenants::key_of(self.pool(), tenant_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("tenant {tenant_id} has no row")))?;
        self.inner
            .tenant_keys
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(tenant_id, key);
        Ok(key)
    }
}

/// Runs a write on its own task, so that it finishes (commits or rolls
/// back, and is audited) even when the request that asked for it goes away
/// meanwhile, as writes queued to the SQLite writer do. A panic inside it
/// becomes a store error, as it does there.
async fn detached<T, F>(write: F) -> Result<T, Error>
where
    T: Send + 'static,
    F: Future<Output = Result<T, Error>> + Send + 'static,
{
    tokio::spawn(write)
        .await
        .unwrap_or_else(|_| Err(StoreError::Corrupt("a write panicked".into()).into()))
}

#[async_trait]
impl Store for PostgresStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(self.pool())
            .await
            .map(|_| ())
            .map_err(error::unavailable)
    }

    fn stats(&self) -> StoreStats {
        let open = self.pool().size();
        let idle = u32::try_from(self.pool().num_idle()).unwrap_or(u32::MAX);
        StoreStats {
            connections_in_use: open.saturating_sub(idle),
            connections_idle: idle,
            wal_bytes: None,
        }
    }
}
