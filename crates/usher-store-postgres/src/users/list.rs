//! Listing and searching users: exact totals and keyset pages, all read in
//! one REPEATABLE READ snapshot. The algorithm is the SQLite store's (see
//! its `list.rs`), so that both backends answer every query alike.
//!
//! Without a search, totals come from the per-state counters (those of
//! enrolled users for the mfa filter; users without a second factor are the
//! difference) and a page merges ranges of an index in email order, one per
//! state, archived flag and enrolment (`UserQuery::ranges`), read in one
//! statement. With a search, the total comes from the aggregated search
//! heads (prefixes of up to eight characters) or is the sum of weights over
//! the search index's prefix range (see `usher_core::search`), and a page is
//! found one of two ways, whichever the total says is cheaper: from the
//! search index (cost grows with the number of matches), or by walking
//! users in email order and testing each one's search blob (cost grows with
//! how rare matches are). The walk gives up after a bounded number of rows,
//! and the index path finishes the job. The totals are in [`totals`].

use crate::error::unavailable;
use crate::users::rows::{stored_user, user_columns};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use std::collections::{HashMap, HashSet};
use time::OffsetDateTime;
use usher_core::listing::{Branch, Cursor, Expiry, Page, SearchPath, UserQuery, WalkCosts};
use usher_core::search::SearchPrefix;
use usher_core::user::User;
use usher_core::{StoreError, TenantId};

/// Rows a search walk examines per branch before handing over to the index.
const WALK_CAP: usize = 10_000;

/// The most rows one batch of a search walk reads.
const WALK_BATCH: usize = 2_000;

/// Every row of a walk is a heap row, walking all users or a range; a range
/// costs a round trip (at least) to start.
const COSTS: WalkCosts = WalkCosts {
    all_row: 1.0,
    range_row: 1.0,
    range: 100.0,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dir {
    Asc,
    Desc,
}

impl Dir {
    fn sql(self) -> &'static str {
        match self {
            Dir::Asc => "ASC",
            Dir::Desc => "DESC",
        }
    }
}

/// Where a page starts, as a keyset bound on `email_norm`.
#[derive(Debug, Clone)]
pub(super) struct Bound {
    op: &'static str,
    key: String,
}

impl Bound {
    /// The bound of a cursor key. PostgreSQL text cannot hold NUL, which a
    /// crafted cursor can. No stored email holds one (nor any control
    /// character), so for a key `k` cut at its first NUL to `p`, every
    /// stored email `e` has `e > k` exactly when `e > p`, and `e < k`
    /// exactly when `e <= p`.
    fn new(dir: Dir, key: &str) -> Self {
        let (key, cut) = match key.split_once('\0') {
            Some((p, _)) => (p, true),
            None => (key, false),
        };
        let op = match (dir, cut) {
            (Dir::Asc, _) => " AND email_norm > ",
            (Dir::Desc, false) => " AND email_norm < ",
            (Dir::Desc, true) => " AND email_norm <= ",
        };
        Bound {
            op,
            key: key.to_owned(),
        }
    }

    pub(super) fn push(bound: Option<&Bound>, qb: &mut QueryBuilder<Postgres>) {
        if let Some(b) = bound {
            qb.push(b.op).push_bind(b.key.clone());
        }
    }
}

pub(super) fn push_branch(qb: &mut QueryBuilder<Postgres>, b: &Branch, now: OffsetDateTime) {
    qb.push("(TRUE");
    // A literal (a state's small code), not a parameter: a generic plan can
    // then match the partial index on pending invitations (state = 1).
    if let Some(s) = b.state {
        qb.push(format_args!(" AND state = {}", s.code()));
    }
    if let Some(a) = b.archived {
        qb.push(" AND archived = ").push_bind(a);
    }
    // A literal, not a parameter: it is what lets PostgreSQL use the
    // partial index user_search_mfa.
    match b.mfa {
        Some(true) => {
            qb.push(" AND mfa_enrolled");
        }
        Some(false) => {
            qb.push(" AND NOT mfa_enrolled");
        }
        None => {}
    }
    match b.expiry {
        Expiry::Any => {}
        Expiry::Live => {
            qb.push(" AND (invitation_expires_at IS NULL OR invitation_expires_at > ")
                .push_bind(now)
                .push(")");
        }
        Expiry::Expired => {
            qb.push(" AND invitation_expires_at <= ").push_bind(now);
        }
    }
    qb.push(")");
}

pub(super) fn push_branches(qb: &mut QueryBuilder<Postgres>, q: &UserQuery) {
    qb.push("(");
    for (i, b) in q.branches().iter().enumerate() {
        if i > 0 {
            qb.push(" OR ");
        }
        push_branch(qb, b, q.now);
    }
    qb.push(")");
}

