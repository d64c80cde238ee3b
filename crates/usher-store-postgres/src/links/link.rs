//! Invitation and password-reset links: finding one by its secret's hash,
//! and redeeming it (once) with a new password; writing and reading the
//! password hash.

use crate::error::{DbExt, unavailable};
use crate::users::{rows, write};
use crate::write::Write;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use usher_core::error::Error;
use usher_core::service::invalid_link;
use usher_core::store::{LinkKind, LinkRecord, PasswordWrite, Redemption};
use usher_core::token::SecretHash;
use usher_core::user::{User, UserState};
use usher_core::{StoreError, UserId};
use uuid::Uuid;

/// When a link was used, if it was.
type Used = Option<OffsetDateTime>;

fn kind(s: &str) -> Option<LinkKind> {
    match s {
        "invitation" => Some(LinkKind::Invitation),
        "password_reset" => Some(LinkKind::PasswordReset),
        _ => None,
    }
}

pub(crate) async fn find(
    pool: &PgPool,
    hash: &SecretHash,
) -> Result<Option<LinkRecord>, StoreError> {
    let row: Option<(Uuid, Uuid, String, OffsetDateTime, Used)> = sqlx::query_as(
        "SELECT t.id, u.id, l.kind, l.expires_at, l.used_at FROM links l \
         JOIN users u ON u.key = l.user_key JOIN tenants t ON t.key = l.tenant_key WHERE l.hash = $1",
    )
    .bind(&hash.0[..])
    .fetch_optional(pool)
    .await
    .map_err(unavailable)?;
    Ok(
        row.and_then(|(tenant_id, user_id, k, expires_at, used_at)| {
            Some(LinkRecord {
                tenant_id: tenant_id.into(),
                user_id: user_id.into(),
                kind: kind(&k)?,
                expires_at,
                used_at,
            })
        }),
    )
}

pub(crate) async fn redeem(pool: &PgPool, tk: i64, r: Redemption) -> Result<User, Error> {
    let Redemption {
        tenant_id,
        kind: wanted,
        hash,
        now,
        password_hash,
        audit,
    } = r;
    let mut w = Write::begin(pool, audit).await?;
    let result = async {
        // The user's row is locked before the link's, the order every other
        // write takes them in.
        let owner: Option<Uuid> = sqlx::query_scalar(
            "SELECT u.id FROM links l JOIN users u ON u.key = l.user_key WHERE l.hash = $1 AND l.tenant_key = $2",
        )
        .bind(&hash.0[..])
        .bind(tk)
        .fetch_optional(&mut *w.tx)
        .await
        .db()?;
        let Some(owner) = owner.map(UserId::from) else {
            return Err(invalid_link());
        };
        let before = rows::user_by_id(&mut *w.tx, tk, tenant_id, owner, true)
            .await?
            .ok_or_else(invalid_link)?;
        let link: Option<(Uuid, String, OffsetDateTime, Used)> = sqlx::query_as(
            "SELECT id, kind, expires_at, used_at FROM links WHERE hash = $1 AND tenant_key = $2 FOR UPDATE",
        )
        .bind(&hash.0[..])
        .bind(tk)
        .fetch_optional(&mut *w.tx)
        .await
        .db()?;
        let Some((link_id, k, expires_at, used_at)) = link else {
            return Err(invalid_link());
        };
        if kind(&k) != Some(wanted) || used_at.is_some() || expires_at <= now {
            return Err(invalid_link());
        }
        let state = before.user.state(now);
        let serves = match wanted {
            LinkKind::Invitation => state == UserState::PendingInvitation,
            LinkKind::PasswordReset => matches!(state, UserState::Active | UserState::Blocked),
        };
        if !serves {
            return Err(invalid_link());
        }
        w.draft = w.draft.clone().target("user", before.user.id);
        let marked = sqlx::query("UPDATE links SET used_at = $2 WHERE id = $1 AND used_at IS NULL")
            .bind(link_id)
            .bind(now)
            .execute(&mut *w.tx)
            .await
            .db()?;
        if marked.rows_affected() != 1 {
            return Err(invalid_link());
        }
        // A mail still waiting with this link would carry a dead one.
        super::outbox::cancel_queued(
            &mut w.tx,
            &[before.user.id],
            Some(wanted),
            usher_core::mail::cancelled::LINK_USED,
        )
        .await
        .db()?;
        write_password(&mut w.tx, before.key, &PasswordWrite::Set(password_hash), now)
            .await
            .db()?;
        // A new password ends whatever the old one opened (a reset is
        // often made because someone else knew it).
        let ended = crate::sessions::session::end_all(&mut w.tx, before.key)
            .await
            .db()?;
        w.draft.details["sessions_ended"] = serde_json::json!(ended);
        let mut user = before.user.clone();
        if wanted == LinkKind::Invitation {
            user.stored_state = UserState::Active;
            user.signup_completed_at = Some(now);
            user.invitation_expires_at = None;
            user.version += 1;
            user.updated_at = now;
            write::update(&mut w.tx, &mut w.counts, tk, &before, &user).await?;
        }
        w.draft.details["kind"] = serde_json::json!(wanted.as_str());
        Ok(user)
    }
    .await;
    w.finish(result).await
}

/// Carries out a password write; answers what the audit event records.
pub(crate) async fn write_password(
    c: &mut PgConnection,
    user_key: i64,
    write: &PasswordWrite,
    now: OffsetDateTime,
) -> Result<&'static str, sqlx::Error> {
    match write {
        PasswordWrite::Set(hash) => {
            sqlx::query(
                "INSERT INTO user_credentials (user_key, password_hash, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (user_key) DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at",
            )
            .bind(user_key)
            .bind(hash)
            .bind(now)
            .execute(c)
            .await?;
            Ok("set")
        }
        PasswordWrite::Rehash { old, new } => {
            // The user's row is locked by the write, so the hash compared
            // here cannot change before the commit.
            let replaced = sqlx::query(
                "UPDATE user_credentials SET password_hash = $3, updated_at = $4 \
                 WHERE user_key = $1 AND password_hash = $2",
            )
            .bind(user_key)
            .bind(old)
            .bind(new)
            .bind(now)
            .execute(c)
            .await?;
            Ok(if replaced.rows_affected() == 1 {
                "rehashed"
            } else {
                "rehash_skipped"
            })
        }
    }
}

pub(crate) async fn password_hash(
    pool: &PgPool,
    tk: i64,
    user_id: UserId,
) -> Result<Option<String>, StoreError> {
    sqlx::query_scalar(
        "SELECT p.password_hash FROM user_credentials p JOIN users u ON u.key = p.user_key \
         WHERE u.id = $1 AND u.tenant_key = $2",
    )
    .bind(user_id.uuid())
    .bind(tk)
    .fetch_optional(pool)
    .await
    .map_err(unavailable)
}
