//! SCIM queries of users: a [`Cond`] rendered as SQL over the users table.
//!
//! The same rules as the SQLite store's rendering: `userName` has an index
//! of its own (`users_user_name`); text compares in code point order
//! (`COLLATE "C"`, which `email_norm` and `username_norm` have, so their
//! ranges are index ranges); an unset value matches no comparison, and
//! under `not` a NULL test counts as false. Case-insensitive tests of
//! columns not stored folded use `lower()`, which folds like Rust's case
//! folding for everything but a few special cases (ß, final sigma).

use crate::error::unavailable;
use crate::users::rows::{stored_user, user_columns};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder, Transaction};
use usher_core::scim::query::{
    Cond, OrderOp, SortKey, Text, TextColumn, TextOp, TimeColumn, UserSearch,
};
use usher_core::search::prefix_upper;
use usher_core::user::{User, UserState};
use usher_core::{StoreError, TenantId};

type Sql = QueryBuilder<Postgres>;

fn column(c: TextColumn) -> &'static str {
    match c {
        TextColumn::EmailNorm => "email_norm",
        TextColumn::UsernameNorm => "username_norm",
        TextColumn::UserName => "coalesce(username_norm, email_norm)",
        TextColumn::PersonalEmail => "personal_email",
        TextColumn::FirstName => "first_name",
        TextColumn::LastName => "last_name",
        TextColumn::DisplayName => "display_name",
        TextColumn::Phone => "phone",
        TextColumn::ExternalId => "external_id",
        TextColumn::Language => "language",
        TextColumn::GroupName => "name_norm",
    }
}

/// A custom attribute's value in the users table; `None` for a name no
/// definition can have. Defined names are `[A-Za-z0-9_]{1,30}`: safe as a
/// literal key.
pub(crate) fn attribute_sql(name: &str) -> Option<String> {
    name.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        .then(|| format!("(attributes ->> '{name}')"))
}

fn text_sql(text: &Text, fold: bool) -> String {
    let raw = match text {
        Text::Column(c) => column(*c).to_owned(),
        Text::Attribute(name) => attribute_sql(name).unwrap_or_else(|| "NULL::text".to_owned()),
    };
    let stored_folded = matches!(
        text,
        Text::Column(
            TextColumn::EmailNorm
                | TextColumn::UsernameNorm
                | TextColumn::UserName
                | TextColumn::GroupName
        )
    );
    if fold && !stored_folded {
        format!("lower({raw})")
    } else {
        raw
    }
}

fn compare(sql: &mut Sql, x: &str, op: TextOp, value: &str) {
    let v = value.to_owned();
    // userName's expression already sorts bytewise and must stay as the
    // index users_user_name has it.
    let collate = if x == column(TextColumn::UserName) {
        ""
    } else {
        " COLLATE \"C\""
    };
    let cmp = |sql: &mut Sql, op: &str, v: String| {
        sql.push(format!("({x}{collate} {op} "));
        sql.push_bind(v);
        sql.push(")");
    };
    match op {
        TextOp::Eq => cmp(sql, "=", v),
        TextOp::Ne => cmp(sql, "<>", v),
        TextOp::Gt => cmp(sql, ">", v),
        TextOp::Ge => cmp(sql, ">=", v),
        TextOp::Lt => cmp(sql, "<", v),
        TextOp::Le => cmp(sql, "<=", v),
        TextOp::Co => {
            sql.push(format!("(strpos({x}, "));
            sql.push_bind(v);
            sql.push(") > 0)");
        }
        TextOp::Sw => match prefix_upper(value) {
            Some(upper) => {
                sql.push("(");
                cmp(sql, ">=", v);
                sql.push(" AND ");
                cmp(sql, "<", upper);
                sql.push(")");
            }
            None => cmp(sql, ">=", v),
        },
        TextOp::Ew => {
            let n = value.chars().count();
            if n == 0 {
                sql.push(format!("({x} IS NOT NULL)"));
                return;
            }
            sql.push(format!("(right({x}, {n}) = "));
            sql.push_bind(v);
            sql.push(")");
        }
    }
}