pub(super) fn push_search_range(qb: &mut QueryBuilder<Postgres>, p: &SearchPrefix) {
    qb.push(" AND term >= ").push_bind(p.lower().to_owned());
    if let Some(u) = p.upper() {
        qb.push(" AND term < ").push_bind(u);
    }
}

/// The direction and bound a page is read from its cursor with.
pub(super) fn start(cursor: &Cursor) -> (Dir, Option<Bound>) {
    match cursor {
        Cursor::First => (Dir::Asc, None),
        Cursor::After(k) => (Dir::Asc, Some(Bound::new(Dir::Asc, k))),
        Cursor::Before(k) => (Dir::Desc, Some(Bound::new(Dir::Desc, k))),
        Cursor::Last => (Dir::Desc, None),
    }
}

/// What every read of one page shares: whose users, from where, which
/// way, how many.
#[derive(Debug)]
pub(super) struct Scan<'a> {
    pub(super) tk: i64,
    pub(super) tenant_id: TenantId,
    pub(super) now: OffsetDateTime,
    pub(super) dir: Dir,
    pub(super) bound: Option<&'a Bound>,
    /// One more than the page size, to learn whether more follow.
    pub(super) want: usize,
}

impl<'a> Scan<'a> {
    /// The read of one page of `q` (limit + 1 users), from the direction
    /// and bound [`start`] gave for its cursor.
    pub(super) fn of_page(
        tk: i64,
        tenant_id: TenantId,
        q: &UserQuery,
        dir: Dir,
        bound: Option<&'a Bound>,
    ) -> Self {
        Scan {
            tk,
            tenant_id,
            now: q.now,
            dir,
            bound,
            want: q.limit as usize + 1,
        }
    }

    /// The order clause and limit of every page query.
    pub(super) fn push_order(&self, qb: &mut QueryBuilder<Postgres>, limit: usize) {
        qb.push(" ORDER BY email_norm ").push(self.dir.sql());
        qb.push(" LIMIT ").push_bind(limit as i64);
    }

    pub(super) fn users(&self, rows: &[PgRow]) -> Result<Vec<User>, StoreError> {
        rows.iter()
            .map(|r| Ok(stored_user(r, self.tenant_id)?.user))
            .collect()
    }

    /// Up to `want` users of each branch from the bound on, in one round
    /// trip: each branch is its own index range, read with its own limit.
    /// Expired invitations not yet swept are read whole (see
    /// [`Scan::unswept`]).
    async fn walk(
        &self,
        c: &mut PgConnection,
        branches: &[Branch],
    ) -> Result<Vec<User>, StoreError> {
        let mut qb = QueryBuilder::new("");
        let mut first = true;
        for b in branches.iter().filter(|b| b.expiry != Expiry::Expired) {
            if !first {
                qb.push(" UNION ALL ");
            }
            first = false;
            qb.push(concat!(
                "(SELECT ",
                user_columns!(),
                " FROM users WHERE tenant_key = "
            ));
            qb.push_bind(self.tk).push(" AND ");
            push_branch(&mut qb, b, self.now);
            Bound::push(self.bound, &mut qb);
            self.push_order(&mut qb, self.want);
            qb.push(")");
        }
        let mut users = if first {
            Vec::new()
        } else {
            let rows = qb.build().fetch_all(&mut *c).await.map_err(unavailable)?;
            self.users(&rows)?
        };
        for b in branches.iter().filter(|b| b.expiry == Expiry::Expired) {
            let keys = self.unswept(c, b, None).await?;
            users.extend(self.users_by_keys(c, &keys).await?);
        }
        Ok(users)
    }

    /// The keys of a branch of expired invitations not yet swept, from the
    /// bound on, in `dir` order, only those whose blob holds `needle` if
    /// given; at most `want`. The sweep keeps this set small, so it is read
    /// whole from the partial index on pending invitations and sorted
    /// here: with `ORDER BY email_norm LIMIT`, PostgreSQL's generic plan
    /// scanned every user in email order for the few (often none) there are
    /// (48 ms at 100,000 users).
    async fn unswept(
        &self,
        c: &mut PgConnection,
        b: &Branch,
        needle: Option<&str>,
    ) -> Result<Vec<i64>, StoreError> {
        let mut qb = QueryBuilder::new("SELECT key, email_norm FROM users WHERE tenant_key = ");
        qb.push_bind(self.tk).push(" AND ");
        push_branch(&mut qb, b, self.now);
        Bound::push(self.bound, &mut qb);
        if let Some(n) = needle {
            qb.push(" AND strpos(search_blob, ")
                .push_bind(n.to_owned())
                .push(") > 0");
        }
        // Planned with this request's values (an unnamed statement), so
        // that PostgreSQL sees how few invitations expired before `now`.
        let mut found: Vec<(i64, String)> = qb
            .build_query_as()
            .persistent(false)
            .fetch_all(&mut *c)
            .await
            .map_err(unavailable)?;
        found.sort_by(|x, y| x.1.cmp(&y.1));
        if self.dir == Dir::Desc {
            found.reverse();
        }
        found.truncate(self.want);
        Ok(found.into_iter().map(|(k, _)| k).collect())
    }

