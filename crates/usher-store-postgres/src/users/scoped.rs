//! Lists narrowed to sets of users: what a scoped admin (see
//! `usher_core::scope`) sees, the members of one group or the users with
//! one value of a custom attribute, and the `role` filter, the holders of
//! one role; either or both, under the list's other filters and search.
//! The sets are tested in the database at every read, so a user who leaves
//! the group, whose attribute changes or who loses the role drops out of
//! the view with that write.
//!
//! Every set is one range of an index naming its users: a group's rows in
//! `group_members`, an attribute value's in `user_attribute_index` (name
//! and value folded with lower(), which every write of a value keeps
//! current), a role's in `user_roles`. The counters and search heads total
//! the whole tenant, not a set, so the total is counted from the sets
//! themselves: each range is counted first (an index-only count); with one
//! set and neither a filter nor a search that count is the total, else the
//! smallest set's range is joined to the users, testing the filters, the
//! search and membership of the other sets (one index seek each). A page
//! is one keyset query in email order, read from the smallest set. The
//! SQLite store chooses between walking the email index testing each user
//! and reading the whole set and sorting it; here the planner weighs the
//! same two ways. It can only when it sees the range's bounds as values:
//! given a group as a subquery, it walked the email index for a group of
//! 200 out of 100,000 users (10,500 rows, 7 ms, and every user for a group
//! of one), where reading the members and sorting them takes a tenth of
//! that. So a page looks the group's key up first.
//!
//! The last-login filters are a set too (a range of `users_last_login`),
//! and so is a search limited to some properties (`fields=`): its
//! candidates from the indexes of `conds.rs`. The search heads count every
//! term, so such a search is totalled here even with no other set.

use super::conds::{push_field_candidates, push_field_search, push_login};
use super::list::{Bound, Scan, push_branches, start};
use super::rows::user_columns;
use super::search::attribute_sql;
use super::totals::scalar;
use crate::error::{has_nul, unavailable};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use usher_core::list_filters::{LoginTest, SearchFields};
use usher_core::listing::{Branch, Page, UserQuery};
use usher_core::scope::AdminScope;
use usher_core::search::SearchPrefix;
use usher_core::user::User;
use usher_core::{StoreError, TenantId, UserId};

/// A set of users as the queries read it: one range of an index whose
/// rows name the set's users by `user_key`, so that every kind of set is
/// read alike.
#[derive(Debug, Clone)]
enum Within<'a> {
    /// The member rows of the group with this key.
    Group(i64),
    /// The index entries of the attribute with this lower-case name that
    /// hold this value, ignoring case.
    Attribute { name_key: String, equals: &'a str },
    /// The assignments of the role with this key (see
    /// `usher_core::role::RoleName::key`).
    Role(String),
    /// The users whose last login passes a test (the users table itself,
    /// by `users_last_login`).
    Login(LoginTest),
    /// The candidates of a search limited to some properties; each is
    /// tested with the search itself (see [`push_selection`]).
    Candidates(&'a SearchPrefix, &'a SearchFields),
}

impl<'a> Within<'a> {
    /// `None` when the scope is of nobody: its group is no longer the
    /// tenant's, or no user can hold its attribute value.
    async fn scope(
        c: &mut PgConnection,
        tk: i64,
        scope: &'a AdminScope,
    ) -> Result<Option<Self>, StoreError> {
        match scope {
            AdminScope::Group { id, .. } => {
                let key: Option<i64> =
                    sqlx::query_scalar("SELECT key FROM groups WHERE id = $1 AND tenant_key = $2")
                        .bind(id.uuid())
                        .bind(tk)
                        .fetch_optional(&mut *c)
                        .await
                        .map_err(unavailable)?;
                Ok(key.map(Within::Group))
            }
            AdminScope::Attribute { name, equals } => Ok(Self::attribute(name, equals)),
        }
    }

    /// An attribute scope's entries; `None` for a name no definition can
    /// have, or a value holding NUL (which no stored value holds, and
    /// PostgreSQL text cannot bind).
    fn attribute(name: &str, equals: &'a str) -> Option<Self> {
        (attribute_sql(name).is_some() && !has_nul(equals)).then(|| Within::Attribute {
            name_key: name.to_ascii_lowercase(),
            equals,
        })
    }

