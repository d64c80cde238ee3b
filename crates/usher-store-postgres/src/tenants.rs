//! Tenants, API tokens and custom attribute definitions.

use crate::error::{DbExt, constraint, unavailable};
use crate::write::Write;
use serde_json::json;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool, Row};
use time::OffsetDateTime;
use usher_core::StoreError;
use usher_core::attribute::{AttributeDefinition, AttributeName};
use usher_core::audit::AuditDraft;
use usher_core::error::{Error, Missing};
use usher_core::tenant::{NewTenant, Tenant, TenantSettings, TenantSlug};
use usher_core::token::{ApiToken, SecretHash, TokenScope};
use uuid::Uuid;

fn tenant(r: &PgRow) -> Result<Tenant, StoreError> {
    let slug: String = r.try_get(1).map_err(unavailable)?;
    let Json(settings): Json<serde_json::Value> = r.try_get(3).map_err(unavailable)?;
    Ok(Tenant {
        id: r.try_get(0).map_err(unavailable)?,
        slug: TenantSlug::parse(&slug)
            .map_err(|_| StoreError::Corrupt(format!("tenant slug {slug:?} is invalid")))?,
        name: r.try_get(2).map_err(unavailable)?,
        // Settings stored by an older Usher lack newer fields, which take
        // their defaults.
        settings: serde_json::from_value(settings).unwrap_or_default(),
        created_at: r.try_get(4).map_err(unavailable)?,
    })
}

