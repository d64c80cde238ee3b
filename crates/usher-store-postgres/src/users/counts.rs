//! The aggregates that make totals cheap: the per-state user counters
//! (`user_counts`), which turn the total of a plain list into a lookup, and
//! the aggregated search heads (`search_heads`, see
//! `usher_core::search::head_rows`), which do the same for the total of a
//! search of up to eight characters. Each has a twin counting only users
//! with a second factor (`mfa_counts`, `mfa_search_heads`) for the mfa
//! filter; writes of other users leave the twins alone.
//!
//! A write collects its changes to all four and applies them just before
//! its commit, each table in one statement in key order. These rows are
//! shared by many writes of a tenant, so each key has up to 16 rows (see
//! [`shard`]), taking their locks late keeps them held briefly, and taking
//! them in one order everywhere (counters, enrolled counters, heads,
//! enrolled heads, each sorted) means two writes moving users in opposite
//! directions (active → blocked, blocked → active) cannot deadlock.

use sqlx::PgConnection;
use std::collections::BTreeMap;
use usher_core::search::{SearchRow, head_rows};
use usher_core::user::UserState;

/// A counter row's key: tenant key, state code, archived.
type CountKey = (i64, i16, bool);

/// A head row's key: tenant key, level, head, state code, archived.
type HeadKey = (i64, i16, String, i16, bool);

/// Pending changes to the aggregates.
#[derive(Debug, Default)]
pub(crate) struct Counts {
    users: BTreeMap<CountKey, i64>,
    /// Of users with a second factor only.
    mfa_users: BTreeMap<CountKey, i64>,
    heads: BTreeMap<HeadKey, i64>,
    /// Of users with a second factor only.
    mfa_heads: BTreeMap<HeadKey, i64>,
}

fn add_heads(
    map: &mut BTreeMap<HeadKey, i64>,
    tenant_key: i64,
    rows: &[SearchRow],
    state: UserState,
    archived: bool,
    sign: i64,
) {
    for h in head_rows(rows) {
        let key = (
            tenant_key,
            i16::from(h.level),
            h.head,
            state.code(),
            archived,
        );
        *map.entry(key).or_default() += sign * h.weight;
    }
}

impl Counts {
    /// Counts `delta` users in `state` and `archived`, `mfa` saying whether
    /// they have a second factor.
    pub(crate) fn add(
        &mut self,
        tenant_key: i64,
        state: UserState,
        archived: bool,
        mfa: bool,
        delta: i64,
    ) {
        let key = (tenant_key, state.code(), archived);
        *self.users.entry(key).or_default() += delta;
        if mfa {
            *self.mfa_users.entry(key).or_default() += delta;
        }
    }

    /// Adds (`sign` 1) or removes (`sign` -1) the heads of a user's search
    /// rows, counted under the user's state, archived flag and enrolment.
    pub(crate) fn add_search(
        &mut self,
        tenant_key: i64,
        rows: &[SearchRow],
        state: UserState,
        archived: bool,
        mfa: bool,
        sign: i64,
    ) {
        add_heads(&mut self.heads, tenant_key, rows, state, archived, sign);
        if mfa {
            add_heads(&mut self.mfa_heads, tenant_key, rows, state, archived, sign);
        }
    }

    /// Moves a user with these search rows into (`sign` 1) or out of
    /// (`sign` -1) the aggregates of users with a second factor.
    pub(crate) fn enrol(
        &mut self,
        tenant_key: i64,
        rows: &[SearchRow],
        state: UserState,
        archived: bool,
        sign: i64,
    ) {
        *self
            .mfa_users
            .entry((tenant_key, state.code(), archived))
            .or_default() += sign;
        add_heads(&mut self.mfa_heads, tenant_key, rows, state, archived, sign);
    }

    /// Takes over the changes of another operation of the same write.
    pub(crate) fn merge(&mut self, other: Counts) {
        let add_all = |to: &mut BTreeMap<CountKey, i64>, from: BTreeMap<CountKey, i64>| {
            for (k, v) in from {
                *to.entry(k).or_default() += v;
            }
        };
        add_all(&mut self.users, other.users);
        add_all(&mut self.mfa_users, other.mfa_users);
        for (k, v) in other.heads {
            *self.heads.entry(k).or_default() += v;
        }
        for (k, v) in other.mfa_heads {
            *self.mfa_heads.entry(k).or_default() += v;
        }
    }

    /// Forgets the changes of an operation that was rolled back.
    pub(crate) fn clear(&mut self) {
        self.users.clear();
        self.mfa_users.clear();
        self.heads.clear();
        self.mfa_heads.clear();
    }

