//! API tokens: stored by the hash of their secret.

use crate::error::{DbExt, constraint, unavailable};
use crate::ids::{id, opt_id};
use crate::role_scopes::{scope_at, scope_columns};
use crate::write::Write;
use serde_json::json;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Row};
use time::OffsetDateTime;
use usher_core::access::AdminRole;
use usher_core::audit::AuditDraft;
use usher_core::error::{Error, ErrorCode, Missing};
use usher_core::token::{ApiToken, SecretHash, TokenScope};
use usher_core::{StoreError, TenantId, TokenId};
use uuid::Uuid;

async fn insert_token(c: &mut PgConnection, token: &ApiToken) -> Result<(), Error> {
    let tenant_key: Option<i64> = match token.tenant_id {
        None => None,
        Some(id) => Some(
            sqlx::query_scalar("SELECT key FROM tenants WHERE id = $1")
                .bind(id.uuid())
                .fetch_optional(&mut *c)
                .await
                .db()?
                .ok_or(Error::NotFound(Missing::Tenant))?,
        ),
    };
    let owner_key: Option<i64> = match (tenant_key, token.owner_id) {
        (Some(tk), Some(owner)) => Some(
            sqlx::query_scalar("SELECT key FROM users WHERE id = $1 AND tenant_key = $2")
                .bind(owner.uuid())
                .bind(tk)
                .fetch_optional(&mut *c)
                .await
                .db()?
                .ok_or(Error::NotFound(Missing::User))?,
        ),
        _ => None,
    };
    let (group, attribute, value) = match (tenant_key, token.admin_scope.as_ref()) {
        (Some(tk), scope) => scope_columns(&mut *c, tk, scope).await?,
        (None, None) => (None, None, None),
        // A scope is part of one tenant's directory.
        (None, Some(_)) => {
            return Err(Error::bad_request(
                ErrorCode::TenantRequired,
                "a scoped token belongs to one tenant",
            ));
        }
    };
    sqlx::query(
        "INSERT INTO api_tokens (id, tenant_key, scope, name, hash, created_at, expires_at, created_by, role, owner_key, \
           scope_group_key, scope_attribute, scope_value) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
        .bind(token.id.uuid())
        .bind(tenant_key)
        .bind(token.scope.as_str())
        .bind(&token.name)
        .bind(&token.hash.0[..])
        .bind(token.created_at)
        .bind(token.expires_at)
        .bind(&token.created_by)
        .bind(token.admin_role.map(AdminRole::as_str))
        .bind(owner_key)
        .bind(group)
        .bind(attribute)
        .bind(value)
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
                code: ErrorCode::TokenExists,
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

/// A query of tokens with the columns [`read_token`] reads, in its order:
/// the token's, its tenant's and owner's ids, and its scope (see
/// `role_scopes`) from column 11 on.
macro_rules! select_tokens {
    ($tail:literal) => {
        concat!(
            "SELECT k.id, t.id, k.scope, k.name, k.hash, k.created_at, k.expires_at, \
             k.created_by, k.last_used_at, k.role, o.id, \
             g.id, g.display_name, k.scope_attribute, k.scope_value FROM api_tokens k \
             LEFT JOIN tenants t ON t.key = k.tenant_key \
             LEFT JOIN users o ON o.key = k.owner_key \
             LEFT JOIN groups g ON g.key = k.scope_group_key ",
            $tail
        )
    };
}

fn read_token(r: &PgRow) -> Result<ApiToken, StoreError> {
    let scope: String = r.try_get(2).map_err(unavailable)?;
    let stored_hash: Vec<u8> = r.try_get(4).map_err(unavailable)?;
    let role: Option<String> = r.try_get(9).map_err(unavailable)?;
    let admin_role = match role {
        None => None,
        Some(role) => Some(
            AdminRole::parse(&role)
                .ok_or_else(|| StoreError::Corrupt(format!("token role {role:?}")))?,
        ),
    };
    Ok(ApiToken {
        id: id(r, 0).map_err(unavailable)?,
        tenant_id: opt_id(r, 1).map_err(unavailable)?,
        scope: TokenScope::parse(&scope)
            .ok_or_else(|| StoreError::Corrupt(format!("token scope {scope:?}")))?,
        admin_role,
        name: r.try_get(3).map_err(unavailable)?,
        hash: SecretHash::from_slice(&stored_hash)
            .ok_or_else(|| StoreError::Corrupt("token hash length".into()))?,
        created_at: r.try_get(5).map_err(unavailable)?,
        expires_at: r.try_get(6).map_err(unavailable)?,
        created_by: r.try_get(7).map_err(unavailable)?,
        last_used_at: r.try_get(8).map_err(unavailable)?,
        owner_id: opt_id(r, 10).map_err(unavailable)?,
        admin_scope: scope_at(r, 11).map_err(unavailable)?,
    })
}

pub(crate) async fn token_by_hash(
    pool: &PgPool,
    hash: &SecretHash,
) -> Result<Option<ApiToken>, StoreError> {
    let row = sqlx::query(select_tokens!("WHERE k.hash = $1"))
        .bind(&hash.0[..])
        .fetch_optional(pool)
        .await
        .map_err(unavailable)?;
    row.as_ref().map(read_token).transpose()
}

pub(crate) async fn list_tokens(
    pool: &PgPool,
    tenant: Option<TenantId>,
) -> Result<Vec<ApiToken>, StoreError> {
    let rows = sqlx::query(select_tokens!(
        "WHERE t.id IS NOT DISTINCT FROM $1 ORDER BY k.created_at, k.id"
    ))
    .bind(tenant.map(|t| t.uuid()))
    .fetch_all(pool)
    .await
    .map_err(unavailable)?;
    rows.iter().map(read_token).collect()
}

pub(crate) async fn delete_token(
    pool: &PgPool,
    tenant: Option<TenantId>,
    token: TokenId,
    audit: AuditDraft,
) -> Result<(), Error> {
    let mut w = Write::begin(pool, audit).await?;
    let result = async {
        let name: Option<String> = sqlx::query_scalar(
            "DELETE FROM api_tokens k WHERE k.id = $1 AND CASE WHEN $2::uuid IS NULL \
             THEN k.tenant_key IS NULL ELSE k.tenant_key = (SELECT key FROM tenants WHERE id = $2) END \
             RETURNING k.name",
        )
        .bind(token.uuid())
        .bind(tenant.map(|t| t.uuid()))
        .fetch_optional(&mut *w.tx)
        .await
        .db()?;
        let name = name.ok_or(Error::NotFound(Missing::Token))?;
        w.draft.details = json!({"name": name});
        Ok(())
    }
    .await;
    w.finish(result).await
}

pub(crate) async fn delete_named_super_token(
    pool: &PgPool,
    name: &str,
    audit: AuditDraft,
) -> Result<bool, Error> {
    let found: Option<Uuid> =
        sqlx::query_scalar("SELECT id FROM api_tokens WHERE tenant_key IS NULL AND name = $1")
            .bind(name)
            .fetch_optional(pool)
            .await
            .db()?;
    let Some(found) = found else { return Ok(false) };
    let mut w = Write::begin(pool, audit.target("token", found)).await?;
    let result = sqlx::query("DELETE FROM api_tokens WHERE id = $1")
        .bind(found)
        .execute(&mut *w.tx)
        .await
        .db()
        .map(|_| true);
    w.finish(result).await
}

pub(crate) async fn touch_token(
    pool: &PgPool,
    token: TokenId,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
        .bind(token.uuid())
        .bind(at)
        .execute(pool)
        .await
        .map_err(unavailable)?;
    Ok(())
}
