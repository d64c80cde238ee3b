//! Tenants, API tokens and custom attribute definitions.

use crate::conn::{DbExt, DbResult, audited, constraint};
use crate::rows::uuid;
use rusqlite::{Connection, OptionalExtension, Row, params};
use time::OffsetDateTime;
use usher_core::attribute::{AttributeDefinition, AttributeName};
use usher_core::audit::AuditDraft;
use usher_core::clock::{from_micros, to_micros};
use usher_core::error::{Error, Missing};
use usher_core::tenant::{NewTenant, Tenant, TenantSettings, TenantSlug};
use usher_core::token::{ApiToken, SecretHash, TokenScope};
use uuid::Uuid;

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

pub(crate) fn key_of(c: &Connection, id: Uuid) -> DbResult<Option<i64>> {
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
        id: Uuid::now_v7(),
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
    tenant_id: Uuid,
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

fn tenant_key_or_null(c: &Connection, id: Option<Uuid>) -> Result<Option<i64>, Error> {
    match id {
        None => Ok(None),
        Some(id) => key_of(c, id)
            .db()?
            .map(Some)
            .ok_or(Error::NotFound(Missing::Tenant)),
    }
}

fn insert_token(c: &Connection, token: &ApiToken) -> Result<(), Error> {
    let tk = tenant_key_or_null(c, token.tenant_id)?;
    c.prepare_cached("INSERT INTO api_tokens (id, tenant_key, scope, name, hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
        .db()?
        .execute(params![
            token.id.as_bytes().as_slice(),
            tk,
            token.scope.as_str(),
            token.name,
            token.hash.0.as_slice(),
            to_micros(token.created_at)
        ])
        .map_err(constraint)?;
    Ok(())
}

pub(crate) fn create_token(
    c: &Connection,
    token: ApiToken,
    audit: AuditDraft,
) -> Result<(), Error> {
    audited(c, audit, |c, _| insert_token(c, &token))
}

pub(crate) fn replace_named_super_token(
    c: &Connection,
    token: ApiToken,
    audit: AuditDraft,
) -> Result<(), Error> {
    audited(c, audit, |c, draft| {
        let same: Option<Vec<u8>> = c
            .prepare_cached(
                "SELECT id FROM api_tokens WHERE tenant_key IS NULL AND name = ?1 AND hash = ?2",
            )
            .db()?
            .query_row(params![token.name, token.hash.0.as_slice()], |r| r.get(0))
            .optional()
            .db()?;
        if same.is_some() {
            draft.details = serde_json::json!({"changed": false});
            return Ok(());
        }
        // Refuse a secret another token uses before changing anything.
        let taken = c
            .prepare_cached("SELECT 1 FROM api_tokens WHERE hash = ?1")
            .db()?
            .exists([token.hash.0.as_slice()])
            .db()?;
        if taken {
            return Err(Error::Conflict {
                code: "token_exists",
                field: None,
                message: "a token with this secret already exists".into(),
            });
        }
        c.prepare_cached("DELETE FROM api_tokens WHERE tenant_key IS NULL AND name = ?1")
            .db()?
            .execute([&token.name])
            .db()?;
        draft.details = serde_json::json!({"changed": true});
        insert_token(c, &token)
    })
}

pub(crate) fn token_by_hash(c: &Connection, hash: &SecretHash) -> DbResult<Option<ApiToken>> {
    c.prepare_cached(
        "SELECT k.id, t.id, k.scope, k.name, k.hash, k.created_at FROM api_tokens k \
         LEFT JOIN tenants t ON t.key = k.tenant_key WHERE k.hash = ?1",
    )?
    .query_row([hash.0.as_slice()], |r| {
        let tenant: Option<Vec<u8>> = r.get(1)?;
        let scope: String = r.get(2)?;
        let hash: Vec<u8> = r.get(4)?;
        Ok(ApiToken {
            id: uuid(&r.get::<_, Vec<u8>>(0)?)?,
            tenant_id: tenant.as_deref().map(uuid).transpose()?,
            scope: TokenScope::parse(&scope).ok_or(rusqlite::Error::InvalidQuery)?,
            name: r.get(3)?,
            hash: SecretHash::from_slice(&hash).ok_or(rusqlite::Error::InvalidQuery)?,
            created_at: from_micros(r.get(5)?),
        })
    })
    .optional()
}

pub(crate) fn list_attributes(c: &Connection, tk: i64) -> DbResult<Vec<AttributeDefinition>> {
    c.prepare_cached(
        "SELECT name, label, max_length, regex, created_at FROM attribute_definitions WHERE tenant_key = ?1 ORDER BY name_key",
    )?
    .query_map([tk], |r| {
        Ok(AttributeDefinition {
            name: AttributeName::from_stored(r.get(0)?),
            label: r.get(1)?,
            max_length: r.get(2)?,
            regex: r.get(3)?,
            created_at: from_micros(r.get(4)?),
        })
    })?
    .collect()
}

pub(crate) fn create_attribute(
    c: &Connection,
    tk: i64,
    def: AttributeDefinition,
    audit: AuditDraft,
) -> Result<(), Error> {
    audited(c, audit, |c, _| {
        c.prepare_cached(
            "INSERT INTO attribute_definitions (tenant_key, name_key, name, label, max_length, regex, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .db()?
        .execute(params![
            tk,
            def.name.key(),
            def.name.as_str(),
            def.label,
            def.max_length,
            def.regex,
            to_micros(def.created_at)
        ])
        .map_err(constraint)?;
        Ok(())
    })
}