    /// Pushes `<the index> <alias>`, the table the set's rows are in, each
    /// naming its user in `user_key`.
    fn push_table(&self, qb: &mut QueryBuilder<Postgres>, tk: i64, alias: &str) {
        match self {
            Within::Group(_) => qb.push("group_members "),
            Within::Attribute { .. } => qb.push("user_attribute_index "),
            Within::Role(_) => qb.push("user_roles "),
            // Named apart from the columns of `users`, which a page selects
            // unqualified.
            Within::Login(_) => qb.push(
                "(SELECT key AS user_key, tenant_key AS login_tenant_key, \
                 last_login_at AS login_at FROM users) ",
            ),
            // One row a user, as the other tables have.
            Within::Candidates(p, fields) => {
                qb.push("(SELECT DISTINCT user_key FROM (");
                push_field_candidates(qb, tk, p, fields);
                qb.push(") c) ")
            }
        };
        qb.push(alias);
    }

    /// Pushes the condition that a row `<alias>` of the table is in the
    /// set's range. An attribute's value is folded with lower(), as the
    /// writes fold the stored ones (and as SCIM filters fold, see
    /// `search`).
    fn push_cond(&self, qb: &mut QueryBuilder<Postgres>, tk: i64, alias: &str) {
        match self {
            Within::Group(key) => {
                qb.push(format_args!("{alias}.group_key = "))
                    .push_bind(*key);
            }
            Within::Attribute { name_key, equals } => {
                qb.push(format_args!("{alias}.tenant_key = "))
                    .push_bind(tk)
                    .push(format_args!(" AND {alias}.name_key = "))
                    .push_bind(name_key.clone())
                    .push(format_args!(" AND {alias}.value_fold = lower("))
                    .push_bind((*equals).to_owned())
                    .push(")");
            }
            Within::Role(key) => {
                qb.push(format_args!("{alias}.tenant_key = "))
                    .push_bind(tk)
                    .push(format_args!(" AND {alias}.role_key = "))
                    .push_bind(key.clone());
            }
            Within::Login(test) => {
                qb.push(format_args!("{alias}.login_tenant_key = "))
                    .push_bind(tk)
                    .push(" AND ");
                push_login(qb, *test, &format!("{alias}.login_at"));
            }
            // The candidates are the tenant's already.
            Within::Candidates(..) => {
                qb.push("TRUE");
            }
        }
    }

    /// Pushes the condition that the `users` row is in the set: one index
    /// seek.
    fn push_member(&self, qb: &mut QueryBuilder<Postgres>, tk: i64) {
        match self {
            Within::Login(test) => return push_login(qb, *test, "users.last_login_at"),
            // The selection tests the search on every row.
            Within::Candidates(..) => {
                qb.push("TRUE");
                return;
            }
            _ => {}
        }
        qb.push("EXISTS (SELECT 1 FROM ");
        self.push_table(qb, tk, "m");
        qb.push(" WHERE m.user_key = users.key AND ");
        self.push_cond(qb, tk, "m");
        qb.push(")");
    }

    /// The number of the set's rows, each a user of the tenant.
    async fn size(&self, c: &mut PgConnection, tk: i64) -> Result<u64, StoreError> {
        let mut qb = QueryBuilder::new("SELECT count(*) FROM ");
        self.push_table(&mut qb, tk, "d");
        qb.push(" WHERE ");
        self.push_cond(&mut qb, tk, "d");
        Ok(scalar(c, qb).await?.max(0) as u64)
    }
}

/// Whether `q` is narrowed to a set or searches some properties only, and
/// so is read here.
pub(super) fn is_narrowed(q: &UserQuery) -> bool {
    q.scope.is_some() || q.role.is_some() || !q.last_login.is_empty() || q.field_search().is_some()
}

/// The sets `q` is narrowed to; `None` when one of them is of nobody.
async fn sets<'a>(
    c: &mut PgConnection,
    tk: i64,
    q: &'a UserQuery,
) -> Result<Option<Vec<Within<'a>>>, StoreError> {
    let mut sets = Vec::new();
    if let Some(scope) = &q.scope {
        match Within::scope(c, tk, scope).await? {
            Some(s) => sets.push(s),
            None => return Ok(None),
        }
    }
    if let Some(role) = &q.role {
        // A role name is ASCII letters, digits, `_`, `.` and `-`.
        sets.push(Within::Role(role.key()));
    }
    if let Some(test) = q.last_login.test() {
        sets.push(Within::Login(test));
    }
    if let Some((p, fields)) = q.field_search() {
        sets.push(Within::Candidates(p, fields));
    }
    Ok(Some(sets))
}

/// Pushes the condition that the `users` row is in `scope`.
fn push_scope(qb: &mut QueryBuilder<Postgres>, tk: i64, scope: &AdminScope) {
    match scope {
        AdminScope::Group { id, .. } => {
            qb.push(
                "EXISTS (SELECT 1 FROM group_members m WHERE m.user_key = users.key \
                 AND m.group_key = (SELECT key FROM groups WHERE id = ",
            )
            .push_bind(id.uuid())
            .push("))");
        }
        AdminScope::Attribute { name, equals } => match Within::attribute(name, equals) {
            Some(within) => within.push_member(qb, tk),
            None => {
                qb.push("FALSE");
            }
        },
    }
}

