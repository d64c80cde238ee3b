//! Lists narrowed to sets of users: an admin's scope (see
//! `usher_core::scope`: the members of one group, or the users with one
//! value of a custom attribute), the `role` filter (the holders of one
//! role) and the last-login filters, with the list's other filters and
//! search. The counters cannot total a set, so the total is counted from
//! the sets' own rows: a group's (`group_members`), an attribute value's
//! (`user_attribute_index`, which keeps each value case-folded), a role's
//! (`user_roles`), a last-login range (`users_last_login`), each a range of
//! an index, with a visit to each user's row only when a filter or a
//! search needs it.
//!
//! A search that matches fewer users in the whole tenant than the smallest
//! set holds is read the other way round: from the search index, testing
//! each match's membership. A search limited to some properties
//! (`fields=`, see `conds.rs`) is read here too, even with no set: the
//! search index's counts take every term, so its total is counted from its
//! candidates.
//!
//! A page is read one of two ways, whichever reads fewer rows: walking the
//! email index and testing each user (about `want × users / total` rows),
//! or reading every candidate (of the smallest set, or of the search),
//! testing and sorting them.

use crate::conn::DbResult;
use crate::users::conds::{field_candidates, field_search_cond, login_cond};
use crate::users::list::{Dir, branches_cond, keyset, search_range, start, users_by_keys};
use crate::users::totals::{count_plain, count_search};
use rusqlite::Connection;
use rusqlite::types::Value;
use usher_core::list_filters::{LoginTest, SearchField};
use usher_core::listing::{Page, UserQuery};
use usher_core::role::RoleName;
use usher_core::scope::AdminScope;
use usher_core::search::SearchPrefix;
use usher_core::user::User;
use usher_core::user::fields::fold_case;
use usher_core::{TenantId, UserId};

/// A set of users a list is narrowed to.
#[derive(Debug, Clone, Copy)]
enum Set<'a> {
    Scope(&'a AdminScope),
    Role(&'a RoleName),
    /// The users whose last login passes a test.
    Login(LoginTest),
}

/// The sets `q` is narrowed to; empty for a list of the whole tenant.
fn sets(q: &UserQuery) -> Vec<Set<'_>> {
    let scope = q.scope.as_ref().map(Set::Scope);
    let role = q.role.as_ref().map(Set::Role);
    let login = q.last_login.test().map(Set::Login);
    scope.into_iter().chain(role).chain(login).collect()
}

/// Whether `q` is narrowed to a set or searches some properties only, and
/// so is read here.
pub(crate) fn is_narrowed(q: &UserQuery) -> bool {
    !sets(q).is_empty() || q.field_search().is_some()
}

/// Where the members of a set are listed, as `FROM … m WHERE …` with the
/// member's user key in `m.user_key` (`m.key` for a last-login range,
/// which is read as users rows, see [`selection`]). Each table is keyed so that both a
/// range of members and one member are single index seeks.
fn members(set: Set<'_>, tk: i64, args: &mut Vec<Value>) -> String {
    match set {
        Set::Scope(AdminScope::Group { id, .. }) => {
            args.push(Value::Blob(id.as_bytes().to_vec()));
            args.push(Value::Integer(tk));
            "FROM group_members m \
             WHERE m.group_key = (SELECT key FROM groups WHERE id = ? AND tenant_key = ?)"
                .to_owned()
        }
        Set::Scope(AdminScope::Attribute { name, equals }) => {
            args.push(Value::Integer(tk));
            args.push(Value::Text(name.to_ascii_lowercase()));
            args.push(Value::Text(fold_case(equals)));
            "FROM user_attribute_index m \
             WHERE m.tenant_key = ? AND m.name_key = ? AND m.value_fold = ?"
                .to_owned()
        }
        Set::Role(name) => {
            args.push(Value::Integer(tk));
            args.push(Value::Text(name.key()));
            "FROM user_roles m WHERE m.tenant_key = ? AND m.role_key = ?".to_owned()
        }
        Set::Login(test) => {
            args.push(Value::Integer(tk));
            let cond = login_cond(test, "m", args);
            format!("FROM users m INDEXED BY users_last_login WHERE m.tenant_key = ? AND {cond}")
        }
    }
}

