//! `/api/v1/tenants/{tenant}/users/{id}/factors`: a user's second factors,
//! as admins list and remove them (never the last authenticator), the
//! revocation of their recovery codes, and the reset of them all.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{AuditedCaller, JsonBody, TenantAdmin};
use crate::schema::{BodyErrors, CommonErrors};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use time::OffsetDateTime;
use usher_core::audit::AuditAction;
use usher_core::factor::Factor;
use utoipa::ToSchema;
use uuid::Uuid;

/// One factor as admins see it (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct FactorResponse {
    pub id: Uuid,
    /// `totp` or `recovery_codes`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub label: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<OffsetDateTime>,
    /// False while a TOTP enrolment waits for its first code.
    pub confirmed: bool,
    /// Unused recovery codes (recovery codes only).
    pub remaining: Option<u32>,
}

impl From<Factor> for FactorResponse {
    fn from(f: Factor) -> Self {
        Self {
            id: f.id.uuid(),
            kind: f.kind.as_str(),
            label: f.label,
            created_at: f.created_at,
            last_used_at: f.last_used_at,
            confirmed: f.confirmed,
            remaining: f.remaining,
        }
    }
}

/// A user's factors.
#[derive(Debug, Serialize, ToSchema)]
pub struct FactorList {
    pub items: Vec<FactorResponse>,
    pub total: usize,
}

/// A user's second factors.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/users/{id}/factors", tag = "users",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = String, Path, description = "User id (UUID)")),
    responses((status = 200, description = "Factors, oldest first", body = FactorList),
        CommonErrors),
    security(("bearer" = [])))]
pub async fn list_user_factors(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<FactorList>> {
    let factors = state
        .services
        .list_factors(&admin.tenant, &admin.ctx, &id)
        .await?;
    Ok(Json(FactorList {
        total: factors.len(),
        items: factors.into_iter().map(FactorResponse::from).collect(),
    }))
}

/// Remove a factor; the last authenticator of a user is refused.
#[utoipa::path(delete, path = "/api/v1/tenants/{tenant}/users/{id}/factors/{fid}", tag = "users",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = String, Path, description = "User id (UUID)"),
        ("fid" = String, Path, description = "Factor id (UUID)")),
    responses((status = 204, description = "Removed"),
        (status = 409, description = "last_second_factor", body = crate::error::Problem, content_type = "application/problem+json"),
        CommonErrors),
    security(("bearer" = [])))]
pub async fn delete_user_factor(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path((_, id, fid)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    state
        .services
        .delete_factor(&admin.tenant, &admin.ctx, &id, Some(&fid))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Revoke a user's recovery codes.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/users/{id}/recovery-codes/revoke", tag = "users",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = String, Path, description = "User id (UUID)")),
    responses((status = 204, description = "Revoked"),
        CommonErrors),
    security(("bearer" = [])))]
pub async fn revoke_user_recovery_codes(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    state
        .services
        .delete_factor(&admin.tenant, &admin.ctx, &id, None)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The body of `POST /users/{id}/mfa-reset`.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct MfaResetRequest {
    /// Why (a lost phone, a ticket number): kept in the audit log. At most
    /// 500 characters.
    pub reason: String,
}

/// What a second-factor reset removed.
#[derive(Debug, Serialize, ToSchema)]
pub struct MfaResetResponse {
    /// Factors removed (an authenticator app, the recovery codes).
    pub removed_factors: u64,
}

/// Reset a user's second factors.
///
/// Removes every factor and recovery code of the user and ends all their
/// sessions; at their next login the user must set up an authenticator app
/// (`enrolment_required`), whatever the tenant's `mfa` setting, until they
/// confirm one. Audited as `user.mfa_reset` with the reason.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/users/{id}/mfa-reset", tag = "users",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = String, Path, description = "User id (UUID)")),
    request_body(content = MfaResetRequest, content_type = "application/json"),
    responses((status = 200, description = "Reset", body = MfaResetResponse),
        CommonErrors, BodyErrors),
    security(("bearer" = [])))]
pub async fn reset_user_factors(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path((_, id)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<MfaResetResponse>> {
    let body = admin
        .accept(&state, AuditAction::UserMfaReset, body)
        .await?;
    let removed_factors = state
        .services
        .reset_second_factors(&admin.tenant, &admin.ctx, &id, body)
        .await?;
    Ok(Json(MfaResetResponse { removed_factors }))
}
