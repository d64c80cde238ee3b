//! What a scoped admin (see `usher_core::scope`) sees of the users: the
//! members of one group, or the users with one value of a custom
//! attribute, under the list's filters and search. The scope is tested in
//! the database at every read, so a user who leaves the group, or whose
//! attribute changes, drops out of the view with that write.
//!
//! Either scope is one range of an index naming its users: a group's rows
//! in `group_members`, an attribute value's in `user_attribute_index`
//! (name and value folded with lower(), which every write of a value keeps
//! current). Totals and pages are read from that range, joined to the
//! users. The counters and search heads total the whole tenant, not a
//! scope, so the total is counted from the range itself (only the range
//! when neither a filter nor a search needs the users'). A page is one
//! keyset query in email order. The SQLite store chooses between walking
//! the email index testing each user and reading the whole scope and
//! sorting it; here the planner weighs the same two ways. It can only when
//! it sees the range's bounds as values: given a group as a subquery, it
//! walked the email index for a group of 200 out of 100,000 users (10,500
//! rows, 7 ms, and every user for a group of one), where reading the
//! members and sorting them takes a tenth of that. So a page looks the
//! group's key up first.

use super::list::{Bound, Scan, push_branches, start};
use super::rows::user_columns;
use super::search::attribute_sql;
use super::totals::scalar;
use crate::error::{has_nul, unavailable};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use usher_core::listing::{Branch, Page, UserQuery};
use usher_core::scope::AdminScope;
use usher_core::user::User;
use usher_core::{StoreError, TenantId, UserId};

/// A scope as the queries read it: one range of an index whose rows name
/// the scope's users by `user_key`, so that groups and attribute values
/// are read alike.
#[derive(Debug, Clone)]
enum Within<'a> {
    /// The member rows of the group with this key.
    Group(i64),
    /// The index entries of the attribute with this lower-case name that
    /// hold this value, ignoring case.
    Attribute { name_key: String, equals: &'a str },
}

impl<'a> Within<'a> {
    /// `None` when the scope is of nobody: its group is no longer the
    /// tenant's, or no user can hold its attribute value.
    async fn of(
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

    /// Pushes `<the index> d WHERE <the scope's range of d>`. An
    /// attribute's value is folded with lower(), as the writes fold the
    /// stored ones (and as SCIM filters fold, see `search`).
    fn push_range(&self, qb: &mut QueryBuilder<Postgres>, tk: i64, join_users: bool) {
        qb.push(match self {
            Within::Group(_) => "group_members d",
            Within::Attribute { .. } => "user_attribute_index d",
        });
        if join_users {
            qb.push(" JOIN users ON users.key = d.user_key");
        }
        match self {
            Within::Group(key) => {
                qb.push(" WHERE d.group_key = ").push_bind(*key);
            }
            Within::Attribute { name_key, equals } => {
                qb.push(" WHERE d.tenant_key = ")
                    .push_bind(tk)
                    .push(" AND d.name_key = ")
                    .push_bind(name_key.clone())
                    .push(" AND d.value_fold = lower(")
                    .push_bind((*equals).to_owned())
                    .push(")");
            }
        }
    }
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
            Some(within) => {
                qb.push("users.key IN (SELECT d.user_key FROM ");
                within.push_range(qb, tk, false);
                qb.push(")");
            }
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

/// Pushes the `FROM … WHERE …` of the users of the scope that `q`
/// selects, the cursor aside, read from the scope's index range.
fn push_selection(qb: &mut QueryBuilder<Postgres>, tk: i64, q: &UserQuery, within: &Within<'_>) {
    qb.push(" FROM ");
    within.push_range(qb, tk, true);
    qb.push(" AND users.tenant_key = ")
        .push_bind(tk)
        .push(" AND ");
    push_branches(qb, q);
    if let Some(p) = &q.search {
        qb.push(" AND strpos(users.search_blob, ")
            .push_bind(p.needle())
            .push(") > 0");
    }
}

/// The exact total of `q` within the scope.
async fn total(
    c: &mut PgConnection,
    tk: i64,
    q: &UserQuery,
    within: &Within<'_>,
) -> Result<u64, StoreError> {
    let plain = q.search.is_none() && q.branches().iter().all(Branch::is_unfiltered);
    let mut qb = QueryBuilder::new("SELECT count(*)");
    if plain {
        // Every row of the range is a user of the tenant: the range alone.
        qb.push(" FROM ");
        within.push_range(&mut qb, tk, false);
    } else {
        push_selection(&mut qb, tk, q, within);
    }
    Ok(scalar(c, qb).await?.max(0) as u64)
}

/// One page of `q` within `scope` with its total, in the caller's snapshot.
pub(super) async fn page(
    c: &mut PgConnection,
    tk: i64,
    tenant_id: TenantId,
    q: &UserQuery,
    scope: &AdminScope,
) -> Result<Page<User>, StoreError> {
    let key = |u: &User| u.email.normalized().to_owned();
    let within = Within::of(c, tk, scope).await?;
    let total = match &within {
        Some(within) => total(c, tk, q, within).await?,
        None => 0,
    };
    let Some(within) = within.filter(|_| total > 0) else {
        return Ok(Page::from_window(Vec::new(), 0, 0, &q.cursor, key));
    };
    let (dir, bound) = start(&q.cursor);
    let limit = q.limit as usize;
    let scan = Scan {
        tk,
        tenant_id,
        now: q.now,
        dir,
        bound: bound.as_ref(),
        want: limit + 1,
    };
    // `email_norm` is COLLATE "C" (the column's own), so the bound and the
    // order compare code points, as everywhere else in the list.
    let mut qb = QueryBuilder::new(concat!("SELECT ", user_columns!()));
    push_selection(&mut qb, tk, q, &within);
    Bound::push(scan.bound, &mut qb);
    scan.push_order(&mut qb, scan.want);
    let rows = qb.build().fetch_all(&mut *c).await.map_err(unavailable)?;
    let found = scan.users(&rows)?;
    Ok(Page::from_window(found, limit, total, &q.cursor, key))
}
