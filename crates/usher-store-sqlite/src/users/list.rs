//! Listing and searching users: exact totals and keyset pages, all read in
//! one snapshot.
//!
//! Without a search, totals come from the per-state counters (those of
//! enrolled users for the mfa filter; users without a second factor are the
//! difference) and a page merges ranges of an index in email order, one per
//! state, archived flag and enrolment (`UserQuery::ranges`). With a search,
//! the total is the sum of weights over the search index's prefix range
//! (see `usher_core::search`), and a page is found one of two ways,
//! whichever the total says is cheaper: from the search index (cost grows
//! with the number of matches), or by walking users in email order and
//! testing each one's search blob (cost grows with how rare matches are).
//! The walk gives up after a bounded number of rows, and the index path
//! finishes the job.

use crate::conn::DbResult;
use crate::users::rows::{USER_COLUMNS, stored_user};
use crate::users::totals::{count_plain, count_search};
use rusqlite::Connection;
use rusqlite::types::Value;
use std::collections::{HashMap, HashSet};
use usher_core::TenantId;
use usher_core::clock::to_micros;
use usher_core::listing::{Branch, Cursor, Expiry, Page, SearchPath, UserQuery, WalkCosts};
use usher_core::search::SearchPrefix;
use usher_core::user::User;

/// Rows a search walk examines per branch before handing over to the index.
const WALK_CAP: usize = 10_000;

/// A walk of every user reads the covering index `users_email_search`; a
/// walk of a range visits the users table for each user, about ten times
/// dearer; starting one (a statement and a seek) costs about as much as
/// fifty rows of the index (measured with `usher bench`).
const COSTS: WalkCosts = WalkCosts {
    all_row: 1.0,
    range_row: 10.0,
    range: 50.0,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dir {
    Asc,
    Desc,
}

fn branch_cond(b: &Branch, now: i64, args: &mut Vec<Value>) -> String {
    let mut parts: Vec<String> = Vec::new();
    // The state is written as a literal: SQLite uses the partial index on
    // pending invitations only when it can see `state = 1` in the query.
    if let Some(s) = b.state {
        parts.push(format!("state = {}", s.code()));
    }
    if let Some(a) = b.archived {
        parts.push("archived = ?".to_owned());
        args.push(Value::Integer(i64::from(a)));
    }
    if let Some(m) = b.mfa {
        parts.push(format!("mfa_enrolled = {}", i64::from(m)));
    }
    match b.expiry {
        Expiry::Any => {}
        Expiry::Live => {
            parts.push("(invitation_expires_at IS NULL OR invitation_expires_at > ?)".to_owned());
            args.push(Value::Integer(now));
        }
        Expiry::Expired => {
            parts.push("invitation_expires_at <= ?".to_owned());
            args.push(Value::Integer(now));
        }
    }
    if parts.is_empty() {
        "1".to_owned()
    } else {
        parts.join(" AND ")
    }
}

/// The index that reads a branch of [`UserQuery::ranges`] in email order.
fn index_for(b: &Branch) -> &'static str {
    if b.expiry == Expiry::Expired {
        "users_pending_expiry"
    } else if b.is_unfiltered() {
        "users_email"
    } else {
        "users_filter_order"
    }
}

pub(crate) fn search_range(p: &SearchPrefix, args: &mut Vec<Value>) -> String {
    args.push(Value::Text(p.lower().to_owned()));
    match p.upper() {
        Some(u) => {
            args.push(Value::Text(u));
            "term >= ? AND term < ?".to_owned()
        }
        None => "term >= ?".to_owned(),
    }
}

pub(crate) fn branches_cond(q: &UserQuery, args: &mut Vec<Value>) -> String {
    let now = to_micros(q.now);
    let parts: Vec<String> = q
        .branches()
        .iter()
        .map(|b| format!("({})", branch_cond(b, now, args)))
        .collect();
    format!("({})", parts.join(" OR "))
}

