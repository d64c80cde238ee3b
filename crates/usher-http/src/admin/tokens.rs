//! `/api/v1/tenants/{tenant}/tokens` and, for super-admins,
//! `/api/v1/tokens`: API tokens, their expiry and last use, and their
//! revocation. A token's secret is in the answer that created it and
//! nowhere else.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{JsonBody, SuperAdmin, TenantAdmin};
use crate::paging::single_page;
use crate::schema::{BodyErrors, CommonErrors, Links};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use usher_core::audit::Actor;
use usher_core::scope::AdminScope;
use usher_core::token::{ApiToken, Secret, TokenRequest};
use utoipa::ToSchema;
use uuid::Uuid;

/// An API token (never its secret, except in the answer that created it).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub id: Uuid,
    pub name: String,
    /// The admin role of a tenant's token (`tenant_admin`, `user_admin`,
    /// `helpdesk`, `auditor`, `bulk_operator`), `super_admin`, or `scim`
    /// for a token that only the SCIM endpoint accepts.
    pub role: String,
    /// The part of the directory the token acts on, as an admin role grant
    /// shows it (`{"group": name}` or `{"attribute": name, "equals":
    /// value}`); `null`: all of it.
    #[schema(value_type = Option<Object>)]
    pub scope: Option<Value>,
    /// Whether only the SCIM endpoint accepts the token.
    pub scim: bool,
    /// After this time the token is refused; `null`: never.
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// Who made it, as the audit log names actors; `null` for tokens made
    /// before this was recorded.
    #[schema(value_type = Option<Object>)]
    pub created_by: Option<Value>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When the token last authenticated a request, to the minute.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
    /// The admin who made it while logged in as themselves: it works only
    /// while they hold its role (or `tenant_admin`) for the whole tenant
    /// or for the token's scope, and goes with them.
    /// `null`: a service account's token.
    pub owner_id: Option<Uuid>,
    /// The secret: only in the answer of `POST`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl TokenResponse {
    fn new(t: &ApiToken, secret: Option<&Secret>) -> Self {
        Self {
            id: t.id.uuid(),
            name: t.name.clone(),
            role: t.role().to_owned(),
            scope: t.admin_scope.as_ref().map(AdminScope::to_json),
            scim: t.scope == usher_core::token::TokenScope::Scim,
            expires_at: t.expires_at,
            created_by: t
                .created_by
                .as_deref()
                .map(|s| serde_json::to_value(Actor::from_stored(s)).unwrap_or(Value::Null)),
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            owner_id: t.owner_id.map(|o| o.uuid()),
            secret: secret.map(|s| s.expose().to_owned()),
        }
    }
}

/// The body of `POST /tokens`.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct CreateTokenRequest {
    /// 1 to 100 printable characters, to recognise the token by.
    pub name: String,
    /// The admin role a tenant's token acts with: `tenant_admin` (the
    /// default), `user_admin`, `helpdesk`, `auditor` or `bulk_operator`
    /// (see docs/admin-roles.md). A token of `/api/v1/tokens` can only be
    /// `super_admin`, a SCIM token only `scim`.
    pub role: Option<String>,
    /// The part of the directory the token acts on, as in an admin role
    /// grant: `{"group": name}`, `{"attribute": name, "equals": value}`,
    /// or `null` for the whole tenant. Left out: the scope of the admin
    /// making it (the whole tenant for a tenant-wide admin). An admin of a
    /// scope may make tokens of that scope only; super-admin and SCIM
    /// tokens take `null` only.
    #[schema(value_type = Option<Object>)]
    pub scope: Option<Value>,
    /// RFC 3339, in the future; `null` or absent: never expires.
    pub expires_at: Option<String>,
    /// `true` for a token that only the SCIM endpoint accepts (tenants only).
    pub scim: Option<bool>,
}

/// The tokens of a tenant, or the super-admin tokens.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenList {
    pub items: Vec<TokenResponse>,
    pub total: u64,
    pub links: Links,
}

