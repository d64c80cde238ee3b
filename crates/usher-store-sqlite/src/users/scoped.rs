//! Lists of a scoped admin (see `usher_core::scope`): the users of one
//! group, or of one custom attribute value, with the list's filters and
//! search. The counters cannot total a scope, so the total is counted
//! from the scope's member rows: a group's (`group_members`), or an
//! attribute value's (`user_attribute_index`, which keeps each value
//! case-folded), each a range of an index by user key, with a visit to
//! each member's row only when a filter or a search needs it.
//!
//! A page is read one of two ways, whichever reads fewer rows: walking the
//! email index and testing each user (about `want × users / total` rows),
//! or reading every user of the scope that matches and sorting them (about
//! the scope's size).

use crate::conn::DbResult;
use crate::users::list::{Dir, branches_cond, keyset, start, users_by_keys};
use crate::users::totals::count_plain;
use rusqlite::Connection;
use rusqlite::types::Value;
use usher_core::TenantId;
use usher_core::listing::{Page, UserQuery};
use usher_core::scope::AdminScope;
use usher_core::user::User;
use usher_core::user::fields::fold_case;

/// Where the members of a scope are listed, as `FROM … m WHERE …` with
/// the member's user key in `m.user_key`: a group's member rows, or the
/// attribute index's rows of one name and folded value. Each is keyed so
/// that both a range of members and one member are single index seeks.
fn members(scope: &AdminScope, tk: i64, args: &mut Vec<Value>) -> String {
    match scope {
        AdminScope::Group { id, .. } => {
            args.push(Value::Blob(id.as_bytes().to_vec()));
            args.push(Value::Integer(tk));
            "FROM group_members m \
             WHERE m.group_key = (SELECT key FROM groups WHERE id = ? AND tenant_key = ?)"
                .to_owned()
        }
        AdminScope::Attribute { name, equals } => {
            args.push(Value::Integer(tk));
            args.push(Value::Text(name.to_ascii_lowercase()));
            args.push(Value::Text(fold_case(equals)));
            "FROM user_attribute_index m \
             WHERE m.tenant_key = ? AND m.name_key = ? AND m.value_fold = ?"
                .to_owned()
        }
    }
}

/// The condition that the `users` row is in `scope`: one seek per user.
pub(crate) fn scope_cond(scope: &AdminScope, tk: i64, args: &mut Vec<Value>) -> String {
    let from = members(scope, tk, args);
    format!("EXISTS (SELECT 1 {from} AND m.user_key = users.key)")
}

/// Whether user `key` is in `scope`.
pub(crate) fn in_scope(c: &Connection, tk: i64, key: i64, scope: &AdminScope) -> DbResult<bool> {
    let mut args = vec![Value::Integer(key)];
    let cond = scope_cond(scope, tk, &mut args);
    c.prepare_cached(&format!("SELECT 1 FROM users WHERE key = ? AND {cond}"))?
        .exists(rusqlite::params_from_iter(args.iter()))
}

/// The `FROM … WHERE …` of the users of `scope` that `q` selects, the
/// cursor aside: read from the scope's member rows.
fn selection(tk: i64, q: &UserQuery, scope: &AdminScope, args: &mut Vec<Value>) -> String {
    let from = members(scope, tk, args);
    args.push(Value::Integer(tk));
    let mut text = from.replacen(" m ", " m JOIN users ON users.key = m.user_key ", 1);
    text.push_str(" AND users.tenant_key = ?");
    let filters = branches_cond(q, args);
    text.push_str(&format!(" AND {filters}"));
    if let Some(p) = &q.search {
        args.push(Value::Text(p.needle()));
        text.push_str(" AND instr(users.search_blob, ?) > 0");
    }
    text
}

fn count(c: &Connection, sql: &str, args: &[Value]) -> DbResult<u64> {
    let n: i64 = c
        .prepare_cached(sql)?
        .query_row(rusqlite::params_from_iter(args.iter()), |r| r.get(0))?;
    Ok(n.max(0) as u64)
}

/// The exact total of `q` within `scope`.
fn total(c: &Connection, tk: i64, q: &UserQuery, scope: &AdminScope) -> DbResult<u64> {
    let plain = q.search.is_none() && q.branches().iter().all(|b| b.is_unfiltered());
    let mut args = Vec::new();
    if plain {
        // Every member is a user of the tenant: the index range alone.
        let from = members(scope, tk, &mut args);
        return count(c, &format!("SELECT count(*) {from}"), &args);
    }
    let from = selection(tk, q, scope, &mut args);
    count(c, &format!("SELECT count(*) {from}"), &args)
}

/// One page of `q` within `scope`, in one snapshot with its total.
pub(crate) fn scoped_page(
    c: &Connection,
    tk: i64,
    tenant_id: TenantId,
    q: &UserQuery,
    scope: &AdminScope,
) -> DbResult<Page<User>> {
    let key = |u: &User| u.email.normalized().to_owned();
    let total = total(c, tk, q, scope)?;
    if total == 0 {
        return Ok(Page::from_window(Vec::new(), 0, 0, &q.cursor, key));
    }
    let (dir, bound) = start(&q.cursor);
    let limit = q.limit as usize;
    let want = limit + 1;
    let order = if dir == Dir::Asc { "ASC" } else { "DESC" };
    let everyone = UserQuery {
        search: None,
        state: None,
        archived: None,
        mfa: None,
        scope: None,
        ..q.clone()
    };
    let users = count_plain(c, tk, &everyone)?.max(0) as u64;
    let walk_rows = want as u64 * users / total;
    let scope_rows = total.max(want as u64);
    let mut args = Vec::new();
    let sql = if walk_rows <= scope_rows {
        // The email index in order, each user tested.
        args.push(Value::Integer(tk));
        let filters = branches_cond(q, &mut args);
        let cond = scope_cond(scope, tk, &mut args);
        let search = match &q.search {
            Some(p) => {
                args.push(Value::Text(p.needle()));
                " AND instr(search_blob, ?) > 0"
            }
            None => "",
        };
        let ks = keyset(dir, bound, &mut args);
        format!(
            "SELECT key FROM users INDEXED BY users_email WHERE tenant_key = ? AND {filters} \
             AND {cond}{search}{ks} ORDER BY email_norm {order} LIMIT {want}"
        )
    } else {
        let from = selection(tk, q, scope, &mut args);
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
