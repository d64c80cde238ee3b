//! Roles: the tenant's own, defined and deleted by its admins, and
//! assignments of roles (built-in admin roles included) to users.

use super::Services;
use crate::audit::{AuditAction, AuditContext, AuditDraft};
use crate::bulk::BulkAction;
use crate::error::{Error, ErrorCode, FieldError, Missing, ValidationErrors};
use crate::role::{Role, RoleAssignment, RoleName, ScopeGrant};
use crate::tenant::Tenant;
use serde_json::{Value, json};

fn built_in(name: &RoleName) -> Error {
    Error::conflict(
        ErrorCode::BuiltInRole,
        format!(
            "{} is a built-in admin role: it cannot be defined or deleted",
            name.as_str()
        ),
    )
}

impl Services {
    /// The tenant's own roles by name, each with its number of holders.
    pub async fn list_roles(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
    ) -> Result<Vec<(Role, u64)>, Error> {
        let roles = self.store.list_roles(tenant.id).await?;
        self.store
            .append_audit(
                self.draft(ctx, Some(tenant), AuditAction::RoleList)
                    .details(json!({"returned": roles.len()})),
            )
            .await?;
        Ok(roles)
    }

    /// Defines a role (`POST /roles`).
    pub async fn create_role(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        body: Value,
    ) -> Result<Role, Error> {
        let draft = self.draft(ctx, Some(tenant), AuditAction::RoleCreate);
        let role = self
            .accept(&draft, Role::from_json(body, self.clock.now()))
            .await?;
        let draft = draft
            .target("role", role.name.as_str())
            .details(json!(role));
        if role.name.is_built_in() {
            return Err(self.refuse(draft, built_in(&role.name)).await);
        }
        self.store
            .create_role(tenant.id, role.clone(), draft)
            .await
            .map(|()| role)
    }

    /// A role name from a path, or the refusal it gets (a malformed name
    /// names no role).
    async fn role_in_path(
        &self,
        draft: &crate::audit::AuditDraft,
        name: &str,
        missing: Missing,
    ) -> Result<RoleName, Error> {
        match RoleName::parse("name", name) {
            Ok(n) => Ok(n),
            Err(_) => {
                let draft = draft.clone().details(json!({"name": name}));
                Err(self.refuse(draft, Error::NotFound(missing)).await)
            }
        }
    }

    /// Deletes one of the tenant's roles; with `force` even while users
    /// hold it. Answers how many assignments went with it.
    pub async fn delete_role(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        name: &str,
        force: bool,
    ) -> Result<u64, Error> {
        let draft = self.draft(ctx, Some(tenant), AuditAction::RoleDelete);
        let name = self.role_in_path(&draft, name, Missing::Role).await?;
        let draft = draft
            .target("role", name.as_str())
            .details(json!({"force": force}));
        if name.is_built_in() {
            return Err(self.refuse(draft, built_in(&name)).await);
        }
        self.store.delete_role(tenant.id, &name, force, draft).await
    }

    /// The roles a user holds (audited as a view).
    pub async fn user_roles(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        user_id: &str,
    ) -> Result<Vec<RoleAssignment>, Error> {
        let draft = self.draft(ctx, Some(tenant), AuditAction::UserRolesList);
        let uid = self.accept(&draft, Self::parse_user_id(user_id)).await?;
        let draft = draft.target("user", uid);
        match self.store.user_roles(tenant.id, uid).await {
            Ok(roles) => {
                self.store
                    .append_audit(draft.details(json!({"returned": roles.len()})))
                    .await?;
                Ok(roles)
            }
            Err(e) if e.is_refusal() => Err(self.refuse(draft, e).await),
            Err(e) => Err(e),
        }
    }

    /// The names of the roles each of `users` holds, for the user JSON of
    /// a page or an export (the read itself is audited with the page).
    pub async fn role_names_of(
        &self,
        tenant: &Tenant,
        users: &[crate::ids::UserId],
    ) -> Result<std::collections::BTreeMap<crate::ids::UserId, Vec<RoleName>>, Error> {
        Ok(self.store.role_names_of(tenant.id, users).await?)
    }

