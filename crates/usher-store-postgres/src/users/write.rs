//! Writing one user's rows: the user itself, its share of the counters,
//! and the expiry of pending invitations.

use crate::error::{DbExt, constraint};
use crate::users::counts::Counts;
use crate::users::effects::revoke_access;
use crate::users::index::{
    delete_search_rows, index_attributes, insert_search_rows, search_rows, unindex_attributes,
};
use crate::users::rows::{StoredUser, stored_block};
use sqlx::PgConnection;
use sqlx::types::Json;
use std::collections::HashSet;
use usher_core::error::{Error, ErrorCode, FieldError, ValidationErrors};
use usher_core::search::search_blob;
use usher_core::user::{User, UserState};

/// Inserts the user's row and everything derived from it; answers its key.
pub(crate) async fn insert(
    c: &mut PgConnection,
    counts: &mut Counts,
    tk: i64,
    u: &User,
) -> Result<i64, Error> {
    // Checked before the first write, in the order the SQLite store does:
    // a user with both a vanished attribute and a taken email is refused
    // for the attribute.
    let names: Vec<&String> = u.attributes.keys().collect();
    check_attribute_names(c, tk, &names).await?;
    let blob = search_blob(u);
    let key: i64 = sqlx::query_scalar(
        "INSERT INTO users (id, tenant_key, email, email_norm, first_name, last_name, phone, personal_email, \
         username, username_norm, language, state, invitation_expires_at, archived, source, external_id, \
         attributes, search_blob, created_at, updated_at, signup_completed_at, last_login_at, \
         last_failed_login_at, mfa_enrolled, version, display_name, blocked_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, \
         $22, $23, $24, $25, $26, $27) RETURNING key",
    )
    .bind(u.id.uuid())
    .bind(tk)
    .bind(u.email.as_str())
    .bind(u.email.normalized())
    .bind(u.first_name.as_ref().map(|v| v.as_str()))
    .bind(u.last_name.as_ref().map(|v| v.as_str()))
    .bind(u.phone.as_ref().map(|v| v.as_str()))
    .bind(u.personal_email.as_ref().map(|v| v.as_str()))
    .bind(u.username.as_ref().map(|v| v.as_str()))
    .bind(u.username.as_ref().map(|v| v.normalized()))
    .bind(u.language.as_str())
    .bind(u.stored_state.code())
    .bind(u.invitation_expires_at)
    .bind(u.archived)
    .bind(&u.source)
    .bind(u.external_id.as_ref().map(|v| v.as_str()))
    .bind(Json(&u.attributes))
    .bind(&blob)
    .bind(u.created_at)
    .bind(u.updated_at)
    .bind(u.signup_completed_at)
    .bind(u.last_login_at)
    .bind(u.last_failed_login_at)
    .bind(u.mfa_enrolled)
    .bind(u.version)
    .bind(u.display_name.as_ref().map(|v| v.as_str()))
    .bind(stored_block(u))
    .fetch_one(&mut *c)
    .await
    .map_err(constraint)?;
    insert_search_rows(c, counts, tk, key, u, &blob)
        .await
        .db()?;
    let values: Vec<(&String, &String)> = u.attributes.iter().collect();
    index_attributes(c, tk, key, &values).await.db()?;
    counts.add(tk, u.stored_state, u.archived, u.mfa_enrolled, 1);
    Ok(key)
}

/// Refuses values of attributes whose definition was removed after the
/// service validated them. The definitions are locked (`FOR KEY SHARE`) so
/// that a concurrent removal waits for this write and then finds the value
/// in use, or wins and this write sees the definition gone.
pub(crate) async fn check_attribute_names(
    c: &mut PgConnection,
    tk: i64,
    names: &[&String],
) -> Result<(), Error> {
    if names.is_empty() {
        return Ok(());
    }
    let keys: Vec<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
    let found: Vec<String> = sqlx::query_scalar(
        "SELECT name_key FROM attribute_definitions WHERE tenant_key = $1 AND name_key = ANY($2) \
         ORDER BY name_key FOR KEY SHARE",
    )
    .bind(tk)
    .bind(&keys)
    .fetch_all(&mut *c)
    .await
    .db()?;
    let found: HashSet<String> = found.into_iter().collect();
    let mut errors = ValidationErrors::default();
    for (name, key) in names.iter().zip(&keys) {
        if !found.contains(key) {
            errors.push(FieldError::new(
                format!("attributes.{name}"),
                ErrorCode::UnknownAttribute,
                "no custom attribute of this name is defined",
            ));
        }
    }
    errors.into_result(())
}

/// What an update of a user rewrites beside the user's own row.
pub(crate) struct Rewrite {
    /// The search blob after the update.
    pub blob: String,
    /// Whether the search rows are rewritten (their terms or filter columns
    /// change).
    pub reindex: bool,
    /// Custom attribute names the user gains and loses.
    pub added: Vec<String>,
    pub removed: Vec<String>,
    /// Names the user keeps with another value: their index entries take
    /// the new value (attribute scopes read it there).
    pub revalued: Vec<String>,
}

