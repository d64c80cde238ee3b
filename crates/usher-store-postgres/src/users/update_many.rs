//! The batch path of updates (a bulk chunk's rows): the rows of many users
//! rewritten in a few statements, whatever their number, where
//! [`write::update`] takes a few round trips per user.
//!
//! It only ever succeeds as a whole. When it meets a refusal (a value taken
//! by another user, a vanished attribute definition) the caller rolls it
//! back and writes the users one by one, which says whose write it was.

use crate::error::{DbExt, constraint};
use crate::users::counts::Counts;
use crate::users::index::search_rows;
use crate::users::rows::{StoredUser, stored_block};
use crate::users::write::{self, Rewrite};
use sqlx::PgConnection;
use std::collections::BTreeSet;
use usher_core::error::Error;
use usher_core::user::User;

/// One user's update: as stored (locked), and as it is to be.
pub(crate) struct Update {
    pub before: StoredUser,
    pub after: User,
}

/// Writes every update; on a refusal the caller must roll back to before
/// the call (see the module comment).
pub(crate) async fn update_many(
    c: &mut PgConnection,
    counts: &mut Counts,
    tk: i64,
    updates: &[&Update],
) -> Result<(), Error> {
    if updates.is_empty() {
        return Ok(());
    }
    let rewrites: Vec<Rewrite> = updates
        .iter()
        .map(|u| Rewrite::of(&u.before, &u.after))
        .collect();
    let mut seen = BTreeSet::new();
    let added: Vec<&String> = rewrites
        .iter()
        .flat_map(|r| &r.added)
        .filter(|n| seen.insert(n.to_ascii_lowercase()))
        .collect();
    write::check_attribute_names(c, tk, &added).await?;
    update_rows(c, updates, &rewrites).await?;
    reindex(c, counts, tk, updates, &rewrites).await.db()?;
    for (u, r) in updates.iter().zip(&rewrites) {
        r.index(c, tk, u.before.key, &u.after).await.db()?;
        Rewrite::count(counts, tk, &u.before.user, &u.after);
    }
    Ok(())
}

/// The users' own rows, in one statement.
async fn update_rows(
    c: &mut PgConnection,
    updates: &[&Update],
    rewrites: &[Rewrite],
) -> Result<(), Error> {
    let text = |f: fn(&User) -> Option<&str>| -> Vec<Option<String>> {
        updates
            .iter()
            .map(|u| f(&u.after).map(str::to_owned))
            .collect()
    };
    let attributes: Vec<serde_json::Value> = updates
        .iter()
        .map(|u| serde_json::to_value(&u.after.attributes).unwrap_or_default())
        .collect();
    sqlx::query(
        "UPDATE users SET email = n.email, email_norm = n.email_norm, first_name = n.first_name, \
         last_name = n.last_name, phone = n.phone, personal_email = n.personal_email, username = n.username, \
         username_norm = n.username_norm, language = n.language, state = n.state, \
         invitation_expires_at = n.invitation_expires_at, archived = n.archived, external_id = n.external_id, \
         attributes = n.attributes, search_blob = n.search_blob, updated_at = n.updated_at, \
         signup_completed_at = n.signup_completed_at, last_login_at = n.last_login_at, \
         last_failed_login_at = n.last_failed_login_at, mfa_enrolled = n.mfa_enrolled, version = n.version, \
         display_name = n.display_name, blocked_by = n.blocked_by \
         FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], \
           $8::text[], $9::text[], $10::text[], $11::smallint[], $12::timestamptz[], $13::boolean[], \
           $14::text[], $15::jsonb[], $16::text[], $17::timestamptz[], $18::timestamptz[], \
           $19::timestamptz[], $20::timestamptz[], $21::boolean[], $22::bigint[], $23::text[], $24::text[]) \
           AS n (key, email, email_norm, first_name, last_name, phone, personal_email, username, \
           username_norm, language, state, invitation_expires_at, archived, external_id, attributes, \
           search_blob, updated_at, signup_completed_at, last_login_at, last_failed_login_at, \
           mfa_enrolled, version, display_name, blocked_by) \
         WHERE users.key = n.key",
    )
    .bind(updates.iter().map(|u| u.before.key).collect::<Vec<_>>())
    .bind(text(|u| Some(u.email.as_str())))
    .bind(
        updates
            .iter()
            .map(|u| u.after.email.normalized().to_owned())
            .collect::<Vec<_>>(),
    )
    .bind(text(|u| u.first_name.as_ref().map(|v| v.as_str())))
    .bind(text(|u| u.last_name.as_ref().map(|v| v.as_str())))
    .bind(text(|u| u.phone.as_ref().map(|v| v.as_str())))
    .bind(text(|u| u.personal_email.as_ref().map(|v| v.as_str())))
    .bind(text(|u| u.username.as_ref().map(|v| v.as_str())))
    .bind(
        updates
            .iter()
            .map(|u| u.after.username.as_ref().map(|v| v.normalized().to_owned()))
            .collect::<Vec<_>>(),
    )
    .bind(text(|u| Some(u.language.as_str())))
    .bind(column(updates, |u| u.stored_state.code()))
    .bind(column(updates, |u| u.invitation_expires_at))
    .bind(column(updates, |u| u.archived))
    .bind(text(|u| u.external_id.as_ref().map(|v| v.as_str())))
    .bind(attributes)
    .bind(rewrites.iter().map(|r| r.blob.clone()).collect::<Vec<_>>())
    .bind(column(updates, |u| u.updated_at))
    .bind(column(updates, |u| u.signup_completed_at))
    .bind(column(updates, |u| u.last_login_at))
    .bind(column(updates, |u| u.last_failed_login_at))
    .bind(column(updates, |u| u.mfa_enrolled))
    .bind(column(updates, |u| u.version))
    .bind(text(|u| u.display_name.as_ref().map(|v| v.as_str())))
    .bind(
        updates
            .iter()
            .map(|u| stored_block(&u.after))
            .collect::<Vec<_>>(),
    )
    .execute(&mut *c)
    .await
    .map_err(constraint)?;
    Ok(())
}