fn token_list(base: &str, tokens: &[ApiToken]) -> TokenList {
    TokenList {
        items: tokens.iter().map(|t| TokenResponse::new(t, None)).collect(),
        total: tokens.len() as u64,
        links: single_page(base),
    }
}

fn created(token: &ApiToken, secret: &Secret) -> Response {
    (
        StatusCode::CREATED,
        Json(TokenResponse::new(token, Some(secret))),
    )
        .into_response()
}

/// List a tenant's API tokens.
///
/// Oldest first, SCIM tokens included; secrets are never shown. An admin
/// of a scope sees the tokens of that scope only.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/tokens", tag = "tokens",
    params(("tenant" = String, Path, description = "Tenant slug")),
    responses((status = 200, description = "Every token of the tenant", body = TokenList), CommonErrors),
    security(("bearer" = [])))]
pub async fn list_tokens(
    State(state): State<AppState>,
    admin: TenantAdmin,
) -> ApiResult<Json<TokenList>> {
    let tokens = state
        .services
        .list_tokens(&admin.ctx, Some(&admin.tenant))
        .await?;
    let base = format!("/api/v1/tenants/{}/tokens", admin.tenant.slug);
    Ok(Json(token_list(&base, &tokens)))
}

/// Create an API token.
///
/// The answer carries the secret in `secret`; it is shown this once.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/tokens", tag = "tokens",
    params(("tenant" = String, Path, description = "Tenant slug")),
    request_body(content = CreateTokenRequest, content_type = "application/json"),
    responses((status = 201, description = "Created; `secret` is shown only here", body = TokenResponse),
        CommonErrors, BodyErrors),
    security(("bearer" = [])))]
pub async fn create_token(
    State(state): State<AppState>,
    admin: TenantAdmin,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let owner = admin.person.as_ref().map(|p| p.user.id);
    let request = body
        .and_then(|b| TokenRequest::from_json(b, false))
        .map(|r| TokenRequest {
            owner_id: owner,
            ..r
        });
    let (token, secret) = state
        .services
        .issue_token(&admin.ctx, Some(&admin.tenant), request)
        .await?;
    Ok(created(&token, &secret))
}

/// Revoke an API token.
///
/// The token is refused from the next request on, in every process within
/// 5 seconds. An admin of a scope revokes the tokens of that scope only.
#[utoipa::path(delete, path = "/api/v1/tenants/{tenant}/tokens/{id}", tag = "tokens",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = String, Path, description = "Token id")),
    responses((status = 204, description = "Revoked"), CommonErrors),
    security(("bearer" = [])))]
pub async fn revoke_token(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    state
        .services
        .revoke_token(&admin.ctx, Some(&admin.tenant), &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List the super-admin tokens.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens",
    responses((status = 200, description = "Every super-admin token", body = TokenList), CommonErrors),
    security(("bearer" = [])))]
pub async fn list_super_tokens(
    State(state): State<AppState>,
    admin: SuperAdmin,
) -> ApiResult<Json<TokenList>> {
    let tokens = state.services.list_tokens(&admin.ctx, None).await?;
    Ok(Json(token_list("/api/v1/tokens", &tokens)))
}

/// Create a super-admin token.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens",
    request_body(content = CreateTokenRequest, content_type = "application/json"),
    responses((status = 201, description = "Created; `secret` is shown only here", body = TokenResponse),
        CommonErrors, BodyErrors),
    security(("bearer" = [])))]
pub async fn create_super_token(
    State(state): State<AppState>,
    admin: SuperAdmin,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let request = body.and_then(|b| TokenRequest::from_json(b, true));
    let (token, secret) = state
        .services
        .issue_token(&admin.ctx, None, request)
        .await?;
    Ok(created(&token, &secret))
}

/// Revoke a super-admin token.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens",
    params(("id" = String, Path, description = "Token id")),
    responses((status = 204, description = "Revoked"), CommonErrors),
    security(("bearer" = [])))]
pub async fn revoke_super_token(
    State(state): State<AppState>,
    admin: SuperAdmin,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.services.revoke_token(&admin.ctx, None, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
