//! A signed-in user's own second factors: enrolling and confirming an
//! authenticator app (`/auth/totp`, `/auth/totp/confirm`) and new recovery
//! codes (`/auth/recovery-codes`).

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{AuditedCaller, JsonBody, SessionUser};
use crate::schema::BodyErrors;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use usher_core::audit::AuditAction;
use usher_core::service::Enrolment;
use utoipa::ToSchema;
use uuid::Uuid;

/// The body of a TOTP confirmation.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct CodeRequest {
    /// A current code from the authenticator app.
    pub code: String,
}

/// A TOTP enrolment to scan or type into an authenticator app.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnrolmentResponse {
    pub factor_id: Uuid,
    /// Base32, for typing in.
    pub secret: String,
    pub otpauth_uri: String,
    /// The URI as an SVG QR code.
    pub qr_svg: String,
}

/// Recovery codes, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodesResponse {
    pub codes: Vec<String>,
}

impl From<Enrolment> for EnrolmentResponse {
    fn from(e: Enrolment) -> Self {
        Self {
            factor_id: e.factor_id.uuid(),
            secret: e.secret,
            otpauth_uri: e.otpauth_uri,
            qr_svg: e.qr_svg,
        }
    }
}

/// Start adding an authenticator app.
///
/// Confirm it with `POST …/auth/totp/confirm` and a code from the app; until
/// then it does not count. Starting again replaces an unconfirmed one.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/auth/totp", tag = "auth",
    params(("tenant" = String, Path, description = "Tenant slug")),
    responses((status = 201, description = "The secret to scan or type in", body = EnrolmentResponse),
        (status = 401, description = "invalid_token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Try again shortly", body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn enrol_totp(
    State(state): State<AppState>,
    me: SessionUser,
) -> ApiResult<(StatusCode, Json<EnrolmentResponse>)> {
    let e = state
        .services
        .enrol_totp(&me.tenant, &me.ctx, &me.caller)
        .await?;
    Ok((StatusCode::CREATED, Json(e.into())))
}

/// Confirm an authenticator app with a code from it.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/auth/totp/confirm", tag = "auth",
    params(("tenant" = String, Path, description = "Tenant slug")),
    request_body(content = CodeRequest, content_type = "application/json"),
    responses((status = 204, description = "The app is now a second factor"),
        (status = 400, description = "Malformed JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "invalid_token or invalid_code", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "factor_not_found: no enrolment waits", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Try again shortly", body = crate::error::Problem, content_type = "application/problem+json"),
        BodyErrors),
    security(("bearer" = [])))]
pub async fn confirm_totp(
    State(state): State<AppState>,
    me: SessionUser,
    body: JsonBody,
) -> ApiResult<StatusCode> {
    let action = AuditAction::FactorTotpConfirm;
    let [code] = me
        .accept(&state, action, body.required_strings(["code"]))
        .await?;
    state
        .services
        .confirm_totp(&me.tenant, &me.ctx, &me.caller, &code)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Make new recovery codes (older ones stop working).
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/auth/recovery-codes", tag = "auth",
    params(("tenant" = String, Path, description = "Tenant slug")),
    responses((status = 201, description = "Ten codes, shown this once", body = RecoveryCodesResponse),
        (status = 401, description = "invalid_token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Try again shortly", body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn regenerate_recovery_codes(
    State(state): State<AppState>,
    me: SessionUser,
) -> ApiResult<(StatusCode, Json<RecoveryCodesResponse>)> {
    let codes = state
        .services
        .regenerate_recovery_codes(&me.tenant, &me.ctx, &me.caller)
        .await?;
    Ok((StatusCode::CREATED, Json(RecoveryCodesResponse { codes })))
}
