//! The aggregates that make totals cheap: the per-state user counters
//! (`user_counts`), which turn the total of a plain list into a lookup, and
//! the aggregated search heads (`search_heads`, see
//! `usher_core::search::head_rows`), which do the same for the total of a
//! search of up to eight characters.
//!
//! A write collects its changes to both and applies them just before its
//! audit event, each table in one statement in key order. These rows are
//! shared by many writes of a tenant, so taking their locks late keeps them
//! held briefly, and taking them in one order everywhere (counters, then
//! heads, each sorted; the audit head last) means two writes moving users
//! in opposite directions (active → blocked, blocked → active) cannot
//! deadlock.

use sqlx::PgConnection;
use std::collections::BTreeMap;
use usher_core::search::{SearchRow, head_rows};
use usher_core::user::UserState;

/// A head row's key: tenant key, level, head, state code, archived.
type HeadKey = (i64, i16, String, i16, bool);

/// Pending changes to the aggregates.
#[derive(Debug, Default)]
pub(crate) struct Counts {
    /// By (tenant key, state code, archived).
    users: BTreeMap<(i64, i16, bool), i64>,
    heads: BTreeMap<HeadKey, i64>,
}

impl Counts {
    pub(crate) fn add(&mut self, tenant_key: i64, state: UserState, archived: bool, delta: i64) {
        *self
            .users
            .entry((tenant_key, state.code(), archived))
            .or_default() += delta;
    }

    /// Adds (`sign` 1) or removes (`sign` -1) the heads of a user's search
    /// rows, counted under the user's state and archived flag.
    pub(crate) fn add_search(
        &mut self,
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
            *self.heads.entry(key).or_default() += sign * h.weight;
        }
    }

    /// Takes over the changes of another operation of the same write.
    pub(crate) fn merge(&mut self, other: Counts) {
        for (k, v) in other.users {
            *self.users.entry(k).or_default() += v;
        }
        for (k, v) in other.heads {
            *self.heads.entry(k).or_default() += v;
        }
    }

    /// Forgets the changes of an operation that was rolled back.
    pub(crate) fn clear(&mut self) {
        self.users.clear();
        self.heads.clear();
    }

    /// Applies the pending changes, in key order, and forgets them.
    pub(crate) async fn flush(&mut self, c: &mut PgConnection) -> Result<(), sqlx::Error> {
        self.flush_users(c).await?;
        self.flush_heads(c).await
    }

    async fn flush_users(&mut self, c: &mut PgConnection) -> Result<(), sqlx::Error> {
        let changes: Vec<_> = std::mem::take(&mut self.users)
            .into_iter()
            .filter(|(_, d)| *d != 0)
            .collect();
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
        // UNNEST keeps the arrays' (sorted) order, and INSERT takes the row
        // locks in the order its rows arrive.
        sqlx::query(
            "INSERT INTO user_counts (tenant_key, state, archived, n) \
             SELECT * FROM UNNEST($1::bigint[], $2::smallint[], $3::boolean[], $4::bigint[]) \
             ON CONFLICT (tenant_key, state, archived) DO UPDATE SET n = user_counts.n + excluded.n",
        )
        .bind(tenants)
        .bind(states)
        .bind(archived)
        .bind(deltas)
        .execute(c)
        .await?;
        Ok(())
    }

    async fn flush_heads(&mut self, c: &mut PgConnection) -> Result<(), sqlx::Error> {
        let changes: Vec<_> = std::mem::take(&mut self.heads)
            .into_iter()
            .filter(|(_, d)| *d != 0)
            .collect();
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
        // As above: the locks follow the map's order (any fixed order
        // would do).
        sqlx::query(
            "INSERT INTO search_heads (tenant_key, level, head, state, archived, n) \
             SELECT * FROM UNNEST($1::bigint[], $2::smallint[], $3::text[], $4::smallint[], $5::boolean[], \
             $6::bigint[]) \
             ON CONFLICT (tenant_key, level, head, state, archived) DO UPDATE SET n = search_heads.n + excluded.n",
        )
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
}
