//! `/api/v1/tenants` (super-admins) and a tenant's own record and settings.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{AuditedCaller, JsonBody, SuperAdmin, TenantAdmin};
use crate::paging::single_page;
use crate::schema::{BodyErrors, CommonErrors, Links, SettingsResponse, TenantResponse};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use usher_core::audit::AuditAction;
use utoipa::ToSchema;

/// The tenants.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantList {
    pub items: Vec<TenantResponse>,
    pub total: u64,
    pub links: Links,
}

/// The body of `POST /api/v1/tenants`.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct CreateTenantRequest {
    /// `^[a-z0-9][a-z0-9-]{0,62}$`
    pub slug: String,
    pub name: Option<String>,
}

/// The body of `PATCH /settings`: a merge patch of the settings.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct UpdateSettingsRequest {
    pub invitation_ttl_hours: Option<u32>,
    pub reset_ttl_hours: Option<u32>,
    pub password_min_length: Option<u32>,
    pub mfa: Option<String>,
    pub require_disable_before_delete: Option<bool>,
    pub min_search_length: Option<u32>,
    /// `true`: the user list shows nobody until a search is given (exports
    /// and SCIM are not affected).
    pub list_requires_search: Option<bool>,
    /// Hours a session may go unused before it ends (1 to 720; default 12).
    pub session_idle_timeout_hours: Option<u32>,
    /// Minutes an admin session may go unused before it ends (5 to 240;
    /// default 30).
    pub admin_idle_timeout_minutes: Option<u32>,
    /// Hours an admin session lasts at most (1 to 24; default 12).
    pub admin_session_hours: Option<u32>,
}

/// List tenants (super-admin).
#[utoipa::path(get, path = "/api/v1/tenants", tag = "tenants",
    responses((status = 200, description = "Every tenant", body = TenantList), CommonErrors),
    security(("bearer" = [])))]
pub async fn list_tenants(
    State(state): State<AppState>,
    admin: SuperAdmin,
) -> ApiResult<Json<TenantList>> {
    let tenants = state.services.list_tenants(&admin.ctx).await?;
    Ok(Json(TenantList {
        total: tenants.len() as u64,
        items: tenants.iter().map(TenantResponse::from).collect(),
        links: single_page("/api/v1/tenants"),
    }))
}

/// Create a tenant (super-admin).
#[utoipa::path(post, path = "/api/v1/tenants", tag = "tenants",
    request_body(content = CreateTenantRequest, content_type = "application/json"),
    responses((status = 201, description = "Created", body = TenantResponse,
            headers(("Location" = String, description = "URL of the new tenant"))),
        (status = 409, description = "slug_taken", body = crate::error::Problem, content_type = "application/problem+json"),
        CommonErrors, BodyErrors),
    security(("bearer" = [])))]
pub async fn create_tenant(
    State(state): State<AppState>,
    admin: SuperAdmin,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let body = admin
        .accept(&state, AuditAction::TenantCreate, body)
        .await?;
    let tenant = state.services.create_tenant(&admin.ctx, body).await?;
    let location = format!("/api/v1/tenants/{}", tenant.slug);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(TenantResponse::from(&tenant)),
    )
        .into_response())
}

/// Read a tenant.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}", tag = "tenants",
    params(("tenant" = String, Path, description = "Tenant slug")),
    responses((status = 200, description = "The tenant", body = TenantResponse), CommonErrors),
    security(("bearer" = [])))]
pub async fn get_tenant(
    State(state): State<AppState>,
    admin: TenantAdmin,
) -> ApiResult<Json<TenantResponse>> {
    state
        .services
        .view_tenant(&admin.tenant, &admin.ctx, AuditAction::TenantView)
        .await?;
    Ok(Json(TenantResponse::from(&admin.tenant)))
}

/// Read the tenant's settings.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/settings", tag = "tenants",
    params(("tenant" = String, Path, description = "Tenant slug")),
    responses((status = 200, description = "The settings", body = SettingsResponse), CommonErrors),
    security(("bearer" = [])))]
pub async fn get_tenant_settings(
    State(state): State<AppState>,
    admin: TenantAdmin,
) -> ApiResult<Json<SettingsResponse>> {
    state
        .services
        .view_tenant(&admin.tenant, &admin.ctx, AuditAction::TenantSettingsView)
        .await?;
    Ok(Json(SettingsResponse::from(&admin.tenant.settings)))
}

/// Change the tenant's settings (JSON merge patch).
#[utoipa::path(patch, path = "/api/v1/tenants/{tenant}/settings", tag = "tenants",
    params(("tenant" = String, Path, description = "Tenant slug")),
    request_body(content = UpdateSettingsRequest, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "The new settings", body = SettingsResponse), CommonErrors, BodyErrors),
    security(("bearer" = [])))]
pub async fn update_tenant_settings(
    State(state): State<AppState>,
    admin: TenantAdmin,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<SettingsResponse>> {
    let body = admin
        .accept(&state, AuditAction::TenantSettingsUpdate, body)
        .await?;
    let tenant = state
        .services
        .update_settings(&admin.tenant, &admin.ctx, body)
        .await?;
    Ok(Json(SettingsResponse::from(&tenant.settings)))
}
