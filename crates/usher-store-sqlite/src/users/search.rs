//! SCIM queries of users: a [`Cond`] rendered as SQL over the users table.
//!
//! `userName` (the username where set, else the email) has an index of its
//! own (`users_user_name`), so `userName eq` and `userName sw` read one
//! index range, and pages in userName order (the default) read only their
//! rows; `sw` on any column is a range of
//! code points (the BINARY collation compares UTF-8 bytes, which is code
//! point order). Case-insensitive tests of columns that are not stored
//! folded go through `usher_fold`, the same Unicode case folding the
//! `_norm` columns were made with (registered on every connection).
//!
//! NULL (an unset attribute) matches no comparison, `ne` included, like
//! the reference evaluator; under `not` a NULL test counts as false, so
//! `not (title eq "x")` matches users without a title.

use crate::conn::DbResult;
use crate::users::rows::{USER_COLUMNS, stored_user};
use rusqlite::Connection;
use rusqlite::types::Value;
use usher_core::TenantId;
use usher_core::clock::to_micros;
use usher_core::scim::query::{
    Cond, OrderOp, SortKey, Text, TextColumn, TextOp, TimeColumn, UserSearch,
};
use usher_core::search::prefix_upper;
use usher_core::user::{User, UserState};

/// Registers `usher_fold(text)` on a connection.
pub(crate) fn register_functions(c: &Connection) -> DbResult<()> {
    use rusqlite::functions::FunctionFlags;
    c.create_scalar_function(
        "usher_fold",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let v: Option<String> = ctx.get(0)?;
            Ok(v.map(|s| usher_core::user::fields::fold_case(&s)))
        },
    )
}

pub(crate) struct Sql {
    pub(crate) text: String,
    pub(crate) params: Vec<Value>,
}

impl Sql {
    fn param(&mut self, v: Value) -> String {
        self.params.push(v);
        format!("?{}", self.params.len())
    }
}

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

/// The SQL of a text, folded when asked and not stored folded.
fn text_sql(text: &Text, fold: bool) -> String {
    let raw = match text {
        Text::Column(c) => column(*c).to_owned(),
        // Defined names are `[A-Za-z0-9_]{1,30}`, so they can stand in
        // the JSON path as they are; anything else matches nothing.
        Text::Attribute(name) if name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') => {
            format!("json_extract(attributes, '$.\"{name}\"')")
        }
        Text::Attribute(_) => "NULL".to_owned(),
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
        format!("usher_fold({raw})")
    } else {
        raw
    }
}

fn compare(sql: &mut Sql, x: &str, op: TextOp, value: &str) -> String {
    match op {
        TextOp::Eq => format!("{x} = {}", sql.param(Value::Text(value.to_owned()))),
        TextOp::Ne => format!("{x} <> {}", sql.param(Value::Text(value.to_owned()))),
        TextOp::Gt => format!("{x} > {}", sql.param(Value::Text(value.to_owned()))),
        TextOp::Ge => format!("{x} >= {}", sql.param(Value::Text(value.to_owned()))),
        TextOp::Lt => format!("{x} < {}", sql.param(Value::Text(value.to_owned()))),
        TextOp::Le => format!("{x} <= {}", sql.param(Value::Text(value.to_owned()))),
        TextOp::Co => format!(
            "instr({x}, {}) > 0",
            sql.param(Value::Text(value.to_owned()))
        ),
        TextOp::Sw => {
            let lower = sql.param(Value::Text(value.to_owned()));
            match prefix_upper(value) {
                Some(upper) => {
                    let upper = sql.param(Value::Text(upper));
                    format!("({x} >= {lower} AND {x} < {upper})")
                }
                None => format!("{x} >= {lower}"),
            }
        }
        TextOp::Ew => {
            let n = value.chars().count();
            if n == 0 {
                return format!("{x} IS NOT NULL");
            }
            let v = sql.param(Value::Text(value.to_owned()));
            format!("substr({x}, -{n}) = {v}")
        }
    }
}

fn render(sql: &mut Sql, cond: &Cond) -> String {
    match cond {
        Cond::Const(true) => "1".into(),
        Cond::Const(false) => "0".into(),
        Cond::And(parts) => {
            let p: Vec<String> = parts.iter().map(|c| render(sql, c)).collect();
            format!("({})", p.join(" AND "))
        }
        Cond::Or(parts) => {
            let p: Vec<String> = parts.iter().map(|c| render(sql, c)).collect();
            format!("({})", p.join(" OR "))
        }
        Cond::Not(inner) => format!("NOT coalesce({}, 0)", render(sql, inner)),
        Cond::Present(text) => {
            let x = text_sql(text, false);
            format!("({x} IS NOT NULL AND {x} <> '')")
        }
        Cond::Text {
            text,
            op,
            value,
            fold,
        } => {
            let x = text_sql(text, *fold);
            compare(sql, &x, *op, value)
        }
        Cond::Time { column, op, value } => {
            let col = match column {
                TimeColumn::CreatedAt => "created_at",
                TimeColumn::UpdatedAt => "updated_at",
            };
            let v = sql.param(Value::Integer(to_micros(*value)));
            let op = match op {
                OrderOp::Eq => "=",
                OrderOp::Ne => "<>",
                OrderOp::Gt => ">",
                OrderOp::Ge => ">=",
                OrderOp::Lt => "<",
                OrderOp::Le => "<=",
            };
            format!("{col} {op} {v}")
        }
        Cond::Id(id) => format!("id = {}", sql.param(Value::Blob(id.as_bytes().to_vec()))),
        Cond::Active(active) => {
            let op = if *active { "<>" } else { "=" };
            format!("state {op} {}", UserState::Disabled.code())
        }
        // Only group conditions name members; `groups.key` is the row.
        Cond::Member(None) => {
            "EXISTS (SELECT 1 FROM group_members m WHERE m.group_key = groups.key)".into()
        }
        Cond::Member(Some(id)) => {
            let id = sql.param(Value::Blob(id.as_bytes().to_vec()));
            format!(
                "EXISTS (SELECT 1 FROM group_members m JOIN users u ON u.key = m.user_key \
                 WHERE m.group_key = groups.key AND u.id = {id})"
            )
        }
        // Only user conditions name roles; `users.key` is the row. The
        // assignments' key (user, role) makes each test one index probe.
        Cond::Role(key) => {
            let one = match key {
                Some(k) => format!(" AND ur.role_key = {}", sql.param(Value::Text(k.clone()))),
                None => String::new(),
            };
            format!(
                "EXISTS (SELECT 1 FROM user_roles ur JOIN roles r \
                 ON r.tenant_key = ur.tenant_key AND r.name_key = ur.role_key \
                 WHERE ur.user_key = users.key AND r.built_in = 0{one})"
            )
        }
    }
}