/// One column of the users as they are to be.
fn column<T>(updates: &[&Update], f: impl Fn(&User) -> T) -> Vec<T> {
    updates.iter().map(|u| f(&u.after)).collect()
}

/// The search rows of the users whose terms or filter columns changed: the
/// old rows removed and the new ones added, one statement each.
async fn reindex(
    c: &mut PgConnection,
    counts: &mut Counts,
    tk: i64,
    updates: &[&Update],
    rewrites: &[Rewrite],
) -> Result<(), sqlx::Error> {
    let (mut old_terms, mut old_keys) = (Vec::new(), Vec::new());
    let mut new = NewRows::default();
    for (u, r) in updates.iter().zip(rewrites).filter(|(_, r)| r.reindex) {
        let (b, a) = (&u.before.user, &u.after);
        let old = search_rows(&u.before.search_blob);
        counts.add_search(tk, &old, b.stored_state, b.archived, b.mfa_enrolled, -1);
        for row in old {
            old_terms.push(row.term);
            old_keys.push(u.before.key);
        }
        let rows = search_rows(&r.blob);
        counts.add_search(tk, &rows, a.stored_state, a.archived, a.mfa_enrolled, 1);
        for row in rows {
            new.term.push(row.term);
            new.key.push(u.before.key);
            new.weight.push(i16::from(row.weight));
            new.state.push(a.stored_state.code());
            new.archived.push(a.archived);
            new.expires.push(a.invitation_expires_at);
            new.email_norm.push(a.email.normalized().to_owned());
            new.mfa.push(a.mfa_enrolled);
        }
    }
    if !old_terms.is_empty() {
        sqlx::query(
            "DELETE FROM user_search s USING UNNEST($2::text[], $3::bigint[]) AS d (term, user_key) \
             WHERE s.tenant_key = $1 AND s.term = d.term AND s.user_key = d.user_key",
        )
        .bind(tk)
        .bind(old_terms)
        .bind(old_keys)
        .execute(&mut *c)
        .await?;
    }
    if !new.term.is_empty() {
        sqlx::query(
            "INSERT INTO user_search (tenant_key, term, user_key, weight, state, archived, invitation_expires_at, \
             email_norm, mfa_enrolled) \
             SELECT $1, * FROM UNNEST($2::text[], $3::bigint[], $4::smallint[], $5::smallint[], $6::boolean[], \
               $7::timestamptz[], $8::text[], $9::boolean[])",
        )
        .bind(tk)
        .bind(new.term)
        .bind(new.key)
        .bind(new.weight)
        .bind(new.state)
        .bind(new.archived)
        .bind(new.expires)
        .bind(new.email_norm)
        .bind(new.mfa)
        .execute(&mut *c)
        .await?;
    }
    Ok(())
}

/// Search rows to add, by column.
#[derive(Default)]
struct NewRows {
    term: Vec<String>,
    key: Vec<i64>,
    weight: Vec<i16>,
    state: Vec<i16>,
    archived: Vec<bool>,
    expires: Vec<Option<time::OffsetDateTime>>,
    email_norm: Vec<String>,
    mfa: Vec<bool>,
}
