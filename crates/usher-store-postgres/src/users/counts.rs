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

    /// The pending changes by table, in key order; forgotten here.
    pub(crate) fn take(&mut self) -> Changes {
        Changes {
            users: CountColumns::of(std::mem::take(&mut self.users)),
            mfa_users: CountColumns::of(std::mem::take(&mut self.mfa_users)),
            heads: HeadColumns::of(std::mem::take(&mut self.heads)),
            mfa_heads: HeadColumns::of(std::mem::take(&mut self.mfa_heads)),
        }
    }

    /// Applies the pending changes, in key order, and forgets them: one
    /// statement a table that changed. (A write that also records an
    /// audit event does both in one statement: `crate::write`.)
    pub(crate) async fn flush(&mut self, c: &mut PgConnection) -> Result<(), sqlx::Error> {
        let changes = self.take();
        let tables = [
            (
                changes.users,
                upsert_counts!("user_counts", "$1", "$2", "$3", "$4"),
            ),
            (
                changes.mfa_users,
                upsert_counts!("mfa_counts", "$1", "$2", "$3", "$4"),
            ),
        ];
        for (columns, upsert) in tables {
            if !columns.is_empty() {
                columns.bind(sqlx::query(upsert)).execute(&mut *c).await?;
            }
        }
        let tables = [
            (
                changes.heads,
                upsert_heads!("search_heads", "$1", "$2", "$3", "$4", "$5", "$6"),
            ),
            (
                changes.mfa_heads,
                upsert_heads!("mfa_search_heads", "$1", "$2", "$3", "$4", "$5", "$6"),
            ),
        ];
        for (columns, upsert) in tables {
            if !columns.is_empty() {
                columns.bind(sqlx::query(upsert)).execute(&mut *c).await?;
            }
        }
        Ok(())
    }
}

/// Pending changes by table, each by column.
pub(crate) struct Changes {
    pub users: CountColumns,
    pub mfa_users: CountColumns,
    pub heads: HeadColumns,
    pub mfa_heads: HeadColumns,
}

type Query<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

/// Counter changes by column, in key order, without the ones that cancel out.
#[derive(Default)]
pub(crate) struct CountColumns {
    tenants: Vec<i64>,
    states: Vec<i16>,
    archived: Vec<bool>,
    deltas: Vec<i64>,
}

impl CountColumns {
    fn of(pending: BTreeMap<CountKey, i64>) -> Self {
        let mut c = Self::default();
        for ((t, s, a), d) in pending.into_iter().filter(|(_, d)| *d != 0) {
            c.tenants.push(t);
            c.states.push(s);
            c.archived.push(a);
            c.deltas.push(d);
        }
        c
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.tenants.is_empty()
    }

    /// Binds the four arrays [`upsert_counts`] reads, in its order.
    pub(crate) fn bind(self, q: Query<'_>) -> Query<'_> {
        q.bind(self.tenants)
            .bind(self.states)
            .bind(self.archived)
            .bind(self.deltas)
    }
}

/// Head changes by column, in key order, without the ones that cancel out.
#[derive(Default)]
pub(crate) struct HeadColumns {
    tenants: Vec<i64>,
    levels: Vec<i16>,
    heads: Vec<String>,
    states: Vec<i16>,
    archived: Vec<bool>,
    deltas: Vec<i64>,
}

impl HeadColumns {
    fn of(pending: BTreeMap<HeadKey, i64>) -> Self {
        let mut c = Self::default();
        for ((t, l, h, s, a), d) in pending.into_iter().filter(|(_, d)| *d != 0) {
            c.tenants.push(t);
            c.levels.push(l);
            c.heads.push(h);
            c.states.push(s);
            c.archived.push(a);
            c.deltas.push(d);
        }
        c
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.tenants.is_empty()
    }

    /// Binds the six arrays [`upsert_heads`] reads, in its order.
    pub(crate) fn bind(self, q: Query<'_>) -> Query<'_> {
        q.bind(self.tenants)
            .bind(self.levels)
            .bind(self.heads)
            .bind(self.states)
            .bind(self.archived)
            .bind(self.deltas)
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
pub(crate) use shard;

/// The statement adding counter changes to a table (`user_counts` or
/// `mfa_counts`). UNNEST keeps the arrays' (sorted) order, and INSERT takes
/// the row locks in the order its rows arrive.
/// `$t` … `$n` name the statement's parameters holding the four arrays.
macro_rules! upsert_counts {
    ($table:literal, $t:literal, $s:literal, $a:literal, $n:literal) => {
        concat!(
            "INSERT INTO ",
            $table,
            " (tenant_key, state, archived, shard, n) SELECT t, s, a, ",
            $crate::users::counts::shard!(),
            ", n FROM UNNEST(",
            $t,
            "::bigint[], ",
            $s,
            "::smallint[], ",
            $a,
            "::boolean[], ",
            $n,
            "::bigint[]) AS u (t, s, a, n) \
             ON CONFLICT (tenant_key, state, archived, shard) DO UPDATE SET n = ",
            $table,
            ".n + excluded.n"
        )
    };
}
pub(crate) use upsert_counts;

/// The statement adding head changes to a table (`search_heads` or
/// `mfa_search_heads`); its locks follow the arrays' order as above.
macro_rules! upsert_heads {
    ($table:literal, $t:literal, $l:literal, $h:literal, $s:literal, $a:literal, $n:literal) => {
        concat!(
            "INSERT INTO ",
            $table,
            " (tenant_key, level, head, state, archived, shard, n) SELECT t, l, h, s, a, ",
            $crate::users::counts::shard!(),
            ", n FROM UNNEST(",
            $t,
            "::bigint[], ",
            $l,
            "::smallint[], ",
            $h,
            "::text[], ",
            $s,
            "::smallint[], ",
            $a,
            "::boolean[], ",
            $n,
            "::bigint[]) AS u (t, l, h, s, a, n) \
             ON CONFLICT (tenant_key, level, head, state, archived, shard) DO UPDATE SET n = ",
            $table,
            ".n + excluded.n"
        )
    };
}
pub(crate) use upsert_heads;
