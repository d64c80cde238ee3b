//! The login throttle: failures counted per key.

use crate::error::unavailable;
use sqlx::PgPool;
use time::OffsetDateTime;
use usher_core::session::Throttle;
use usher_core::{StoreError, UserId};

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
    Ok(row.map(to_throttle))
}

pub(crate) async fn throttle_failure(
    pool: &PgPool,
    tk: i64,
    key: &str,
    now: OffsetDateTime,
) -> Result<Throttle, StoreError> {
    let row: (i32, OffsetDateTime) = sqlx::query_as(
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
    Ok(to_throttle(row))
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

fn to_throttle((failures, last_failure_at): (i32, OffsetDateTime)) -> Throttle {
    Throttle {
        failures: failures.max(0) as u32,
        last_failure_at,
    }
}

pub(crate) async fn throttle_reserve(
    pool: &PgPool,
    tk: i64,
    key: &str,
    seen: Option<Throttle>,
    now: OffsetDateTime,
) -> Result<Option<Throttle>, StoreError> {
    let row: Option<(i32, OffsetDateTime)> = match seen {
        None => {
            sqlx::query_as(
                "INSERT INTO login_throttle (tenant_key, key, failures, last_failure_at) \
                 VALUES ($1, $2, 1, $3) ON CONFLICT (tenant_key, key) DO NOTHING \
                 RETURNING failures, last_failure_at",
            )
            .bind(tk)
            .bind(key)
            .bind(now)
            .fetch_optional(pool)
            .await
        }
        Some(t) => {
            sqlx::query_as(
                "UPDATE login_throttle SET failures = failures + 1, last_failure_at = $5 \
                 WHERE tenant_key = $1 AND key = $2 AND failures = $3 AND last_failure_at = $4 \
                 RETURNING failures, last_failure_at",
            )
            .bind(tk)
            .bind(key)
            .bind(t.failures as i32)
            .bind(t.last_failure_at)
            .bind(now)
            .fetch_optional(pool)
            .await
        }
    }
    .map_err(unavailable)?;
    Ok(row.map(to_throttle))
}

pub(crate) async fn throttle_release(pool: &PgPool, tk: i64, key: &str) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE login_throttle SET failures = failures - 1 \
         WHERE tenant_key = $1 AND key = $2 AND failures > 0",
    )
    .bind(tk)
    .bind(key)
    .execute(pool)
    .await
    .map_err(unavailable)?;
    Ok(())
}

pub(crate) async fn remember_clients(
    pool: &PgPool,
    tk: i64,
    user: UserId,
    clients: &[String],
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO login_clients (user_key, client, last_success_at) \
         SELECT u.key, c.client, $4 FROM users u, unnest($3::text[]) AS c(client) \
         WHERE u.id = $1 AND u.tenant_key = $2 \
         ON CONFLICT (user_key, client) DO UPDATE SET last_success_at = \
         greatest(login_clients.last_success_at, excluded.last_success_at)",
    )
    .bind(user.uuid())
    .bind(tk)
    .bind(clients)
    .bind(at)
    .execute(pool)
    .await
    .map_err(unavailable)?;
    Ok(())
}

pub(crate) async fn client_known(
    pool: &PgPool,
    tk: i64,
    user: UserId,
    clients: &[String],
    since: OffsetDateTime,
) -> Result<bool, StoreError> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM login_clients k JOIN users u ON u.key = k.user_key \
         WHERE u.id = $1 AND u.tenant_key = $2 AND k.client = ANY($3) AND k.last_success_at >= $4)",
    )
    .bind(user.uuid())
    .bind(tk)
    .bind(clients)
    .bind(since)
    .fetch_one(pool)
    .await
    .map_err(unavailable)
}