/// The condition that the `users` row is in `set`: one seek per user, or a
/// test of the row itself.
fn member_cond(set: Set<'_>, tk: i64, args: &mut Vec<Value>) -> String {
    if let Set::Login(test) = set {
        return login_cond(test, "users", args);
    }
    let from = members(set, tk, args);
    format!("EXISTS (SELECT 1 {from} AND m.user_key = users.key)")
}

/// Whether the tenant's user `id` is in `scope` (false for a user the
/// tenant does not have): one statement.
pub(crate) fn in_scope(c: &Connection, tk: i64, id: UserId, scope: &AdminScope) -> DbResult<bool> {
    let mut args = vec![Value::Blob(id.as_bytes().to_vec()), Value::Integer(tk)];
    let cond = member_cond(Set::Scope(scope), tk, &mut args);
    c.prepare_cached(&format!(
        "SELECT 1 FROM users WHERE id = ? AND tenant_key = ? AND {cond}"
    ))?
    .exists(rusqlite::params_from_iter(args.iter()))
}

/// The conditions of `q` on a `users` row besides the sets: the filters,
/// the search, and membership of every set but `skip` (the one read from).
fn tests(tk: i64, q: &UserQuery, skip: Option<usize>, args: &mut Vec<Value>) -> String {
    let mut text = branches_cond(q, args);
    for (i, set) in sets(q).into_iter().enumerate() {
        if Some(i) != skip {
            text.push_str(&format!(" AND {}", member_cond(set, tk, args)));
        }
    }
    match (&q.search, q.field_search()) {
        (_, Some((p, fields))) => {
            text.push_str(" AND ");
            text.push_str(&field_search_cond(p, fields, args));
        }
        (Some(p), None) => {
            args.push(Value::Text(p.needle()));
            text.push_str(" AND instr(users.search_blob, ?) > 0");
        }
        (None, None) => {}
    }
    text
}

/// Where a narrowed list reads its candidates from: the members of one of
/// its sets, or the users matching its search (from the search index).
#[derive(Debug, Clone, Copy)]
enum Source {
    Set(usize),
    Search,
}

/// The `FROM … WHERE …` of the users `q` selects, the cursor aside, read
/// from `source` and testing everything else.
fn selection(tk: i64, q: &UserQuery, source: Source, args: &mut Vec<Value>) -> String {
    let (mut text, skip) = match (source, &q.search) {
        (Source::Search, Some(p)) => {
            let candidates = match q.field_search() {
                Some((p, fields)) => field_candidates(tk, p, fields, args),
                None => {
                    args.push(Value::Integer(tk));
                    let range = search_range(p, args);
                    format!(
                        "SELECT user_key FROM user_search \
                         WHERE tenant_key = ? AND {range} AND weight > 0"
                    )
                }
            };
            (
                format!("FROM users WHERE users.key IN ({candidates})"),
                None,
            )
        }
        (source, _) => {
            let i = match source {
                Source::Set(i) => i,
                // Never chosen without a search.
                Source::Search => 0,
            };
            let from = match sets(q)[i] {
                // The members are users rows: read them as they are.
                Set::Login(test) => {
                    args.push(Value::Integer(tk));
                    let cond = login_cond(test, "users", args);
                    format!(
                        "FROM users INDEXED BY users_last_login \
                         WHERE users.tenant_key = ? AND {cond}"
                    )
                }
                set => members(set, tk, args).replacen(
                    " WHERE ",
                    " JOIN users ON users.key = m.user_key WHERE ",
                    1,
                ),
            };
            (from, Some(i))
        }
    };
    // The unary `+` keeps SQLite from reading users by an index that
    // starts with the tenant (every user of it) and testing membership:
    // the candidates are few, each one a seek by key.
    args.push(Value::Integer(tk));
    text.push_str(" AND +users.tenant_key = ? AND ");
    text.push_str(&tests(tk, q, skip, args));
    text
}

fn count(c: &Connection, sql: &str, args: &[Value]) -> DbResult<u64> {
    let n: i64 = c
        .prepare_cached(sql)?
        .query_row(rusqlite::params_from_iter(args.iter()), |r| r.get(0))?;
    Ok(n.max(0) as u64)
}

