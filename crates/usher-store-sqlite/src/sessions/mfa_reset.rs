//! An admin's reset of a user's second factors: every factor goes, every
//! session ends, and the user must enrol an authenticator at their next
//! login until they confirm one.

use super::factors::sync_enrolled;
use crate::conn::{DbExt, DbResult, audited};
use crate::users::rows::user_key;
use rusqlite::{Connection, params};
use time::OffsetDateTime;
use usher_core::UserId;
use usher_core::audit::AuditDraft;
use usher_core::clock::to_micros;
use usher_core::error::Error;

pub(crate) fn reset(
    c: &Connection,
    tk: i64,
    user_id: UserId,
    now: OffsetDateTime,
    audit: AuditDraft,
) -> Result<u64, Error> {
    audited(c, audit, |c, draft| {
        let key = user_key(c, tk, user_id)?;
        // Recovery codes go with their factor row.
        let removed = c
            .prepare_cached("DELETE FROM factors WHERE user_key = ?1")
            .db()?
            .execute([key])
            .db()?;
        sync_enrolled(c, tk, key).db()?;
        let sessions = super::session::end_all(c, key).db()?;
        c.prepare_cached(
            "INSERT INTO mfa_resets (user_key, reset_at) VALUES (?1, ?2) \
             ON CONFLICT (user_key) DO UPDATE SET reset_at = excluded.reset_at",
        )
        .db()?
        .execute(params![key, to_micros(now)])
        .db()?;
        draft.details["removed_factors"] = removed.into();
        draft.details["ended_sessions"] = sessions.into();
        Ok(removed as u64)
    })
}

pub(crate) fn pending(c: &Connection, tk: i64, user_id: UserId) -> DbResult<bool> {
    c.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM mfa_resets r JOIN users u ON u.key = r.user_key \
         WHERE u.id = ?1 AND u.tenant_key = ?2)",
    )?
    .query_row(params![user_id.as_bytes().as_slice(), tk], |r| r.get(0))
}

/// The user confirmed an authenticator: the reset is settled.
pub(super) fn settle(c: &Connection, user_key: i64) -> DbResult<()> {
    c.prepare_cached("DELETE FROM mfa_resets WHERE user_key = ?1")?
        .execute([user_key])?;
    Ok(())
}
