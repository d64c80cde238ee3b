//! Roles and their assignments to users.

use crate::audit::AuditDraft;
use crate::error::{Error, StoreError};
use crate::ids::{TenantId, UserId};
use crate::role::{AdminGrant, Role, RoleAssignment, RoleName, ScopeGrant};
use async_trait::async_trait;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// The role aggregate.
#[async_trait]
pub trait RoleStore: Send + Sync {
    /// The tenant's own roles by name (built-in admin roles left out), each
    /// with the number of users holding it.
    async fn list_roles(&self, tenant_id: TenantId) -> Result<Vec<(Role, u64)>, StoreError>;
    /// One of the tenant's own roles by name, ignoring case (a built-in
    /// admin role's row is not one).
    async fn find_role(
        &self,
        tenant_id: TenantId,
        name: &RoleName,
    ) -> Result<Option<Role>, StoreError>;
    /// Refuses with `role_exists` when the name is taken (ignoring case).
    async fn create_role(
        &self,
        tenant_id: TenantId,
        role: Role,
        audit: AuditDraft,
    ) -> Result<(), Error>;
    /// Removes one of the tenant's own roles. While users hold it, refuses
    /// with `role_in_use` unless `force`, which removes their assignments
    /// too. Answers the number of assignments removed; `role_not_found`
    /// for a role the tenant does not have (a built-in one included).
    async fn delete_role(
        &self,
        tenant_id: TenantId,
        name: &RoleName,
        force: bool,
        audit: AuditDraft,
    ) -> Result<u64, Error>;
    /// The roles user `user_id` holds, by name; `user_not_found` when the
    /// tenant has no such user.
    async fn user_roles(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
    ) -> Result<Vec<RoleAssignment>, Error>;
    /// Every built-in admin role held in the tenant, by the holder's email
    /// and then the role.
    async fn list_admins(&self, tenant_id: TenantId) -> Result<Vec<AdminGrant>, StoreError>;
    /// The names of the roles each of `users` holds (built-in admin roles
    /// included), by user, each user's by name; users holding none, or
    /// not of the tenant, are left out. One query, for a page of users.
    async fn role_names_of(
        &self,
        tenant_id: TenantId,
        users: &[UserId],
    ) -> Result<BTreeMap<UserId, Vec<RoleName>>, StoreError>;
    /// Gives the user the role at `now`; a built-in admin role's row is made
    /// on its first assignment, with the scope `scope` says. Answers false
    /// when nothing changed (the user held it already, under the same
    /// scope). `user_not_found`, `role_not_found`; `scope_conflict` when
    /// the user holds another built-in admin role under another scope;
    /// a validation error on `scope.group` when the scope's group is gone.
    async fn assign_role(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        name: &RoleName,
        scope: ScopeGrant,
        now: OffsetDateTime,
        audit: AuditDraft,
    ) -> Result<bool, Error>;
    /// Takes the role from the user: `user_not_found`, or
    /// `role_not_assigned` when the user does not hold it.
    async fn remove_role(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        name: &RoleName,
        audit: AuditDraft,
    ) -> Result<(), Error>;
}