/// How many users the search of `q` reads as candidates (an upper bound
/// of its matches): an exact count from the search heads for a search of
/// every term; for a limited one, that count for its index part plus its
/// external ids and its id.
fn search_size(c: &Connection, tk: i64, q: &UserQuery, p: &SearchPrefix) -> DbResult<u64> {
    let Some((p, fields)) = q.field_search() else {
        return Ok(count_search(c, tk, q, p)?.max(0) as u64);
    };
    let mut n = 0;
    if fields.iter().any(SearchField::in_search_index) {
        n += count_search(c, tk, q, p)?.max(0) as u64;
    }
    if let Some(others) = fields.outside_search_index() {
        let mut args = Vec::new();
        let from = field_candidates(tk, p, &others, &mut args);
        n += count(c, &format!("SELECT count(*) FROM ({from})"), &args)?;
    }
    Ok(n)
}

/// The number of members of each of `q`'s sets, from their index ranges.
fn sizes(c: &Connection, tk: i64, q: &UserQuery) -> DbResult<Vec<u64>> {
    sets(q)
        .into_iter()
        .map(|set| {
            let mut args = Vec::new();
            let from = members(set, tk, &mut args);
            count(c, &format!("SELECT count(*) {from}"), &args)
        })
        .collect()
}

/// One page of `q`, narrowed to its sets, in one snapshot with its exact
/// total.
pub(crate) fn narrowed_page(
    c: &Connection,
    tk: i64,
    tenant_id: TenantId,
    q: &UserQuery,
) -> DbResult<Page<User>> {
    let key = |u: &User| u.email.normalized().to_owned();
    let everyone = UserQuery {
        search: None,
        state: None,
        archived: None,
        mfa: None,
        scope: None,
        role: None,
        fields: None,
        last_login: Default::default(),
        ..q.clone()
    };
    let users = count_plain(c, tk, &everyone)?.max(0) as u64;
    let sizes = sizes(c, tk, q)?;
    // With no set (a limited search alone) the smallest "set" is everyone.
    let (smallest, size) = sizes
        .iter()
        .copied()
        .enumerate()
        .min_by_key(|(_, n)| *n)
        .unwrap_or((0, users));
    // A search that matches fewer users in the whole tenant than the
    // smallest set holds is read from its candidates instead.
    let searched = match &q.search {
        Some(p) => Some(search_size(c, tk, q, p)?),
        None => None,
    };
    let (source, size) = match searched {
        Some(n) if n < size || sizes.is_empty() => (Source::Search, n),
        _ => (Source::Set(smallest), size),
    };
    let plain = q.search.is_none() && q.branches().iter().all(|b| b.is_unfiltered());
    let total = if plain && sizes.len() == 1 {
        // Every member is a user of the tenant: the index range alone.
        size
    } else if size == 0 {
        0
    } else {
        let mut args = Vec::new();
        let from = selection(tk, q, source, &mut args);
        count(c, &format!("SELECT count(*) {from}"), &args)?
    };
    if total == 0 {
        return Ok(Page::from_window(Vec::new(), 0, 0, &q.cursor, key));
    }
    let (dir, bound) = start(&q.cursor);
    let limit = q.limit as usize;
    let want = limit + 1;
    let order = if dir == Dir::Asc { "ASC" } else { "DESC" };
    let walk_rows = want as u64 * users / total;
    let mut args = Vec::new();
    let sql = if walk_rows <= size.max(want as u64) {
        // The email index in order, each user tested.
        args.push(Value::Integer(tk));
        let tests = tests(tk, q, None, &mut args);
        let ks = keyset(dir, bound, &mut args);
        format!(
            "SELECT key FROM users INDEXED BY users_email WHERE tenant_key = ? AND {tests}{ks} \
             ORDER BY email_norm {order} LIMIT {want}"
        )
    } else {
        let from = selection(tk, q, source, &mut args);
        let ks = keyset(dir, bound, &mut args).replace("email_norm", "users.email_norm");
        format!("SELECT users.key {from}{ks} ORDER BY users.email_norm {order} LIMIT {want}")
    };
    let keys: Vec<i64> = c
        .prepare_cached(&sql)?
        .query_map(rusqlite::params_from_iter(args.iter()), |r| r.get(0))?
        .collect::<DbResult<_>>()?;
    let found = users_by_keys(c, tenant_id, &keys)?;
    Ok(Page::from_window(found, limit, total, &q.cursor, key))
}
