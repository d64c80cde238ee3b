//! The tenant aggregate ([`TenantStore`]): tenants and their settings, API
//! tokens, custom attribute definitions.

mod attributes;
mod tokens;

use crate::error::{DbExt, constraint, unavailable};
use crate::ids::id;
use crate::write::Write;
use crate::{PostgresStore, detached};
use async_trait::async_trait;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::{PgPool, Row};
use time::OffsetDateTime;
use usher_core::attribute::AttributeDefinition;
use usher_core::attribute::AttributeName;
use usher_core::audit::AuditDraft;
use usher_core::error::{Error, Missing};
use usher_core::store::TenantStore;
use usher_core::tenant::{NewTenant, Tenant, TenantSettings, TenantSlug};
use usher_core::token::{ApiToken, SecretHash};
use usher_core::{Id, StoreError, TenantId, TokenId};

fn tenant(r: &PgRow) -> Result<Tenant, StoreError> {
    let slug: String = r.try_get(1).map_err(unavailable)?;
    let Json(settings): Json<serde_json::Value> = r.try_get(3).map_err(unavailable)?;
    Ok(Tenant {
        id: id(r, 0).map_err(unavailable)?,
        slug: TenantSlug::parse(&slug)
            .map_err(|_| StoreError::Corrupt(format!("tenant slug {slug:?} is invalid")))?,
        name: r.try_get(2).map_err(unavailable)?,
        // Settings stored by an older Usher lack newer fields, which take
        // their defaults.
        settings: serde_json::from_value(settings).unwrap_or_default(),
        created_at: r.try_get(4).map_err(unavailable)?,
    })
}

pub(crate) async fn key_of(pool: &PgPool, id: TenantId) -> Result<Option<i64>, StoreError> {
    sqlx::query_scalar("SELECT key FROM tenants WHERE id = $1")
        .bind(id.uuid())
        .fetch_optional(pool)
        .await
        .map_err(unavailable)
}

pub(crate) async fn create(
    pool: &PgPool,
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
    let mut w = Write::begin(pool, audit.target("tenant", t.id)).await?;
    let result = sqlx::query(
        "INSERT INTO tenants (id, slug, name, settings, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(t.id.uuid())
    .bind(t.slug.as_str())
    .bind(&t.name)
    .bind(Json(&t.settings))
    .bind(t.created_at)
    .execute(&mut *w.tx)
    .await
    .map_err(constraint);
    w.finish(result.map(|_| t)).await
}

pub(crate) async fn by_slug(pool: &PgPool, slug: &str) -> Result<Option<Tenant>, StoreError> {
    // What cannot be a slug names no tenant (and may hold a NUL, which
    // PostgreSQL would refuse to compare).
    if TenantSlug::parse(slug).is_err() {
        return Ok(None);
    }
    let row =
        sqlx::query("SELECT id, slug, name, settings, created_at FROM tenants WHERE slug = $1")
            .bind(slug)
            .fetch_optional(pool)
            .await
            .map_err(unavailable)?;
    row.as_ref().map(tenant).transpose()
}

pub(crate) async fn list(pool: &PgPool) -> Result<Vec<Tenant>, StoreError> {
    let rows =
        sqlx::query("SELECT id, slug, name, settings, created_at FROM tenants ORDER BY slug")
            .fetch_all(pool)
            .await
            .map_err(unavailable)?;
    rows.iter().map(tenant).collect()
}

pub(crate) async fn update_settings(
    pool: &PgPool,
    tenant_id: TenantId,
    settings: TenantSettings,
    audit: AuditDraft,
) -> Result<Tenant, Error> {
    let mut w = Write::begin(pool, audit).await?;
    let result = async {
        let row = sqlx::query("UPDATE tenants SET settings = $2 WHERE id = $1 RETURNING id, slug, name, settings, created_at")
            .bind(tenant_id.uuid())
            .bind(Json(&settings))
            .fetch_optional(&mut *w.tx)
            .await
            .db()?;
        match row {
            Some(r) => Ok(tenant(&r)?),
            None => Err(Error::NotFound(Missing::Tenant)),
        }
    }
    .await;
    w.finish(result).await
}

#[async_trait]
impl TenantStore for PostgresStore {
    async fn create_tenant(
        &self,
        tenant: NewTenant,
        now: OffsetDateTime,
        audit: AuditDraft,
    ) -> Result<Tenant, Error> {
        let pool = self.pool().clone();
        detached(async move { create(&pool, tenant, now, audit).await }).await
    }

    async fn tenant_by_slug(&self, slug: &TenantSlug) -> Result<Option<Tenant>, StoreError> {
        by_slug(self.pool(), slug.as_str()).await
    }

    async fn list_tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        list(self.pool()).await
    }

    async fn update_tenant_settings(
        &self,
        tenant_id: TenantId,
        settings: TenantSettings,
        audit: AuditDraft,
    ) -> Result<Tenant, Error> {
        let pool = self.pool().clone();
        detached(async move { update_settings(&pool, tenant_id, settings, audit).await }).await
    }

    async fn create_token(&self, token: ApiToken, audit: AuditDraft) -> Result<(), Error> {
        let pool = self.pool().clone();
        detached(async move { tokens::create_token(&pool, token, audit).await }).await
    }

    async fn token_by_hash(&self, hash: &SecretHash) -> Result<Option<ApiToken>, StoreError> {
        tokens::token_by_hash(self.pool(), hash).await
    }

    async fn replace_named_super_token(
        &self,
        token: ApiToken,
        audit: AuditDraft,
    ) -> Result<(), Error> {
        let pool = self.pool().clone();
        detached(async move { tokens::replace_named_super_token(&pool, token, audit).await }).await
    }

    async fn list_tokens(&self, tenant_id: Option<TenantId>) -> Result<Vec<ApiToken>, StoreError> {
        tokens::list_tokens(self.pool(), tenant_id).await
    }

    async fn delete_token(
        &self,
        tenant_id: Option<TenantId>,
        id: TokenId,
        audit: AuditDraft,
    ) -> Result<(), Error> {
        let pool = self.pool().clone();
        detached(async move { tokens::delete_token(&pool, tenant_id, id, audit).await }).await
    }

    async fn delete_named_super_token(&self, name: &str, audit: AuditDraft) -> Result<bool, Error> {
        let pool = self.pool().clone();
        let name = name.to_owned();
        detached(async move { tokens::delete_named_super_token(&pool, &name, audit).await }).await
    }

    async fn touch_token(&self, id: TokenId, at: OffsetDateTime) -> Result<(), StoreError> {
        tokens::touch_token(self.pool(), id, at).await
    }

    async fn list_attributes(
        &self,
        tenant_id: TenantId,
    ) -> Result<Vec<AttributeDefinition>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        attributes::list_attributes(self.pool(), tk).await
    }

    async fn create_attribute(
        &self,
        tenant_id: TenantId,
        def: AttributeDefinition,
        audit: AuditDraft,
    ) -> Result<(), Error> {
        let tk = self.tenant_key(tenant_id).await?;
        let pool = self.pool().clone();
        detached(async move { attributes::create_attribute(&pool, tk, def, audit).await }).await
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
        let pool = self.pool().clone();
        let name = name.as_str().to_owned();
        detached(async move {
            attributes::delete_attribute(&pool, tk, tenant_id, &name, purge, now, audit).await
        })
        .await
    }
}
