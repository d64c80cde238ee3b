//! Second factors and the challenges of logins waiting for one.

use crate::error::{DbExt, unavailable};
use crate::ids::id;
use crate::write::Write;
use sqlx::{PgConnection, PgPool, Row};
use time::OffsetDateTime;
use usher_core::audit::AuditDraft;
use usher_core::error::{Error, Missing};
use usher_core::factor::{
    Challenge, Factor, FactorKind, FactorSecret, NewFactor, last_second_factor,
};
use usher_core::token::SecretHash;
use usher_core::{FactorId, StoreError, UserId};
use uuid::Uuid;

/// The user's key, its row locked so that factor changes of one user run
/// one after the other (the last-factor guard counts under this lock).
pub(crate) async fn lock_user(
    c: &mut PgConnection,
    tk: i64,
    user_id: UserId,
) -> Result<i64, Error> {
    sqlx::query_scalar("SELECT key FROM users WHERE id = $1 AND tenant_key = $2 FOR UPDATE")
        .bind(user_id.uuid())
        .bind(tk)
        .fetch_optional(&mut *c)
        .await
        .db()?
        .ok_or(Error::NotFound(Missing::User))
}

/// Keeps `users.mfa_enrolled` true exactly while a confirmed TOTP factor
/// exists (a derived flag: no new version), and the list's aggregates of
/// enrolled users with it. The caller holds the user's row lock.
pub(super) async fn sync_enrolled(w: &mut Write, tk: i64, user_key: i64) -> Result<(), Error> {
    let enrolled: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM factors WHERE user_key = $1 AND kind = 'totp' AND confirmed)",
    )
    .bind(user_key)
    .fetch_one(&mut *w.tx)
    .await
    .db()?;
    crate::users::write::set_mfa_enrolled(&mut w.tx, &mut w.counts, tk, user_key, enrolled)
        .await
        .db()
}

