//! Groups and their members (kept by provisioning clients over SCIM).

use crate::audit::AuditDraft;
use crate::error::{Error, StoreError};
use crate::group::{Group, GroupWrite};
use crate::ids::{GroupId, TenantId, UserId};
use crate::scim::query::UserSearch;
use async_trait::async_trait;

/// The group aggregate.
#[async_trait]
pub trait GroupStore: Send + Sync {
    /// Stores a new group with its members; ids that are no user of the
    /// tenant are left out. Refuses with `group_name_taken` when another
    /// group has the name (ignoring case).
    async fn create_group(&self, group: Group, audit: AuditDraft) -> Result<Group, Error>;
    async fn get_group(
        &self,
        tenant_id: TenantId,
        group_id: GroupId,
    ) -> Result<Option<Group>, StoreError>;
    /// The groups a SCIM query selects (a [`UserSearch`] whose condition
    /// speaks of groups) and how many match, in one snapshot.
    async fn search_groups(
        &self,
        tenant_id: TenantId,
        search: &UserSearch,
    ) -> Result<(u64, Vec<Group>), StoreError>;
    /// Applies an edit under the group's lock: checks `if_match`, runs the
    /// mutation, writes what changed (members that are no user of the
    /// tenant are left out) and bumps the version if anything did.
    async fn modify_group(&self, write: GroupWrite) -> Result<Group, Error>;
    async fn delete_group(
        &self,
        tenant_id: TenantId,
        group_id: GroupId,
        if_match: Option<i64>,
        audit: AuditDraft,
    ) -> Result<Group, Error>;
    /// The groups user `user_id` is a member of, by name.
    async fn user_groups(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
    ) -> Result<Vec<Group>, StoreError>;
}
