//! The store's gauges, read from [`Store::stats`] at each scrape: the
//! pattern for any gauge whose value lives elsewhere (a reader registered
//! with [`super::Registry::gauges`]).

use super::{GaugeSample, Metrics};
use std::sync::Arc;
use usher_core::Store;

impl Metrics {
    /// Registers `usher_store_pool_connections{state}` and, on SQLite,
    /// `usher_sqlite_wal_bytes` (left out of every scrape elsewhere).
    pub fn watch_store(&self, store: Arc<dyn Store>) {
        let pool = store.clone();
        self.registry().gauges(
            "usher_store_pool_connections",
            "Connections of the store's pool by state: in_use (handed out) or idle. PostgreSQL: its connection pool; SQLite: its reader connections (the one writer apart).",
            &["state"],
            move || {
                let s = pool.stats();
                async move {
                    vec![
                        GaugeSample::new(["in_use"], f64::from(s.connections_in_use)),
                        GaugeSample::new(["idle"], f64::from(s.connections_idle)),
                    ]
                }
            },
        );
        self.registry().gauges(
            "usher_sqlite_wal_bytes",
            "Size of SQLite's write-ahead log file in bytes (SQLite only).",
            &[],
            move || {
                let wal = store.stats().wal_bytes;
                async move {
                    wal.map(|b| GaugeSample::new(Vec::<String>::new(), b as f64))
                        .into_iter()
                        .collect()
                }
            },
        );
    }
}
