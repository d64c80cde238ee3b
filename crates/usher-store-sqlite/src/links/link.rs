//! Invitation and password-reset links: finding one by its secret's hash,
//! and redeeming it (once) with a new password; writing and reading the
//! password hash.

use crate::conn::{DbExt, DbResult, audited, uuid};
use crate::users::rows;
use rusqlite::{Connection, OptionalExtension, params};
use time::OffsetDateTime;
use usher_core::UserId;
use usher_core::clock::{from_micros, to_micros};
use usher_core::error::{Error, ErrorCode};
use usher_core::store::{LinkKind, LinkRecord, PasswordWrite, Redemption};
use usher_core::token::SecretHash;
use usher_core::user::{User, UserState};

fn kind(s: &str) -> Option<LinkKind> {
    match s {
        "invitation" => Some(LinkKind::Invitation),
        "password_reset" => Some(LinkKind::PasswordReset),
        _ => None,
    }
}

pub(crate) fn find(c: &Connection, hash: &SecretHash) -> DbResult<Option<LinkRecord>> {
    c.prepare_cached(
        "SELECT t.id, u.id, l.kind, l.expires_at, l.used_at FROM links l \
         JOIN users u ON u.key = l.user_key JOIN tenants t ON t.key = l.tenant_key WHERE l.hash = ?1",
    )?
    .query_row([hash.0.as_slice()], |r| {
        let k: String = r.get(2)?;
        Ok((
            uuid(&r.get::<_, Vec<u8>>(0)?)?,
            uuid(&r.get::<_, Vec<u8>>(1)?)?,
            kind(&k),
            r.get::<_, i64>(3)?,
            r.get::<_, Option<i64>>(4)?,
        ))
    })
    .optional()
    .map(|row| {
        row.and_then(|(tenant_id, user_id, kind, expires, used)| {
            Some(LinkRecord {
                tenant_id,
                user_id,
                kind: kind?,
                expires_at: from_micros(expires),
                used_at: used.map(from_micros),
            })
        })
    })
}

/// A link as redemption reads it: id, user key, kind, expiry, use.
type LinkRow = (Vec<u8>, i64, String, i64, Option<i64>);

/// The one refusal of a redemption, whatever made the link unusable.
pub(crate) fn invalid_link() -> Error {
    Error::bad_request(
        ErrorCode::InvalidLink,
        "this link is not valid: it may have expired or been used already; ask for a new one",
    )
}

pub(crate) fn redeem(c: &Connection, tk: i64, r: Redemption) -> Result<User, Error> {
    let Redemption {
        tenant_id,
        kind: wanted,
        hash,
        now,
        password_hash,
        audit,
    } = r;
    audited(c, audit, |c, draft| {
        let link: Option<LinkRow> = c
            .prepare_cached("SELECT id, user_key, kind, expires_at, used_at FROM links WHERE hash = ?1 AND tenant_key = ?2")
            .db()?
            .query_row(params![hash.0.as_slice(), tk], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .optional()
            .db()?;
        let Some((link_id, user_key, k, expires, used)) = link else {
            return Err(invalid_link());
        };
        if kind(&k) != Some(wanted) || used.is_some() || expires <= to_micros(now) {
            return Err(invalid_link());
        }
        let id: Vec<u8> = c
            .prepare_cached("SELECT id FROM users WHERE key = ?1")
            .db()?
            .query_row([user_key], |r| r.get(0))
            .db()?;
        let before = rows::user_by_id(c, tk, tenant_id, uuid(&id).db()?)
            .db()?
            .ok_or_else(invalid_link)?;
        let state = before.user.state(now);
        let serves = match wanted {
            LinkKind::Invitation => state == UserState::PendingInvitation,
            LinkKind::PasswordReset => matches!(state, UserState::Active | UserState::Blocked),
        };
        if !serves {
            return Err(invalid_link());
        }
        *draft = draft.clone().target("user", before.user.id);
        // The guard on used_at makes a second redemption change nothing.
        let marked = c
            .prepare_cached("UPDATE links SET used_at = ?2 WHERE id = ?1 AND used_at IS NULL")
            .db()?
            .execute(params![link_id, to_micros(now)])
            .db()?;
        if marked != 1 {
            return Err(invalid_link());
        }
        // A mail still waiting with this link would carry a dead one.
        super::outbox::cancel_queued(
            c,
            before.user.id,
            Some(wanted),
            usher_core::mail::cancelled::LINK_USED,
        )
        .db()?;
        write_password(c, user_key, &PasswordWrite::Set(password_hash), now).db()?;
        // A new password ends whatever the old one opened (a reset is
        // often made because someone else knew it).
        let ended = crate::sessions::session::end_all(c, user_key).db()?;
        draft.details["sessions_ended"] = serde_json::json!(ended);
        let mut user = before.user.clone();
        if wanted == LinkKind::Invitation {
            user.stored_state = UserState::Active;
            user.signup_completed_at = Some(now);
            user.invitation_expires_at = None;
            user.version += 1;
            user.updated_at = now;
            crate::users::write::update_row(c, tk, &before, &user)?;
        }
        draft.details["kind"] = serde_json::json!(wanted.as_str());
        Ok(user)
    })
}

/// Carries out a password write; answers what the audit event records.
pub(crate) fn write_password(
    c: &Connection,
    user_key: i64,
    write: &PasswordWrite,
    now: OffsetDateTime,
) -> DbResult<&'static str> {
    match write {
        PasswordWrite::Set(hash) => {
            c.prepare_cached(
                "INSERT INTO user_credentials (user_key, password_hash, updated_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (user_key) DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at",
            )?
            .execute(params![user_key, hash, to_micros(now)])?;
            Ok("set")
        }
        PasswordWrite::Rehash { old, new } => {
            let replaced = c
                .prepare_cached(
                    "UPDATE user_credentials SET password_hash = ?3, updated_at = ?4 \
                     WHERE user_key = ?1 AND password_hash = ?2",
                )?
                .execute(params![user_key, old, new, to_micros(now)])?;
            Ok(if replaced == 1 {
                "rehashed"
            } else {
                "rehash_skipped"
            })
        }
    }
}

pub(crate) fn password_hash(c: &Connection, tk: i64, user_id: UserId) -> DbResult<Option<String>> {
    c.prepare_cached(
        "SELECT p.password_hash FROM user_credentials p JOIN users u ON u.key = p.user_key \
         WHERE u.id = ?1 AND u.tenant_key = ?2",
    )?
    .query_row(params![user_id.as_bytes().as_slice(), tk], |r| r.get(0))
    .optional()
}
