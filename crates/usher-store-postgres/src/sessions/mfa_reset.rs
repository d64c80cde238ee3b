//! An admin's reset of a user's second factors: every factor goes, every
//! session ends, and the user must enrol an authenticator at their next
//! login until they confirm one.

use super::factors::{lock_user, sync_enrolled};
use crate::error::{DbExt, unavailable};
use crate::write::Write;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use usher_core::UserId;
use usher_core::audit::AuditDraft;
use usher_core::error::{Error, StoreError};

pub(crate) async fn reset(
    pool: &PgPool,
    tk: i64,
    user_id: UserId,
    now: OffsetDateTime,
    audit: AuditDraft,
) -> Result<u64, Error> {
    let mut w = Write::begin(pool, audit).await?;
    let result = async {
        let key = lock_user(&mut w.tx, tk, user_id).await?;
        // Recovery codes go with their factor row.
        let removed = sqlx::query("DELETE FROM factors WHERE user_key = $1")
            .bind(key)
            .execute(&mut *w.tx)
            .await
            .db()?
            .rows_affected();
        sync_enrolled(&mut w, tk, key).await?;
        let sessions = super::session::end_all(&mut w.tx, key).await.db()?;
        sqlx::query(
            "INSERT INTO mfa_resets (user_key, reset_at) VALUES ($1, $2) \
             ON CONFLICT (user_key) DO UPDATE SET reset_at = excluded.reset_at",
        )
        .bind(key)
        .bind(now)
        .execute(&mut *w.tx)
        .await
        .db()?;
        w.draft.details["removed_factors"] = removed.into();
        w.draft.details["ended_sessions"] = sessions.into();
        Ok(removed)
    }
    .await;
    w.finish(result).await
}

pub(crate) async fn pending(pool: &PgPool, tk: i64, user_id: UserId) -> Result<bool, StoreError> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM mfa_resets r JOIN users u ON u.key = r.user_key \
         WHERE u.id = $1 AND u.tenant_key = $2)",
    )
    .bind(user_id.uuid())
    .bind(tk)
    .fetch_one(pool)
    .await
    .map_err(unavailable)
}

/// The user confirmed an authenticator: the reset is settled.
pub(super) async fn settle(c: &mut PgConnection, user_key: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM mfa_resets WHERE user_key = $1")
        .bind(user_key)
        .execute(c)
        .await
        .map(|_| ())
}
