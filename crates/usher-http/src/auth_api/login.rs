//! `POST /api/v1/tenants/{tenant}/auth/login` and `/auth/token`: a session
//! from an email and password (or the request for a second factor), and
//! new tokens for a refresh token.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::device_cookie;
use crate::extract::{JsonBody, TenantVisitor, Visitor, client_context};
use crate::metrics::LoginCount;
use crate::schema::{BodyErrors, LoginErrors};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use time::OffsetDateTime;
use usher_core::audit::AuditAction;
use usher_core::service::{LoginOutcome, SignedIn};
use utoipa::ToSchema;
use uuid::Uuid;

/// The body of a login.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// The body of a refresh.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// The tokens of a new session, or of a refresh (which has no
/// `session_token`).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// Lives as long as the session (30 days); present at login only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_token: Option<String>,
    /// Short-lived bearer token for API calls.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until `access_token` expires.
    pub expires_in: i64,
    /// Single use: each refresh answers a new one. Using a replaced one
    /// again ends the session.
    pub refresh_token: String,
    pub session_id: Uuid,
}

impl TokenResponse {
    pub(crate) fn new(signed: SignedIn, now: OffsetDateTime) -> Self {
        let t = signed.tokens;
        Self {
            session_token: t.session.map(|s| s.expose().to_owned()),
            access_token: t.access.expose().to_owned(),
            token_type: "Bearer",
            // Rounded up: `now` is a moment after the token was made, and a
            // 15-minute token says 900, not 899.
            expires_in: (t.access_expires_at - now).as_seconds_f64().ceil().max(0.0) as i64,
            refresh_token: t.refresh.expose().to_owned(),
            session_id: signed.session.id.uuid(),
        }
    }
}

/// The tokens of a finished login, with the device cookie that makes this
/// client known to the account (a later delay of the account does not
/// hold back the right password from it).
pub(crate) fn with_device_cookie(state: &AppState, signed: SignedIn) -> Response {
    let device = signed.device.clone();
    let body = LoginResponse::Tokens(TokenResponse::new(signed, state.services.clock.now()));
    let mut res = Json(body).into_response();
    if let Some(d) = device
        && let Ok(v) = HeaderValue::from_str(&device_cookie(state, &d))
    {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// A login that needs its second factor: finish with `POST …/auth/login/mfa`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SecondFactorResponse {
    /// Always true.
    pub mfa_required: bool,
    /// Names this login for the next 5 minutes.
    pub mfa_token: String,
    /// `totp`, and `recovery_code` while unused codes remain.
    pub methods: Vec<&'static str>,
    /// True when the tenant requires a second factor and the user has no
    /// authenticator yet: get one from `POST …/auth/login/mfa/totp` with the
    /// `mfa_token`, then finish with a code from it.
    pub enrolment_required: bool,
}

/// The answer to a correct password.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum LoginResponse {
    Tokens(TokenResponse),
    SecondFactor(SecondFactorResponse),
}

/// Log in with email and password.
///
/// Every failure answers 401 `invalid_credentials`, whatever failed. A
/// blocked user who gives the right password gets 403 `user_blocked`.
/// Repeated failures are delayed: 429 `too_many_attempts` with
/// `Retry-After`.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/auth/login", tag = "auth",
    params(("tenant" = String, Path, description = "Tenant slug")),
    request_body(content = LoginRequest, content_type = "application/json"),
    responses((status = 200, description = "A new session, or the request for a second factor", body = LoginResponse),
        LoginErrors, BodyErrors))]
pub async fn create_session(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(slug): Path<String>,
    headers: axum::http::HeaderMap,
    body: JsonBody,
) -> ApiResult<Response> {
    let action = AuditAction::UserLogin;
    let (visitor, [email, password]) =
        TenantVisitor::with_fields(&state, visitor, &slug, action, body, ["email", "password"])
            .await?;
    let TenantVisitor { tenant, ctx } = &visitor;
    let outcome = state
        .services
        .login(tenant, ctx, &email, &password, client_context(&headers))
        .await;
    state.metrics.count_login(LoginCount::of_password(&outcome));
    Ok(match outcome? {
        LoginOutcome::SignedIn(signed) => with_device_cookie(&state, *signed),
        LoginOutcome::SecondFactor {
            mfa_token,
            methods,
            enrolment,
        } => Json(LoginResponse::SecondFactor(SecondFactorResponse {
            mfa_required: true,
            mfa_token: mfa_token.expose().to_owned(),
            methods,
            enrolment_required: enrolment,
        }))
        .into_response(),
    })
}

/// Exchange a refresh token for new access and refresh tokens.
///
/// The presented refresh token stops working. Presenting one that was
/// already exchanged ends the whole session (someone holds a copy).
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/auth/token", tag = "auth",
    params(("tenant" = String, Path, description = "Tenant slug")),
    request_body(content = RefreshRequest, content_type = "application/json"),
    responses((status = 200, description = "New tokens", body = TokenResponse),
        (status = 400, description = "Malformed JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "invalid_token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "user_blocked", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such tenant", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Try again shortly", body = crate::error::Problem, content_type = "application/problem+json"),
        BodyErrors))]
pub async fn refresh_session(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(slug): Path<String>,
    body: JsonBody,
) -> ApiResult<Json<TokenResponse>> {
    let action = AuditAction::SessionRefresh;
    let (visitor, [token]) =
        TenantVisitor::with_fields(&state, visitor, &slug, action, body, ["refresh_token"]).await?;
    let TenantVisitor { tenant, ctx } = &visitor;
    let signed = state.services.refresh(tenant, ctx, &token).await?;
    Ok(Json(TokenResponse::new(signed, state.services.clock.now())))
}