/// Whether the tenant's user `user_id` is in `scope` (false for a user the
/// tenant does not have).
pub(super) async fn in_scope(
    pool: &PgPool,
    tk: i64,
    user_id: UserId,
    scope: &AdminScope,
) -> Result<bool, StoreError> {
    let mut qb = QueryBuilder::new("SELECT EXISTS (SELECT 1 FROM users WHERE id = ");
    qb.push_bind(user_id.uuid())
        .push(" AND tenant_key = ")
        .push_bind(tk)
        .push(" AND ");
    push_scope(&mut qb, tk, scope);
    qb.push(")");
    qb.build_query_scalar()
        .fetch_one(pool)
        .await
        .map_err(unavailable)
}

/// Pushes the `FROM … WHERE …` of the users that `q` selects, the cursor
/// aside, read from the range of `sets[from]`: the filters, the search and
/// membership of every other set tested on each.
fn push_selection(
    qb: &mut QueryBuilder<Postgres>,
    tk: i64,
    q: &UserQuery,
    sets: &[Within<'_>],
    from: usize,
) {
    qb.push(" FROM ");
    sets[from].push_table(qb, tk, "d");
    qb.push(" JOIN users ON users.key = d.user_key WHERE ");
    sets[from].push_cond(qb, tk, "d");
    qb.push(" AND users.tenant_key = ")
        .push_bind(tk)
        .push(" AND ");
    push_branches(qb, q);
    for (i, set) in sets.iter().enumerate() {
        if i != from {
            qb.push(" AND ");
            set.push_member(qb, tk);
        }
    }
    match (&q.search, q.field_search()) {
        (_, Some((p, fields))) => {
            qb.push(" AND ");
            push_field_search(qb, p, fields);
        }
        (Some(p), None) => {
            qb.push(" AND strpos(users.search_blob, ")
                .push_bind(p.needle())
                .push(") > 0");
        }
        (None, None) => {}
    }
}

/// The exact total of `q` within `sets`, and the set a page is read from:
/// the smallest.
async fn total(
    c: &mut PgConnection,
    tk: i64,
    q: &UserQuery,
    sets: &[Within<'_>],
) -> Result<(u64, usize), StoreError> {
    let mut smallest = (0, u64::MAX);
    for (i, set) in sets.iter().enumerate() {
        let size = set.size(c, tk).await?;
        if size < smallest.1 {
            smallest = (i, size);
        }
    }
    let (from, size) = smallest;
    let plain = q.search.is_none() && q.branches().iter().all(Branch::is_unfiltered);
    if size == 0 || (plain && sets.len() == 1) {
        // Every row of the range is a user of the tenant: the range alone.
        return Ok((size, from));
    }
    let mut qb = QueryBuilder::new("SELECT count(*)");
    push_selection(&mut qb, tk, q, sets, from);
    Ok((scalar(c, qb).await?.max(0) as u64, from))
}

/// One page of `q` within its sets with its total, in the caller's
/// snapshot.
pub(super) async fn page(
    c: &mut PgConnection,
    tk: i64,
    tenant_id: TenantId,
    q: &UserQuery,
) -> Result<Page<User>, StoreError> {
    let key = |u: &User| u.email.normalized().to_owned();
    // No sets: one of them is of nobody.
    let sets = sets(c, tk, q).await?.unwrap_or_default();
    let (total, from) = if sets.is_empty() {
        (0, 0)
    } else {
        total(c, tk, q, &sets).await?
    };
    if total == 0 {
        return Ok(Page::from_window(Vec::new(), 0, 0, &q.cursor, key));
    }
    let (dir, bound) = start(&q.cursor);
    let limit = q.limit as usize;
    let scan = Scan::of_page(tk, tenant_id, q, dir, bound.as_ref());
    // `email_norm` is COLLATE "C" (the column's own), so the bound and the
    // order compare code points, as everywhere else in the list.
    let mut qb = QueryBuilder::new(concat!("SELECT ", user_columns!()));
    push_selection(&mut qb, tk, q, &sets, from);
    Bound::push(scan.bound, &mut qb);
    scan.push_order(&mut qb, scan.want);
    let rows = qb.build().fetch_all(&mut *c).await.map_err(unavailable)?;
    let found = scan.users(&rows)?;
    Ok(Page::from_window(found, limit, total, &q.cursor, key))
}
