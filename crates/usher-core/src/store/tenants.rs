//! Tenants, their settings and custom attribute definitions, and the API
//! tokens that act on them.

use crate::attribute::{AttributeDefinition, AttributeName};
use crate::audit::AuditDraft;
use crate::error::{Error, StoreError};
use crate::ids::{TenantId, TokenId};
use crate::tenant::{NewTenant, Tenant, TenantSettings, TenantSlug};
use crate::token::{ApiToken, SecretHash};
use async_trait::async_trait;
use time::OffsetDateTime;

/// Tenants, API tokens and custom attribute definitions.
#[async_trait]
pub trait TenantStore: Send + Sync {
    /// Creates a tenant (`slug_taken` when the slug exists).
    async fn create_tenant(
        &self,
        tenant: NewTenant,
        now: OffsetDateTime,
        audit: AuditDraft,
    ) -> Result<Tenant, Error>;
    async fn tenant_by_slug(&self, slug: &TenantSlug) -> Result<Option<Tenant>, StoreError>;
    async fn list_tenants(&self) -> Result<Vec<Tenant>, StoreError>;
    async fn update_tenant_settings(
        &self,
        tenant_id: TenantId,
        settings: TenantSettings,
        audit: AuditDraft,
    ) -> Result<Tenant, Error>;

    // --- API tokens ---

    async fn create_token(&self, token: ApiToken, audit: AuditDraft) -> Result<(), Error>;
    async fn token_by_hash(&self, hash: &SecretHash) -> Result<Option<ApiToken>, StoreError>;
    /// The tokens of a tenant, or the super-admin tokens for `None`
    /// (SCIM tokens included), oldest first.
    async fn list_tokens(&self, tenant_id: Option<TenantId>) -> Result<Vec<ApiToken>, StoreError>;
    /// Removes a token of the tenant (`None`: a super-admin token);
    /// `token_not_found` when there is none with this id there.
    async fn delete_token(
        &self,
        tenant_id: Option<TenantId>,
        id: TokenId,
        audit: AuditDraft,
    ) -> Result<(), Error>;
    /// Removes the super-admin token of this name, if any (the bootstrap
    /// token once `USHER_BOOTSTRAP_TOKEN` is unset); answers whether one was.
    /// Nothing is audited when there was none.
    async fn delete_named_super_token(&self, name: &str, audit: AuditDraft) -> Result<bool, Error>;
    /// Records that the token authenticated a request at `at`.
    async fn touch_token(&self, id: TokenId, at: OffsetDateTime) -> Result<(), StoreError>;
    /// Makes `token` the only super-admin token named like it (the
    /// bootstrap token follows `USHER_BOOTSTRAP_TOKEN` across restarts).
    async fn replace_named_super_token(
        &self,
        token: ApiToken,
        audit: AuditDraft,
    ) -> Result<(), Error>;

    // --- custom attributes ---

    async fn list_attributes(
        &self,
        tenant_id: TenantId,
    ) -> Result<Vec<AttributeDefinition>, StoreError>;
    /// Refuses with `attribute_exists` when the name is taken (ignoring case).
    async fn create_attribute(
        &self,
        tenant_id: TenantId,
        def: AttributeDefinition,
        audit: AuditDraft,
    ) -> Result<(), Error>;
    /// Removes a definition. While users hold values, refuses with
    /// `attribute_in_use` unless `purge`, which removes the values too
    /// (bumping those users' versions). Answers the number of values purged.
    async fn delete_attribute(
        &self,
        tenant_id: TenantId,
        name: &AttributeName,
        purge: bool,
        now: OffsetDateTime,
        audit: AuditDraft,
    ) -> Result<u64, Error>;
}
