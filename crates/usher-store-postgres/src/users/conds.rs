//! The SQL of the list's last-login filters and of a search limited to
//! some properties (`usher_core::list_filters`), for the narrowed lists of
//! `scoped.rs`. Text is compared by range under COLLATE "C" (code point
//! order, the order of the bounds made in Rust), so that an index on the
//! column can serve the test; names are folded with lower(), which agrees
//! with the Rust folding of the search terms but for a few letters (ß).

use super::list::push_search_range;
use sqlx::{Postgres, QueryBuilder};
use usher_core::list_filters::{LoginTest, SearchField, SearchFields, searched_id};
use usher_core::search::{SearchPrefix, prefix_upper};

/// Pushes the condition of a last-login test on `column` (a last login
/// time).
pub(super) fn push_login(qb: &mut QueryBuilder<Postgres>, test: LoginTest, column: &str) {
    match test {
        LoginTest::Never => {
            qb.push(format_args!("{column} IS NULL"));
        }
        LoginTest::Nobody => {
            qb.push("FALSE");
        }
        LoginTest::Within { after, before } => {
            qb.push(format_args!("{column} IS NOT NULL"));
            if let Some(a) = after {
                qb.push(format_args!(" AND {column} >= ")).push_bind(a);
            }
            if let Some(b) = before {
                qb.push(format_args!(" AND {column} < ")).push_bind(b);
            }
        }
    }
}

/// Pushes `expr` starts with `prefix`, as a range in code point order.
fn push_starts_with(qb: &mut QueryBuilder<Postgres>, expr: &str, prefix: &str) {
    qb.push(format_args!("({expr} COLLATE \"C\" >= "))
        .push_bind(prefix.to_owned());
    if let Some(upper) = prefix_upper(prefix) {
        qb.push(format_args!(" AND {expr} COLLATE \"C\" < "))
            .push_bind(upper);
    }
    qb.push(")");
}

/// Pushes the condition that the `users` row matches `p` in one of
/// `fields`.
pub(super) fn push_field_search(
    qb: &mut QueryBuilder<Postgres>,
    p: &SearchPrefix,
    fields: &SearchFields,
) {
    let mut tests: Vec<(&str, &str)> = Vec::new();
    for field in fields.iter() {
        match field {
            SearchField::Email => tests.push(("users.email_norm", p.lower())),
            SearchField::Username => tests.push(("users.username_norm", p.lower())),
            SearchField::Name => {
                // The three name terms of `usher_core::search::user_terms`.
                for expr in [
                    "lower(users.first_name)",
                    "lower(users.last_name)",
                    "lower(users.first_name || ' ' || users.last_name)",
                ] {
                    tests.push((expr, p.lower()));
                }
            }
            SearchField::ExternalId => tests.push(("users.external_id", p.raw())),
            SearchField::Id => {}
        }
    }
    let id = searched_id(p.raw()).filter(|_| fields.contains(SearchField::Id));
    qb.push("(FALSE");
    for (expr, prefix) in tests {
        qb.push(" OR ");
        push_starts_with(qb, expr, prefix);
    }
    if let Some(id) = id {
        qb.push(" OR users.id = ").push_bind(id.uuid());
    }
    qb.push(")");
}

/// Pushes a query of one column, `user_key`, of distinct users: a superset
/// of the tenant's users that `p` matches in one of `fields`, each part
/// read from an index (the search index, which holds every email, name
/// and username term; the external ids; the id).
pub(super) fn push_field_candidates(
    qb: &mut QueryBuilder<Postgres>,
    tk: i64,
    p: &SearchPrefix,
    fields: &SearchFields,
) {
    // UNION, not UNION ALL: one user has several terms in a range.
    let mut parts = 0;
    let mut part = |qb: &mut QueryBuilder<Postgres>| {
        if parts > 0 {
            qb.push(" UNION ");
        }
        parts += 1;
    };
    if fields.iter().any(SearchField::in_search_index) {
        part(qb);
        qb.push("SELECT user_key FROM user_search WHERE weight > 0 AND tenant_key = ")
            .push_bind(tk);
        push_search_range(qb, p);
    }
    if fields.contains(SearchField::ExternalId) {
        part(qb);
        qb.push(
            "SELECT key AS user_key FROM users WHERE external_id IS NOT NULL AND tenant_key = ",
        )
        .push_bind(tk)
        .push(" AND ");
        push_starts_with(qb, "external_id", p.raw());
    }
    if fields.contains(SearchField::Id)
        && let Some(id) = searched_id(p.raw())
    {
        part(qb);
        qb.push("SELECT key AS user_key FROM users WHERE id = ")
            .push_bind(id.uuid())
            .push(" AND tenant_key = ")
            .push_bind(tk);
    }
    if parts == 0 {
        qb.push("SELECT NULL::bigint AS user_key WHERE FALSE");
    }
}
