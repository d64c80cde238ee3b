//! The caller's own session (`/api/v1/tenants/{tenant}/auth/logout`,
//! `/auth/me`) and sessions (`/auth/sessions`), by session or access token.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::SessionUser;
use crate::schema::{SessionList, SessionResponse, UserResponse, session_list};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

/// The caller and the session it holds.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    pub user: UserResponse,
    pub session: SessionResponse,
}

/// End the calling session.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/auth/logout", tag = "auth",
    params(("tenant" = String, Path, description = "Tenant slug")),
    responses((status = 204, description = "The session is ended"),
        (status = 401, description = "invalid_token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Try again shortly", body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn delete_current_session(
    State(state): State<AppState>,
    me: SessionUser,
) -> ApiResult<StatusCode> {
    state
        .services
        .logout(&me.tenant, &me.ctx, &me.caller)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The calling user and session.
///
/// Checked against the store on every call: a revoked session, a disabled
/// or deleted user, or an expired token answers 401 at once.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/auth/me", tag = "auth",
    params(("tenant" = String, Path, description = "Tenant slug")),
    responses((status = 200, description = "The caller", body = MeResponse),
        (status = 401, description = "invalid_token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Try again shortly", body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_current_user(
    State(state): State<AppState>,
    me: SessionUser,
) -> ApiResult<Json<MeResponse>> {
    let current = Some(me.caller.session.id);
    let users = std::slice::from_ref(&me.caller.user);
    let user = UserResponse::page(&state.services, &me.tenant, users)
        .await?
        .remove(0);
    Ok(Json(MeResponse {
        user,
        session: SessionResponse::new(me.caller.session, current.map(usher_core::Id::uuid)),
    }))
}

/// The caller's own sessions.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/auth/sessions", tag = "auth",
    params(("tenant" = String, Path, description = "Tenant slug")),
    responses((status = 200, description = "Live sessions, grouped by platform", body = SessionList),
        (status = 401, description = "invalid_token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Try again shortly", body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_my_sessions(
    State(state): State<AppState>,
    me: SessionUser,
) -> ApiResult<Json<SessionList>> {
    let sessions = state
        .services
        .list_sessions(&me.tenant, &me.ctx, &me.caller.user.id.to_string())
        .await?;
    Ok(Json(session_list(
        sessions,
        Some(me.caller.session.id.uuid()),
    )))
}

/// End one of the caller's own sessions.
#[utoipa::path(delete, path = "/api/v1/tenants/{tenant}/auth/sessions/{sid}", tag = "auth",
    params(("tenant" = String, Path, description = "Tenant slug"), ("sid" = String, Path, description = "Session id (UUID)")),
    responses((status = 204, description = "Ended"),
        (status = 400, description = "The session id is not a UUID", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "invalid_token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "session_not_found", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Try again shortly", body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn delete_my_session(
    State(state): State<AppState>,
    me: SessionUser,
    Path((_, sid)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    state
        .services
        .end_sessions(
            &me.tenant,
            &me.ctx,
            &me.caller.user.id.to_string(),
            Some(&sid),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
