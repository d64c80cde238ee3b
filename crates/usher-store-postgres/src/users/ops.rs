//! The user operations of the store: create, batch insert, modify and
//! delete under the user's row lock, the expiry sweep, and removing an
//! attribute definition (with its values).

use crate::error::{DbExt, unavailable};
use crate::users::counts::Counts;
use crate::users::rows::{self, StoredUser};
use crate::users::{effects, write};
use crate::write::Write;
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use usher_core::audit::AuditDraft;
use usher_core::error::{Error, Missing};
use usher_core::store::{DeleteGuard, Effects, UserWrite};
use usher_core::user::User;
use usher_core::{StoreError, TenantId, UserId};

pub(crate) async fn create(
    pool: &PgPool,
    tk: i64,
    user: User,
    effects: Effects,
    audit: AuditDraft,
) -> Result<User, Error> {
    let mut w = Write::begin(pool, audit).await?;
    let result = async {
        let key = write::insert(&mut w.tx, &mut w.counts, tk, &user).await?;
        effects::apply_effects(
            &mut w.tx,
            tk,
            key,
            user.id,
            &effects,
            user.created_at,
            &mut w.draft,
        )
        .await
        .db()?;
        Ok(())
    }
    .await;
    w.finish(result.map(|()| user)).await
}

/// Loads and locks a user, checking the version the caller named.
pub(crate) async fn load(
    c: &mut PgConnection,
    tk: i64,
    tenant_id: TenantId,
    id: UserId,
    if_match: Option<i64>,
) -> Result<StoredUser, Error> {
    let stored = rows::user_by_id(c, tk, tenant_id, id, true)
        .await?
        .ok_or(Error::NotFound(Missing::User))?;
    Error::check_version(if_match, stored.user.version)?;
    Ok(stored)
}

pub(crate) async fn modify(pool: &PgPool, tk: i64, write: UserWrite) -> Result<User, Error> {
    let UserWrite {
        tenant_id,
        user_id,
        if_match,
        now,
        mutation,
        audit,
    } = write;
    let mut w = Write::begin(pool, audit).await?;
    let target = Target {
        tenant_id,
        user_id,
        if_match,
    };
    let result = modify_in(
        &mut w.tx,
        &mut w.counts,
        &mut w.draft,
        tk,
        target,
        now,
        mutation,
    )
    .await;
    w.finish(result).await
}

/// The user an operation acts on, and the version its caller named.
pub(crate) struct Target {
    pub(crate) tenant_id: TenantId,
    pub(crate) user_id: UserId,
    pub(crate) if_match: Option<i64>,
}

/// The body of [`modify`], inside a transaction the caller ends.
pub(crate) async fn modify_in(
    c: &mut PgConnection,
    counts: &mut Counts,
    draft: &mut AuditDraft,
    tk: i64,
    target: Target,
    now: OffsetDateTime,
    mutation: usher_core::store::UserMutation,
) -> Result<User, Error> {
    let before = load(c, tk, target.tenant_id, target.user_id, target.if_match).await?;
    let mut user = before.user.clone();
    let effects: Effects = mutation(&mut user)?;
    let changes = before.user.diff(&user);
    draft.details["changes"] = serde_json::Value::Object(changes.clone());
    // Effects alone (a reset link and its mail) leave the version.
    if !changes.is_empty() {
        user.version += 1;
        user.updated_at = now;
        write::update(c, counts, tk, &before, &user).await?;
    } else if before.user.activity_differs(&user) {
        write::update(c, counts, tk, &before, &user).await?;
    }
    effects::apply_effects(c, tk, before.key, user.id, &effects, now, draft)
        .await
        .db()?;
    Ok(user)
}

pub(crate) async fn delete(
    pool: &PgPool,
    tk: i64,
    tenant_id: TenantId,
    user_id: UserId,
    if_match: Option<i64>,
    guard: DeleteGuard,
    audit: AuditDraft,
) -> Result<User, Error> {
    let mut w = Write::begin(pool, audit).await?;
    let target = Target {
        tenant_id,
        user_id,
        if_match,
    };
    let result = delete_in(&mut w.tx, &mut w.counts, &mut w.draft, tk, target, guard).await;
    w.finish(result).await
}

/// The body of [`delete`], inside a transaction the caller ends.
pub(crate) async fn delete_in(
    c: &mut PgConnection,
    counts: &mut Counts,
    draft: &mut AuditDraft,
    tk: i64,
    target: Target,
    guard: DeleteGuard,
) -> Result<User, Error> {
    let stored = load(c, tk, target.tenant_id, target.user_id, target.if_match).await?;
    guard(&stored.user)?;
    draft.details["email"] = json!(stored.user.email);
    draft.details["state"] = json!(stored.user.stored_state);
    write::delete(c, counts, tk, &stored).await.db()?;
    Ok(stored.user)
}

/// Marks pending invitations past their expiry as expired. Not a change a
/// client can see (reads already derive the state), so versions stay and
/// nothing is audited. Rows another process is sweeping or changing right
/// now are skipped rather than waited for: a later sweep gets them.
pub(crate) async fn sweep_expired(
    pool: &PgPool,
    now: OffsetDateTime,
    limit: u32,
) -> Result<u64, StoreError> {
    let mut tx = pool
        .begin_with("BEGIN ISOLATION LEVEL READ COMMITTED")
        .await
        .map_err(unavailable)?;
    let due: Vec<(i64, i64, bool, String, bool)> = sqlx::query_as(
        "SELECT key, tenant_key, archived, search_blob, mfa_enrolled FROM users \
         WHERE state = 1 AND invitation_expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED",
    )
    .bind(now)
    .bind(i64::from(limit))
    .fetch_all(&mut *tx)
    .await
    .map_err(unavailable)?;
    let due: Vec<write::Expiring> = due
        .into_iter()
        .map(
            |(key, tenant_key, archived, search_blob, mfa)| write::Expiring {
                key,
                tenant_key,
                archived,
                search_blob,
                mfa,
            },
        )
        .collect();
    if !due.is_empty() {
        let mut counts = Counts::default();
        write::expire(&mut tx, &mut counts, &due)
            .await
            .map_err(unavailable)?;
        counts.flush(&mut tx).await.map_err(unavailable)?;
    }
    tx.commit().await.map_err(unavailable)?;
    Ok(due.len() as u64)
}
