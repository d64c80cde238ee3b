//! The user operations: create, modify and delete (each audited, checked
//! against `If-Match`), and the sweep that marks expired invitations.

use crate::conn::{DbExt, DbResult, audited};
use crate::users::counts::{Tally, Totals, count};
use crate::users::effects::{apply_effects, revoke_access};
use crate::users::index::{Indexed, index_search, reindex_search};
use crate::users::rows::{self, StoredUser};
use crate::users::write::{insert_row, update_row_deferred};
use rusqlite::{Connection, params};
use serde_json::json;
use std::collections::BTreeMap;
use time::OffsetDateTime;
use usher_core::audit::AuditDraft;
use usher_core::clock::to_micros;
use usher_core::error::{Error, Missing};
use usher_core::store::{DeleteGuard, Effects, UserWrite};
use usher_core::user::{User, UserState};
use usher_core::{TenantId, UserId};

pub(crate) fn create(
    c: &Connection,
    tk: i64,
    user: User,
    effects: Effects,
    audit: AuditDraft,
) -> Result<User, Error> {
    audited(c, audit, |c, draft| {
        let key = insert_row(c, tk, &user)?;
        apply_effects(c, tk, key, user.id, &effects, user.created_at, draft).db()?;
        Ok(user)
    })
}

pub(crate) fn load(
    c: &Connection,
    tk: i64,
    tenant_id: TenantId,
    id: UserId,
    if_match: Option<i64>,
) -> Result<StoredUser, Error> {
    let stored = rows::user_by_id(c, tk, tenant_id, id)
        .db()?
        .ok_or(Error::NotFound(Missing::User))?;
    Error::check_version(if_match, stored.user.version)?;
    Ok(stored)
}

pub(crate) fn modify(c: &Connection, tk: i64, write: UserWrite) -> Result<User, Error> {
    let mut totals = Totals::default();
    let user = modify_deferred(c, tk, write, &mut totals)?;
    totals.flush(c, tk).db()?;
    Ok(user)
}

/// [`modify`], leaving the changes to counters and heads in `totals` (a
/// bulk process writes them once for a chunk of users). A refused write
/// leaves nothing in them: it is refused before its first change.
pub(crate) fn modify_deferred(
    c: &Connection,
    tk: i64,
    write: UserWrite,
    totals: &mut Totals,
) -> Result<User, Error> {
    let UserWrite {
        tenant_id,
        user_id,
        if_match,
        now,
        mutation,
        audit,
    } = write;
    audited(c, audit, |c, draft| {
        let before = load(c, tk, tenant_id, user_id, if_match)?;
        let mut user = before.user.clone();
        let effects: Effects = mutation(&mut user)?;
        let changes = before.user.diff(&user);
        draft.details["changes"] = serde_json::Value::Object(changes.clone());
        // Effects alone (a reset link and its mail) leave the version.
        if !changes.is_empty() {
            user.version += 1;
            user.updated_at = now;
            update_row_deferred(c, tk, &before, &user, totals)?;
        } else if before.user.activity_differs(&user) {
            update_row_deferred(c, tk, &before, &user, totals)?;
        }
        apply_effects(c, tk, before.key, user.id, &effects, now, draft).db()?;
        Ok(user)
    })
}

pub(crate) fn delete(
    c: &Connection,
    tk: i64,
    tenant_id: TenantId,
    user_id: UserId,
    if_match: Option<i64>,
    guard: DeleteGuard,
    audit: AuditDraft,
) -> Result<User, Error> {
    audited(c, audit, |c, draft| {
        let stored = load(c, tk, tenant_id, user_id, if_match)?;
        guard(&stored.user)?;
        draft.details["email"] = json!(stored.user.email);
        draft.details["state"] = json!(stored.user.stored_state);
        c.prepare_cached("DELETE FROM users WHERE key = ?1")
            .db()?
            .execute([stored.key])
            .db()?;
        index_search(
            c,
            tk,
            &Indexed::of(stored.key, &stored.search_blob, &stored.user),
            -1,
        )
        .db()?;
        c.prepare_cached("DELETE FROM user_attribute_index WHERE tenant_key = ?1 AND name_key = ?2 AND user_key = ?3")
            .db()
            .and_then(|mut s| {
                for name in stored.user.attributes.keys() {
                    s.execute(params![tk, name.to_ascii_lowercase(), stored.key]).db()?;
                }
                Ok(())
            })?;
        revoke_access(c, stored.key, stored.user.id).db()?;
        c.prepare_cached("DELETE FROM user_credentials WHERE user_key = ?1")
            .db()?
            .execute([stored.key])
            .db()?;
        count(c, tk, &stored.user, -1).db()?;
        Ok(stored.user)
    })
}

/// A pending invitation the sweep marks expired: key, tenant key, archived,
/// search blob, normalised email, expiry, enrolled.
type DueInvitation = (i64, i64, bool, String, String, Option<i64>, bool);

/// Marks pending invitations past their expiry as expired. Not a change a
/// client can see (reads already derive the state), so versions stay.
pub(crate) fn sweep_expired(c: &Connection, now: OffsetDateTime, limit: u32) -> Result<u64, Error> {
    let due: Vec<DueInvitation> = c
        .prepare_cached(
            "SELECT key, tenant_key, archived, search_blob, email_norm, invitation_expires_at, mfa_enrolled \
             FROM users WHERE state = 1 AND invitation_expires_at <= ?1 LIMIT ?2",
        )
        .db()?
        .query_map(params![to_micros(now), limit], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })
        .db()?
        .collect::<DbResult<_>>()
        .db()?;
    // The due users' counters and heads, by tenant, written once at the end.
    let mut totals: BTreeMap<i64, Totals> = BTreeMap::new();
    for (key, tk, archived, blob, email_norm, expires, mfa) in &due {
        c.prepare_cached("UPDATE users SET state = 2 WHERE key = ?1")
            .db()?
            .execute([key])
            .db()?;
        let ix = Indexed {
            key: *key,
            blob,
            state: UserState::PendingInvitation,
            archived: *archived,
            expires: *expires,
            email_norm,
            mfa: *mfa,
        };
        let expired = Indexed {
            state: UserState::ExpiredInvitation,
            ..ix
        };
        let totals = totals.entry(*tk).or_default();
        reindex_search(c, *tk, &ix, &expired, totals).db()?;
        totals.count(Tally::at(&ix), -1);
        totals.count(Tally::at(&expired), 1);
    }
    for (tk, totals) in totals {
        totals.flush(c, tk).db()?;
    }
    Ok(due.len() as u64)
}
