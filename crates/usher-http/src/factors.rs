//! Second factors: a user's own enrolment and recovery codes, the second
//! step of a login, and the factors admins list and remove.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::JsonBody;
use crate::extract::{
    AuditedCaller, SessionUser, TenantAdmin, TenantVisitor, Visitor, client_context,
};
use crate::schema::{BodyErrors, CommonErrors};
use crate::sessions::TokenResponse;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use time::OffsetDateTime;
use usher_core::factor::Factor;
use usher_core::service::Enrolment;
use utoipa::ToSchema;
use uuid::Uuid;

/// The body of the second login step.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct SecondFactorRequest {
    /// From the login's answer.
    pub mfa_token: String,
    /// A current TOTP code or an unused recovery code.
    pub code: String,
}

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
            id: f.id,
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

/// Finish a login with a TOTP code or a recovery code.
///
/// Wrong codes answer 401 `invalid_code`; after five, or after five
/// minutes, the login must start again (401 `invalid_token`).
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/auth/login/mfa", tag = "auth",
    params(("tenant" = String, Path, description = "Tenant slug")),
    request_body(content = SecondFactorRequest, content_type = "application/json"),
    responses((status = 200, description = "A new session", body = TokenResponse),
        (status = 400, description = "Malformed JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "invalid_code or invalid_token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such tenant", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Try again shortly", body = crate::error::Problem, content_type = "application/problem+json"),
        BodyErrors))]
pub async fn login_mfa(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(slug): Path<String>,
    headers: axum::http::HeaderMap,
    body: JsonBody,
) -> ApiResult<Json<TokenResponse>> {
    let action = "user.login.second_factor";
    let visitor = TenantVisitor::find(&state, visitor, &slug, action).await?;
    let read = body.required_strings(["mfa_token", "code"]);
    let [token, code] = visitor.accept(&state, action, read).await?;
    let TenantVisitor { tenant, ctx } = &visitor;
    let signed = state
        .services
        .login_second_factor(tenant, ctx, &token, &code, client_context(&headers))
        .await?;
    Ok(Json(TokenResponse::new(signed, state.services.clock.now())))
}

/// The body of an enrolment during login.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct LoginEnrolmentRequest {
    /// From the login's answer (with `enrolment_required: true`).
    pub mfa_token: String,
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
pub async fn login_enrol_totp(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(slug): Path<String>,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<EnrolmentResponse>)> {
    let action = "factor.totp.enrol";
    let visitor = TenantVisitor::find(&state, visitor, &slug, action).await?;
    let read = body.required_strings(["mfa_token"]);
    let [token] = visitor.accept(&state, action, read).await?;
    let e = state
        .services
        .enrol_totp_at_login(&visitor.tenant, &visitor.ctx, &token)
        .await?;
    Ok((StatusCode::CREATED, Json(e.into())))
}

impl From<Enrolment> for EnrolmentResponse {
    fn from(e: Enrolment) -> Self {
        Self {
            factor_id: e.factor_id,
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
    let action = "factor.totp.confirm";
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
pub async fn recovery_codes(
    State(state): State<AppState>,
    me: SessionUser,
) -> ApiResult<(StatusCode, Json<RecoveryCodesResponse>)> {
    let codes = state
        .services
        .regenerate_recovery_codes(&me.tenant, &me.ctx, &me.caller)
        .await?;
    Ok((StatusCode::CREATED, Json(RecoveryCodesResponse { codes })))
}

/// A user's second factors.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/users/{id}/factors", tag = "users",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = String, Path, description = "User id (UUID)")),
    responses((status = 200, description = "Factors, oldest first", body = FactorList),
        CommonErrors),
    security(("bearer" = [])))]
pub async fn user_factors(
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
pub async fn delete_factor(
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
pub async fn revoke_recovery_codes(
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