/// `cond` as SQL, its parameters numbered after the tenant's key (`?1`).
pub(crate) fn where_clause(cond: &Cond, tk: i64) -> Sql {
    let mut sql = Sql {
        text: String::new(),
        params: vec![Value::Integer(tk)],
    };
    sql.text = render(&mut sql, cond);
    sql
}

pub(crate) fn order_by(sort: &SortKey, descending: bool) -> String {
    let dir = if descending { "DESC" } else { "ASC" };
    match sort {
        SortKey::Id => format!("id {dir}"),
        SortKey::Time(TimeColumn::CreatedAt) => format!("created_at {dir}, id {dir}"),
        SortKey::Time(TimeColumn::UpdatedAt) => format!("updated_at {dir}, id {dir}"),
        // Never unset, and indexed (users_user_name) with the row's key
        // after it: pages are ranges of the index.
        SortKey::Text(Text::Column(TextColumn::UserName)) => {
            format!("coalesce(username_norm, email_norm) {dir}, key {dir}")
        }
        SortKey::Text(text) => {
            let fold = !matches!(text, Text::Column(TextColumn::ExternalId));
            let x = text_sql(text, fold);
            // Unset values last when ascending (RFC 7644 §3.4.2.3), first
            // when the order is reversed.
            format!("({x} IS NULL) {dir}, {x} {dir}, id {dir}")
        }
    }
}

/// The total of the rows of `table` (`users` or `groups`) that `q`
/// selects, and one window of them read with `columns` and `read`, in one
/// snapshot (with `finish` run on the window inside it).
pub(crate) fn search_rows<T>(
    c: &Connection,
    table: &str,
    columns: &str,
    tk: i64,
    q: &UserSearch,
    read: impl FnMut(&rusqlite::Row<'_>) -> DbResult<T>,
    finish: impl FnOnce(&Connection, Vec<T>) -> DbResult<Vec<T>>,
) -> DbResult<(u64, Vec<T>)> {
    let sql = where_clause(&q.cond, tk);
    let order = order_by(&q.sort, q.descending);
    c.execute_batch("BEGIN")?;
    let result = window(c, table, columns, q, &sql, &order, read)
        .and_then(|(total, rows)| Ok((total, finish(c, rows)?)));
    // Read only: ending the snapshot cannot lose anything, even after an error.
    let end = c.execute_batch("COMMIT");
    let out = result?;
    end?;
    Ok(out)
}

fn window<T>(
    c: &Connection,
    table: &str,
    columns: &str,
    q: &UserSearch,
    sql: &Sql,
    order: &str,
    read: impl FnMut(&rusqlite::Row<'_>) -> DbResult<T>,
) -> DbResult<(u64, Vec<T>)> {
    let total: i64 = c.query_row(
        &format!(
            "SELECT count(*) FROM {table} WHERE tenant_key = ?1 AND {}",
            sql.text
        ),
        rusqlite::params_from_iter(sql.params.iter()),
        |r| r.get(0),
    )?;
    let total = u64::try_from(total).unwrap_or(0);
    if q.limit == 0 || q.offset >= total {
        return Ok((total, Vec::new()));
    }
    let mut params = sql.params.clone();
    params.push(Value::Integer(i64::from(q.limit)));
    let limit = params.len();
    params.push(Value::Integer(i64::try_from(q.offset).unwrap_or(i64::MAX)));
    let offset = params.len();
    let mut stmt = c.prepare(&format!(
        "SELECT {columns} FROM {table} WHERE tenant_key = ?1 AND {} ORDER BY {order} LIMIT ?{limit} OFFSET ?{offset}",
        sql.text
    ))?;
    let rows = stmt
        .query_map(rusqlite::params_from_iter(params.iter()), read)?
        .collect::<DbResult<Vec<T>>>()?;
    Ok((total, rows))
}

/// The total of matching users and one window of them, in one snapshot.
pub(crate) fn search_users(
    c: &Connection,
    tk: i64,
    tenant_id: TenantId,
    q: &UserSearch,
) -> DbResult<(u64, Vec<User>)> {
    search_rows(
        c,
        "users",
        USER_COLUMNS,
        tk,
        q,
        |r| stored_user(r, tenant_id).map(|s| s.user),
        |_, users| Ok(users),
    )
}