pub(crate) async fn list(
    pool: &PgPool,
    tk: i64,
    user_id: UserId,
) -> Result<Vec<FactorSecret>, StoreError> {
    let rows = sqlx::query(
        "SELECT f.id, f.kind, f.label, f.created_at, f.last_used_at, f.confirmed, f.secret, f.last_step, \
         (SELECT COUNT(*) FROM recovery_codes r WHERE r.factor_id = f.id AND r.used_at IS NULL) AS remaining \
         FROM factors f JOIN users u ON u.key = f.user_key \
         WHERE u.id = $1 AND f.tenant_key = $2 ORDER BY f.created_at, f.id",
    )
    .bind(user_id.uuid())
    .bind(tk)
    .fetch_all(pool)
    .await
    .map_err(unavailable)?;
    rows.iter()
        .map(|r| {
            let kind: String = r.try_get("kind")?;
            let kind = FactorKind::parse(&kind).unwrap_or(FactorKind::Totp);
            let remaining: i64 = r.try_get("remaining")?;
            Ok(FactorSecret {
                factor: Factor {
                    id: id(r, "id")?,
                    user_id,
                    kind,
                    label: r.try_get("label")?,
                    created_at: r.try_get("created_at")?,
                    last_used_at: r.try_get("last_used_at")?,
                    confirmed: r.try_get("confirmed")?,
                    remaining: (kind == FactorKind::RecoveryCodes).then_some(remaining as u32),
                },
                secret: r
                    .try_get::<Option<Vec<u8>>, _>("secret")?
                    .unwrap_or_default(),
                last_step: r.try_get("last_step")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(unavailable)
}

pub(crate) async fn add(
    pool: &PgPool,
    tk: i64,
    user_id: UserId,
    new: NewFactor,
    audit: AuditDraft,
) -> Result<(), Error> {
    let mut w = Write::begin(pool, audit).await?;
    let result = async {
        let key = lock_user(&mut w.tx, tk, user_id).await?;
        let f = &new.factor;
        let replaced = match f.kind {
            FactorKind::Totp => {
                "DELETE FROM factors WHERE user_key = $1 AND kind = 'totp' AND NOT confirmed"
            }
            FactorKind::RecoveryCodes => {
                "DELETE FROM factors WHERE user_key = $1 AND kind = 'recovery_codes'"
            }
        };
        sqlx::query(replaced).bind(key).execute(&mut *w.tx).await.db()?;
        sqlx::query(
            "INSERT INTO factors (id, tenant_key, user_key, kind, label, secret, confirmed, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(f.id.uuid())
        .bind(tk)
        .bind(key)
        .bind(f.kind.as_str())
        .bind(&f.label)
        .bind((f.kind == FactorKind::Totp).then_some(new.secret.as_slice()))
        .bind(f.confirmed)
        .bind(f.created_at)
        .execute(&mut *w.tx)
        .await
        .db()?;
        for h in &new.codes {
            sqlx::query("INSERT INTO recovery_codes (factor_id, hash) VALUES ($1, $2)")
                .bind(f.id.uuid())
                .bind(&h.0[..])
                .execute(&mut *w.tx)
                .await
                .db()?;
        }
        sync_enrolled(&mut w, tk, key).await?;
        w.draft.details["factor_id"] = f.id.to_string().into();
        w.draft.details["kind"] = f.kind.as_str().into();
        Ok(())
    }
    .await;
    w.finish(result).await
}

pub(crate) async fn confirm(
    pool: &PgPool,
    tk: i64,
    user_id: UserId,
    factor_id: FactorId,
    step: i64,
    audit: AuditDraft,
) -> Result<(), Error> {
    let mut w = Write::begin(pool, audit).await?;
    let result = async {
        let key = lock_user(&mut w.tx, tk, user_id).await?;
        let n = sqlx::query(
            "UPDATE factors SET confirmed = true, last_step = $3 \
             WHERE id = $1 AND user_key = $2 AND kind = 'totp' AND NOT confirmed",
        )
        .bind(factor_id.uuid())
        .bind(key)
        .bind(step)
        .execute(&mut *w.tx)
        .await
        .db()?
        .rows_affected();
        if n == 0 {
            return Err(Error::NotFound(Missing::Factor));
        }
        sync_enrolled(&mut w, tk, key).await?;
        super::mfa_reset::settle(&mut w.tx, key).await.db()?;
        w.draft.details["factor_id"] = factor_id.to_string().into();
        Ok(())
    }
    .await;
    w.finish(result).await
}

pub(crate) async fn use_step(
    pool: &PgPool,
    factor_id: FactorId,
    step: i64,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    let n = sqlx::query(
        "UPDATE factors SET last_step = $2, last_used_at = $3 \
         WHERE id = $1 AND confirmed AND (last_step IS NULL OR last_step < $2)",
    )
    .bind(factor_id.uuid())
    .bind(step)
    .bind(now)
    .execute(pool)
    .await
    .map_err(unavailable)?
    .rows_affected();
    Ok(n == 1)
}

pub(crate) async fn use_code(
    pool: &PgPool,
    tk: i64,
    user_id: UserId,
    hash: &SecretHash,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    let used: Option<Uuid> = sqlx::query_scalar(
        "UPDATE recovery_codes r SET used_at = $4 FROM factors f, users u \
         WHERE f.id = r.factor_id AND u.key = f.user_key AND r.hash = $1 AND r.used_at IS NULL \
         AND u.id = $2 AND f.tenant_key = $3 RETURNING r.factor_id",
    )
    .bind(&hash.0[..])
    .bind(user_id.uuid())
    .bind(tk)
    .bind(now)
    .fetch_optional(pool)
    .await
    .map_err(unavailable)?;
    let Some(factor) = used else {
        return Ok(false);
    };
    sqlx::query("UPDATE factors SET last_used_at = $2 WHERE id = $1")
        .bind(factor)
        .bind(now)
        .execute(pool)
        .await
        .map_err(unavailable)?;
    Ok(true)
}

pub(crate) async fn delete(
    pool: &PgPool,
    tk: i64,
    user_id: UserId,
    factor_id: Option<FactorId>,
    audit: AuditDraft,
) -> Result<(), Error> {
    let mut w = Write::begin(pool, audit).await?;
    let result = async {
        let key = lock_user(&mut w.tx, tk, user_id).await?;
        let Some(id) = factor_id else {
            let n = sqlx::query(
                "DELETE FROM factors WHERE user_key = $1 AND kind = 'recovery_codes'",
            )
            .bind(key)
            .execute(&mut *w.tx)
            .await
            .db()?
            .rows_affected();
            if n == 0 {
                return Err(Error::NotFound(Missing::Factor));
            }
            return Ok(());
        };
        let found: Option<(String, bool)> =
            sqlx::query_as("SELECT kind, confirmed FROM factors WHERE id = $1 AND user_key = $2")
                .bind(id.uuid())
                .bind(key)
                .fetch_optional(&mut *w.tx)
                .await
                .db()?;
        let Some((kind, confirmed)) = found else {
            return Err(Error::NotFound(Missing::Factor));
        };
        if kind == "totp" && confirmed {
            let others: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM factors WHERE user_key = $1 AND kind = 'totp' AND confirmed AND id <> $2",
            )
            .bind(key)
            .bind(id.uuid())
            .fetch_one(&mut *w.tx)
            .await
            .db()?;
            if others == 0 {
                return Err(last_second_factor());
            }
        }
        sqlx::query("DELETE FROM factors WHERE id = $1")
            .bind(id.uuid())
            .execute(&mut *w.tx)
            .await
            .db()?;
        sync_enrolled(&mut w, tk, key).await?;
        w.draft.details["factor_id"] = id.to_string().into();
        Ok(())
    }
    .await;
    w.finish(result).await
}

pub(crate) async fn create_challenge(
    pool: &PgPool,
    tk: i64,
    hash: &SecretHash,
    ch: &Challenge,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO mfa_challenges (hash, tenant_key, user_key, expires_at, attempts, user_agent, admin) \
         SELECT $1, $2, key, $4, 0, $5, $6 FROM users WHERE id = $3 AND tenant_key = $2",
    )
    .bind(&hash.0[..])
    .bind(tk)
    .bind(ch.user_id.uuid())
    .bind(ch.expires_at)
    .bind(&ch.user_agent)
    .bind(ch.admin)
    .execute(pool)
    .await
    .map_err(unavailable)?;
    Ok(())
}

pub(crate) async fn find_challenge(
    pool: &PgPool,
    hash: &SecretHash,
) -> Result<Option<Challenge>, StoreError> {
    let row: Option<(Uuid, Uuid, OffsetDateTime, i32, Option<String>, bool)> = sqlx::query_as(
        "SELECT t.id, u.id, m.expires_at, m.attempts, m.user_agent, m.admin FROM mfa_challenges m \
         JOIN users u ON u.key = m.user_key JOIN tenants t ON t.key = m.tenant_key WHERE m.hash = $1",
    )
    .bind(&hash.0[..])
    .fetch_optional(pool)
    .await
    .map_err(unavailable)?;
    Ok(row.map(
        |(tenant_id, user_id, expires_at, attempts, user_agent, admin)| Challenge {
            tenant_id: tenant_id.into(),
            user_id: user_id.into(),
            expires_at,
            attempts: attempts.max(0) as u32,
            user_agent,
            admin,
        },
    ))
}

pub(crate) async fn challenge_failed(pool: &PgPool, hash: &SecretHash) -> Result<u32, StoreError> {
    let attempts: Option<i32> = sqlx::query_scalar(
        "UPDATE mfa_challenges SET attempts = attempts + 1 WHERE hash = $1 RETURNING attempts",
    )
    .bind(&hash.0[..])
    .fetch_optional(pool)
    .await
    .map_err(unavailable)?;
    Ok(attempts.map_or(u32::MAX, |a| a.max(0) as u32))
}

pub(crate) async fn end_challenge(pool: &PgPool, hash: &SecretHash) -> Result<bool, StoreError> {
    let n = sqlx::query("DELETE FROM mfa_challenges WHERE hash = $1")
        .bind(&hash.0[..])
        .execute(pool)
        .await
        .map_err(unavailable)?
        .rows_affected();
    Ok(n == 1)
}
