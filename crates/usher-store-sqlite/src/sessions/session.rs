//! End-user sessions, refresh-token rotation.

use crate::conn::{DbExt, DbResult, audited, uuid};
use rusqlite::{Connection, OptionalExtension, params};
use usher_core::audit::{AuditAction, AuditDraft};
use usher_core::clock::{from_micros, to_micros};
use usher_core::error::{Error, Missing};
use usher_core::session::{
    NewSession, Rotation, RotationOutcome, Session, SessionMatch, TokenKind,
};
use usher_core::token::SecretHash;
use usher_core::useragent::{ClientInfo, Platform};
use usher_core::{SessionId, UserId};

const SESSION_COLUMNS: &str = "s.id, t.id, u.id, s.created_at, s.last_seen_at, s.expires_at, s.ip, \
     s.user_agent, s.platform, s.os, s.os_version, s.browser, s.browser_version, s.location, s.access_expires_at";

const SESSION_JOIN: &str =
    "FROM sessions s JOIN users u ON u.key = s.user_key JOIN tenants t ON t.key = s.tenant_key";

fn session_match(r: &rusqlite::Row<'_>) -> DbResult<SessionMatch> {
    let platform: String = r.get(8)?;
    Ok(SessionMatch {
        session: Session {
            id: uuid(&r.get::<_, Vec<u8>>(0)?)?,
            tenant_id: uuid(&r.get::<_, Vec<u8>>(1)?)?,
            user_id: uuid(&r.get::<_, Vec<u8>>(2)?)?,
            created_at: from_micros(r.get(3)?),
            last_seen_at: from_micros(r.get(4)?),
            expires_at: from_micros(r.get(5)?),
            ip: r.get(6)?,
            user_agent: r.get(7)?,
            client: ClientInfo {
                platform: Platform::parse(&platform).unwrap_or(Platform::Other),
                os: r.get(9)?,
                os_version: r.get(10)?,
                browser: r.get(11)?,
                browser_version: r.get(12)?,
            },
            location: r.get(13)?,
        },
        access_expires_at: from_micros(r.get(14)?),
    })
}

/// Stores a new session of the user with key `user_key` (inside the
/// transaction of the login that opens it).
pub(crate) fn insert(c: &Connection, tk: i64, user_key: i64, new: &NewSession) -> DbResult<()> {
    let s = &new.session;
    let t = &new.tokens;
    c.prepare_cached(
        "INSERT INTO sessions (id, tenant_key, user_key, session_hash, access_hash, access_expires_at, \
         refresh_hash, created_at, last_seen_at, expires_at, ip, user_agent, platform, os, os_version, \
         browser, browser_version, location) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
    )?
    .execute(params![
        s.id.as_bytes().as_slice(),
        tk,
        user_key,
        new.session_hash.0.as_slice(),
        t.access.0.as_slice(),
        to_micros(t.access_expires_at),
        t.refresh.0.as_slice(),
        to_micros(s.created_at),
        to_micros(s.last_seen_at),
        to_micros(s.expires_at),
        s.ip,
        s.user_agent,
        s.client.platform.as_str(),
        s.client.os,
        s.client.os_version,
        s.client.browser,
        s.client.browser_version,
        s.location,
    ])?;
    Ok(())
}

/// Ends every session of a user (disable, delete).
/// Ends every session of the user, their admin sessions included; answers
/// how many end-user sessions ended.
pub(crate) fn end_all(c: &Connection, user_key: i64) -> DbResult<usize> {
    c.prepare_cached("DELETE FROM admin_sessions WHERE user_key = ?1")?
        .execute([user_key])?;
    c.prepare_cached("DELETE FROM sessions WHERE user_key = ?1")?
        .execute([user_key])
}

pub(crate) fn find(
    c: &Connection,
    kind: TokenKind,
    hash: &SecretHash,
) -> DbResult<Option<SessionMatch>> {
    let column = match kind {
        TokenKind::Session => "session_hash",
        TokenKind::Access => "access_hash",
        TokenKind::Refresh => "refresh_hash",
    };
    c.prepare_cached(&format!(
        "SELECT {SESSION_COLUMNS} {SESSION_JOIN} WHERE s.{column} = ?1"
    ))?
    .query_row([hash.0.as_slice()], session_match)
    .optional()
}

pub(crate) fn touch(c: &Connection, id: SessionId, now: i64) -> DbResult<()> {
    c.prepare_cached("UPDATE sessions SET last_seen_at = ?2 WHERE id = ?1 AND last_seen_at < ?2")?
        .execute(params![id.as_bytes().as_slice(), now])?;
    Ok(())
}

pub(crate) fn authenticated_at(c: &Connection, id: SessionId) -> DbResult<Option<i64>> {
    c.prepare_cached("SELECT COALESCE(authenticated_at, created_at) FROM sessions WHERE id = ?1")?
        .query_row([id.as_bytes().as_slice()], |r| r.get(0))
        .optional()
}

