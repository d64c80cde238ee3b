//! The second step of a login (`POST …/auth/login/mfa`: a TOTP or
//! recovery code) and, when the tenant requires a second factor the user
//! lacks, enrolling an authenticator app during the login
//! (`POST …/auth/login/mfa/totp`).

use super::factors::EnrolmentResponse;
use super::login::TokenResponse;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{JsonBody, TenantVisitor, Visitor, client_context};
use crate::metrics::LoginCount;
use crate::schema::{BodyErrors, SecondStepErrors};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use usher_core::audit::AuditAction;
use utoipa::ToSchema;

/// The body of the second login step.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct SecondFactorRequest {
    /// From the login's answer.
    pub mfa_token: String,
    /// A current TOTP code or an unused recovery code.
    pub code: String,
}

/// The body of an enrolment during login.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct LoginEnrolmentRequest {
    /// From the login's answer (with `enrolment_required: true`).
    pub mfa_token: String,
}

/// Finish a login with a TOTP code or a recovery code.
///
/// Wrong codes answer 401 `invalid_code`; after five, or after five
/// minutes, the login must start again (401 `invalid_token`).
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/auth/login/mfa", tag = "auth",
    params(("tenant" = String, Path, description = "Tenant slug")),
    request_body(content = SecondFactorRequest, content_type = "application/json"),
    responses((status = 200, description = "A new session", body = TokenResponse),
        SecondStepErrors, BodyErrors))]
pub async fn verify_second_factor(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(slug): Path<String>,
    headers: axum::http::HeaderMap,
    body: JsonBody,
) -> ApiResult<axum::response::Response> {
    let action = AuditAction::UserLoginSecondFactor;
    let (visitor, [token, code]) =
        TenantVisitor::with_fields(&state, visitor, &slug, action, body, ["mfa_token", "code"])
            .await?;
    let TenantVisitor { tenant, ctx } = &visitor;
    let signed = state
        .services
        .login_second_factor(tenant, ctx, &token, &code, client_context(&headers))
        .await;
    state
        .metrics
        .count_login(LoginCount::of_second_factor(&signed));
    Ok(super::login::with_device_cookie(&state, signed?))
}

/// Add an authenticator app during a login that requires one.
///
/// When the tenant requires a second factor and the user has none, the
/// login answers `enrolment_required: true`. This answers the secret to
/// scan; `POST …/auth/login/mfa` with a code from it confirms the app and
/// finishes the login. Asking again replaces the unconfirmed secret.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/auth/login/mfa/totp", tag = "auth",
    params(("tenant" = String, Path, description = "Tenant slug")),
    request_body(content = LoginEnrolmentRequest, content_type = "application/json"),
    responses((status = 201, description = "The secret to scan or type in", body = EnrolmentResponse),
        (status = 400, description = "Malformed JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "invalid_token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such tenant", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "already_enrolled: finish with a code from the existing app", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Try again shortly", body = crate::error::Problem, content_type = "application/problem+json"),
        BodyErrors))]
pub async fn enrol_totp_at_login(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(slug): Path<String>,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<EnrolmentResponse>)> {
    let action = AuditAction::FactorTotpEnrol;
    let (visitor, [token]) =
        TenantVisitor::with_fields(&state, visitor, &slug, action, body, ["mfa_token"]).await?;
    let e = state
        .services
        .enrol_totp_at_login(&visitor.tenant, &visitor.ctx, &token)
        .await?;
    Ok((StatusCode::CREATED, Json(e.into())))
}