    /// Applies the pending changes, in key order, and forgets them.
    pub(crate) async fn flush(&mut self, c: &mut PgConnection) -> Result<(), sqlx::Error> {
        let users = std::mem::take(&mut self.users);
        flush_users(c, upsert_counts!("user_counts"), users).await?;
        let mfa_users = std::mem::take(&mut self.mfa_users);
        flush_users(c, upsert_counts!("mfa_counts"), mfa_users).await?;
        let heads = std::mem::take(&mut self.heads);
        flush_heads(c, upsert_heads!("search_heads"), heads).await?;
        let mfa_heads = std::mem::take(&mut self.mfa_heads);
        flush_heads(c, upsert_heads!("mfa_search_heads"), mfa_heads).await
    }
}

/// The row of its key a write adds to: one of 16, after the server process
/// of its connection, so that concurrent writes of a tenant mostly add to
/// different rows, while every change of one transaction goes to the same
/// row of each key (two transactions taking one key's rows in opposite
/// orders could deadlock).
macro_rules! shard {
    () => {
        "(pg_backend_pid() % 16)::smallint"
    };
}
use shard;

/// The statement adding counter changes to a table (`user_counts` or
/// `mfa_counts`). UNNEST keeps the arrays' (sorted) order, and INSERT takes
/// the row locks in the order its rows arrive.
macro_rules! upsert_counts {
    ($table:literal) => {
        concat!(
            "INSERT INTO ",
            $table,
            " (tenant_key, state, archived, shard, n) \
             SELECT t, s, a, ",
            shard!(),
            ", n FROM UNNEST($1::bigint[], $2::smallint[], $3::boolean[], \
             $4::bigint[]) AS u (t, s, a, n) \
             ON CONFLICT (tenant_key, state, archived, shard) DO UPDATE SET n = ",
            $table,
            ".n + excluded.n"
        )
    };
}
use upsert_counts;

/// The statement adding head changes to a table (`search_heads` or
/// `mfa_search_heads`); its locks follow the arrays' order as above.
macro_rules! upsert_heads {
    ($table:literal) => {
        concat!(
            "INSERT INTO ",
            $table,
            " (tenant_key, level, head, state, archived, shard, n) \
             SELECT t, l, h, s, a, ",
            shard!(),
            ", n FROM UNNEST($1::bigint[], $2::smallint[], $3::text[], \
             $4::smallint[], $5::boolean[], $6::bigint[]) AS u (t, l, h, s, a, n) \
             ON CONFLICT (tenant_key, level, head, state, archived, shard) DO UPDATE SET n = ",
            $table,
            ".n + excluded.n"
        )
    };
}
use upsert_heads;

/// Applies counter changes with `upsert` (see [`upsert_counts`]).
async fn flush_users(
    c: &mut PgConnection,
    upsert: &'static str,
    pending: BTreeMap<CountKey, i64>,
) -> Result<(), sqlx::Error> {
    let changes: Vec<_> = pending.into_iter().filter(|(_, d)| *d != 0).collect();
    if changes.is_empty() {
        return Ok(());
    }
    let (mut tenants, mut states, mut archived, mut deltas) = (vec![], vec![], vec![], vec![]);
    for ((t, s, a), d) in changes {
        tenants.push(t);
        states.push(s);
        archived.push(a);
        deltas.push(d);
    }
    sqlx::query(upsert)
        .bind(tenants)
        .bind(states)
        .bind(archived)
        .bind(deltas)
        .execute(c)
        .await?;
    Ok(())
}

/// Applies head changes with `upsert` (see [`upsert_heads`]).
async fn flush_heads(
    c: &mut PgConnection,
    upsert: &'static str,
    pending: BTreeMap<HeadKey, i64>,
) -> Result<(), sqlx::Error> {
    let changes: Vec<_> = pending.into_iter().filter(|(_, d)| *d != 0).collect();
    if changes.is_empty() {
        return Ok(());
    }
    let n = changes.len();
    let (mut tenants, mut levels, mut heads) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut states, mut archived, mut deltas) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for ((t, l, h, s, a), d) in changes {
        tenants.push(t);
        levels.push(l);
        heads.push(h);
        states.push(s);
        archived.push(a);
        deltas.push(d);
    }
    sqlx::query(upsert)
        .bind(tenants)
        .bind(levels)
        .bind(heads)
        .bind(states)
        .bind(archived)
        .bind(deltas)
        .execute(c)
        .await?;
    Ok(())
}
