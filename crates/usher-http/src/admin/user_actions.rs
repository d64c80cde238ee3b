//! The lifecycle actions on one user (`/users/{id}/block`, `/unblock`,
//! `/disable`, `/enable`, `/archive`, `/invitation`) and the admin-sent
//! password reset: each honours `If-Match` and answers the user after it.

use super::users::user_reply;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{AuditedCaller, IfMatch, TenantAdmin};
use crate::schema::{CommonErrors, UserResponse};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use usher_core::audit::AuditAction;
use usher_core::user::Action;

async fn act(
    state: AppState,
    admin: TenantAdmin,
    id: String,
    if_match: Result<Option<i64>, usher_core::Error>,
    action: Action,
) -> ApiResult<Response> {
    let if_match = admin.accept(&state, action.audit_name(), if_match).await?;
    let user = state
        .services
        .act_on_user(&admin.tenant, &admin.ctx, &id, if_match, action)
        .await?;
    user_reply(&state, &admin, StatusCode::OK, &user).await
}

macro_rules! action_handler {
    ($name:ident, $path:literal, $action:expr, $summary:literal, $conflict:literal) => {
        #[doc = $summary]
        #[utoipa::path(post, path = $path, tag = "users",
            params(("tenant" = String, Path, description = "Tenant slug"), ("id" = String, Path, description = "User id (UUID)"),
                ("If-Match" = Option<String>, Header, description = "ETag of the version acted on")),
            responses((status = 200, description = "The user after the action", body = UserResponse,
                    headers(("ETag" = String, description = "W/\"<version>\""))),
                (status = 409, description = $conflict, body = crate::error::Problem, content_type = "application/problem+json"),
                (status = 412, description = "If-Match names an older version", body = crate::error::Problem, content_type = "application/problem+json"),
                CommonErrors),
            security(("bearer" = [])))]
        pub async fn $name(
            State(state): State<AppState>,
            admin: TenantAdmin,
            Path((_, id)): Path<(String, String)>,
            IfMatch(if_match): IfMatch,
        ) -> ApiResult<Response> {
            act(state, admin, id, if_match, $action).await
        }
    };
}

action_handler!(
    block_user,
    "/api/v1/tenants/{tenant}/users/{id}/block",
    Action::Block,
    "Block an active user: no new logins or refreshes.",
    "already_blocked or invalid_state"
);
action_handler!(
    unblock_user,
    "/api/v1/tenants/{tenant}/users/{id}/unblock",
    Action::Unblock,
    "Unblock a blocked user.",
    "not_blocked"
);
action_handler!(
    disable_user,
    "/api/v1/tenants/{tenant}/users/{id}/disable",
    Action::Disable,
    "Disable a user: every session, token and link ends at once.",
    "already_disabled"
);
action_handler!(
    enable_user,
    "/api/v1/tenants/{tenant}/users/{id}/enable",
    Action::Enable,
    "Enable a disabled user (active if signup was completed, else not_invited).",
    "not_disabled"
);
action_handler!(
    archive_user,
    "/api/v1/tenants/{tenant}/users/{id}/archive",
    Action::Archive,
    "Archive an active or blocked user; their next login unarchives them.",
    "already_archived or invalid_state"
);
action_handler!(
    invite_user,
    "/api/v1/tenants/{tenant}/users/{id}/invitation",
    Action::SendInvitation,
    "Send or resend the invitation; a new link replaces any older one.",
    "invalid_state: signup already completed"
);

/// Send a password-reset link to an active or blocked user.
///
/// The current password keeps working until the new one is set; a new link
/// invalidates older ones.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/users/{id}/password-reset", tag = "users",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = String, Path, description = "User id (UUID)"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version acted on")),
    responses((status = 200, description = "The user; the link is in the outbox", body = UserResponse,
            headers(("ETag" = String, description = "W/\"<version>\""))),
        (status = 409, description = "invalid_state: not active or blocked", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an older version", body = crate::error::Problem, content_type = "application/problem+json"),
        CommonErrors),
    security(("bearer" = [])))]
pub async fn reset_user_password(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path((_, id)): Path<(String, String)>,
    IfMatch(if_match): IfMatch,
) -> ApiResult<Response> {
    let if_match = admin
        .accept(&state, AuditAction::UserPasswordReset, if_match)
        .await?;
    let user = state
        .services
        .request_password_reset(&admin.tenant, &admin.ctx, &id, if_match)
        .await?;
    user_reply(&state, &admin, StatusCode::OK, &user).await
}
