//! Roles and their assignments: `roles` holds the tenant's own roles and
//! the rows of built-in admin roles once assigned; `user_roles` the
//! assignments, which go with their user or role (foreign keys). A change
//! of a user's roles locks the user's row, as every other change of the
//! user does; deleting a role locks the role's row, so that no assignment
//! can appear while its holders are counted.

use crate::error::{DbExt, constraint, unavailable};
use crate::role_scopes::{other_admin_scope, scope_at, scope_columns, scope_join, scope_select};
use crate::sessions::factors::lock_user;
use crate::write::Write;
use crate::{PostgresStore, detached};
use async_trait::async_trait;
use serde_json::json;
use sqlx::{PgConnection, PgPool, Row};
use std::collections::BTreeMap;
use time::OffsetDateTime;
use usher_core::access::AdminRole;
use usher_core::audit::AuditDraft;
use usher_core::error::{Error, ErrorCode, Missing, StoreError};
use usher_core::role::{AdminGrant, Role, RoleAssignment, RoleName, ScopeGrant};
use usher_core::scope::same_scope;
use usher_core::store::RoleStore;
use usher_core::{TenantId, UserId};
use uuid::Uuid;

async fn insert(
    c: &mut PgConnection,
    tk: i64,
    role: &Role,
    built_in: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO roles (tenant_key, name_key, name, description, built_in, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
    )
    .bind(tk)
    .bind(role.name.key())
    .bind(role.name.as_str())
    .bind(&role.description)
    .bind(built_in)
    .bind(role.created_at)
    .execute(&mut *c)
    .await
    .map(|_| ())
}

async fn list(pool: &PgPool, tk: i64) -> Result<Vec<(Role, u64)>, StoreError> {
    let rows: Vec<(String, Option<String>, OffsetDateTime, i64)> = sqlx::query_as(
        "SELECT r.name, r.description, r.created_at, \
           (SELECT COUNT(*) FROM user_roles u WHERE u.tenant_key = r.tenant_key AND u.role_key = r.name_key) \
         FROM roles r WHERE r.tenant_key = $1 AND NOT r.built_in ORDER BY r.name_key",
    )
    .bind(tk)
    .fetch_all(pool)
    .await
    .map_err(unavailable)?;
    Ok(rows
        .into_iter()
        .map(|(name, description, created_at, holders)| {
            let role = Role {
                name: RoleName::from_stored(name),
                description,
                created_at,
            };
            (role, holders.max(0) as u64)
        })
        .collect())
}

async fn create(pool: &PgPool, tk: i64, role: Role, audit: AuditDraft) -> Result<(), Error> {
    let mut w = Write::begin(pool, audit).await?;
    let result = sqlx::query(
        "INSERT INTO roles (tenant_key, name_key, name, description, built_in, created_at) \
         VALUES ($1, $2, $3, $4, false, $5)",
    )
    .bind(tk)
    .bind(role.name.key())
    .bind(role.name.as_str())
    .bind(&role.description)
    .bind(role.created_at)
    .execute(&mut *w.tx)
    .await
    .map(|_| ())
    .map_err(constraint);
    w.finish(result).await
}

async fn delete(
    pool: &PgPool,
    tk: i64,
    name: RoleName,
    force: bool,
    audit: AuditDraft,
) -> Result<u64, Error> {
    let key = name.key();
    let mut w = Write::begin(pool, audit).await?;
    let result = async {
        let built_in: Option<bool> = sqlx::query_scalar(
            "SELECT built_in FROM roles WHERE tenant_key = $1 AND name_key = $2 FOR UPDATE",
        )
        .bind(tk)
        .bind(&key)
        .fetch_optional(&mut *w.tx)
        .await
        .db()?;
        if built_in != Some(false) {
            return Err(Error::NotFound(Missing::Role));
        }
        let holders: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM user_roles WHERE tenant_key = $1 AND role_key = $2",
        )
        .bind(tk)
        .bind(&key)
        .fetch_one(&mut *w.tx)
        .await
        .db()?;
        if holders > 0 && !force {
            return Err(Error::conflict(
                ErrorCode::RoleInUse,
                format!("{holders} users hold this role; delete with force=true to take it from them too"),
            ));
        }
        sqlx::query("DELETE FROM roles WHERE tenant_key = $1 AND name_key = $2")
            .bind(tk)
            .bind(&key)
            .execute(&mut *w.tx)
            .await
            .db()?;
        w.draft.details["removed_assignments"] = json!(holders);
        Ok(holders.max(0) as u64)
    }
    .await;
    w.finish(result).await
}

