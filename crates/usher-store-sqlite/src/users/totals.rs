//! The exact totals of a list or a search, from the aggregates the writes
//! keep where they can answer, else from the search rows.

use crate::conn::DbResult;
use crate::users::list::{branches_cond, search_range};
use rusqlite::Connection;
use rusqlite::types::Value;
use usher_core::clock::to_micros;
use usher_core::listing::{Branch, Expiry, UserQuery};
use usher_core::search::{SearchPrefix, head_level};
use usher_core::user::UserState;

fn scalar(c: &Connection, sql: &str, args: &[Value]) -> DbResult<i64> {
    c.prepare_cached(sql)?
        .query_row(rusqlite::params_from_iter(args.iter()), |r| {
            r.get::<_, Option<i64>>(0)
        })
        .map(|v| v.unwrap_or(0))
}

/// Pending invitations already expired but not yet swept (optionally only
/// those matching a search): the sweep keeps this set small.
fn unswept(c: &Connection, tk: i64, b: &Branch, now: i64, needle: Option<&str>) -> DbResult<i64> {
    let mut args = vec![Value::Integer(tk), Value::Integer(now)];
    let mut sql = String::from(
        "SELECT COUNT(*) FROM users INDEXED BY users_pending_expiry \
         WHERE tenant_key = ? AND state = 1 AND invitation_expires_at <= ?",
    );
    if let Some(a) = b.archived {
        sql.push_str(" AND archived = ?");
        args.push(Value::Integer(i64::from(a)));
    }
    if let Some(m) = b.mfa {
        sql.push_str(" AND mfa_enrolled = ?");
        args.push(Value::Integer(i64::from(m)));
    }
    if let Some(n) = needle {
        sql.push_str(" AND instr(search_blob, ?) > 0");
        args.push(Value::Text(n.to_owned()));
    }
    scalar(c, &sql, &args)
}

/// Sums a count over the query's branches: `stored` counts users by stored
/// state, archived flag and enrolment; pending invitations past their
/// expiry but not yet swept move from pending to expired.
fn count_branches(
    c: &Connection,
    tk: i64,
    q: &UserQuery,
    needle: Option<&str>,
    stored: impl Fn(Option<UserState>, Option<bool>, Option<bool>) -> DbResult<i64>,
) -> DbResult<i64> {
    let now = to_micros(q.now);
    let mut total = 0;
    for b in q.branches() {
        total += match b.expiry {
            Expiry::Any => stored(b.state, b.archived, b.mfa)?,
            Expiry::Live => stored(b.state, b.archived, b.mfa)? - unswept(c, tk, &b, now, needle)?,
            Expiry::Expired => unswept(c, tk, &b, now, needle)?,
        };
    }
    Ok(total)
}

/// A sum over an aggregate of everyone (`all`, e.g. `user_counts`) or of
/// enrolled users only (`enrolled`, e.g. `mfa_counts`) by the mfa filter:
/// users without a second factor are the difference. `sum` reads one table.
fn by_mfa(
    mfa: Option<bool>,
    all: &str,
    enrolled: &str,
    sum: impl Fn(&str) -> DbResult<i64>,
) -> DbResult<i64> {
    match mfa {
        None => sum(all),
        Some(true) => sum(enrolled),
        Some(false) => Ok(sum(all)? - sum(enrolled)?),
    }
}

fn state_filters(
    sql: &mut String,
    args: &mut Vec<Value>,
    state: Option<UserState>,
    archived: Option<bool>,
) {
    if let Some(s) = state {
        sql.push_str(" AND state = ?");
        args.push(Value::Integer(i64::from(s.code())));
    }
    if let Some(a) = archived {
        sql.push_str(" AND archived = ?");
        args.push(Value::Integer(i64::from(a)));
    }
}

/// The exact number of users matching the state, archived and mfa filters.
pub(crate) fn count_plain(c: &Connection, tk: i64, q: &UserQuery) -> DbResult<i64> {
    count_branches(c, tk, q, None, |state, archived, mfa| {
        by_mfa(mfa, "user_counts", "mfa_counts", |table| {
            let mut args = vec![Value::Integer(tk)];
            let mut sql = format!("SELECT SUM(n) FROM {table} WHERE tenant_key = ?");
            state_filters(&mut sql, &mut args, state, archived);
            scalar(c, &sql, &args)
        })
    })
}

/// The exact number of distinct users matching a search and the filters:
/// from the aggregated heads for prefixes of up to eight characters, else
/// from the search rows.
pub(crate) fn count_search(
    c: &Connection,
    tk: i64,
    q: &UserQuery,
    p: &SearchPrefix,
) -> DbResult<i64> {
    let Some(level) = head_level(p.lower().chars().count()) else {
        let mut args = vec![Value::Integer(tk)];
        let range = search_range(p, &mut args);
        let filters = branches_cond(q, &mut args);
        return scalar(
            c,
            &format!(
                "SELECT SUM(weight) FROM user_search WHERE tenant_key = ? AND {range} AND {filters}"
            ),
            &args,
        );
    };
    let needle = p.needle();
    count_branches(c, tk, q, Some(&needle), |state, archived, mfa| {
        by_mfa(mfa, "search_heads", "mfa_search_heads", |table| {
            let mut args = vec![Value::Integer(tk), Value::Integer(i64::from(level))];
            let range = search_range(p, &mut args).replace("term", "head");
            let mut sql = format!(
                "SELECT SUM(n) FROM {table} WHERE tenant_key = ? AND level = ? AND {range}"
            );
            state_filters(&mut sql, &mut args, state, archived);
            scalar(c, &sql, &args)
        })
    })
}
