//! Roles and their assignments: `roles` holds the tenant's own roles and
//! the rows of built-in admin roles once assigned; `user_roles` the
//! assignments, which go with their user or role (foreign keys).

use crate::SqliteStore;
use crate::conn::{DbExt, DbResult, audited, constraint, uuid};
use crate::role_scopes::{scope_at, scope_columns};
use crate::users::rows::user_key;
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;
use std::collections::BTreeMap;
use time::OffsetDateTime;
use usher_core::access::AdminRole;
use usher_core::audit::AuditDraft;
use usher_core::clock::{from_micros, to_micros};
use usher_core::error::{Error, ErrorCode, Missing, StoreError};
use usher_core::role::{AdminGrant, Role, RoleAssignment, RoleName, ScopeGrant};
use usher_core::scope::{AdminScope, same_scope};
use usher_core::store::RoleStore;
use usher_core::{TenantId, UserId};

fn list(c: &Connection, tk: i64) -> DbResult<Vec<(Role, u64)>> {
    c.prepare_cached(
        "SELECT r.name, r.description, r.created_at, \
           (SELECT COUNT(*) FROM user_roles u WHERE u.tenant_key = r.tenant_key AND u.role_key = r.name_key) \
         FROM roles r WHERE r.tenant_key = ?1 AND r.built_in = 0 ORDER BY r.name_key",
    )?
    .query_map([tk], |r| {
        Ok((
            Role {
                name: RoleName::from_stored(r.get(0)?),
                description: r.get(1)?,
                created_at: from_micros(r.get(2)?),
            },
            r.get::<_, i64>(3)?.max(0) as u64,
        ))
    })?
    .collect()
}

fn insert(c: &Connection, tk: i64, role: &Role, built_in: bool) -> rusqlite::Result<usize> {
    c.prepare_cached(
        "INSERT INTO roles (tenant_key, name_key, name, description, built_in, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        tk,
        role.name.key(),
        role.name.as_str(),
        role.description,
        built_in,
        to_micros(role.created_at)
    ])
}

/// Whether the tenant has the role (its own, or a built-in one's row).
fn stored(c: &Connection, tk: i64, key: &str) -> Result<bool, Error> {
    c.prepare_cached("SELECT 1 FROM roles WHERE tenant_key = ?1 AND name_key = ?2")
        .db()?
        .exists(params![tk, key])
        .db()
}

fn delete(
    c: &Connection,
    tk: i64,
    name: &RoleName,
    force: bool,
    audit: AuditDraft,
) -> Result<u64, Error> {
    let key = name.key();
    audited(c, audit, |c, draft| {
        let own: Option<bool> = c
            .prepare_cached("SELECT built_in FROM roles WHERE tenant_key = ?1 AND name_key = ?2")
            .db()?
            .query_row(params![tk, key], |r| r.get(0))
            .optional()
            .db()?;
        if own != Some(false) {
            return Err(Error::NotFound(Missing::Role));
        }
        let holders: i64 = c
            .prepare_cached(
                "SELECT COUNT(*) FROM user_roles WHERE tenant_key = ?1 AND role_key = ?2",
            )
            .db()?
            .query_row(params![tk, key], |r| r.get(0))
            .db()?;
        if holders > 0 && !force {
            return Err(Error::conflict(
                ErrorCode::RoleInUse,
                format!(
                    "{holders} users hold this role; delete with force=true to take it from them too"
                ),
            ));
        }
        // The assignments go with the role (ON DELETE CASCADE).
        c.prepare_cached("DELETE FROM roles WHERE tenant_key = ?1 AND name_key = ?2")
            .db()?
            .execute(params![tk, key])
            .db()?;
        draft.details["removed_assignments"] = json!(holders);
        Ok(holders.max(0) as u64)
    })
}

fn of_user(c: &Connection, tk: i64, user_id: UserId) -> Result<Vec<RoleAssignment>, Error> {
    let uk = user_key(c, tk, user_id)?;
    c.prepare_cached(
        "SELECT r.name, r.description, u.assigned_at, g.id, g.display_name, u.scope_attribute, \
           u.scope_value FROM user_roles u \
         JOIN roles r ON r.tenant_key = u.tenant_key AND r.name_key = u.role_key \
         LEFT JOIN groups g ON g.key = u.scope_group_key \
         WHERE u.user_key = ?1 ORDER BY u.role_key",
    )
    .db()?
    .query_map([uk], |r| {
        Ok(RoleAssignment {
            name: RoleName::from_stored(r.get(0)?),
            description: r.get(1)?,
            assigned_at: from_micros(r.get(2)?),
            scope: scope_at(r, 3)?,
        })
    })
    .db()?
    .collect::<DbResult<_>>()
    .db()
}

