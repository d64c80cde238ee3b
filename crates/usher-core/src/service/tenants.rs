//! Tenants and their settings.

use super::Services;
use crate::audit::{AuditAction, AuditContext};
use crate::error::{Error, Missing};
use crate::tenant::TenantSlug;
use crate::tenant::{NewTenant, Tenant};
use serde_json::{Value, json};

impl Services {
    /// Creates a tenant (`POST /api/v1/tenants`), recorded in the global chain.
    pub async fn create_tenant(&self, ctx: &AuditContext, body: Value) -> Result<Tenant, Error> {
        let draft = self.draft(ctx, None, AuditAction::TenantCreate);
        let new = self.accept(&draft, NewTenant::from_json(body)).await?;
        let draft = draft.details(json!({"slug": new.slug, "name": new.name}));
        self.store.create_tenant(new, self.clock.now(), draft).await
    }

    /// Creates the `default` tenant on a fresh install (no tenants at all).
    pub async fn ensure_default_tenant(&self, ctx: &AuditContext) -> Result<(), Error> {
        if !self.store.list_tenants().await?.is_empty() {
            return Ok(());
        }
        match self
            .create_tenant(
                ctx,
                json!({"slug": crate::tenant::DEFAULT_TENANT, "name": "Default"}),
            )
            .await
        {
            // Another process created it first.
            Ok(_) | Err(Error::Conflict { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    pub async fn list_tenants(&self, ctx: &AuditContext) -> Result<Vec<Tenant>, Error> {
        let tenants = self.store.list_tenants().await?;
        self.store
            .append_audit(
                self.draft(ctx, None, AuditAction::TenantList)
                    .details(json!({"returned": tenants.len()})),
            )
            .await?;
        Ok(tenants)
    }

    /// Resolves a tenant by slug, unaudited: authentication calls it before
    /// knowing whether the caller may see the tenant at all.
    pub async fn find_tenant(&self, slug: &str) -> Result<Tenant, Error> {
        if let Some(t) = self.caches.tenants.get(&slug.to_owned()) {
            return Ok(t);
        }
        // A slug that cannot be one names no tenant.
        let parsed = TenantSlug::parse(slug).map_err(|_| Error::NotFound(Missing::Tenant))?;
        let tenant = self
            .store
            .tenant_by_slug(&parsed)
            .await?
            .ok_or(Error::NotFound(Missing::Tenant))?;
        self.caches.tenants.put(slug.to_owned(), tenant.clone());
        Ok(tenant)
    }

    pub async fn view_tenant(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        action: AuditAction,
    ) -> Result<(), Error> {
        self.store
            .append_audit(self.draft(ctx, Some(tenant), action))
            .await?;
        Ok(())
    }

    /// Applies a merge patch to the tenant's settings.
    pub async fn update_settings(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        body: Value,
    ) -> Result<Tenant, Error> {
        let draft = self.draft(ctx, Some(tenant), AuditAction::TenantSettingsUpdate);
        let next = self.accept(&draft, tenant.settings.patched(body)).await?;
        let draft = draft.details(json!({"from": tenant.settings, "to": next}));
        let updated = self
            .store
            .update_tenant_settings(tenant.id, next, draft)
            .await;
        self.caches.tenants.forget(&tenant.slug.as_str().to_owned());
        updated
    }
}
