//! End-user sessions, refresh-token rotation.

use crate::error::{DbExt, unavailable};
use crate::ids::id;
use crate::write::Write;
use sqlx::{PgConnection, PgPool, Row};
use time::OffsetDateTime;
use usher_core::audit::{AuditAction, AuditDraft};
use usher_core::error::{Error, Missing};
use usher_core::session::{
    NewSession, Rotation, RotationOutcome, Session, SessionMatch, TokenKind,
};
use usher_core::token::SecretHash;
use usher_core::useragent::{ClientInfo, Platform};
use usher_core::{SessionId, StoreError, UserId};
use uuid::Uuid;

/// A session with its tenant and user ids, selected `WHERE` the condition.
macro_rules! select_sessions {
    ($condition:literal) => {
        concat!(
            "SELECT s.id, t.id AS tenant_id, u.id AS user_id, s.created_at, s.last_seen_at, ",
            "s.expires_at, s.ip, s.user_agent, s.platform, s.os, s.os_version, s.browser, ",
            "s.browser_version, s.location, s.access_expires_at ",
            "FROM sessions s JOIN users u ON u.key = s.user_key JOIN tenants t ON t.key = s.tenant_key ",
            "WHERE ",
            $condition
        )
    };
}

fn session_match(r: &sqlx::postgres::PgRow) -> Result<SessionMatch, sqlx::Error> {
    let platform: String = r.try_get("platform")?;
    Ok(SessionMatch {
        session: Session {
            id: id(r, "id")?,
            tenant_id: id(r, "tenant_id")?,
            user_id: id(r, "user_id")?,
            created_at: r.try_get("created_at")?,
            last_seen_at: r.try_get("last_seen_at")?,
            expires_at: r.try_get("expires_at")?,
            ip: r.try_get("ip")?,
            user_agent: r.try_get("user_agent")?,
            client: ClientInfo {
                platform: Platform::parse(&platform).unwrap_or(Platform::Other),
                os: r.try_get("os")?,
                os_version: r.try_get("os_version")?,
                browser: r.try_get("browser")?,
                browser_version: r.try_get("browser_version")?,
            },
            location: r.try_get("location")?,
        },
        access_expires_at: r.try_get("access_expires_at")?,
    })
}

