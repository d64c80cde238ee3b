//! `/api/v1/tenants/{tenant}/admins` and `/users/{id}/admin-roles/{role}`:
//! who administers the tenant, and granting or revoking a built-in admin
//! role. (Logging in as an admin is in `people.rs`.)

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{OptionalJsonBody, TenantAdmin};
use crate::schema::{BodyErrors, CommonErrors};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use usher_core::scope::AdminScope;
use utoipa::ToSchema;
use uuid::Uuid;

/// One admin role one person holds.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminResponse {
    pub user_id: Uuid,
    pub email: String,
    /// `tenant_admin`, `user_admin`, `helpdesk`, `auditor` or `bulk_operator`.
    pub role: &'static str,
    /// The part of the directory the role covers: `{"group": name}` or
    /// `{"attribute": name, "equals": value}`; `null`: all of it.
    #[schema(value_type = Option<Object>)]
    pub scope: Option<Value>,
    #[serde(with = "time::serde::rfc3339")]
    pub assigned_at: OffsetDateTime,
}

/// Every admin role held in the tenant.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminList {
    pub items: Vec<AdminResponse>,
}

/// The body of a grant.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct GrantAdminRoleRequest {
    /// `null` (or no body): the whole tenant. `{"group": name}`: the
    /// members of the group of that display name (ignoring case).
    /// `{"attribute": name, "equals": value}`: the users whose custom
    /// attribute has the value (ignoring case). A person's admin roles
    /// share one scope.
    #[schema(value_type = Option<Object>)]
    pub scope: Option<Value>,
}

/// List the tenant's admins.
///
/// One item per admin role a person holds, by email.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/admins", tag = "admins",
    params(("tenant" = String, Path, description = "Tenant slug")),
    responses((status = 200, description = "The admins", body = AdminList), CommonErrors),
    security(("bearer" = [])))]
pub async fn list_admins(
    State(state): State<AppState>,
    admin: TenantAdmin,
) -> ApiResult<Json<AdminList>> {
    let admins = state
        .services
        .list_admins(&admin.tenant, &admin.ctx)
        .await?;
    Ok(Json(AdminList {
        items: admins
            .into_iter()
            .map(|a| AdminResponse {
                user_id: a.user_id.uuid(),
                email: a.email,
                role: a.role.as_str(),
                scope: a.scope.as_ref().map(AdminScope::to_json),
                assigned_at: a.assigned_at,
            })
            .collect(),
    }))
}

/// Grant a built-in admin role.
///
/// Idempotent; granting a role the user holds sets its scope. The user may
/// then log in to the admin side (`POST /admin/login`) and act with the
/// role, on the users of the scope only. A role that is not a built-in
/// admin role is 404 `role_not_found`; a group or attribute the tenant
/// does not have is 422 (`unknown_group`, `unknown_attribute`); a scope
/// other than the one of the person's other admin roles is 409
/// `scope_conflict`. Deleting the group of a scope takes the roles held
/// under it away.
#[utoipa::path(put, path = "/api/v1/tenants/{tenant}/users/{id}/admin-roles/{role}", tag = "admins",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = String, Path, description = "User id"),
        ("role" = String, Path, description = "A built-in admin role")),
    request_body(content = GrantAdminRoleRequest, content_type = "application/json"),
    responses((status = 204, description = "The user holds the role"),
        (status = 409, description = "scope_conflict", body = crate::error::Problem, content_type = "application/problem+json"),
        CommonErrors, BodyErrors),
    security(("bearer" = [])))]
pub async fn grant_admin_role(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path((_, id, role)): Path<(String, String, String)>,
    OptionalJsonBody(body): OptionalJsonBody,
) -> ApiResult<StatusCode> {
    state
        .services
        .grant_admin_role(&admin.tenant, &admin.ctx, &id, &role, body)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Revoke a built-in admin role.
///
/// The person's admin sessions and tokens lose what the role allowed from
/// their next request on.
#[utoipa::path(delete, path = "/api/v1/tenants/{tenant}/users/{id}/admin-roles/{role}", tag = "admins",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = String, Path, description = "User id"),
        ("role" = String, Path, description = "A built-in admin role")),
    responses((status = 204, description = "Revoked"), CommonErrors),
    security(("bearer" = [])))]
pub async fn revoke_admin_role(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path((_, id, role)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    state
        .services
        .revoke_admin_role(&admin.tenant, &admin.ctx, &id, &role)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