pub(crate) async fn key_of(pool: &PgPool, id: Uuid) -> Result<Option<i64>, StoreError> {
    sqlx::query_scalar("SELECT key FROM tenants WHERE id = $1")
        .bind(id)
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
        id: Uuid::now_v7(),
        slug: new.slug,
        name: new.name,
        settings: TenantSettings::default(),
        created_at: now,
    };
    let mut w = Write::begin(pool, audit.target("tenant", t.id)).await?;
    let result = sqlx::query(
        "INSERT INTO tenants (id, slug, name, settings, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(t.id)
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
    tenant_id: Uuid,
    settings: TenantSettings,
    audit: AuditDraft,
) -> Result<Tenant, Error> {
    let mut w = Write::begin(pool, audit).await?;
    let result = async {
        let row = sqlx::query("UPDATE tenants SET settings = $2 WHERE id = $1 RETURNING id, slug, name, settings, created_at")
            .bind(tenant_id)
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

async fn insert_token(c: &mut PgConnection, token: &ApiToken) -> Result<(), Error> {
    let tenant_key: Option<i64> = match token.tenant_id {
        None => None,
        Some(id) => Some(
            sqlx::query_scalar("SELECT key FROM tenants WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *c)
                .await
                .db()?
                .ok_or(Error::NotFound(Missing::Tenant))?,
        ),
    };
    sqlx::query("INSERT INTO api_tokens (id, tenant_key, scope, name, hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(token.id)
        .bind(tenant_key)
        .bind(token.scope.as_str())
        .bind(&token.name)
        .bind(&token.hash.0[..])
        .bind(token.created_at)
        .execute(c)
        .await
        .map_err(constraint)?;
    Ok(())
}

pub(crate) async fn create_token(
    pool: &PgPool,
    token: ApiToken,
    audit: AuditDraft,
) -> Result<(), Error> {
    let mut w = Write::begin(pool, audit).await?;
    let result = insert_token(&mut w.tx, &token).await;
    w.finish(result).await
}

pub(crate) async fn replace_named_super_token(
    pool: &PgPool,
    token: ApiToken,
    audit: AuditDraft,
) -> Result<(), Error> {
    let mut w = Write::begin(pool, audit).await?;
    let result = async {
        // Processes starting together all install the same bootstrap token:
        // one at a time, so that the later ones find it in place instead of
        // colliding on its hash.
        sqlx::query(
            "SELECT pg_advisory_xact_lock(hashtextextended('usher.super_token.' || $1, 0))",
        )
        .bind(&token.name)
        .execute(&mut *w.tx)
        .await
        .db()?;
        let same: Option<Uuid> = sqlx::query_scalar(
            "SELECT id FROM api_tokens WHERE tenant_key IS NULL AND name = $1 AND hash = $2",
        )
        .bind(&token.name)
        .bind(&token.hash.0[..])
        .fetch_optional(&mut *w.tx)
        .await
        .db()?;
        if same.is_some() {
            w.draft.details = json!({"changed": false});
            return Ok(());
        }
        // Refuse a secret another token uses before changing anything (the
        // unique index would refuse it too, but only after the details
        // below said it changed).
        let taken: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM api_tokens WHERE hash = $1)")
                .bind(&token.hash.0[..])
                .fetch_one(&mut *w.tx)
                .await
                .db()?;
        if taken {
            return Err(Error::Conflict {
                code: "token_exists",
                field: None,
                message: "a token with this secret already exists".into(),
            });
        }
        sqlx::query("DELETE FROM api_tokens WHERE tenant_key IS NULL AND name = $1")
            .bind(&token.name)
            .execute(&mut *w.tx)
            .await
            .db()?;
        w.draft.details = json!({"changed": true});
        insert_token(&mut w.tx, &token).await
    }
    .await;
    w.finish(result).await
}

pub(crate) async fn token_by_hash(
    pool: &PgPool,
    hash: &SecretHash,
) -> Result<Option<ApiToken>, StoreError> {
    let row = sqlx::query(
        "SELECT k.id, t.id, k.scope, k.name, k.hash, k.created_at FROM api_tokens k \
         LEFT JOIN tenants t ON t.key = k.tenant_key WHERE k.hash = $1",
    )
    .bind(&hash.0[..])
    .fetch_optional(pool)
    .await
    .map_err(unavailable)?;
    let Some(r) = row else { return Ok(None) };
    let scope: String = r.try_get(2).map_err(unavailable)?;
    let stored_hash: Vec<u8> = r.try_get(4).map_err(unavailable)?;
    Ok(Some(ApiToken {
        id: r.try_get(0).map_err(unavailable)?,
        tenant_id: r.try_get(1).map_err(unavailable)?,
        scope: TokenScope::parse(&scope)
            .ok_or_else(|| StoreError::Corrupt(format!("token scope {scope:?}")))?,
        name: r.try_get(3).map_err(unavailable)?,
        hash: SecretHash::from_slice(&stored_hash)
            .ok_or_else(|| StoreError::Corrupt("token hash length".into()))?,
        created_at: r.try_get(5).map_err(unavailable)?,
    }))
}

pub(crate) async fn list_attributes(
    pool: &PgPool,
    tk: i64,
) -> Result<Vec<AttributeDefinition>, StoreError> {
    let rows: Vec<(String, String, i32, Option<String>, OffsetDateTime)> = sqlx::query_as(
        "SELECT name, label, max_length, regex, created_at FROM attribute_definitions \
         WHERE tenant_key = $1 ORDER BY name_key",
    )
    .bind(tk)
    .fetch_all(pool)
    .await
    .map_err(unavailable)?;
    rows.into_iter()
        .map(|(name, label, max_length, regex, created_at)| {
            Ok(AttributeDefinition {
                name: AttributeName::from_stored(name),
                label,
                max_length: u16::try_from(max_length).map_err(|_| {
                    StoreError::Corrupt(format!("attribute max_length {max_length}"))
                })?,
                regex,
                created_at,
            })
        })
        .collect()
}

pub(crate) async fn create_attribute(
    pool: &PgPool,
    tk: i64,
    def: AttributeDefinition,
    audit: AuditDraft,
) -> Result<(), Error> {
    let mut w = Write::begin(pool, audit).await?;
    let result = sqlx::query(
        "INSERT INTO attribute_definitions (tenant_key, name_key, name, label, max_length, regex, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(tk)
    .bind(def.name.key())
    .bind(def.name.as_str())
    .bind(&def.label)
    .bind(i32::from(def.max_length))
    .bind(&def.regex)
    .bind(def.created_at)
    .execute(&mut *w.tx)
    .await
    .map(|_| ())
    .map_err(constraint);
    w.finish(result).await
}
