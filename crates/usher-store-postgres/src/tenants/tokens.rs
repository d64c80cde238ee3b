//! API tokens: stored by the hash of their secret.

use crate::error::{DbExt, constraint, unavailable};
use crate::ids::{id, opt_id};
use crate::write::Write;
use serde_json::json;
use sqlx::{PgConnection, PgPool, Row};
use usher_core::StoreError;
use usher_core::audit::AuditDraft;
use usher_core::error::{Error, ErrorCode, Missing};
use usher_core::token::{ApiToken, SecretHash, TokenScope};
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
    sqlx::query("INSERT INTO api_tokens (id, tenant_key, scope, name, hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(token.id.uuid())
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
        id: id(&r, 0).map_err(unavailable)?,
        tenant_id: opt_id(&r, 1).map_err(unavailable)?,
        scope: TokenScope::parse(&scope)
            .ok_or_else(|| StoreError::Corrupt(format!("token scope {scope:?}")))?,
        name: r.try_get(3).map_err(unavailable)?,
        hash: SecretHash::from_slice(&stored_hash)
            .ok_or_else(|| StoreError::Corrupt("token hash length".into()))?,
        created_at: r.try_get(5).map_err(unavailable)?,
    }))
}
