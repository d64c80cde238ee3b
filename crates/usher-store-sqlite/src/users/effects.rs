//! What a change to a user entails besides its own fields: links, mails,
//! sessions and password hashes, written in the same transaction.

use crate::conn::DbResult;
use rusqlite::{Connection, params};
use serde_json::json;
use time::OffsetDateTime;
use usher_core::UserId;
use usher_core::audit::AuditDraft;
use usher_core::clock::to_micros;
use usher_core::store::{Effects, NewLink, RoleChange};
use uuid::Uuid;

fn insert_link(
    c: &Connection,
    tk: i64,
    user_key: i64,
    link: &NewLink,
    now: OffsetDateTime,
) -> DbResult<()> {
    c.prepare_cached("DELETE FROM links WHERE user_key = ?1 AND kind = ?2")?
        .execute(params![user_key, link.kind.as_str()])?;
    c.prepare_cached(
        "INSERT INTO links (id, tenant_key, user_key, kind, hash, created_at, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        Uuid::now_v7().as_bytes().as_slice(),
        tk,
        user_key,
        link.kind.as_str(),
        link.hash.0.as_slice(),
        to_micros(now),
        to_micros(link.expires_at)
    ])?;
    Ok(())
}

/// Ends everything that grants access: links, the mails carrying them,
/// sessions and their refresh tokens.
pub(crate) fn revoke_access(c: &Connection, user_key: i64, user_id: UserId) -> DbResult<()> {
    c.prepare_cached("DELETE FROM links WHERE user_key = ?1")?
        .execute([user_key])?;
    crate::sessions::session::end_all(c, user_key)?;
    crate::links::outbox::cancel_queued(
        c,
        user_id,
        None,
        usher_core::mail::cancelled::ACCESS_REVOKED,
    )?;
    Ok(())
}

/// Carries out what the domain asked for besides the user's own fields,
/// noting a password write and role changes in the audit event.
pub(crate) fn apply_effects(
    c: &Connection,
    tk: i64,
    user_key: i64,
    user_id: UserId,
    effects: &Effects,
    now: OffsetDateTime,
    draft: &mut AuditDraft,
) -> DbResult<()> {
    if effects.revoke_access {
        revoke_access(c, user_key, user_id)?;
    } else if effects.end_sessions {
        crate::sessions::session::end_all(c, user_key)?;
    } else if let Some(keep) = effects.end_sessions_but {
        crate::sessions::session::end_others(c, user_key, keep)?;
    }
    if effects.revoke_links && !effects.revoke_access {
        c.prepare_cached("DELETE FROM links WHERE user_key = ?1")?
            .execute([user_key])?;
        crate::links::outbox::cancel_queued(
            c,
            user_id,
            None,
            usher_core::mail::cancelled::EMAIL_CHANGED,
        )?;
    }
    if let Some(link) = &effects.new_link {
        // The older link dies with its mail, if that is still waiting.
        crate::links::outbox::cancel_queued(
            c,
            user_id,
            Some(link.kind),
            usher_core::mail::cancelled::NEWER_LINK,
        )?;
        insert_link(c, tk, user_key, link, now)?;
    }
    if let Some(mail) = &effects.mail {
        crate::links::outbox::enqueue(c, tk, mail)?;
    }
    if let Some(session) = &effects.new_session {
        crate::sessions::session::insert(c, tk, user_key, session)?;
    }
    if let Some(write) = &effects.password {
        let outcome = crate::links::link::write_password(c, user_key, write, now)?;
        draft.details["password_hash"] = json!(outcome);
    }
    if !effects.roles.is_empty() {
        let made = effects
            .roles
            .changes
            .iter()
            .map(|change| Ok(change_role(c, tk, user_key, change, now)? > 0))
            .collect::<DbResult<Vec<bool>>>()?;
        // Each change's own event commits with the write, before its event.
        for event in effects.roles.record(&made, draft) {
            crate::audit::append(c, event)?;
        }
    }
    Ok(())
}

/// Gives or takes one of the tenant's own roles (never a built-in admin
/// role); answers how many assignments changed (0: already so, or the role
/// is gone).
fn change_role(
    c: &Connection,
    tk: i64,
    user_key: i64,
    change: &RoleChange,
    now: OffsetDateTime,
) -> DbResult<usize> {
    match change {
        RoleChange::Assign(name) => c
            .prepare_cached(
                "INSERT OR IGNORE INTO user_roles (tenant_key, role_key, user_key, assigned_at) \
                 SELECT tenant_key, name_key, ?3, ?4 FROM roles \
                 WHERE tenant_key = ?1 AND name_key = ?2 AND built_in = 0",
            )?
            .execute(params![tk, name.key(), user_key, to_micros(now)]),
        RoleChange::Remove(name) => c
            .prepare_cached(
                "DELETE FROM user_roles WHERE user_key = ?1 AND role_key = ?2 AND role_key IN \
                 (SELECT name_key FROM roles WHERE tenant_key = ?3 AND built_in = 0)",
            )?
            .execute(params![user_key, name.key(), tk]),
    }
}
