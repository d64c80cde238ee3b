//! Lists of a scoped admin (see `usher_core::scope`): the users of one
//! group, or of one custom attribute value, with the list's filters and
//! search. The counters cannot total a scope, so the total is counted
//! from the scope itself: a group's member rows (a range of their primary
//! key, with a visit to each member's row only when a filter or a search
//! needs it), or every user of the tenant for an attribute scope, which no
//! index holds.
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

/// The condition that the `users` row is in `scope`.
pub(crate) fn scope_cond(scope: &AdminScope, args: &mut Vec<Value>) -> String {
    match scope {
        AdminScope::Group { id, .. } => {
            args.push(Value::Blob(id.as_bytes().to_vec()));
            "EXISTS (SELECT 1 FROM group_members m WHERE m.user_key = users.key \
             AND m.group_key = (SELECT key FROM groups WHERE id = ?))"
                .to_owned()
        }
        // Defined names are `[A-Za-z0-9_]{1,30}` and stand in the JSON path
        // as they are; anything else is in no scope.
        AdminScope::Attribute { name, equals } => {
            if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return "0".to_owned();
            }
            args.push(Value::Text(usher_core::user::fields::fold_case(equals)));
            format!("usher_fold(json_extract(users.attributes, '$.\"{name}\"')) = ?")
        }
    }
}

/// Whether user `key` is in `scope`.
pub(crate) fn in_scope(c: &Connection, key: i64, scope: &AdminScope) -> DbResult<bool> {
    let mut args = vec![Value::Integer(key)];
    let cond = scope_cond(scope, &mut args);
    c.prepare_cached(&format!("SELECT 1 FROM users WHERE key = ? AND {cond}"))?
        .exists(rusqlite::params_from_iter(args.iter()))
}

/// The `FROM … WHERE …` of the users of `scope` that `q` selects, the
/// cursor aside: for a group, read from its member rows.
fn selection(tk: i64, q: &UserQuery, scope: &AdminScope, args: &mut Vec<Value>) -> String {
    let mut text = match scope {
        AdminScope::Group { id, .. } => {
            args.push(Value::Blob(id.as_bytes().to_vec()));
            args.push(Value::Integer(tk));
            "FROM group_members m JOIN users ON users.key = m.user_key \
             WHERE m.group_key = (SELECT key FROM groups WHERE id = ?) AND users.tenant_key = ?"
                .to_owned()
        }
        AdminScope::Attribute { .. } => {
            args.push(Value::Integer(tk));
            let cond = scope_cond(scope, args);
            format!("FROM users WHERE users.tenant_key = ? AND {cond}")
        }
    };
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
    if let (true, AdminScope::Group { id, .. }) = (plain, scope) {
        // Every member is a user of the tenant: the key range alone.
        return count(
            c,
            "SELECT count(*) FROM group_members \
             WHERE group_key = (SELECT key FROM groups WHERE id = ?1 AND tenant_key = ?2)",
            &[Value::Blob(id.as_bytes().to_vec()), Value::Integer(tk)],
        );
    }
    let mut args = Vec::new();
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
    let scope_rows = match scope {
        AdminScope::Group { .. } => total.max(want as u64),
        AdminScope::Attribute { .. } => users,
    };
    let mut args = Vec::new();
    let sql = if walk_rows <= scope_rows {
        // The email index in order, each user tested.
        args.push(Value::Integer(tk));
        let filters = branches_cond(q, &mut args);
        let cond = scope_cond(scope, &mut args);
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