    /// Up to `want` users of one branch from the bound on whose blob holds
    /// `needle`, giving up (None) once more than [`WALK_CAP`] rows were
    /// examined before `want` matches were found. Reads (key, email, hit)
    /// in email order in batches, starting with the `expect`ed number of
    /// rows and doubling: each batch is a short `LIMIT`, which PostgreSQL
    /// answers from an index in email order whatever the branch's filter.
    /// (Numbering the whole branch with a window function in one query let
    /// it sort the whole branch instead when the filter was selective, as
    /// `mfa_enrolled` is.) Then the matching users' rows.
    async fn walk_search(
        &self,
        c: &mut PgConnection,
        b: &Branch,
        needle: &str,
        expect: usize,
    ) -> Result<Option<Vec<User>>, StoreError> {
        if b.expiry == Expiry::Expired {
            let keys = self.unswept(c, b, Some(needle)).await?;
            return self.users_by_keys(c, &keys).await.map(Some);
        }
        let mut keys: Vec<i64> = Vec::new();
        let mut examined = 0;
        let mut bound = self.bound.cloned();
        let mut batch = expect.clamp(self.want, WALK_BATCH);
        loop {
            let mut qb = QueryBuilder::new("SELECT key, email_norm, strpos(search_blob, ");
            qb.push_bind(needle.to_owned())
                .push(") > 0 FROM users WHERE tenant_key = ")
                .push_bind(self.tk)
                .push(" AND ");
            push_branch(&mut qb, b, self.now);
            Bound::push(bound.as_ref(), &mut qb);
            self.push_order(&mut qb, batch);
            let rows: Vec<(i64, String, bool)> = qb
                .build_query_as()
                .fetch_all(&mut *c)
                .await
                .map_err(unavailable)?;
            let exhausted = rows.len() < batch;
            bound = rows.last().map(|(_, e, _)| Bound::new(self.dir, e));
            for (key, _, hit) in rows {
                examined += 1;
                if examined > WALK_CAP {
                    return Ok(None);
                }
                if hit {
                    keys.push(key);
                    if keys.len() >= self.want {
                        return self.users_by_keys(c, &keys).await.map(Some);
                    }
                }
            }
            if exhausted {
                return self.users_by_keys(c, &keys).await.map(Some);
            }
            batch = (batch * 2).min(WALK_BATCH);
        }
    }

    /// The users with these keys, in the order of `keys`.
    async fn users_by_keys(
        &self,
        c: &mut PgConnection,
        keys: &[i64],
    ) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE key = ANY($1)"
        ))
        .bind(keys)
        .fetch_all(&mut *c)
        .await
        .map_err(unavailable)?;
        let mut by_key: HashMap<i64, User> = HashMap::with_capacity(rows.len());
        for r in &rows {
            let s = stored_user(r, self.tenant_id)?;
            by_key.insert(s.key, s.user);
        }
        Ok(keys.iter().filter_map(|k| by_key.remove(k)).collect())
    }

    /// Up to `want` matching users from the search index.
    async fn search_index(
        &self,
        c: &mut PgConnection,
        q: &UserQuery,
        p: &SearchPrefix,
    ) -> Result<Vec<User>, StoreError> {
        let batch = self.want * 4;
        let mut keys: Vec<i64> = Vec::new();
        let mut seen: HashSet<i64> = HashSet::new();
        let mut bound = self.bound.cloned();
        loop {
            let mut qb = QueryBuilder::new(
                "SELECT user_key, email_norm FROM user_search WHERE tenant_key = ",
            );
            qb.push_bind(self.tk);
            push_search_range(&mut qb, p);
            qb.push(" AND weight > 0 AND ");
            push_branches(&mut qb, q);
            Bound::push(bound.as_ref(), &mut qb);
            self.push_order(&mut qb, batch);
            let got: Vec<(i64, String)> = qb
                .build_query_as()
                .fetch_all(&mut *c)
                .await
                .map_err(unavailable)?;
            let exhausted = got.len() < batch;
            bound = got.last().map(|(_, e)| Bound::new(self.dir, e));
            for (k, _) in got {
                if seen.insert(k) {
                    keys.push(k);
                }
            }
            if keys.len() >= self.want || exhausted {
                break;
            }
        }
        keys.truncate(self.want);
        self.users_by_keys(c, &keys).await
    }
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