/// The direction a page at `cursor` is read in, and the key it starts
/// past.
pub(crate) fn start(cursor: &Cursor) -> (Dir, Option<&str>) {
    match cursor {
        Cursor::First => (Dir::Asc, None),
        Cursor::After(k) => (Dir::Asc, Some(k.as_str())),
        Cursor::Before(k) => (Dir::Desc, Some(k.as_str())),
        Cursor::Last => (Dir::Desc, None),
    }
}

pub(crate) fn keyset(dir: Dir, bound: Option<&str>, args: &mut Vec<Value>) -> &'static str {
    match bound {
        None => "",
        Some(k) => {
            args.push(Value::Text(k.to_owned()));
            if dir == Dir::Asc {
                " AND email_norm > ?"
            } else {
                " AND email_norm < ?"
            }
        }
    }
}

/// The (email, key) of up to `want` users of one range of
/// [`UserQuery::ranges`] from `bound` on, in `dir` order: read from the
/// range's index alone (but for the invitation expiry of pending ones).
#[allow(clippy::too_many_arguments)]
fn range_keys(
    c: &Connection,
    tk: i64,
    b: &Branch,
    now: i64,
    dir: Dir,
    bound: Option<&str>,
    want: usize,
) -> DbResult<Vec<(String, i64)>> {
    let mut args = vec![Value::Integer(tk)];
    let cond = branch_cond(b, now, &mut args);
    let ks = keyset(dir, bound, &mut args);
    let order = if dir == Dir::Asc { "ASC" } else { "DESC" };
    let sql = format!(
        "SELECT email_norm, key FROM users INDEXED BY {} WHERE tenant_key = ? AND {cond}{ks} \
         ORDER BY email_norm {order} LIMIT {want}",
        index_for(b)
    );
    c.prepare_cached(&sql)?
        .query_map(rusqlite::params_from_iter(args.iter()), |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect()
}

/// Up to `want` users of one branch of [`UserQuery::walks`] from `bound`
/// on, in `dir` order, whose blob holds `needle`, giving up (None) after
/// [`WALK_CAP`] rows.
#[allow(clippy::too_many_arguments)]
fn walk_branch(
    c: &Connection,
    tk: i64,
    tenant_id: TenantId,
    b: &Branch,
    now: i64,
    dir: Dir,
    bound: Option<&str>,
    want: usize,
    needle: &str,
) -> DbResult<Option<Vec<User>>> {
    if b.spans_states() {
        return walk_blobs(c, tk, tenant_id, dir, bound, want, needle, b.mfa);
    }
    let mut args = vec![Value::Integer(tk)];
    let cond = branch_cond(b, now, &mut args);
    let ks = keyset(dir, bound, &mut args);
    let order = if dir == Dir::Asc { "ASC" } else { "DESC" };
    let sql = format!(
        "SELECT key, search_blob FROM users INDEXED BY {} WHERE tenant_key = ? AND {cond}{ks} \
         ORDER BY email_norm {order}",
        index_for(b)
    );
    let mut stmt = c.prepare_cached(&sql)?;
    let mut rows = stmt.query(rusqlite::params_from_iter(args.iter()))?;
    let mut keys = Vec::new();
    let mut seen = 0usize;
    while let Some(r) = rows.next()? {
        seen += 1;
        if seen > WALK_CAP {
            return Ok(None);
        }
        if r.get_ref(1)?.as_str().unwrap_or("").contains(needle) {
            keys.push(r.get::<_, i64>(0)?);
            if keys.len() >= want {
                break;
            }
        }
    }
    users_by_keys(c, tenant_id, &keys).map(Some)
}

/// A search walk without state filters (at most the mfa filter): reads
/// (email, blob, mfa flag) from the covering index `users_email_search`,
/// or for enrolled users (email, blob) from theirs, `users_mfa_search`,
/// dozens to a page, and fetches only the users that match.
#[allow(clippy::too_many_arguments)]
fn walk_blobs(
    c: &Connection,
    tk: i64,
    tenant_id: TenantId,
    dir: Dir,
    bound: Option<&str>,
    want: usize,
    needle: &str,
    mfa: Option<bool>,
) -> DbResult<Option<Vec<User>>> {
    let mut args = vec![Value::Integer(tk)];
    let ks = keyset(dir, bound, &mut args);
    let order = if dir == Dir::Asc { "ASC" } else { "DESC" };
    // The partial index serves only a query that says its condition.
    let (index, only) = match mfa {
        Some(true) => ("users_mfa_search", " AND mfa_enrolled = 1"),
        _ => ("users_email_search", ""),
    };
    let sql = format!(
        "SELECT key, search_blob, mfa_enrolled FROM users INDEXED BY {index} \
         WHERE tenant_key = ?{only}{ks} ORDER BY email_norm {order}"
    );
    let mut stmt = c.prepare_cached(&sql)?;
    let mut rows = stmt.query(rusqlite::params_from_iter(args.iter()))?;
    let mut keys = Vec::new();
    let mut seen = 0usize;
    while let Some(r) = rows.next()? {
        seen += 1;
        if seen > WALK_CAP {
            return Ok(None);
        }
        if let Some(m) = mfa
            && r.get::<_, bool>(2)? != m
        {
            continue;
        }
        if r.get_ref(1)?.as_str().unwrap_or("").contains(needle) {
            keys.push(r.get::<_, i64>(0)?);
            if keys.len() >= want {
                break;
            }
        }
    }
    users_by_keys(c, tenant_id, &keys).map(Some)
}

/// The users with these keys, in the order of `keys`.
pub(crate) fn users_by_keys(
    c: &Connection,
    tenant_id: TenantId,
    keys: &[i64],
) -> DbResult<Vec<User>> {
    let placeholders = vec!["?"; keys.len()].join(",");
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE key IN ({placeholders})");
    let mut by_key: HashMap<i64, User> = c
        .prepare(&sql)?
        .query_map(rusqlite::params_from_iter(keys.iter()), |r| {
            stored_user(r, tenant_id)
        })?
        .map(|s| s.map(|s| (s.key, s.user)))
        .collect::<DbResult<_>>()?;
    Ok(keys.iter().filter_map(|k| by_key.remove(k)).collect())
}

/// Up to `want` matching users from the search index, in `dir` order.
#[allow(clippy::too_many_arguments)]
fn from_index(
    c: &Connection,
    tk: i64,
    tenant_id: TenantId,
    q: &UserQuery,
    p: &SearchPrefix,
    dir: Dir,
    bound: Option<&str>,
    want: usize,
) -> DbResult<Vec<User>> {
    let order = if dir == Dir::Asc { "ASC" } else { "DESC" };
    let batch = want * 4;
    let mut keys: Vec<i64> = Vec::new();
    let mut seen: HashSet<i64> = HashSet::new();
    let mut bound = bound.map(str::to_owned);
    loop {
        let mut args = vec![Value::Integer(tk)];
        let range = search_range(p, &mut args);
        let filters = branches_cond(q, &mut args);
        let ks = keyset(dir, bound.as_deref(), &mut args);
        let sql = format!(
            "SELECT user_key, email_norm FROM user_search WHERE tenant_key = ? AND {range} AND weight > 0 AND {filters}{ks} \
             ORDER BY email_norm {order} LIMIT {batch}"
        );
        let got: Vec<(i64, String)> = c
            .prepare_cached(&sql)?
            .query_map(rusqlite::params_from_iter(args.iter()), |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<DbResult<_>>()?;
        let exhausted = got.len() < batch;
        bound = got.last().map(|(_, e)| e.clone());
        for (k, _) in got {
            if seen.insert(k) {
                keys.push(k);
            }
        }
        if keys.len() >= want || exhausted {
            break;
        }
    }
    keys.truncate(want);
    users_by_keys(c, tenant_id, &keys)
}

/// Merges per-branch results into one run in `dir` order.
fn merge(mut users: Vec<User>, dir: Dir, want: usize) -> Vec<User> {
    users.sort_by(|a, b| a.email.normalized().cmp(b.email.normalized()));
    if dir == Dir::Desc {
        users.reverse();
    }
    users.truncate(want);
    users
}

pub(crate) fn list_users(
    c: &Connection,
    tk: i64,
    tenant_id: TenantId,
    q: &UserQuery,
) -> DbResult<Page<User>> {
    // One snapshot for the total and the page.
    c.execute_batch("BEGIN")?;
    let page = page(c, tk, tenant_id, q)?;
    c.execute_batch("COMMIT")?;
    Ok(page)
}

fn page(c: &Connection, tk: i64, tenant_id: TenantId, q: &UserQuery) -> DbResult<Page<User>> {
    if crate::users::scoped::is_narrowed(q) {
        return crate::users::scoped::narrowed_page(c, tk, tenant_id, q);
    }
    let key = |u: &User| u.email.normalized().to_owned();
    let total = match &q.search {
        None => count_plain(c, tk, q)?,
        Some(p) => count_search(c, tk, q, p)?,
    }
    .max(0);
    if total == 0 {
        return Ok(Page::from_window(Vec::new(), 0, 0, &q.cursor, key));
    }
    let (dir, bound) = start(&q.cursor);
    let limit = q.limit as usize;
    let want = limit + 1;
    let now = to_micros(q.now);
    let found = match &q.search {
        None => {
            // The first keys of every range from its index alone, then the
            // rows of the page only.
            let mut keys = Vec::new();
            for b in q.ranges() {
                keys.extend(range_keys(c, tk, &b, now, dir, bound, want)?);
            }
            keys.sort();
            if dir == Dir::Desc {
                keys.reverse();
            }
            keys.truncate(want);
            let keys: Vec<i64> = keys.into_iter().map(|(_, k)| k).collect();
            users_by_keys(c, tenant_id, &keys)?
        }
        Some(p) => {
            // The rows each way reads, from counters: the index path every
            // search row of the prefix (with the filters but whatever the
            // mfa filter, tested row by row), a walk want × population /
            // total users, each much dearer when it visits the users table
            // (a range) than when the covering index holds the blob and the
            // mfa flag (all users) (measured with `usher bench`).
            let filtered = count_plain(c, tk, q)?.max(0) as u64;
            let (everyone, index_rows) = match q.mfa {
                None => (filtered, total as u64),
                Some(_) => {
                    let unfiltered = UserQuery {
                        mfa: None,
                        ..q.clone()
                    };
                    (
                        count_plain(c, tk, &unfiltered)?.max(0) as u64,
                        count_search(c, tk, &unfiltered, p)?.max(total) as u64,
                    )
                }
            };
            // Enrolled users have an index of their own (users_mfa_search).
            let all = if q.mfa == Some(true) {
                filtered
            } else {
                everyone
            };
            let walks = match q.search_path(total as u64, index_rows, all, filtered, want, COSTS) {
                SearchPath::WalkAll => q.branches(),
                SearchPath::WalkRanges => q.ranges(),
                SearchPath::Index => Vec::new(),
            };
            let walked = if walks.is_empty() {
                None
            } else {
                let needle = p.needle();
                let mut all = Some(Vec::new());
                for b in &walks {
                    match walk_branch(c, tk, tenant_id, b, now, dir, bound, want, &needle)? {
                        Some(users) => all.as_mut().map(|a| a.extend(users)),
                        None => {
                            all = None;
                            break;
                        }
                    };
                }
                all.map(|a| merge(a, dir, want))
            };
            match walked {
                Some(users) => users,
                None => from_index(c, tk, tenant_id, q, p, dir, bound, want)?,
            }
        }
    };
    Ok(Page::from_window(
        found,
        limit,
        total as u64,
        &q.cursor,
        key,
    ))
}