fn render(sql: &mut Sql, cond: &Cond) {
    let list = |sql: &mut Sql, parts: &[Cond], sep: &str| {
        sql.push("(");
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                sql.push(sep);
            }
            render(sql, p);
        }
        sql.push(")");
    };
    match cond {
        Cond::Const(true) => {
            sql.push("TRUE");
        }
        Cond::Const(false) => {
            sql.push("FALSE");
        }
        Cond::And(parts) => list(sql, parts, " AND "),
        Cond::Or(parts) => list(sql, parts, " OR "),
        Cond::Not(inner) => {
            sql.push("NOT coalesce(");
            render(sql, inner);
            sql.push(", FALSE)");
        }
        Cond::Present(text) => {
            let x = text_sql(text, false);
            sql.push(format!("({x} IS NOT NULL AND {x} <> '')"));
        }
        Cond::Text {
            text,
            op,
            value,
            fold,
        } => {
            let x = text_sql(text, *fold);
            compare(sql, &x, *op, value);
        }
        Cond::Time { column, op, value } => {
            let col = match column {
                TimeColumn::CreatedAt => "created_at",
                TimeColumn::UpdatedAt => "updated_at",
            };
            let op = match op {
                OrderOp::Eq => "=",
                OrderOp::Ne => "<>",
                OrderOp::Gt => ">",
                OrderOp::Ge => ">=",
                OrderOp::Lt => "<",
                OrderOp::Le => "<=",
            };
            sql.push(format!("({col} {op} "));
            sql.push_bind(*value);
            sql.push(")");
        }
        Cond::Id(id) => {
            sql.push("(id = ");
            sql.push_bind(*id);
            sql.push(")");
        }
        Cond::Active(active) => {
            let op = if *active { "<>" } else { "=" };
            sql.push(format!("(state {op} {})", UserState::Disabled.code()));
        }
        // Only group conditions name members; `groups.key` is the row.
        Cond::Member(None) => {
            sql.push("EXISTS (SELECT 1 FROM group_members m WHERE m.group_key = groups.key)");
        }
        Cond::Member(Some(id)) => {
            sql.push(
                "EXISTS (SELECT 1 FROM group_members m JOIN users u ON u.key = m.user_key \
                 WHERE m.group_key = groups.key AND u.id = ",
            );
            sql.push_bind(*id);
            sql.push(")");
        }
        // Only user conditions name roles; `users.key` is the row. The
        // assignments' key (user, role) makes each test one index probe.
        Cond::Role(key) => {
            sql.push(
                "EXISTS (SELECT 1 FROM user_roles ur JOIN roles r \
                 ON r.tenant_key = ur.tenant_key AND r.name_key = ur.role_key \
                 WHERE ur.user_key = users.key AND NOT r.built_in",
            );
            if let Some(k) = key {
                sql.push(" AND ur.role_key = ");
                sql.push_bind(k.clone());
            }
            sql.push(")");
        }
    }
}

pub(crate) fn order_by(sort: &SortKey, descending: bool) -> String {
    let dir = if descending { "DESC" } else { "ASC" };
    match sort {
        SortKey::Id => format!("id {dir}"),
        SortKey::Time(TimeColumn::CreatedAt) => format!("created_at {dir}, id {dir}"),
        SortKey::Time(TimeColumn::UpdatedAt) => format!("updated_at {dir}, id {dir}"),
        // Never unset, and indexed (users_user_name).
        SortKey::Text(Text::Column(TextColumn::UserName)) => {
            format!("coalesce(username_norm, email_norm) {dir}, id {dir}")
        }
        SortKey::Text(text) => {
            let fold = !matches!(text, Text::Column(TextColumn::ExternalId));
            let x = text_sql(text, fold);
            // Unset values last when ascending (RFC 7644 §3.4.2.3).
            let nulls = if descending {
                "NULLS FIRST"
            } else {
                "NULLS LAST"
            };
            format!("{x} COLLATE \"C\" {dir} {nulls}, id {dir}")
        }
    }
}

/// `head FROM table WHERE tenant_key = tk AND cond`.
fn filtered_on(head: &str, table: &str, tk: i64, cond: &Cond) -> Sql {
    let mut sql = QueryBuilder::new(head);
    sql.push(format!(" FROM {table} WHERE tenant_key = "));
    sql.push_bind(tk);
    sql.push(" AND ");
    render(&mut sql, cond);
    sql
}

/// A read-only transaction with one snapshot for a total and its window.
pub(crate) async fn snapshot(pool: &PgPool) -> Result<Transaction<'static, Postgres>, StoreError> {
    pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .await
        .map_err(unavailable)
}

/// The total of the rows of `table` (`users` or `groups`) that `q`
/// selects, and one window of them with `columns`.
pub(crate) async fn window(
    c: &mut PgConnection,
    table: &str,
    columns: &str,
    tk: i64,
    q: &UserSearch,
) -> Result<(u64, Vec<PgRow>), StoreError> {
    let mut count = filtered_on("SELECT count(*)", table, tk, &q.cond);
    let total: i64 = count
        .build_query_scalar()
        .fetch_one(&mut *c)
        .await
        .map_err(unavailable)?;
    let total = u64::try_from(total).unwrap_or(0);
    if q.limit == 0 || q.offset >= total {
        return Ok((total, Vec::new()));
    }
    let mut page = filtered_on(&format!("SELECT {columns}"), table, tk, &q.cond);
    page.push(" ORDER BY ");
    page.push(order_by(&q.sort, q.descending));
    page.push(" LIMIT ");
    page.push_bind(i64::from(q.limit));
    page.push(" OFFSET ");
    page.push_bind(i64::try_from(q.offset).unwrap_or(i64::MAX));
    let rows = page.build().fetch_all(&mut *c).await.map_err(unavailable)?;
    Ok((total, rows))
}

/// The total of matching users and one window of them, in one snapshot.
pub(crate) async fn search_users(
    pool: &PgPool,
    tk: i64,
    tenant_id: TenantId,
    q: &UserSearch,
) -> Result<(u64, Vec<User>), StoreError> {
    let mut tx = snapshot(pool).await?;
    let (total, rows) = window(&mut tx, "users", user_columns!(), tk, q).await?;
    let users = rows
        .iter()
        .map(|r| stored_user(r, tenant_id).map(|s| s.user))
        .collect::<Result<Vec<User>, StoreError>>()?;
    tx.commit().await.map_err(unavailable)?;
    Ok((total, users))
}