pub(crate) async fn list_users(
    pool: &PgPool,
    tk: i64,
    tenant_id: TenantId,
    q: &UserQuery,
) -> Result<Page<User>, StoreError> {
    // One snapshot for the total and the page.
    let mut tx = pool
        .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .await
        .map_err(unavailable)?;
    let page = page(&mut tx, tk, tenant_id, q).await?;
    tx.commit().await.map_err(unavailable)?;
    Ok(page)
}

async fn page(
    c: &mut PgConnection,
    tk: i64,
    tenant_id: TenantId,
    q: &UserQuery,
) -> Result<Page<User>, StoreError> {
    if super::scoped::is_narrowed(q) {
        return super::scoped::page(c, tk, tenant_id, q).await;
    }
    let key = |u: &User| u.email.normalized().to_owned();
    let total = match &q.search {
        None => super::totals::count_plain(c, tk, q).await?,
        Some(p) => super::totals::count_search(c, tk, q, p).await?,
    }
    .max(0);
    if total == 0 {
        return Ok(Page::from_window(Vec::new(), 0, 0, &q.cursor, key));
    }
    let (dir, bound) = start(&q.cursor);
    let limit = q.limit as usize;
    let scan = Scan::of_page(tk, tenant_id, q, dir, bound.as_ref());
    let found = match &q.search {
        None => {
            // Filtered by mfa alone, one read in email order beats one per
            // state and archived flag: enrolled users have an index of
            // their own (users_mfa_email), and the others are read from the
            // email index skipping enrolled ones, unless they are so rare
            // that the ranges read fewer rows.
            let ranges = q.ranges();
            let branches = q.branches();
            let one_read = match q.mfa {
                Some(false) if branches.iter().all(Branch::spans_states) => {
                    let everyone = UserQuery {
                        mfa: None,
                        ..q.clone()
                    };
                    let everyone = super::totals::count_plain(c, tk, &everyone).await?;
                    total.saturating_mul(ranges.len() as i64) > everyone
                }
                Some(true) => branches.iter().all(Branch::spans_states),
                _ => false,
            };
            let all = scan
                .walk(c, if one_read { &branches } else { &ranges })
                .await?;
            merge(all, dir, scan.want)
        }
        Some(p) => {
            // The rows each way reads, from counters: the index path every
            // search row of the prefix (with the filters but whatever the
            // mfa filter, tested row by row), a walk want × population /
            // total users.
            let filtered = super::totals::count_plain(c, tk, q).await?.max(0) as u64;
            let (everyone, index_rows) = match q.mfa {
                None => (filtered, total as u64),
                Some(_) => {
                    let unfiltered = UserQuery {
                        mfa: None,
                        ..q.clone()
                    };
                    (
                        super::totals::count_plain(c, tk, &unfiltered).await?.max(0) as u64,
                        super::totals::count_search(c, tk, &unfiltered, p)
                            .await?
                            .max(total) as u64,
                    )
                }
            };
            // Enrolled users have an index of their own (users_mfa_email).
            let all = if q.mfa == Some(true) {
                filtered
            } else {
                everyone
            };
            let path = q.search_path(total as u64, index_rows, all, filtered, scan.want, COSTS);
            let (walks, population) = match path {
                SearchPath::WalkAll => (q.branches(), all),
                SearchPath::WalkRanges => (q.ranges(), filtered),
                SearchPath::Index => (Vec::new(), 0),
            };
            // Rows a walk is expected to read before `want` matches.
            let expect = (scan.want as u64 * population / total.max(1) as u64) as usize * 5 / 4;
            let walked = if walks.is_empty() {
                None
            } else {
                let needle = p.needle();
                let mut all = Some(Vec::new());
                for b in walks {
                    match (
                        scan.walk_search(c, &b, &needle, expect).await?,
                        all.as_mut(),
                    ) {
                        (Some(users), Some(acc)) => acc.extend(users),
                        _ => {
                            all = None;
                            break;
                        }
                    }
                }
                all.map(|a| merge(a, dir, scan.want))
            };
            match walked {
                Some(users) => users,
                None => scan.search_index(c, q, p).await?,
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