pub(crate) fn mark_authenticated(c: &Connection, id: SessionId, at: i64) -> DbResult<()> {
    c.prepare_cached("UPDATE sessions SET authenticated_at = ?2 WHERE id = ?1")?
        .execute(params![id.as_bytes().as_slice(), at])?;
    Ok(())
}

/// Ends every session of the user but `keep` (the one that changed the
/// password), and every admin session of theirs.
pub(crate) fn end_others(c: &Connection, user_key: i64, keep: SessionId) -> DbResult<usize> {
    c.prepare_cached("DELETE FROM admin_sessions WHERE user_key = ?1")?
        .execute([user_key])?;
    c.prepare_cached("DELETE FROM sessions WHERE user_key = ?1 AND id <> ?2")?
        .execute(params![user_key, keep.as_bytes().as_slice()])
}

pub(crate) fn rotate(
    c: &Connection,
    tk: i64,
    r: Rotation,
    audit: AuditDraft,
) -> Result<RotationOutcome, Error> {
    audited(c, audit, |c, draft| {
        let now = to_micros(r.now);
        let current: Option<(Vec<u8>, i64)> = c
            .prepare_cached(
                "SELECT id, expires_at FROM sessions WHERE refresh_hash = ?1 AND tenant_key = ?2",
            )
            .db()?
            .query_row(params![r.presented.0.as_slice(), tk], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()
            .db()?;
        if let Some((id, expires)) = current {
            if expires <= now {
                draft.details["outcome"] = "expired".into();
                return Ok(RotationOutcome::Unknown);
            }
            c.prepare_cached(
                "INSERT INTO spent_refresh_tokens (hash, session_id, spent_at) VALUES (?1, ?2, ?3)",
            )
            .db()?
            .execute(params![r.presented.0.as_slice(), id, now])
            .db()?;
            c.prepare_cached(
                "UPDATE sessions SET refresh_hash = ?2, access_hash = ?3, access_expires_at = ?4, \
                 last_seen_at = ?5 WHERE id = ?1",
            )
            .db()?
            .execute(params![
                id,
                r.next.refresh.0.as_slice(),
                r.next.access.0.as_slice(),
                to_micros(r.next.access_expires_at),
                now
            ])
            .db()?;
            let m = c
                .prepare_cached(&format!(
                    "SELECT {SESSION_COLUMNS} {SESSION_JOIN} WHERE s.id = ?1"
                ))
                .db()?
                .query_row([&id], session_match)
                .db()?;
            *draft = draft.clone().target("user", m.session.user_id);
            draft.details["session_id"] = m.session.id.to_string().into();
            return Ok(RotationOutcome::Rotated(Box::new(m.session)));
        }
        let spent: Option<(Vec<u8>, Vec<u8>)> = c
            .prepare_cached(
                "SELECT s.id, u.id FROM spent_refresh_tokens x JOIN sessions s ON s.id = x.session_id \
                 JOIN users u ON u.key = s.user_key WHERE x.hash = ?1 AND s.tenant_key = ?2",
            )
            .db()?
            .query_row(params![r.presented.0.as_slice(), tk], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()
            .db()?;
        let Some((session_id, user_id)) = spent else {
            draft.details["outcome"] = "unknown".into();
            return Ok(RotationOutcome::Unknown);
        };
        c.prepare_cached("DELETE FROM sessions WHERE id = ?1")
            .db()?
            .execute([&session_id])
            .db()?;
        let (session_id, user_id): (SessionId, UserId) =
            (uuid(&session_id).db()?, uuid(&user_id).db()?);
        *draft = draft.clone().target("user", user_id);
        draft.action = AuditAction::SessionRefreshReused.as_str().into();
        draft.details["session_id"] = session_id.to_string().into();
        Ok(RotationOutcome::Reused {
            session_id,
            user_id,
        })
    })
}

pub(crate) fn list(c: &Connection, tk: i64, user_id: UserId, now: i64) -> DbResult<Vec<Session>> {
    c.prepare_cached(&format!(
        "SELECT {SESSION_COLUMNS} {SESSION_JOIN} WHERE u.id = ?1 AND s.tenant_key = ?2 AND s.expires_at > ?3 \
         ORDER BY s.created_at DESC, s.id DESC"
    ))?
    .query_map(params![user_id.as_bytes().as_slice(), tk, now], |r| {
        session_match(r).map(|m| m.session)
    })?
    .collect()
}

pub(crate) fn end(
    c: &Connection,
    tk: i64,
    user_id: UserId,
    session_id: Option<SessionId>,
    audit: AuditDraft,
) -> Result<u64, Error> {
    audited(c, audit, |c, draft| {
        let user_key = crate::users::rows::user_key(c, tk, user_id)?;
        let ended = match session_id {
            Some(id) => c
                .prepare_cached("DELETE FROM sessions WHERE id = ?1 AND user_key = ?2")
                .db()?
                .execute(params![id.as_bytes().as_slice(), user_key])
                .db()?,
            None => end_all(c, user_key).db()?,
        };
        if session_id.is_some() && ended == 0 {
            return Err(Error::NotFound(Missing::Session));
        }
        draft.details["ended"] = ended.into();
        Ok(ended as u64)
    })
}
