//! `/api/v1/tenants/{tenant}/roles` and `/users/{id}/roles`: the tenant's
//! roles and who holds them.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::flag;
use crate::extract::{AuditedCaller, JsonBody, QueryParams, TenantAdmin};
use crate::paging::single_page;
use crate::schema::{BodyErrors, CommonErrors, Links};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use usher_core::access::Permission;
use usher_core::audit::AuditAction;
use usher_core::role::{Role, RoleAssignment};
use utoipa::{IntoParams, ToSchema};

/// A role of the tenant.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoleResponse {
    pub name: String,
    pub description: Option<String>,
    /// Users holding the role (in lists only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub users: Option<u64>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl RoleResponse {
    fn new(r: &Role, users: Option<u64>) -> Self {
        Self {
            name: r.name.as_str().to_owned(),
            description: r.description.clone(),
            users,
            created_at: r.created_at,
        }
    }
}

/// The body of `POST /roles`.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct CreateRoleRequest {
    /// `^[A-Za-z0-9_.-]{1,64}$`, unique ignoring case; not a built-in admin
    /// role's name (`tenant_admin`, `user_admin`, `helpdesk`, `auditor`,
    /// `bulk_operator`).
    pub name: String,
    /// At most 500 characters.
    pub description: Option<String>,
}

/// The tenant's own roles.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoleList {
    pub items: Vec<RoleResponse>,
    pub total: u64,
    pub links: Links,
}

/// A role a user holds.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentResponse {
    pub name: String,
    pub description: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub assigned_at: OffsetDateTime,
}

impl From<&RoleAssignment> for AssignmentResponse {
    fn from(a: &RoleAssignment) -> Self {
        Self {
            name: a.name.as_str().to_owned(),
            description: a.description.clone(),
            assigned_at: a.assigned_at,
        }
    }
}

/// The roles a user holds.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentList {
    pub items: Vec<AssignmentResponse>,
}

/// List the tenant's roles.
///
/// The tenant's own roles by name, each with the number of users holding
/// it. Built-in admin roles are not listed.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/roles", tag = "roles",
    params(("tenant" = String, Path, description = "Tenant slug")),
    responses((status = 200, description = "Every role", body = RoleList), CommonErrors),
    security(("bearer" = [])))]
pub async fn list_roles(
    State(state): State<AppState>,
    admin: TenantAdmin,
) -> ApiResult<Json<RoleList>> {
    let roles = state.services.list_roles(&admin.tenant, &admin.ctx).await?;
    Ok(Json(RoleList {
        total: roles.len() as u64,
        items: roles
            .iter()
            .map(|(r, n)| RoleResponse::new(r, Some(*n)))
            .collect(),
        links: single_page(&format!("/api/v1/tenants/{}/roles", admin.tenant.slug)),
    }))
}

/// Define a role.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/roles", tag = "roles",
    params(("tenant" = String, Path, description = "Tenant slug")),
    request_body(content = CreateRoleRequest, content_type = "application/json"),
    responses((status = 201, description = "Created", body = RoleResponse),
        (status = 409, description = "role_exists, or built_in_role", body = crate::error::Problem, content_type = "application/problem+json"),
        CommonErrors, BodyErrors),
    security(("bearer" = [])))]
pub async fn create_role(
    State(state): State<AppState>,
    admin: TenantAdmin,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let body = admin.accept(&state, AuditAction::RoleCreate, body).await?;
    let role = state
        .services
        .create_role(&admin.tenant, &admin.ctx, body)
        .await?;
    Ok((StatusCode::CREATED, Json(RoleResponse::new(&role, None))).into_response())
}

/// Query of `DELETE /roles/{name}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteRoleQuery {
    /// `true` to delete the role even while users hold it (it is taken
    /// from them).
    pub force: Option<String>,
}

/// Delete a role.
#[utoipa::path(delete, path = "/api/v1/tenants/{tenant}/roles/{name}", tag = "roles",
    params(("tenant" = String, Path, description = "Tenant slug"), ("name" = String, Path, description = "Role name"), DeleteRoleQuery),
    responses((status = 204, description = "Deleted"),
        (status = 409, description = "role_in_use (users hold it and force was not given), or built_in_role", body = crate::error::Problem, content_type = "application/problem+json"),
        CommonErrors),
    security(("bearer" = [])))]
pub async fn delete_role(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path((_, name)): Path<(String, String)>,
    QueryParams(q): QueryParams<DeleteRoleQuery>,
) -> ApiResult<StatusCode> {
    let force = q.and_then(|q| flag("force", q.force.as_deref()));
    let force = admin.accept(&state, AuditAction::RoleDelete, force).await?;
    state
        .services
        .delete_role(&admin.tenant, &admin.ctx, &name, force)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List a user's roles.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/users/{id}/roles", tag = "roles",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = String, Path, description = "User id")),
    responses((status = 200, description = "The roles the user holds, by name", body = AssignmentList), CommonErrors),
    security(("bearer" = [])))]
pub async fn list_user_roles(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<AssignmentList>> {
    let roles = state
        .services
        .user_roles(&admin.tenant, &admin.ctx, &id)
        .await?;
    Ok(Json(AssignmentList {
        items: roles.iter().map(AssignmentResponse::from).collect(),
    }))
}

/// Give a user a role.
///
/// Idempotent: giving a role the user holds changes nothing. A built-in
/// admin role may be given too, by a `tenant_admin` only (403 `forbidden`
/// for the others).
#[utoipa::path(put, path = "/api/v1/tenants/{tenant}/users/{id}/roles/{role}", tag = "roles",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = String, Path, description = "User id"), ("role" = String, Path, description = "Role name")),
    responses((status = 204, description = "The user holds the role"),
        (status = 404, description = "user_not_found or role_not_found", body = crate::error::Problem, content_type = "application/problem+json"),
        CommonErrors),
    security(("bearer" = [])))]
pub async fn assign_user_role(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path((_, id, role)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    // Built-in admin roles are for tenant-wide admins to give: a scoped
    // one could otherwise make an admin of the whole tenant.
    let grants = admin.may(Permission::Configure) && admin.ctx.scope.is_none();
    state
        .services
        .assign_role(&admin.tenant, &admin.ctx, &id, &role, grants)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Take a role from a user.
#[utoipa::path(delete, path = "/api/v1/tenants/{tenant}/users/{id}/roles/{role}", tag = "roles",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = String, Path, description = "User id"), ("role" = String, Path, description = "Role name")),
    responses((status = 204, description = "Taken"),
        (status = 404, description = "user_not_found or role_not_assigned", body = crate::error::Problem, content_type = "application/problem+json"),
        CommonErrors),
    security(("bearer" = [])))]
pub async fn remove_user_role(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path((_, id, role)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let grants = admin.may(Permission::Configure) && admin.ctx.scope.is_none();
    state
        .services
        .remove_role(&admin.tenant, &admin.ctx, &id, &role, grants)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
