//! The exact totals of a list or a search, from the aggregates the writes
//! keep (counters per state, search heads, and their twins counting only
//! users with a second factor) where they can answer, else from the search
//! rows. Users without a second factor are counted as everyone minus those
//! with one.

use super::list::{push_branches, push_search_range};
use crate::error::unavailable;
use sqlx::{PgConnection, Postgres, QueryBuilder};
use time::OffsetDateTime;
use usher_core::StoreError;
use usher_core::listing::{Branch, Expiry, UserQuery};
use usher_core::search::{SearchPrefix, head_level};
use usher_core::user::UserState;

/// The one value `qb` selects (0 for NULL).
pub(super) async fn scalar(
    c: &mut PgConnection,
    mut qb: QueryBuilder<Postgres>,
) -> Result<i64, StoreError> {
    let v: Option<i64> = qb
        .build_query_scalar()
        .fetch_one(c)
        .await
        .map_err(unavailable)?;
    Ok(v.unwrap_or(0))
}

/// Pending invitations already expired but not yet swept (optionally only
/// those matching a search): the sweep keeps this set small.
async fn unswept(
    c: &mut PgConnection,
    tk: i64,
    b: &Branch,
    now: OffsetDateTime,
    needle: Option<&str>,
) -> Result<i64, StoreError> {
    let mut qb = QueryBuilder::new("SELECT COUNT(*) FROM users WHERE tenant_key = ");
    qb.push_bind(tk)
        .push(" AND state = 1 AND invitation_expires_at <= ")
        .push_bind(now);
    if let Some(a) = b.archived {
        qb.push(" AND archived = ").push_bind(a);
    }
    if let Some(m) = b.mfa {
        qb.push(" AND mfa_enrolled = ").push_bind(m);
    }
    if let Some(n) = needle {
        qb.push(" AND strpos(search_blob, ")
            .push_bind(n.to_owned())
            .push(") > 0");
    }
    // Planned with this request's values (an unnamed statement): a generic
    // plan cannot tell that few invitations expired before `now`, and read
    // every pending one instead of the partial index on their expiry.
    let v: Option<i64> = qb
        .build_query_scalar()
        .persistent(false)
        .fetch_one(c)
        .await
        .map_err(unavailable)?;
    Ok(v.unwrap_or(0))
}

/// Where totals by stored state and archived flag come from.
#[derive(Debug, Clone, Copy)]
enum Tally<'a> {
    /// The per-state counters: every user.
    Users,
    /// The aggregated search heads at `level`: users matching `prefix`.
    Heads { level: u8, prefix: &'a SearchPrefix },
}

impl Tally<'_> {
    /// The table counting everyone and the one counting only users with a
    /// second factor.
    fn tables(self) -> (&'static str, &'static str) {
        match self {
            Tally::Users => ("user_counts", "mfa_counts"),
            Tally::Heads { .. } => ("search_heads", "mfa_search_heads"),
        }
    }

    /// A scalar subquery summing `table` over the tally's rows.
    fn push_sum(
        self,
        qb: &mut QueryBuilder<Postgres>,
        table: &'static str,
        tk: i64,
        state: Option<UserState>,
        archived: Option<bool>,
    ) {
        // SUM over bigint is numeric; the cast keeps it an integer.
        qb.push("(SELECT COALESCE(SUM(n), 0)::bigint FROM ")
            .push(table)
            .push(" WHERE tenant_key = ")
            .push_bind(tk);
        if let Tally::Heads { level, prefix } = self {
            qb.push(" AND level = ")
                .push_bind(i16::from(level))
                .push(" AND head >= ")
                .push_bind(prefix.lower().to_owned());
            if let Some(u) = prefix.upper() {
                qb.push(" AND head < ").push_bind(u);
            }
        }
        if let Some(s) = state {
            qb.push(" AND state = ").push_bind(s.code());
        }
        if let Some(a) = archived {
            qb.push(" AND archived = ").push_bind(a);
        }
        qb.push(")");
    }

    async fn sum(
        self,
        c: &mut PgConnection,
        tk: i64,
        state: Option<UserState>,
        archived: Option<bool>,
        mfa: Option<bool>,
    ) -> Result<i64, StoreError> {
        let (all, enrolled) = self.tables();
        let mut qb = QueryBuilder::new("SELECT ");
        match mfa {
            None => self.push_sum(&mut qb, all, tk, state, archived),
            Some(true) => self.push_sum(&mut qb, enrolled, tk, state, archived),
            Some(false) => {
                self.push_sum(&mut qb, all, tk, state, archived);
                qb.push(" - ");
                self.push_sum(&mut qb, enrolled, tk, state, archived);
            }
        }
        scalar(c, qb).await
    }
}

/// Sums a tally over the query's branches. Tallies count users by stored
/// state; pending invitations past their expiry but not yet swept move from
/// pending to expired (counted among the users holding `needle`, if any).
async fn count_branches(
    c: &mut PgConnection,
    tk: i64,
    q: &UserQuery,
    tally: Tally<'_>,
    needle: Option<&str>,
) -> Result<i64, StoreError> {
    let mut total = 0;
    for b in q.branches() {
        total += match b.expiry {
            Expiry::Any => tally.sum(c, tk, b.state, b.archived, b.mfa).await?,
            Expiry::Live => {
                tally.sum(c, tk, b.state, b.archived, b.mfa).await?
                    - unswept(c, tk, &b, q.now, needle).await?
            }
            Expiry::Expired => unswept(c, tk, &b, q.now, needle).await?,
        };
    }
    Ok(total)
}

/// The exact number of users matching the state and archived filters.
pub(super) async fn count_plain(
    c: &mut PgConnection,
    tk: i64,
    q: &UserQuery,
) -> Result<i64, StoreError> {
    count_branches(c, tk, q, Tally::Users, None).await
}

/// The exact number of distinct users matching a search and the filters:
/// from the aggregated heads for prefixes of up to eight characters, else
/// from the search rows.
pub(super) async fn count_search(
    c: &mut PgConnection,
    tk: i64,
    q: &UserQuery,
    p: &SearchPrefix,
) -> Result<i64, StoreError> {
    if let Some(level) = head_level(p.lower().chars().count()) {
        let tally = Tally::Heads { level, prefix: p };
        return count_branches(c, tk, q, tally, Some(&p.needle())).await;
    }
    if q.mfa == Some(false) {
        // Everyone minus the enrolled: two index-only scans (the primary
        // key, then the partial index user_search_mfa), where testing the
        // flag row by row would visit the table for every search row.
        let everyone = UserQuery {
            mfa: None,
            ..q.clone()
        };
        let enrolled = UserQuery {
            mfa: Some(true),
            ..q.clone()
        };
        return Ok(count_rows(c, tk, &everyone, p).await? - count_rows(c, tk, &enrolled, p).await?);
    }
    count_rows(c, tk, q, p).await
}

/// The sum of weights over the search rows of a prefix range.
async fn count_rows(
    c: &mut PgConnection,
    tk: i64,
    q: &UserQuery,
    p: &SearchPrefix,
) -> Result<i64, StoreError> {
    let mut qb =
        QueryBuilder::new("SELECT SUM(weight)::bigint FROM user_search WHERE tenant_key = ");
    qb.push_bind(tk);
    push_search_range(&mut qb, p);
    if q.mfa == Some(true) {
        // Said once outside the branches too, so that the planner sees at
        // a glance that the partial index user_search_mfa answers.
        qb.push(" AND mfa_enrolled");
    }
    qb.push(" AND ");
    push_branches(&mut qb, q);
    scalar(c, qb).await
}
