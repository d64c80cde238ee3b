//! The admin scope kept on a row (see `usher_core::scope`): of a role
//! assignment in `user_roles`, of an API token in `api_tokens`. Three
//! columns hold it: the group's key, or the attribute and its value; all
//! NULL for the whole tenant. Reading it back joins the group, whose
//! current display name is the scope's name. A group's delete takes the
//! rows scoped to it along (ON DELETE CASCADE), so that no scope ever
//! widens to the whole tenant behind anyone's back.

use crate::conn::{DbExt, uuid};
use rusqlite::{Connection, OptionalExtension, params};
use usher_core::error::Error;
use usher_core::scope::{AdminScope, group_gone};

/// The scope kept in columns `at..at + 4` of a row: the group's id and
/// name, or the attribute and its value.
pub(crate) fn scope_at(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Option<AdminScope>> {
    if let Some(id) = r.get::<_, Option<Vec<u8>>>(at)? {
        return Ok(Some(AdminScope::Group {
            id: uuid(&id)?,
            name: r.get(at + 1)?,
        }));
    }
    let attribute: Option<String> = r.get(at + 2)?;
    Ok(match (attribute, r.get::<_, Option<String>>(at + 3)?) {
        (Some(name), Some(equals)) => Some(AdminScope::Attribute { name, equals }),
        _ => None,
    })
}

/// The columns a scope is kept in: the group's key, the attribute, the value.
pub(crate) type ScopeColumns = (Option<i64>, Option<String>, Option<String>);

/// The columns of `scope` in the tenant `tk`. A group deleted since the
/// scope was looked up is `unknown_group` on `scope.group`; the single
/// writer keeps it from going before the write commits.
pub(crate) fn scope_columns(
    c: &Connection,
    tk: i64,
    scope: Option<&AdminScope>,
) -> Result<ScopeColumns, Error> {
    match scope {
        None => Ok((None, None, None)),
        Some(AdminScope::Group { id, .. }) => {
            let key: Option<i64> = c
                .prepare_cached("SELECT key FROM groups WHERE id = ?1 AND tenant_key = ?2")
                .db()?
                .query_row(params![id.as_bytes().to_vec(), tk], |r| r.get(0))
                .optional()
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