async fn of_user(pool: &PgPool, tk: i64, user_id: UserId) -> Result<Vec<RoleAssignment>, Error> {
    let mut c = pool.acquire().await.db()?;
    let uk: i64 = sqlx::query_scalar("SELECT key FROM users WHERE id = $1 AND tenant_key = $2")
        .bind(user_id.uuid())
        .bind(tk)
        .fetch_optional(&mut *c)
        .await
        .db()?
        .ok_or(Error::NotFound(Missing::User))?;
    let rows = sqlx::query(concat!(
        "SELECT r.name, r.description, ur.assigned_at, ",
        scope_select!(),
        " FROM user_roles ur \
         JOIN roles r ON r.tenant_key = ur.tenant_key AND r.name_key = ur.role_key",
        scope_join!(),
        " WHERE ur.user_key = $1 ORDER BY ur.role_key"
    ))
    .bind(uk)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| {
            Ok(RoleAssignment {
                name: RoleName::from_stored(r.try_get(0)?),
                description: r.try_get(1)?,
                assigned_at: r.try_get(2)?,
                scope: scope_at(r, 3)?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .db()
}

async fn assign(
    pool: &PgPool,
    tk: i64,
    user_id: UserId,
    name: RoleName,
    grant: ScopeGrant,
    now: OffsetDateTime,
    audit: AuditDraft,
) -> Result<bool, Error> {
    let key = name.key();
    let mut w = Write::begin(pool, audit).await?;
    let result = async {
        let uk = lock_user(&mut w.tx, tk, user_id).await?;
        if name.is_built_in() {
            insert(&mut w.tx, tk, &Role::built_in(name.clone(), now), true)
                .await
                .db()?;
        }
        // Shared: a delete of the role waits, and then takes this with it.
        let known: Option<i32> = sqlx::query_scalar(
            "SELECT 1 FROM roles WHERE tenant_key = $1 AND name_key = $2 FOR SHARE",
        )
        .bind(tk)
        .bind(&key)
        .fetch_optional(&mut *w.tx)
        .await
        .db()?;
        if known.is_none() {
            return Err(Error::NotFound(Missing::Role));
        }
        let held: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM user_roles WHERE user_key = $1 AND role_key = $2)",
        )
        .bind(uk)
        .bind(&key)
        .fetch_one(&mut *w.tx)
        .await
        .db()?;
        let scope = match grant {
            ScopeGrant::Keep if held => {
                w.draft.details["already_held"] = json!(true);
                return Ok(false);
            }
            ScopeGrant::Keep => None,
            ScopeGrant::Set(scope) => scope,
        };
        // The user's row lock keeps their other admin roles as read here.
        if name.is_built_in()
            && let Some(other) = other_admin_scope(&mut w.tx, uk, &key).await?
            && !same_scope(other.as_ref(), scope.as_ref())
        {
            return Err(Error::conflict(
                ErrorCode::ScopeConflict,
                "the person holds admin roles under another scope; grant this one under the same \
                 scope, or revoke the others first",
            ));
        }
        let (group, attribute, value) = scope_columns(&mut w.tx, tk, scope.as_ref()).await?;
        // Inserted, or held under another scope and moved to this one.
        let changed = sqlx::query(
            "INSERT INTO user_roles (tenant_key, role_key, user_key, assigned_at, scope_group_key, \
               scope_attribute, scope_value) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (user_key, role_key) DO UPDATE SET \
               scope_group_key = excluded.scope_group_key, \
               scope_attribute = excluded.scope_attribute, scope_value = excluded.scope_value \
             WHERE user_roles.scope_group_key IS DISTINCT FROM excluded.scope_group_key \
               OR user_roles.scope_attribute IS DISTINCT FROM excluded.scope_attribute \
               OR user_roles.scope_value IS DISTINCT FROM excluded.scope_value",
        )
        .bind(tk)
        .bind(&key)
        .bind(uk)
        .bind(now)
        .bind(group)
        .bind(attribute)
        .bind(value)
        .execute(&mut *w.tx)
        .await
        .db()?
        .rows_affected();
        w.draft.details["already_held"] = json!(held);
        Ok(changed == 1)
    }
    .await;
    w.finish(result).await
}

async fn remove(
    pool: &PgPool,
    tk: i64,
    user_id: UserId,
    name: RoleName,
    audit: AuditDraft,
) -> Result<(), Error> {
    let mut w = Write::begin(pool, audit).await?;
    let result = async {
        let uk = lock_user(&mut w.tx, tk, user_id).await?;
        let removed = sqlx::query("DELETE FROM user_roles WHERE user_key = $1 AND role_key = $2")
            .bind(uk)
            .bind(name.key())
            .execute(&mut *w.tx)
            .await
            .db()?
            .rows_affected();
        if removed == 0 {
            return Err(Error::NotFound(Missing::RoleAssignment));
        }
        Ok(())
    }
    .await;
    w.finish(result).await
}

#[async_trait]
impl RoleStore for PostgresStore {
    async fn list_roles(&self, tenant_id: TenantId) -> Result<Vec<(Role, u64)>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        list(self.pool(), tk).await
    }

    async fn find_role(
        &self,
        tenant_id: TenantId,
        name: &RoleName,
    ) -> Result<Option<Role>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        let row: Option<(String, Option<String>, OffsetDateTime)> = sqlx::query_as(
            "SELECT name, description, created_at FROM roles \
             WHERE tenant_key = $1 AND name_key = $2 AND NOT built_in",
        )
        .bind(tk)
        .bind(name.key())
        .fetch_optional(self.pool())
        .await
        .map_err(unavailable)?;
        Ok(row.map(|(name, description, created_at)| Role {
            name: RoleName::from_stored(name),
            description,
            created_at,
        }))
    }

    async fn create_role(
        &self,
        tenant_id: TenantId,
        role: Role,
        audit: AuditDraft,
    ) -> Result<(), Error> {
        let tk = self.tenant_key(tenant_id).await?;
        let pool = self.pool().clone();
        detached(async move { create(&pool, tk, role, audit).await }).await
    }

    async fn delete_role(
        &self,
        tenant_id: TenantId,
        name: &RoleName,
        force: bool,
        audit: AuditDraft,
    ) -> Result<u64, Error> {
        let tk = self.tenant_key(tenant_id).await?;
        let (pool, name) = (self.pool().clone(), name.clone());
        detached(async move { delete(&pool, tk, name, force, audit).await }).await
    }

    async fn user_roles(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
    ) -> Result<Vec<RoleAssignment>, Error> {
        let tk = self.tenant_key(tenant_id).await?;
        of_user(self.pool(), tk, user_id).await
    }

    async fn list_admins(&self, tenant_id: TenantId) -> Result<Vec<AdminGrant>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        let rows = sqlx::query(concat!(
            "SELECT u.id, u.email, r.name, ur.assigned_at, ",
            scope_select!(),
            " FROM user_roles ur \
             JOIN roles r ON r.tenant_key = ur.tenant_key AND r.name_key = ur.role_key \
             JOIN users u ON u.key = ur.user_key",
            scope_join!(),
            " WHERE ur.tenant_key = $1 AND r.built_in ORDER BY u.email_norm, ur.role_key"
        ))
        .bind(tk)
        .fetch_all(self.pool())
        .await
        .map_err(unavailable)?;
        rows.iter()
            .map(|r| {
                let role: String = r.try_get(2).map_err(unavailable)?;
                Ok(AdminGrant {
                    user_id: UserId::from(r.try_get::<Uuid, _>(0).map_err(unavailable)?),
                    role: AdminRole::parse(&role)
                        .ok_or_else(|| StoreError::Corrupt(format!("admin role {role:?}")))?,
                    email: r.try_get(1).map_err(unavailable)?,
                    assigned_at: r.try_get(3).map_err(unavailable)?,
                    scope: scope_at(r, 4).map_err(unavailable)?,
                })
            })
            .collect()
    }

    async fn role_names_of(
        &self,
        tenant_id: TenantId,
        users: &[UserId],
    ) -> Result<BTreeMap<UserId, Vec<RoleName>>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        let mut out = BTreeMap::new();
        if users.is_empty() {
            return Ok(out);
        }
        let ids: Vec<Uuid> = users.iter().map(|u| u.uuid()).collect();
        let rows: Vec<(Uuid, String)> = sqlx::query_as(
            "SELECT u.id, r.name FROM users u JOIN user_roles ur ON ur.user_key = u.key \
             JOIN roles r ON r.tenant_key = ur.tenant_key AND r.name_key = ur.role_key \
             WHERE u.tenant_key = $1 AND u.id = ANY($2) ORDER BY u.id, ur.role_key",
        )
        .bind(tk)
        .bind(&ids)
        .fetch_all(self.pool())
        .await
        .map_err(unavailable)?;
        for (id, name) in rows {
            out.entry(UserId::from(id))
                .or_insert_with(Vec::new)
                .push(RoleName::from_stored(name));
        }
        Ok(out)
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
        let (pool, name) = (self.pool().clone(), name.clone());
        detached(async move { assign(&pool, tk, user_id, name, grant, now, audit).await }).await
    }

    async fn remove_role(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        name: &RoleName,
        audit: AuditDraft,
    ) -> Result<(), Error> {
        let tk = self.tenant_key(tenant_id).await?;
        let (pool, name) = (self.pool().clone(), name.clone());
        detached(async move { remove(&pool, tk, user_id, name, audit).await }).await
    }
}