impl Rewrite {
    pub(crate) fn of(before: &StoredUser, u: &User) -> Self {
        let old = &before.user;
        let blob = search_blob(u);
        let filters_changed = old.stored_state != u.stored_state
            || old.archived != u.archived
            || old.mfa_enrolled != u.mfa_enrolled
            || old.invitation_expires_at != u.invitation_expires_at
            || old.email.normalized() != u.email.normalized();
        let reindex = filters_changed || before.search_blob != blob;
        let added = u
            .attributes
            .keys()
            .filter(|k| !old.attributes.contains_key(*k))
            .cloned()
            .collect();
        let removed = old
            .attributes
            .keys()
            .filter(|k| !u.attributes.contains_key(*k))
            .cloned()
            .collect();
        let revalued = u
            .attributes
            .iter()
            .filter(|(k, v)| old.attributes.get(*k).is_some_and(|o| o != *v))
            .map(|(k, _)| k.clone())
            .collect();
        Self {
            blob,
            reindex,
            added,
            removed,
            revalued,
        }
    }

    /// Brings the user's attribute index entries up to date: the removed
    /// names' entries go (first, so that a name only recased is indexed
    /// again), the added and revalued names' entries take the new values.
    pub(crate) async fn index(
        &self,
        c: &mut PgConnection,
        tk: i64,
        key: i64,
        u: &User,
    ) -> Result<(), sqlx::Error> {
        let removed: Vec<&String> = self.removed.iter().collect();
        unindex_attributes(c, tk, key, &removed).await?;
        let values: Vec<(&String, &String)> = self
            .added
            .iter()
            .chain(&self.revalued)
            .filter_map(|n| u.attributes.get_key_value(n))
            .collect();
        index_attributes(c, tk, key, &values).await
    }

    /// Moves the user between the counters when its place changed.
    pub(crate) fn count(counts: &mut Counts, tk: i64, old: &User, u: &User) {
        let place = |u: &User| (u.stored_state, u.archived, u.mfa_enrolled);
        if place(old) != place(u) {
            counts.add(tk, old.stored_state, old.archived, old.mfa_enrolled, -1);
            counts.add(tk, u.stored_state, u.archived, u.mfa_enrolled, 1);
        }
    }
}

pub(crate) async fn update(
    c: &mut PgConnection,
    counts: &mut Counts,
    tk: i64,
    before: &StoredUser,
    u: &User,
) -> Result<(), Error> {
    let old = &before.user;
    let rewrite = Rewrite::of(before, u);
    // Checked before the first write, as in `insert`. Only the added names
    // need their definitions checked (and locked): the ones the user
    // already holds exist, since a definition cannot be removed while
    // values exist. Locking those too would let this write and a purge of
    // one of them wait for each other.
    let added: Vec<&String> = rewrite.added.iter().collect();
    check_attribute_names(c, tk, &added).await?;
    sqlx::query(
        "UPDATE users SET email = $2, email_norm = $3, first_name = $4, last_name = $5, phone = $6, \
         personal_email = $7, username = $8, username_norm = $9, language = $10, state = $11, \
         invitation_expires_at = $12, archived = $13, external_id = $14, attributes = $15, search_blob = $16, \
         updated_at = $17, signup_completed_at = $18, last_login_at = $19, last_failed_login_at = $20, \
         mfa_enrolled = $21, version = $22, display_name = $23, blocked_by = $24 WHERE key = $1",
    )
    .bind(before.key)
    .bind(u.email.as_str())
    .bind(u.email.normalized())
    .bind(u.first_name.as_ref().map(|v| v.as_str()))
    .bind(u.last_name.as_ref().map(|v| v.as_str()))
    .bind(u.phone.as_ref().map(|v| v.as_str()))
    .bind(u.personal_email.as_ref().map(|v| v.as_str()))
    .bind(u.username.as_ref().map(|v| v.as_str()))
    .bind(u.username.as_ref().map(|v| v.normalized()))
    .bind(u.language.as_str())
    .bind(u.stored_state.code())
    .bind(u.invitation_expires_at)
    .bind(u.archived)
    .bind(u.external_id.as_ref().map(|v| v.as_str()))
    .bind(Json(&u.attributes))
    .bind(&rewrite.blob)
    .bind(u.updated_at)
    .bind(u.signup_completed_at)
    .bind(u.last_login_at)
    .bind(u.last_failed_login_at)
    .bind(u.mfa_enrolled)
    .bind(u.version)
    .bind(u.display_name.as_ref().map(|v| v.as_str()))
    .bind(stored_block(u))
    .execute(&mut *c)
    .await
    .map_err(constraint)?;
    if rewrite.reindex {
        delete_search_rows(c, counts, tk, before).await.db()?;
        insert_search_rows(c, counts, tk, before.key, u, &rewrite.blob)
            .await
            .db()?;
    }
    rewrite.index(c, tk, before.key, u).await.db()?;
    Rewrite::count(counts, tk, old, u);
    Ok(())
}

