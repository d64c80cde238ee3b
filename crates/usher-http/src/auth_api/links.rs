//! Redeeming invitation and password-reset links with a new password
//! (`…/auth/invitations/accept`, `…/auth/password-reset/complete`).

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{AuditedCaller, JsonBody, TenantVisitor, Visitor};
use crate::schema::BodyErrors;
use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use usher_core::audit::AuditAction;
use usher_core::error::ErrorCode;
use usher_core::input::ObjectReader;
use usher_core::service::invalid_link;
use usher_core::store::LinkKind;
use usher_core::{Error, ValidationErrors};
use utoipa::ToSchema;

/// The body of the redemption endpoints.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct RedeemRequest {
    /// The secret from the link (the last path segment of the emailed URL).
    pub token: String,
    /// The new password.
    pub password: String,
}

/// The answer to a redemption.
#[derive(Debug, Serialize, ToSchema)]
pub struct RedeemResponse {
    /// `accepted` (invitation) or `password_changed` (reset).
    pub status: &'static str,
}

fn read(body: serde_json::Value) -> Result<(String, String), Error> {
    let mut r = ObjectReader::new(body).map_err(Error::Validation)?;
    let token = r.required_string("token");
    // Passwords are taken as typed: blank or not, the policy judges them.
    let password = match r.string("password") {
        usher_core::input::Patch::Value(p) => Some(p),
        _ => {
            r.push(usher_core::FieldError::new(
                "password",
                ErrorCode::Required,
                "is required",
            ));
            None
        }
    };
    let errors: ValidationErrors = r.finish();
    match (token, password) {
        (Some(t), Some(p)) if errors.is_empty() => Ok((t, p)),
        _ => Err(Error::Validation(errors)),
    }
}

async fn redeem(
    state: AppState,
    Visitor(ctx): Visitor,
    slug: String,
    body: Result<serde_json::Value, Error>,
    kind: LinkKind,
) -> ApiResult<Json<RedeemResponse>> {
    // An unknown tenant answers like an unknown link.
    let tenant = state
        .services
        .find_tenant(&slug)
        .await
        .map_err(|_| ApiError::from(invalid_link()))?;
    let visitor = TenantVisitor { tenant, ctx };
    let (token, password) = visitor
        .accept(&state, AuditAction::LinkRedeem, body.and_then(read))
        .await?;
    state
        .services
        .redeem_link(&visitor.tenant, &visitor.ctx, kind, &token, &password)
        .await?;
    Ok(Json(RedeemResponse {
        status: match kind {
            LinkKind::Invitation => "accepted",
            LinkKind::PasswordReset => "password_changed",
        },
    }))
}

/// Accept an invitation by setting a password.
///
/// The user becomes `active`. An unknown, used or expired link, or an
/// unknown tenant, all answer 400 `invalid_link`.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/auth/invitations/accept", tag = "auth",
    params(("tenant" = String, Path, description = "Tenant slug")),
    request_body(content = RedeemRequest, content_type = "application/json"),
    responses((status = 200, description = "Accepted", body = RedeemResponse),
        (status = 400, description = "invalid_link, or malformed JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Try again shortly", body = crate::error::Problem, content_type = "application/problem+json"),
        BodyErrors))]
pub async fn accept_invitation(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(slug): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<RedeemResponse>> {
    redeem(state, visitor, slug, body, LinkKind::Invitation).await
}

/// Complete a password reset.
///
/// The current password stays valid until this call succeeds. An unknown,
/// used or expired link answers 400 `invalid_link`.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/auth/password-reset/complete", tag = "auth",
    params(("tenant" = String, Path, description = "Tenant slug")),
    request_body(content = RedeemRequest, content_type = "application/json"),
    responses((status = 200, description = "Password changed", body = RedeemResponse),
        (status = 400, description = "invalid_link, or malformed JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Try again shortly", body = crate::error::Problem, content_type = "application/problem+json"),
        BodyErrors))]
pub async fn complete_password_reset(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(slug): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<RedeemResponse>> {
    redeem(state, visitor, slug, body, LinkKind::PasswordReset).await
}
