//! Custom attribute definitions.

use super::Services;
use crate::attribute::{AttributeDefinition, AttributeName, NewAttributeDefinition};
use crate::audit::{AuditAction, AuditContext};
use crate::error::Error;
use crate::tenant::Tenant;
use serde_json::{Value, json};

impl Services {
    pub async fn list_attributes(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
    ) -> Result<Vec<AttributeDefinition>, Error> {
        let mut defs = self.store.list_attributes(tenant.id).await?;
        defs.sort_by_key(|d| d.name.key());
        self.store
            .append_audit(
                self.draft(ctx, Some(tenant), AuditAction::AttributeList)
                    .details(json!({"returned": defs.len()})),
            )
            .await?;
        Ok(defs)
    }

    pub async fn create_attribute(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        body: Value,
    ) -> Result<AttributeDefinition, Error> {
        let draft = self.draft(ctx, Some(tenant), AuditAction::AttributeCreate);
        let new = self
            .accept(&draft, NewAttributeDefinition::from_json(body))
            .await?;
        let def = AttributeDefinition {
            name: new.name,
            label: new.label,
            max_length: new.max_length,
            regex: new.regex,
            created_at: self.clock.now(),
        };
        let draft = draft
            .target("attribute", def.name.as_str())
            .details(json!(def));
        let created = self
            .store
            .create_attribute(tenant.id, def.clone(), draft)
            .await;
        self.caches.attributes.forget(&tenant.id);
        created.map(|()| def)
    }

    /// Deletes a definition; with `purge`, also every value users hold.
    pub async fn delete_attribute(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        name: &str,
        purge: bool,
    ) -> Result<u64, Error> {
        let draft = self.draft(ctx, Some(tenant), AuditAction::AttributeDelete);
        let name = match AttributeName::parse("name", name) {
            Ok(n) => n,
            Err(e) => {
                let err = Error::NotFound(crate::error::Missing::Attribute);
                return Err(self
                    .refuse(
                        draft.details(json!({"name": name, "problem": e.message})),
                        err,
                    )
                    .await);
            }
        };
        let draft = draft
            .target("attribute", name.as_str())
            .details(json!({"purge": purge}));
        let deleted = self
            .store
            .delete_attribute(tenant.id, &name, purge, self.clock.now(), draft)
            .await;
        self.caches.attributes.forget(&tenant.id);
        deleted
    }
}
