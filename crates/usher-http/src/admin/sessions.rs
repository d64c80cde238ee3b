//! `/api/v1/tenants/{tenant}/users/{id}/sessions`: a user's live sessions,
//! as admins list and end them.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::TenantAdmin;
use crate::schema::{CommonErrors, SessionList, session_list};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

/// The answer to a logout or a revocation.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndedResponse {
    /// Sessions ended.
    pub ended: u64,
}

/// A user's live sessions, grouped by platform.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/users/{id}/sessions", tag = "users",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = String, Path, description = "User id (UUID)")),
    responses((status = 200, description = "Live sessions, grouped by platform", body = SessionList),
        CommonErrors),
    security(("bearer" = [])))]
pub async fn list_user_sessions(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<SessionList>> {
    let sessions = state
        .services
        .list_sessions(&admin.tenant, &admin.ctx, &id)
        .await?;
    Ok(Json(session_list(sessions, None)))
}

/// End every session of a user.
#[utoipa::path(delete, path = "/api/v1/tenants/{tenant}/users/{id}/sessions", tag = "users",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = String, Path, description = "User id (UUID)")),
    responses((status = 200, description = "How many sessions ended", body = EndedResponse),
        CommonErrors),
    security(("bearer" = [])))]
pub async fn delete_user_sessions(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<EndedResponse>> {
    let ended = state
        .services
        .end_sessions(&admin.tenant, &admin.ctx, &id, None)
        .await?;
    Ok(Json(EndedResponse { ended }))
}

/// End one session of a user.
#[utoipa::path(delete, path = "/api/v1/tenants/{tenant}/users/{id}/sessions/{sid}", tag = "users",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = String, Path, description = "User id (UUID)"),
        ("sid" = String, Path, description = "Session id (UUID)")),
    responses((status = 204, description = "Ended"),
        CommonErrors),
    security(("bearer" = [])))]
pub async fn delete_user_session(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path((_, id, sid)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    state
        .services
        .end_sessions(&admin.tenant, &admin.ctx, &id, Some(&sid))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
