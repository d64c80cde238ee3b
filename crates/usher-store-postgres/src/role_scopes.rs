//! The admin scope of a role assignment (see `usher_core::scope`), kept
//! on its `user_roles` row: the group's key, or the attribute and value;
//! all NULL for the whole tenant. Reading it back joins the group, whose
//! current display name is the scope's name; a group's delete takes the
//! assignments scoped to it along (ON DELETE CASCADE). API tokens keep
//! their scope in the same three columns of `api_tokens` and write them
//! with [`scope_columns`].

use crate::error::DbExt;
use crate::ids::opt_id;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};
use usher_core::error::Error;
use usher_core::scope::{AdminScope, group_gone};

/// The columns [`scope_at`] reads, of the assignment `ur` and its scope's
/// group `g` ([`scope_join!`]). Macros, so that queries are assembled with
/// `concat!` (see `user_columns!`).
macro_rules! scope_select {
    () => {
        "g.id, g.display_name, ur.scope_attribute, ur.scope_value"
    };
}
pub(crate) use scope_select;

/// Joins the group of an assignment's scope, if it has one.
macro_rules! scope_join {
    () => {
        " LEFT JOIN groups g ON g.key = ur.scope_group_key"
    };
}
pub(crate) use scope_join;

/// The scope kept in columns `at..at + 4` of a row ([`scope_select!`]):
/// the group's id and name, or the attribute and its value; `None` for the
/// whole tenant.
pub(crate) fn scope_at(r: &PgRow, at: usize) -> Result<Option<AdminScope>, sqlx::Error> {
    if let Some(id) = opt_id(r, at)? {
        return Ok(Some(AdminScope::Group {
            id,
            name: r.try_get(at + 1)?,
        }));
    }
    let attribute: Option<String> = r.try_get(at + 2)?;
    let value: Option<String> = r.try_get(at + 3)?;
    Ok(match (attribute, value) {
        (Some(name), Some(equals)) => Some(AdminScope::Attribute { name, equals }),
        _ => None,
    })
}

/// The columns a scope is kept in: the group's key, the attribute, the value.
pub(crate) type ScopeColumns = (Option<i64>, Option<String>, Option<String>);

/// The columns of `scope`. A group's row is locked against deletion until
/// the write commits (`FOR KEY SHARE`, as the foreign key would), so that
/// the assignment cannot outlive the group it is scoped to.
pub(crate) async fn scope_columns(
    c: &mut PgConnection,
    tk: i64,
    scope: Option<&AdminScope>,
) -> Result<ScopeColumns, Error> {
    match scope {
        None => Ok((None, None, None)),
        Some(AdminScope::Group { id, .. }) => {
            let key: Option<i64> = sqlx::query_scalar(
                "SELECT key FROM groups WHERE id = $1 AND tenant_key = $2 FOR KEY SHARE",
            )
            .bind(id.uuid())
            .bind(tk)
            .fetch_optional(&mut *c)
            .await
            .db()?;
            match key {
                Some(k) => Ok((Some(k), None, None)),
                None => Err(group_gone()),
            }
        }
        Some(AdminScope::Attribute { name, equals }) => {
            Ok((None, Some(name.clone()), Some(equals.clone())))
        }
    }
}

/// The scope of the user's built-in admin roles other than `key`, if they
/// hold any (`Some(None)`: the whole tenant).
pub(crate) async fn other_admin_scope(
    c: &mut PgConnection,
    uk: i64,
    key: &str,
) -> Result<Option<Option<AdminScope>>, Error> {
    let row = sqlx::query(concat!(
        "SELECT ",
        scope_select!(),
        " FROM user_roles ur \
         JOIN roles r ON r.tenant_key = ur.tenant_key AND r.name_key = ur.role_key",
        scope_join!(),
        " WHERE ur.user_key = $1 AND r.built_in AND ur.role_key <> $2 LIMIT 1"
    ))
    .bind(uk)
    .bind(key)
    .fetch_optional(&mut *c)
    .await
    .db()?;
    row.map(|r| scope_at(&r, 0)).transpose().db()
}