    /// Gives a user a role (`PUT /users/{id}/roles/{role}`); answers false
    /// when the user held it already.
    pub async fn assign_role(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        user_id: &str,
        role: &str,
        may_grant_admin_roles: bool,
    ) -> Result<bool, Error> {
        let draft = self.draft(ctx, Some(tenant), AuditAction::UserRoleAssign);
        self.give_role(
            tenant,
            draft,
            user_id,
            role,
            may_grant_admin_roles,
            ScopeGrant::Keep,
        )
        .await
    }

    /// Gives a user a role with what `grant` says of an admin role's scope.
    pub(crate) async fn give_role(
        &self,
        tenant: &Tenant,
        draft: AuditDraft,
        user_id: &str,
        role: &str,
        may_grant_admin_roles: bool,
        grant: ScopeGrant,
    ) -> Result<bool, Error> {
        let uid = self.accept(&draft, Self::parse_user_id(user_id)).await?;
        let mut draft = draft.target("user", uid);
        let name = self.role_in_path(&draft, role, Missing::Role).await?;
        draft.details["role"] = json!(name.as_str());
        self.accept(&draft, admin_role_grant(&name, may_grant_admin_roles))
            .await?;
        self.store
            .assign_role(tenant.id, uid, &name, grant, self.clock.now(), draft)
            .await
    }

    /// Takes a role from a user (`DELETE /users/{id}/roles/{role}`).
    pub async fn remove_role(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        user_id: &str,
        role: &str,
        may_grant_admin_roles: bool,
    ) -> Result<(), Error> {
        let draft = self.draft(ctx, Some(tenant), AuditAction::UserRoleRemove);
        let uid = self.accept(&draft, Self::parse_user_id(user_id)).await?;
        let draft = draft.target("user", uid);
        let name = self
            .role_in_path(&draft, role, Missing::RoleAssignment)
            .await?;
        let draft = draft.details(json!({"role": name.as_str()}));
        self.accept(&draft, admin_role_grant(&name, may_grant_admin_roles))
            .await?;
        self.store.remove_role(tenant.id, uid, &name, draft).await
    }
}

/// Giving or taking a built-in admin role changes who may administer the
/// tenant, which only a caller that may configure it (a `tenant_admin`)
/// may do: a `user_admin` may assign the tenant's own roles only.
fn admin_role_grant(name: &RoleName, may_grant_admin_roles: bool) -> Result<(), Error> {
    if name.is_built_in() && !may_grant_admin_roles {
        return Err(Error::Forbidden(format!(
            "only a tenant_admin may give or take the admin role {}",
            name.as_str()
        )));
    }
    Ok(())
}

impl Services {
    /// The role a bulk upload names, checked: required by `assign_role` and
    /// `remove_role` and one of the tenant's own roles (a built-in admin
    /// role is given to one person at a time, by a `tenant_admin`), and
    /// refused for every other action. Problems go to `errors`.
    pub(super) async fn bulk_role(
        &self,
        tenant: &Tenant,
        action: Option<BulkAction>,
        role: Option<&str>,
        errors: &mut ValidationErrors,
    ) -> Result<Option<RoleName>, Error> {
        let role = role.map(str::trim).filter(|r| !r.is_empty());
        let needs = action.is_some_and(BulkAction::needs_role);
        let name = match (needs, role) {
            (false, None) => return Ok(None),
            (false, Some(_)) => {
                errors.push(FieldError::new(
                    "role",
                    ErrorCode::InvalidValue,
                    "only the assign_role and remove_role actions take a role",
                ));
                return Ok(None);
            }
            (true, None) => {
                let e =
                    FieldError::new("role", ErrorCode::Required, "name the role to give or take");
                errors.push(e);
                return Ok(None);
            }
            (true, Some(r)) => match RoleName::parse("role", r) {
                Ok(n) => n,
                Err(e) => {
                    errors.push(e);
                    return Ok(None);
                }
            },
        };
        match self.store.find_role(tenant.id, &name).await? {
            Some(r) => Ok(Some(r.name)),
            None => {
                errors.push(FieldError::new(
                    "role",
                    ErrorCode::InvalidValue,
                    "the tenant has no role of this name (built-in admin roles are given one person at a time)",
                ));
                Ok(None)
            }
        }
    }
}
