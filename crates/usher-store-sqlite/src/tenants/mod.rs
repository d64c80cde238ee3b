//! The tenant aggregate ([`TenantStore`]): tenants and their settings, API
//! tokens, custom attribute definitions.

mod attributes;
mod tokens;

use crate::conn::{DbExt, DbResult, audited, constraint, uuid};
use rusqlite::{Connection, OptionalExtension, Row, params};
use time::OffsetDateTime;
use usher_core::attribute::AttributeDefinition;
use usher_core::audit::AuditDraft;
use usher_core::clock::{from_micros, to_micros};
use usher_core::error::{Error, Missing};
use usher_core::tenant::{NewTenant, Tenant, TenantSettings, TenantSlug};
use usher_core::token::{ApiToken, SecretHash};
use usher_core::{Id, StoreError, TenantId, TokenId};

use crate::SqliteStore;
use async_trait::async_trait;
use usher_core::attribute::AttributeName;
use usher_core::store::TenantStore;

const TENANT_COLUMNS: &str = "id, slug, name, settings, created_at";

fn tenant(r: &Row<'_>) -> DbResult<Tenant> {
    let slug: String = r.get(1)?;
    let settings: String = r.get(3)?;
    Ok(Tenant {
        id: uuid(&r.get::<_, Vec<u8>>(0)?)?,
        slug: TenantSlug::parse(&slug).map_err(|_| rusqlite::Error::InvalidQuery)?,
        name: r.get(2)?,
        settings: serde_json::from_str(&settings).unwrap_or_default(),
        created_at: from_micros(r.get(4)?),
    })
}

pub(crate) fn key_of(c: &Connection, id: TenantId) -> DbResult<Option<i64>> {
    c.prepare_cached("SELECT key FROM tenants WHERE id = ?1")?
        .query_row([id.as_bytes().as_slice()], |r| r.get(0))
        .optional()
}

pub(crate) fn create(
    c: &Connection,
    new: NewTenant,
    now: OffsetDateTime,
    audit: AuditDraft,
) -> Result<Tenant, Error> {
    let t = Tenant {
        id: Id::generate(),
        slug: new.slug,
        name: new.name,
        settings: TenantSettings::default(),
        created_at: now,
    };
    let audit = audit.target("tenant", t.id);
    audited(c, audit, |c, _| {
        c.prepare_cached("INSERT INTO tenants (id, slug, name, settings, created_at) VALUES (?1, ?2, ?3, ?4, ?5)")
            .db()?
            .execute(params![
                t.id.as_bytes().as_slice(),
                t.slug.as_str(),
                t.name,
                serde_json::to_string(&t.settings).unwrap_or_default(),
                to_micros(t.created_at)
            ])
            .map_err(constraint)?;
        Ok(t)
    })
}

pub(crate) fn by_slug(c: &Connection, slug: &str) -> DbResult<Option<Tenant>> {
    c.prepare_cached(&format!(
        "SELECT {TENANT_COLUMNS} FROM tenants WHERE slug = ?1"
    ))?
    .query_row([slug], tenant)
    .optional()
}

pub(crate) fn list(c: &Connection) -> DbResult<Vec<Tenant>> {
    c.prepare_cached(&format!(
        "SELECT {TENANT_COLUMNS} FROM tenants ORDER BY slug"
    ))?
    .query_map([], tenant)?
    .collect()
}

pub(crate) fn update_settings(
    c: &Connection,
    tenant_id: TenantId,
    settings: TenantSettings,
    audit: AuditDraft,
) -> Result<Tenant, Error> {
    audited(c, audit, |c, _| {
        let n = c
            .prepare_cached("UPDATE tenants SET settings = ?2 WHERE id = ?1")
            .db()?
            .execute(params![
                tenant_id.as_bytes().as_slice(),
                serde_json::to_string(&settings).unwrap_or_default()
            ])
            .db()?;
        if n == 0 {
            return Err(Error::NotFound(Missing::Tenant));
        }
        c.prepare_cached(&format!(
            "SELECT {TENANT_COLUMNS} FROM tenants WHERE id = ?1"
        ))
        .db()?
        .query_row([tenant_id.as_bytes().as_slice()], tenant)
        .db()
    })
}

