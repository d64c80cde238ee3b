//! The SQL of the list's last-login filters and of a search limited to
//! some properties (`usher_core::list_filters`), for the narrowed lists of
//! `scoped.rs`. Each test reads the `users` row it is given by name; the
//! candidates of a limited search come from indexes, never from a walk of
//! every user.

use crate::users::list::search_range;
use rusqlite::types::Value;
use usher_core::clock::to_micros;
use usher_core::list_filters::{LoginTest, SearchField, SearchFields, searched_id};
use usher_core::search::{SearchPrefix, prefix_upper};

/// The condition of a last-login test on `table`'s `last_login_at`.
pub(crate) fn login_cond(test: LoginTest, table: &str, args: &mut Vec<Value>) -> String {
    match test {
        LoginTest::Never => format!("{table}.last_login_at IS NULL"),
        LoginTest::Nobody => "0".to_owned(),
        LoginTest::Within { after, before } => {
            let mut text = format!("{table}.last_login_at IS NOT NULL");
            if let Some(a) = after {
                args.push(Value::Integer(to_micros(a)));
                text.push_str(&format!(" AND {table}.last_login_at >= ?"));
            }
            if let Some(b) = before {
                args.push(Value::Integer(to_micros(b)));
                text.push_str(&format!(" AND {table}.last_login_at < ?"));
            }
            text
        }
    }
}

/// `expr` starts with `prefix` (a range, so that an index on `expr` can
/// serve it; BINARY order is code point order).
fn starts_with(expr: &str, prefix: &str, args: &mut Vec<Value>) -> String {
    args.push(Value::Text(prefix.to_owned()));
    match prefix_upper(prefix) {
        Some(upper) => {
            args.push(Value::Text(upper));
            format!("({expr} >= ? AND {expr} < ?)")
        }
        None => format!("{expr} >= ?"),
    }
}

/// The condition that the `users` row matches `p` in one of `fields`.
pub(crate) fn field_search_cond(
    p: &SearchPrefix,
    fields: &SearchFields,
    args: &mut Vec<Value>,
) -> String {
    let mut any: Vec<String> = Vec::new();
    for field in fields.iter() {
        match field {
            SearchField::Email => any.push(starts_with("users.email_norm", p.lower(), args)),
            SearchField::Username => any.push(starts_with("users.username_norm", p.lower(), args)),
            SearchField::Name => {
                // The three name terms of `usher_core::search::user_terms`.
                for expr in [
                    "usher_fold(users.first_name)",
                    "usher_fold(users.last_name)",
                    "usher_fold(users.first_name || ' ' || users.last_name)",
                ] {
                    any.push(starts_with(expr, p.lower(), args));
                }
            }
            SearchField::ExternalId => any.push(starts_with("users.external_id", p.raw(), args)),
            SearchField::Id => {
                if let Some(id) = searched_id(p.raw()) {
                    args.push(Value::Blob(id.as_bytes().to_vec()));
                    any.push("users.id = ?".to_owned());
                }
            }
        }
    }
    if any.is_empty() {
        "0".to_owned()
    } else {
        format!("({})", any.join(" OR "))
    }
}

/// A superset of the keys of the tenant's users that `p` matches in one
/// of `fields`, each part read from an index: the search index (which
/// holds every email, name and username term), the external ids, the id.
/// A `SELECT` of one column of keys, perhaps with repeats.
pub(crate) fn field_candidates(
    tk: i64,
    p: &SearchPrefix,
    fields: &SearchFields,
    args: &mut Vec<Value>,
) -> String {
    let mut parts: Vec<String> = Vec::new();
    if fields.iter().any(SearchField::in_search_index) {
        args.push(Value::Integer(tk));
        let range = search_range(p, args);
        parts.push(format!(
            "SELECT user_key FROM user_search WHERE tenant_key = ? AND {range} AND weight > 0"
        ));
    }
    if fields.contains(SearchField::ExternalId) {
        args.push(Value::Integer(tk));
        let range = starts_with("external_id", p.raw(), args);
        parts.push(format!(
            "SELECT key FROM users INDEXED BY users_external_id_prefix \
             WHERE tenant_key = ? AND external_id IS NOT NULL AND {range}"
        ));
    }
    if fields.contains(SearchField::Id)
        && let Some(id) = searched_id(p.raw())
    {
        args.push(Value::Blob(id.as_bytes().to_vec()));
        args.push(Value::Integer(tk));
        parts.push("SELECT key FROM users WHERE id = ? AND tenant_key = ?".to_owned());
    }
    if parts.is_empty() {
        "SELECT NULL WHERE 0".to_owned()
    } else {
        parts.join(" UNION ALL ")
    }
}
