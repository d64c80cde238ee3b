//! The login throttle: failures counted per key.

use crate::error::unavailable;
use sqlx::PgPool;
use time::OffsetDateTime;
use usher_core::StoreError;
use usher_core::session::Throttle;

pub(crate) async fn throttle(
    pool: &PgPool,
    tk: i64,
    key: &str,
) -> Result<Option<Throttle>, StoreError> {
    let row: Option<(i32, OffsetDateTime)> = sqlx::query_as(
        "SELECT failures, last_failure_at FROM login_throttle WHERE tenant_key = $1 AND key = $2",
    )
    .bind(tk)
    .bind(key)
    .fetch_optional(pool)
    .await
    .map_err(unavailable)?;
    Ok(row.map(|(failures, last_failure_at)| Throttle {
        failures: failures.max(0) as u32,
        last_failure_at,
    }))
}

pub(crate) async fn throttle_failure(
    pool: &PgPool,
    tk: i64,
    key: &str,
    now: OffsetDateTime,
) -> Result<Throttle, StoreError> {
    let (failures, last_failure_at): (i32, OffsetDateTime) = sqlx::query_as(
        "INSERT INTO login_throttle (tenant_key, key, failures, last_failure_at) VALUES ($1, $2, 1, $3) \
         ON CONFLICT (tenant_key, key) DO UPDATE SET failures = login_throttle.failures + 1, \
         last_failure_at = excluded.last_failure_at RETURNING failures, last_failure_at",
    )
    .bind(tk)
    .bind(key)
    .bind(now)
    .fetch_one(pool)
    .await
    .map_err(unavailable)?;
    Ok(Throttle {
        failures: failures.max(0) as u32,
        last_failure_at,
    })
}

pub(crate) async fn throttle_clear(pool: &PgPool, tk: i64, key: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM login_throttle WHERE tenant_key = $1 AND key = $2")
        .bind(tk)
        .bind(key)
        .execute(pool)
        .await
        .map_err(unavailable)?;
    Ok(())
}