fn admins(c: &Connection, tk: i64) -> DbResult<Vec<AdminGrant>> {
    c.prepare_cached(
        "SELECT u.id, u.email, r.name, ur.assigned_at, g.id, g.display_name, ur.scope_attribute, \
           ur.scope_value FROM user_roles ur \
         JOIN roles r ON r.tenant_key = ur.tenant_key AND r.name_key = ur.role_key \
         JOIN users u ON u.key = ur.user_key \
         LEFT JOIN groups g ON g.key = ur.scope_group_key \
         WHERE ur.tenant_key = ?1 AND r.built_in = 1 ORDER BY u.email_norm, ur.role_key",
    )?
    .query_map([tk], |r| {
        let role: String = r.get(2)?;
        Ok(AdminGrant {
            user_id: uuid(&r.get::<_, Vec<u8>>(0)?)?,
            email: r.get(1)?,
            role: AdminRole::parse(&role).ok_or(rusqlite::Error::InvalidQuery)?,
            assigned_at: from_micros(r.get(3)?),
            scope: scope_at(r, 4)?,
        })
    })?
    .collect()
}

fn names_of(
    c: &Connection,
    tk: i64,
    users: &[UserId],
) -> DbResult<BTreeMap<UserId, Vec<RoleName>>> {
    let mut out = BTreeMap::new();
    // Most tenants give no roles at all: one probe of the index says so.
    let any = c
        .prepare_cached("SELECT 1 FROM user_roles WHERE tenant_key = ?1 LIMIT 1")?
        .exists([tk])?;
    if !any || users.is_empty() {
        return Ok(out);
    }
    let marks = vec!["?"; users.len()].join(", ");
    let mut stmt = c.prepare_cached(&format!(
        "SELECT u.id, r.name FROM users u JOIN user_roles ur ON ur.user_key = u.key \
         JOIN roles r ON r.tenant_key = ur.tenant_key AND r.name_key = ur.role_key \
         WHERE u.tenant_key = ? AND u.id IN ({marks}) ORDER BY u.id, ur.role_key"
    ))?;
    let ids: Vec<Vec<u8>> = users.iter().map(|u| u.as_bytes().to_vec()).collect();
    let params = std::iter::once(&tk as &dyn rusqlite::ToSql)
        .chain(ids.iter().map(|i| i as &dyn rusqlite::ToSql));
    let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
    while let Some(r) = rows.next()? {
        let id: UserId = uuid(&r.get::<_, Vec<u8>>(0)?)?;
        out.entry(id)
            .or_insert_with(Vec::new)
            .push(RoleName::from_stored(r.get(1)?));
    }
    Ok(out)
}

/// The scope of the user's other built-in admin roles, if they hold any
/// (`Some(None)`: the whole tenant).
fn other_admin_scope(
    c: &Connection,
    uk: i64,
    key: &str,
) -> Result<Option<Option<AdminScope>>, Error> {
    c.prepare_cached(
        "SELECT g.id, g.display_name, ur.scope_attribute, ur.scope_value FROM user_roles ur \
         JOIN roles r ON r.tenant_key = ur.tenant_key AND r.name_key = ur.role_key \
         LEFT JOIN groups g ON g.key = ur.scope_group_key \
         WHERE ur.user_key = ?1 AND r.built_in = 1 AND ur.role_key <> ?2 LIMIT 1",
    )
    .db()?
    .query_row(params![uk, key], |r| scope_at(r, 0))
    .optional()
    .db()
}

fn assign(
    c: &Connection,
    tk: i64,
    user_id: UserId,
    name: &RoleName,
    grant: ScopeGrant,
    now: OffsetDateTime,
    audit: AuditDraft,
) -> Result<bool, Error> {
    let key = name.key();
    audited(c, audit, |c, draft| {
        let uk = user_key(c, tk, user_id)?;
        // Every refusal comes before the first write (see `audited`).
        let row_missing = !stored(c, tk, &key)?;
        if row_missing && !name.is_built_in() {
            return Err(Error::NotFound(Missing::Role));
        }
        let held = c
            .prepare_cached("SELECT 1 FROM user_roles WHERE user_key = ?1 AND role_key = ?2")
            .db()?
            .exists(params![uk, key])
            .db()?;
        let scope = match grant {
            ScopeGrant::Keep if held => {
                draft.details["already_held"] = json!(true);
                return Ok(false);
            }
            ScopeGrant::Keep => None,
            ScopeGrant::Set(scope) => scope,
        };
        if name.is_built_in()
            && let Some(other) = other_admin_scope(c, uk, &key)?
            && !same_scope(other.as_ref(), scope.as_ref())
        {
            return Err(Error::conflict(
                ErrorCode::ScopeConflict,
                "the person holds admin roles under another scope; grant this one under the same \
                 scope, or revoke the others first",
            ));
        }
        let (group, attribute, value) = scope_columns(c, tk, scope.as_ref())?;
        if row_missing {
            insert(c, tk, &Role::built_in(name.clone(), now), true).db()?;
        }
        let changed = c
            .prepare_cached(
                "INSERT INTO user_roles (tenant_key, role_key, user_key, assigned_at, scope_group_key, \
                   scope_attribute, scope_value) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
                 ON CONFLICT (user_key, role_key) DO UPDATE SET scope_group_key = excluded.scope_group_key, \
                   scope_attribute = excluded.scope_attribute, scope_value = excluded.scope_value \
                 WHERE scope_group_key IS NOT excluded.scope_group_key \
                   OR scope_attribute IS NOT excluded.scope_attribute \
                   OR scope_value IS NOT excluded.scope_value",
            )
            .db()?
            .execute(params![tk, key, uk, to_micros(now), group, attribute, value])
            .db()?;
        draft.details["already_held"] = json!(held);
        Ok(changed == 1)
    })
}

