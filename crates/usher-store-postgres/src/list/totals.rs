//! The exact totals of a list or a search, from the aggregates the writes
//! keep (counters per state, search heads) where they can answer, else
//! from the search rows.

use super::{push_branches, push_search_range};
use crate::error::unavailable;
use sqlx::{PgConnection, Postgres, QueryBuilder};
use time::OffsetDateTime;
use usher_core::StoreError;
use usher_core::listing::{Expiry, UserQuery};
use usher_core::search::{SearchPrefix, head_level};
use usher_core::user::UserState;

async fn scalar(c: &mut PgConnection, mut qb: QueryBuilder<Postgres>) -> Result<i64, StoreError> {
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
    archived: Option<bool>,
    now: OffsetDateTime,
    needle: Option<&str>,
) -> Result<i64, StoreError> {
    let mut qb = QueryBuilder::new("SELECT COUNT(*) FROM users WHERE tenant_key = ");
    qb.push_bind(tk)
        .push(" AND state = 1 AND invitation_expires_at <= ")
        .push_bind(now);
    if let Some(a) = archived {
        qb.push(" AND archived = ").push_bind(a);
    }
    if let Some(n) = needle {
        qb.push(" AND strpos(search_blob, ")
            .push_bind(n.to_owned())
            .push(") > 0");
    }
    scalar(c, qb).await
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
    async fn sum(
        self,
        c: &mut PgConnection,
        tk: i64,
        state: Option<UserState>,
        archived: Option<bool>,
    ) -> Result<i64, StoreError> {
        // SUM over bigint is numeric; the cast keeps it an integer.
        let mut qb = match self {
            Tally::Users => {
                let mut qb =
                    QueryBuilder::new("SELECT SUM(n)::bigint FROM user_counts WHERE tenant_key = ");
                qb.push_bind(tk);
                qb
            }
            Tally::Heads { level, prefix } => {
                let mut qb = QueryBuilder::new(
                    "SELECT SUM(n)::bigint FROM search_heads WHERE tenant_key = ",
                );
                qb.push_bind(tk)
                    .push(" AND level = ")
                    .push_bind(i16::from(level))
                    .push(" AND head >= ")
                    .push_bind(prefix.lower().to_owned());
                if let Some(u) = prefix.upper() {
                    qb.push(" AND head < ").push_bind(u);
                }
                qb
            }
        };
        if let Some(s) = state {
            qb.push(" AND state = ").push_bind(s.code());
        }
        if let Some(a) = archived {
            qb.push(" AND archived = ").push_bind(a);
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
            Expiry::Any => tally.sum(c, tk, b.state, b.archived).await?,
            Expiry::Live => {
                tally.sum(c, tk, b.state, b.archived).await?
                    - unswept(c, tk, b.archived, q.now, needle).await?
            }
            Expiry::Expired => unswept(c, tk, b.archived, q.now, needle).await?,
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
    let mut qb =
        QueryBuilder::new("SELECT SUM(weight)::bigint FROM user_search WHERE tenant_key = ");
    qb.push_bind(tk);
    push_search_range(&mut qb, p);
    qb.push(" AND ");
    push_branches(&mut qb, q);
    scalar(c, qb).await
}
