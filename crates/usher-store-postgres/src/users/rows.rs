//! Reading users out of rows.

use crate::error::{has_nul, unavailable};
use crate::ids::{id, uuids};
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::{PgExecutor, Row};
use std::collections::BTreeMap;
use time::OffsetDateTime;
use usher_core::user::fields::{Email, ExternalId, Language, PersonName, Phone, Username};
use usher_core::user::{BlockedBy, User, UserState};
use usher_core::{StoreError, TenantId, UserId};
use uuid::Uuid;

/// The columns every user query selects, in the order [`stored_user`]
/// reads. A macro so that queries can be assembled with `concat!` into the
/// `&'static str` sqlx wants.
macro_rules! user_columns {
    () => {
        "key, id, email, first_name, last_name, phone, personal_email, username, language, state, \
         invitation_expires_at, archived, source, external_id, attributes, created_at, updated_at, \
         signup_completed_at, last_login_at, last_failed_login_at, mfa_enrolled, version, search_blob, display_name, \
         blocked_by"
    };
}
pub(crate) use user_columns;

/// A user with what the store needs to rewrite its rows.
#[derive(Debug, Clone)]
pub(crate) struct StoredUser {
    pub key: i64,
    pub user: User,
    pub search_blob: String,
}

/// Reads one user from a row selected with [`user_columns!`].
pub(crate) fn stored_user(r: &PgRow, tenant_id: TenantId) -> Result<StoredUser, StoreError> {
    read(r, tenant_id).map_err(unavailable)?.map_err(|what| {
        StoreError::Corrupt(format!(
            "user {:?} has {what}",
            r.try_get::<Uuid, _>(1).ok()
        ))
    })
}

/// The user, or which of its stored values is unreadable.
fn read(r: &PgRow, tenant_id: TenantId) -> Result<Result<StoredUser, &'static str>, sqlx::Error> {
    let text = |i: usize| r.try_get::<Option<String>, _>(i);
    let time = |i: usize| r.try_get::<Option<OffsetDateTime>, _>(i);
    let Some(stored_state) = UserState::from_code(i64::from(r.try_get::<i16, _>(9)?)) else {
        return Ok(Err("an unknown state"));
    };
    let blocked_by = match text(24)? {
        Some(stored) => match BlockedBy::from_stored(&stored) {
            Some(b) => Some(b),
            None => return Ok(Err("an unreadable blocked_by")),
        },
        None => None,
    };
    let language: String = r.try_get(8)?;
    let Json(attributes): Json<BTreeMap<String, String>> = r.try_get(14)?;
    let user = User {
        id: id(r, 1)?,
        tenant_id,
        email: Email::from_stored(r.try_get(2)?),
        first_name: text(3)?.map(PersonName::from_stored),
        last_name: text(4)?.map(PersonName::from_stored),
        display_name: text(23)?.map(PersonName::from_stored),
        phone: text(5)?.map(Phone::from_stored),
        personal_email: text(6)?.map(Email::from_stored),
        username: text(7)?.map(Username::from_stored),
        language: Language::parse("language", &language).unwrap_or_default(),
        stored_state,
        invitation_expires_at: time(10)?,
        archived: r.try_get(11)?,
        source: r.try_get(12)?,
        external_id: text(13)?.map(ExternalId::from_stored),
        attributes,
        created_at: r.try_get(15)?,
        updated_at: r.try_get(16)?,
        signup_completed_at: time(17)?,
        last_login_at: time(18)?,
        last_failed_login_at: time(19)?,
        mfa_enrolled: r.try_get(20)?,
        version: r.try_get(21)?,
        blocked_by,
    };
    Ok(Ok(StoredUser {
        key: r.try_get(0)?,
        user,
        search_blob: r.try_get(22)?,
    }))
}

/// The stored text of who blocked the user (see `BlockedBy::to_stored`).
pub(crate) fn stored_block(u: &User) -> Option<String> {
    u.block_record().map(BlockedBy::to_stored)
}

/// One user by id. `lock` takes the row lock (`FOR UPDATE`) for a write.
pub(crate) async fn user_by_id<'c>(
    e: impl PgExecutor<'c>,
    tenant_key: i64,
    tenant_id: TenantId,
    id: UserId,
    lock: bool,
) -> Result<Option<StoredUser>, StoreError> {
    let sql = if lock {
        concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE id = $1 AND tenant_key = $2 FOR UPDATE"
        )
    } else {
        concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE id = $1 AND tenant_key = $2"
        )
    };
    let row = sqlx::query(sql)
        .bind(id.uuid())
        .bind(tenant_key)
        .fetch_optional(e)
        .await
        .map_err(unavailable)?;
    row.map(|r| stored_user(&r, tenant_id)).transpose()
}

/// The users of a tenant among `ids`, in one query.
pub(crate) async fn users_by_ids(
    pool: &sqlx::PgPool,
    tenant_key: i64,
    tenant_id: TenantId,
    ids: &[UserId],
) -> Result<Vec<usher_core::user::User>, StoreError> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        user_columns!(),
        " FROM users WHERE id = ANY($1) AND tenant_key = $2"
    ))
    .bind(uuids(ids))
    .bind(tenant_key)
    .fetch_all(pool)
    .await
    .map_err(unavailable)?;
    rows.iter()
        .map(|r| stored_user(r, tenant_id).map(|s| s.user))
        .collect()
}

/// The users of a tenant among `ids`, locked `FOR UPDATE` in key order:
/// two writers locking overlapping sets take the rows in the same order,
/// so one waits for the other instead of both for each other.
pub(crate) async fn lock_users(
    c: &mut sqlx::PgConnection,
    tenant_key: i64,
    tenant_id: TenantId,
    ids: &[UserId],
) -> Result<Vec<StoredUser>, StoreError> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        user_columns!(),
        " FROM users WHERE id = ANY($1) AND tenant_key = $2 ORDER BY key FOR UPDATE"
    ))
    .bind(uuids(ids))
    .bind(tenant_key)
    .fetch_all(c)
    .await
    .map_err(unavailable)?;
    rows.iter().map(|r| stored_user(r, tenant_id)).collect()
}

pub(crate) async fn user_by_email<'c>(
    e: impl PgExecutor<'c>,
    tenant_key: i64,
    tenant_id: TenantId,
    email_norm: &str,
) -> Result<Option<StoredUser>, StoreError> {
    if has_nul(email_norm) {
        return Ok(None);
    }
    let row = sqlx::query(concat!(
        "SELECT ",
        user_columns!(),
        " FROM users WHERE tenant_key = $1 AND email_norm = $2"
    ))
    .bind(tenant_key)
    .bind(email_norm)
    .fetch_optional(e)
    .await
    .map_err(unavailable)?;
    row.map(|r| stored_user(&r, tenant_id)).transpose()
}