fn remove(
    c: &Connection,
    tk: i64,
    user_id: UserId,
    name: &RoleName,
    audit: AuditDraft,
) -> Result<(), Error> {
    audited(c, audit, |c, _| {
        let uk = user_key(c, tk, user_id)?;
        let removed = c
            .prepare_cached("DELETE FROM user_roles WHERE user_key = ?1 AND role_key = ?2")
            .db()?
            .execute(params![uk, name.key()])
            .db()?;
        if removed == 0 {
            return Err(Error::NotFound(Missing::RoleAssignment));
        }
        Ok(())
    })
}

#[async_trait]
impl RoleStore for SqliteStore {
    async fn list_roles(&self, tenant_id: TenantId) -> Result<Vec<(Role, u64)>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        self.read(move |c| list(c, tk)).await
    }

    async fn find_role(
        &self,
        tenant_id: TenantId,
        name: &RoleName,
    ) -> Result<Option<Role>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        let key = name.key();
        self.read(move |c| {
            c.prepare_cached(
                "SELECT name, description, created_at FROM roles \
                 WHERE tenant_key = ?1 AND name_key = ?2 AND built_in = 0",
            )?
            .query_row(params![tk, key], |r| {
                Ok(Role {
                    name: RoleName::from_stored(r.get(0)?),
                    description: r.get(1)?,
                    created_at: from_micros(r.get(2)?),
                })
            })
            .optional()
        })
        .await
    }

    async fn create_role(
        &self,
        tenant_id: TenantId,
        role: Role,
        audit: AuditDraft,
    ) -> Result<(), Error> {
        let tk = self.tenant_key(tenant_id).await?;
        self.inner
            .writer
            .write(move |c| {
                audited(c, audit, |c, _| {
                    insert(c, tk, &role, false).map_err(constraint)?;
                    Ok(())
                })
            })
            .await
    }

    async fn delete_role(
        &self,
        tenant_id: TenantId,
        name: &RoleName,
        force: bool,
        audit: AuditDraft,
    ) -> Result<u64, Error> {
        let tk = self.tenant_key(tenant_id).await?;
        let name = name.clone();
        self.inner
            .writer
            .write(move |c| delete(c, tk, &name, force, audit))
            .await
    }

    async fn user_roles(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
    ) -> Result<Vec<RoleAssignment>, Error> {
        let tk = self.tenant_key(tenant_id).await?;
        self.read(move |c| Ok(of_user(c, tk, user_id))).await?
    }

    async fn list_admins(&self, tenant_id: TenantId) -> Result<Vec<AdminGrant>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        self.read(move |c| admins(c, tk)).await
    }

    async fn role_names_of(
        &self,
        tenant_id: TenantId,
        users: &[UserId],
    ) -> Result<BTreeMap<UserId, Vec<RoleName>>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        let users = users.to_vec();
        self.read(move |c| names_of(c, tk, &users)).await
    }

    async fn assign_role(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        name: &RoleName,
        grant: ScopeGrant,
        now: OffsetDateTime,
        audit: AuditDraft,
    ) -> Result<bool, Error> {
        let tk = self.tenant_key(tenant_id).await?;
        let name = name.clone();
        self.inner
            .writer
            .write(move |c| assign(c, tk, user_id, &name, grant, now, audit))
            .await
    }

    async fn remove_role(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        name: &RoleName,
        audit: AuditDraft,
    ) -> Result<(), Error> {
        let tk = self.tenant_key(tenant_id).await?;
        let name = name.clone();
        self.inner
            .writer
            .write(move |c| remove(c, tk, user_id, &name, audit))
            .await
    }
}