/// Stores a new session of the user with key `user_key` (inside the
/// transaction of the login that opens it).
pub(crate) async fn insert(
    c: &mut PgConnection,
    tk: i64,
    user_key: i64,
    new: &NewSession,
) -> Result<(), sqlx::Error> {
    let s = &new.session;
    let t = &new.tokens;
    sqlx::query(
        "INSERT INTO sessions (id, tenant_key, user_key, session_hash, access_hash, access_expires_at, \
         refresh_hash, created_at, last_seen_at, expires_at, ip, user_agent, platform, os, os_version, \
         browser, browser_version, location) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
    )
    .bind(s.id.uuid())
    .bind(tk)
    .bind(user_key)
    .bind(&new.session_hash.0[..])
    .bind(&t.access.0[..])
    .bind(t.access_expires_at)
    .bind(&t.refresh.0[..])
    .bind(s.created_at)
    .bind(s.last_seen_at)
    .bind(s.expires_at)
    .bind(&s.ip)
    .bind(&s.user_agent)
    .bind(s.client.platform.as_str())
    .bind(&s.client.os)
    .bind(&s.client.os_version)
    .bind(&s.client.browser)
    .bind(&s.client.browser_version)
    .bind(&s.location)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Ends every session of a user (disable, delete).
pub(crate) async fn end_all(c: &mut PgConnection, user_key: i64) -> Result<u64, sqlx::Error> {
    end_all_of(c, &[user_key]).await
}

/// Ends every session of these users, their admin sessions included;
/// answers how many end-user sessions ended.
pub(crate) async fn end_all_of(
    c: &mut PgConnection,
    user_keys: &[i64],
) -> Result<u64, sqlx::Error> {
    sqlx::query("DELETE FROM admin_sessions WHERE user_key = ANY($1)")
        .bind(user_keys)
        .execute(&mut *c)
        .await?;
    Ok(sqlx::query("DELETE FROM sessions WHERE user_key = ANY($1)")
        .bind(user_keys)
        .execute(&mut *c)
        .await?
        .rows_affected())
}

pub(crate) async fn find(
    pool: &PgPool,
    kind: TokenKind,
    hash: &SecretHash,
) -> Result<Option<SessionMatch>, StoreError> {
    let sql = match kind {
        TokenKind::Session => select_sessions!("s.session_hash = $1"),
        TokenKind::Access => select_sessions!("s.access_hash = $1"),
        TokenKind::Refresh => select_sessions!("s.refresh_hash = $1"),
    };
    let row = sqlx::query(sql)
        .bind(&hash.0[..])
        .fetch_optional(pool)
        .await
        .map_err(unavailable)?;
    row.as_ref()
        .map(session_match)
        .transpose()
        .map_err(unavailable)
}

pub(crate) async fn authenticated_at(
    pool: &PgPool,
    id: SessionId,
) -> Result<Option<OffsetDateTime>, StoreError> {
    sqlx::query_scalar("SELECT COALESCE(authenticated_at, created_at) FROM sessions WHERE id = $1")
        .bind(id.uuid())
        .fetch_optional(pool)
        .await
        .map_err(unavailable)
}

pub(crate) async fn mark_authenticated(
    pool: &PgPool,
    id: SessionId,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE sessions SET authenticated_at = $2 WHERE id = $1")
        .bind(id.uuid())
        .bind(at)
        .execute(pool)
        .await
        .map_err(unavailable)?;
    Ok(())
}

/// Ends every session of the user but `keep` (the one that changed the
/// password), and every admin session of theirs.
pub(crate) async fn end_others(
    c: &mut PgConnection,
    user_key: i64,
    keep: SessionId,
) -> Result<u64, sqlx::Error> {
    sqlx::query("DELETE FROM admin_sessions WHERE user_key = $1")
        .bind(user_key)
        .execute(&mut *c)
        .await?;
    Ok(
        sqlx::query("DELETE FROM sessions WHERE user_key = $1 AND id <> $2")
            .bind(user_key)
            .bind(keep.uuid())
            .execute(&mut *c)
            .await?
            .rows_affected(),
    )
}

pub(crate) async fn touch(
    pool: &PgPool,
    id: SessionId,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id = $1 AND last_seen_at < $2")
        .bind(id.uuid())
        .bind(now)
        .execute(pool)
        .await
        .map_err(unavailable)?;
    Ok(())
}

pub(crate) async fn rotate(
    pool: &PgPool,
    tk: i64,
    r: Rotation,
    audit: AuditDraft,
) -> Result<RotationOutcome, Error> {
    let mut w = Write::begin(pool, audit).await?;
    let result = async {
        // The compare-and-set: of two uses of one token, only the first
        // finds it current.
        let rotated: Option<Uuid> = sqlx::query_scalar(
            "UPDATE sessions SET refresh_hash = $3, access_hash = $4, access_expires_at = $5, last_seen_at = $6 \
             WHERE refresh_hash = $1 AND tenant_key = $2 AND expires_at > $6 RETURNING id",
        )
        .bind(&r.presented.0[..])
        .bind(tk)
        .bind(&r.next.refresh.0[..])
        .bind(&r.next.access.0[..])
        .bind(r.next.access_expires_at)
        .bind(r.now)
        .fetch_optional(&mut *w.tx)
        .await
        .db()?;
        if let Some(id) = rotated {
            sqlx::query(
                "INSERT INTO spent_refresh_tokens (hash, session_id, spent_at) VALUES ($1, $2, $3)",
            )
            .bind(&r.presented.0[..])
            .bind(id)
            .bind(r.now)
            .execute(&mut *w.tx)
            .await
            .db()?;
            let row = sqlx::query(select_sessions!("s.id = $1"))
            .bind(id)
            .fetch_one(&mut *w.tx)
            .await
            .db()?;
            let m = session_match(&row).db()?;
            w.draft = w.draft.clone().target("user", m.session.user_id);
            w.draft.details["session_id"] = m.session.id.to_string().into();
            return Ok(RotationOutcome::Rotated(Box::new(m.session)));
        }
        let spent: Option<(Uuid, Uuid)> = sqlx::query_as(
            "SELECT s.id, u.id FROM spent_refresh_tokens x JOIN sessions s ON s.id = x.session_id \
             JOIN users u ON u.key = s.user_key WHERE x.hash = $1 AND s.tenant_key = $2",
        )
        .bind(&r.presented.0[..])
        .bind(tk)
        .fetch_optional(&mut *w.tx)
        .await
        .db()?;
        let Some((session_id, user_id)) = spent else {
            w.draft.details["outcome"] = "unknown".into();
            return Ok(RotationOutcome::Unknown);
        };
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(session_id)
            .execute(&mut *w.tx)
            .await
            .db()?;
        w.draft = w.draft.clone().target("user", user_id);
        w.draft.action = AuditAction::SessionRefreshReused.as_str().into();
        w.draft.details["session_id"] = session_id.to_string().into();
        Ok(RotationOutcome::Reused {
            session_id: session_id.into(),
            user_id: user_id.into(),
        })
    }
    .await;
    w.finish(result).await
}

pub(crate) async fn list(
    pool: &PgPool,
    tk: i64,
    user_id: UserId,
    now: OffsetDateTime,
) -> Result<Vec<Session>, StoreError> {
    let rows = sqlx::query(select_sessions!(
        "u.id = $1 AND s.tenant_key = $2 AND s.expires_at > $3 ORDER BY s.created_at DESC, s.id DESC"
    ))
    .bind(user_id.uuid())
    .bind(tk)
    .bind(now)
    .fetch_all(pool)
    .await
    .map_err(unavailable)?;
    rows.iter()
        .map(|r| session_match(r).map(|m| m.session))
        .collect::<Result<_, _>>()
        .map_err(unavailable)
}

pub(crate) async fn end(
    pool: &PgPool,
    tk: i64,
    user_id: UserId,
    session_id: Option<SessionId>,
    audit: AuditDraft,
) -> Result<u64, Error> {
    let mut w = Write::begin(pool, audit).await?;
    let result = async {
        let user_key: Option<i64> =
            sqlx::query_scalar("SELECT key FROM users WHERE id = $1 AND tenant_key = $2")
                .bind(user_id.uuid())
                .bind(tk)
                .fetch_optional(&mut *w.tx)
                .await
                .db()?;
        let Some(user_key) = user_key else {
            return Err(Error::NotFound(Missing::User));
        };
        let ended = match session_id {
            Some(id) => sqlx::query("DELETE FROM sessions WHERE id = $1 AND user_key = $2")
                .bind(id.uuid())
                .bind(user_key)
                .execute(&mut *w.tx)
                .await
                .db()?
                .rows_affected(),
            None => end_all(&mut w.tx, user_key).await.db()?,
        };
        if session_id.is_some() && ended == 0 {
            return Err(Error::NotFound(Missing::Session));
        }
        w.draft.details["ended"] = ended.into();
        Ok(ended)
    }
    .await;
    w.finish(result).await
}
