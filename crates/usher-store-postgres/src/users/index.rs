//! A user's search rows and attribute index entries.

use crate::users::counts::Counts;
use crate::users::rows::StoredUser;
use sqlx::PgConnection;
use std::collections::HashSet;
use usher_core::search::{SearchRow, rows_for_terms, terms_from_blob};
use usher_core::user::User;

/// The search index rows of a user, from its stored blob.
pub(crate) fn search_rows(blob: &str) -> Vec<SearchRow> {
    rows_for_terms(terms_from_blob(blob))
}

/// Adds a user's search rows and their share of the search heads.
pub(crate) async fn insert_search_rows(
    c: &mut PgConnection,
    counts: &mut Counts,
    tk: i64,
    key: i64,
    u: &User,
    blob: &str,
) -> Result<(), sqlx::Error> {
    let rows = search_rows(blob);
    counts.add_search(tk, &rows, u.stored_state, u.archived, u.mfa_enrolled, 1);
    let (terms, weights): (Vec<String>, Vec<i16>) = rows
        .into_iter()
        .map(|r| (r.term, i16::from(r.weight)))
        .unzip();
    sqlx::query(
        "INSERT INTO user_search (tenant_key, term, user_key, weight, state, archived, invitation_expires_at, email_norm, \
         mfa_enrolled) \
         SELECT $1, t.term, $2, t.weight, $3, $4, $5, $6, $9 FROM UNNEST($7::text[], $8::smallint[]) AS t (term, weight)",
    )
    .bind(tk)
    .bind(key)
    .bind(u.stored_state.code())
    .bind(u.archived)
    .bind(u.invitation_expires_at)
    .bind(u.email.normalized())
    .bind(terms)
    .bind(weights)
    .bind(u.mfa_enrolled)
    .execute(c)
    .await?;
    Ok(())
}

/// Removes the search rows `stored` holds, and their share of the heads.
/// The rows are found by their terms (the primary key leads with them),
/// which the user's stored blob lists.
pub(crate) async fn delete_search_rows(
    c: &mut PgConnection,
    counts: &mut Counts,
    tk: i64,
    stored: &StoredUser,
) -> Result<(), sqlx::Error> {
    let rows = search_rows(&stored.search_blob);
    counts.add_search(
        tk,
        &rows,
        stored.user.stored_state,
        stored.user.archived,
        stored.user.mfa_enrolled,
        -1,
    );
    let terms: Vec<String> = rows.into_iter().map(|r| r.term).collect();
    sqlx::query(
        "DELETE FROM user_search WHERE tenant_key = $1 AND term = ANY($2) AND user_key = $3",
    )
    .bind(tk)
    .bind(terms)
    .bind(stored.key)
    .execute(c)
    .await?;
    Ok(())
}

/// Adds or refreshes a user's attribute index entries: for each
/// `(name, value)`, the name's entry with the value folded by `lower()`,
/// as attribute scopes fold the value they compare with (see `scoped`).
/// An entry the user already has takes the new value.
pub(crate) async fn index_attributes(
    c: &mut PgConnection,
    tk: i64,
    key: i64,
    values: &[(&String, &String)],
) -> Result<(), sqlx::Error> {
    // One entry per name key: a statement may not update a row twice.
    let mut seen = HashSet::new();
    let (keys, values): (Vec<String>, Vec<&str>) = values
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v.as_str()))
        .filter(|(n, _)| seen.insert(n.clone()))
        .unzip();
    if keys.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO user_attribute_index (tenant_key, name_key, user_key, value_fold) \
         SELECT $1, t.n, $2, lower(t.v) FROM UNNEST($3::text[], $4::text[]) AS t (n, v) \
         ON CONFLICT (tenant_key, name_key, user_key) DO UPDATE SET value_fold = EXCLUDED.value_fold",
    )
    .bind(tk)
    .bind(key)
    .bind(keys)
    .bind(values)
    .execute(c)
    .await?;
    Ok(())
}

pub(crate) async fn unindex_attributes(
    c: &mut PgConnection,
    tk: i64,
    key: i64,
    names: &[&String],
) -> Result<(), sqlx::Error> {
    if names.is_empty() {
        return Ok(());
    }
    let keys: Vec<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
    sqlx::query("DELETE FROM user_attribute_index WHERE tenant_key = $1 AND name_key = ANY($2) AND user_key = $3")
        .bind(tk)
        .bind(keys)
        .bind(key)
        .execute(c)
        .await?;
    Ok(())
}