/// Removes a user's row and everything derived from it.
pub(crate) async fn delete(
    c: &mut PgConnection,
    counts: &mut Counts,
    tk: i64,
    stored: &StoredUser,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM users WHERE key = $1")
        .bind(stored.key)
        .execute(&mut *c)
        .await?;
    delete_search_rows(c, counts, tk, stored).await?;
    let names: Vec<&String> = stored.user.attributes.keys().collect();
    unindex_attributes(c, tk, stored.key, &names).await?;
    revoke_access(c, stored.key, stored.user.id).await?;
    sqlx::query("DELETE FROM user_credentials WHERE user_key = $1")
        .bind(stored.key)
        .execute(&mut *c)
        .await?;
    let u = &stored.user;
    counts.add(tk, u.stored_state, u.archived, u.mfa_enrolled, -1);
    Ok(())
}

/// Sets a user's derived `mfa_enrolled` (the factor writes keep it; the
/// caller holds the user's row lock) and moves the user into or out of the
/// enrolled users' aggregates: the flag on its search rows,
/// `mfa_search_heads` and `mfa_counts`. Not a change of the user's own
/// fields: no new version.
pub(crate) async fn set_mfa_enrolled(
    c: &mut PgConnection,
    counts: &mut Counts,
    tk: i64,
    key: i64,
    enrolled: bool,
) -> Result<(), sqlx::Error> {
    let (state, archived, was, blob): (i16, bool, bool, String) = sqlx::query_as(
        "SELECT state, archived, mfa_enrolled, search_blob FROM users WHERE key = $1",
    )
    .bind(key)
    .fetch_one(&mut *c)
    .await?;
    if was == enrolled {
        return Ok(());
    }
    let state = UserState::from_code(i64::from(state))
        .ok_or_else(|| sqlx::Error::Decode(format!("user {key} has an unknown state").into()))?;
    sqlx::query("UPDATE users SET mfa_enrolled = $2 WHERE key = $1")
        .bind(key)
        .bind(enrolled)
        .execute(&mut *c)
        .await?;
    let rows = search_rows(&blob);
    let terms: Vec<String> = rows.iter().map(|r| r.term.clone()).collect();
    sqlx::query(
        "UPDATE user_search SET mfa_enrolled = $4 WHERE tenant_key = $1 AND term = ANY($2) AND user_key = $3",
    )
    .bind(tk)
    .bind(terms)
    .bind(key)
    .bind(enrolled)
    .execute(c)
    .await?;
    counts.enrol(tk, &rows, state, archived, if enrolled { 1 } else { -1 });
    Ok(())
}

/// A pending invitation the sweep marks expired.
#[derive(Debug)]
pub(crate) struct Expiring {
    pub(crate) key: i64,
    pub(crate) tenant_key: i64,
    pub(crate) archived: bool,
    pub(crate) search_blob: String,
    pub(crate) mfa: bool,
}

/// Marks users expired (they are locked by the caller): their rows, their
/// search rows, the counters and the heads.
pub(crate) async fn expire(
    c: &mut PgConnection,
    counts: &mut Counts,
    users: &[Expiring],
) -> Result<(), sqlx::Error> {
    let keys: Vec<i64> = users.iter().map(|u| u.key).collect();
    sqlx::query("UPDATE users SET state = 2 WHERE key = ANY($1)")
        .bind(&keys)
        .execute(&mut *c)
        .await?;
    let (mut tks, mut terms, mut user_keys) = (Vec::new(), Vec::new(), Vec::new());
    for u in users {
        let rows = search_rows(&u.search_blob);
        let (tk, archived, mfa) = (u.tenant_key, u.archived, u.mfa);
        counts.add_search(tk, &rows, UserState::PendingInvitation, archived, mfa, -1);
        counts.add_search(tk, &rows, UserState::ExpiredInvitation, archived, mfa, 1);
        counts.add(tk, UserState::PendingInvitation, archived, mfa, -1);
        counts.add(tk, UserState::ExpiredInvitation, archived, mfa, 1);
        for row in rows {
            tks.push(tk);
            terms.push(row.term);
            user_keys.push(u.key);
        }
    }
    sqlx::query(
        "UPDATE user_search s SET state = 2 \
         FROM UNNEST($1::bigint[], $2::text[], $3::bigint[]) AS x (tenant_key, term, user_key) \
         WHERE s.tenant_key = x.tenant_key AND s.term = x.term AND s.user_key = x.user_key",
    )
    .bind(tks)
    .bind(terms)
    .bind(user_keys)
    .execute(c)
    .await?;
    Ok(())
}