#[async_trait]
impl TenantStore for SqliteStore {
    async fn create_tenant(
        &self,
        tenant: NewTenant,
        now: OffsetDateTime,
        audit: AuditDraft,
    ) -> Result<Tenant, Error> {
        self.inner
            .writer
            .write(move |c| create(c, tenant, now, audit))
            .await
    }

    async fn tenant_by_slug(&self, slug: &TenantSlug) -> Result<Option<Tenant>, StoreError> {
        let slug = slug.as_str().to_owned();
        self.read(move |c| by_slug(c, &slug)).await
    }

    async fn list_tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        self.read(list).await
    }

    async fn update_tenant_settings(
        &self,
        tenant_id: TenantId,
        settings: TenantSettings,
        audit: AuditDraft,
    ) -> Result<Tenant, Error> {
        self.inner
            .writer
            .write(move |c| update_settings(c, tenant_id, settings, audit))
            .await
    }

    async fn create_token(&self, token: ApiToken, audit: AuditDraft) -> Result<(), Error> {
        self.inner
            .writer
            .write(move |c| tokens::create_token(c, token, audit))
            .await
    }

    async fn token_by_hash(&self, hash: &SecretHash) -> Result<Option<ApiToken>, StoreError> {
        let hash = *hash;
        self.read(move |c| tokens::token_by_hash(c, &hash)).await
    }

    async fn replace_named_super_token(
        &self,
        token: ApiToken,
        audit: AuditDraft,
    ) -> Result<(), Error> {
        self.inner
            .writer
            .write(move |c| tokens::replace_named_super_token(c, token, audit))
            .await
    }

    async fn list_tokens(&self, tenant_id: Option<TenantId>) -> Result<Vec<ApiToken>, StoreError> {
        self.read(move |c| tokens::list_tokens(c, tenant_id)).await
    }

    async fn delete_token(
        &self,
        tenant_id: Option<TenantId>,
        id: TokenId,
        audit: AuditDraft,
    ) -> Result<(), Error> {
        self.inner
            .writer
            .write(move |c| tokens::delete_token(c, tenant_id, id, audit))
            .await
    }

    async fn delete_named_super_token(&self, name: &str, audit: AuditDraft) -> Result<bool, Error> {
        let name = name.to_owned();
        self.inner
            .writer
            .write(move |c| tokens::delete_named_super_token(c, &name, audit))
            .await
    }

    async fn touch_token(&self, id: TokenId, at: OffsetDateTime) -> Result<(), StoreError> {
        let at = usher_core::clock::to_micros(at);
        self.inner
            .writer
            .write(move |c| tokens::touch_token(c, id, at))
            .await
            .map_err(|e| match e {
                Error::Store(s) => s,
                other => StoreError::Unavailable(other.to_string()),
            })
    }

    async fn list_attributes(
        &self,
        tenant_id: TenantId,
    ) -> Result<Vec<AttributeDefinition>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        self.read(move |c| attributes::list_attributes(c, tk)).await
    }

    async fn create_attribute(
        &self,
        tenant_id: TenantId,
        def: AttributeDefinition,
        audit: AuditDraft,
    ) -> Result<(), Error> {
        let tk = self.tenant_key(tenant_id).await?;
        self.inner
            .writer
            .write(move |c| attributes::create_attribute(c, tk, def, audit))
            .await
    }

    async fn delete_attribute(
        &self,
        tenant_id: TenantId,
        name: &AttributeName,
        purge: bool,
        now: OffsetDateTime,
        audit: AuditDraft,
    ) -> Result<u64, Error> {
        let tk = self.tenant_key(tenant_id).await?;
        let name = name.as_str().to_owned();
        self.inner
            .writer
            .write(move |c| {
                attributes::delete_attribute(c, tk, tenant_id, &name, purge, now, audit)
            })
            .await
    }
}
