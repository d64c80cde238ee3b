//! The ceiling the PostgreSQL figures are read against: the rate at which
//! `--concurrency` clients insert a user row and an audit row, each pair in
//! one transaction, straight into tables of their own in the same database,
//! without Usher. Measured in the same run as the creates over HTTP, since
//! this machine's speed drifts.

use super::report;
use hdrhistogram::Histogram;
use sqlx::postgres::PgPoolOptions;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use uuid::Uuid;

/// Scratch tables shaped like the parts of `users` and `audit_events` a
/// create writes (a unique id and email, an indexed chain and sequence).
const SCHEMA: &str = "\
    CREATE TABLE bench_raw_users (key bigserial PRIMARY KEY, id uuid NOT NULL UNIQUE, \
      tenant_key bigint NOT NULL, email text NOT NULL, attributes jsonb NOT NULL, \
      created_at timestamptz NOT NULL, UNIQUE (tenant_key, email)); \
    CREATE TABLE bench_raw_audit (id bigserial PRIMARY KEY, chain uuid NOT NULL, \
      occurred_at timestamptz NOT NULL, action text NOT NULL, payload text NOT NULL)";

/// Measures `total` user+audit inserts from `clients` connections and
/// prints them as a table; the scratch tables are dropped afterwards.
pub(super) async fn run(url: &str, total: usize, clients: usize) -> anyhow::Result<f64> {
    let pool = PgPoolOptions::new()
        .max_connections(clients as u32)
        .connect(url)
        .await?;
    sqlx::raw_sql("DROP TABLE IF EXISTS bench_raw_users, bench_raw_audit")
        .execute(&pool)
        .await?;
    sqlx::raw_sql(SCHEMA).execute(&pool).await?;
    let next = Arc::new(AtomicUsize::new(0));
    let chain = Uuid::now_v7();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (pool, next) = (pool.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut h = Histogram::<u64>::new(3)?;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let t = Instant::now();
                let mut tx = pool.begin().await?;
                sqlx::query(
                    "INSERT INTO bench_raw_users (id, tenant_key, email, attributes, created_at) \
                     VALUES ($1, 1, $2, '{}', now())",
                )
                .bind(Uuid::now_v7())
                .bind(format!("raw.{i}@bench.example"))
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO bench_raw_audit (chain, occurred_at, action, payload) \
                     VALUES ($1, now(), 'user.create', $2)",
                )
                .bind(chain)
                .bind(format!("{{\"user\":{i}}}"))
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                h.record(t.elapsed().as_micros() as u64)?;
            }
            Ok::<_, anyhow::Error>(h)
        }));
    }
    let mut all = Histogram::<u64>::new(3)?;
    for t in tasks {
        all.add(t.await??)?;
    }
    let rate = total as f64 / started.elapsed().as_secs_f64();
    sqlx::raw_sql("DROP TABLE bench_raw_users, bench_raw_audit")
        .execute(&pool)
        .await?;
    report::rates(
        "| raw PostgreSQL, no Usher | clients | inserts/s | p50 ms | p99 ms |",
        clients,
        &[("user row + audit row, one transaction each", rate, &all)],
    );
    Ok(rate)
}
