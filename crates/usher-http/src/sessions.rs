//! Logging in and holding a session (`/api/v1/tenants/{tenant}/auth/…`),
//! and the sessions admins see and end (`…/users/{id}/sessions`).

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{
    AuditedCaller, JsonBody, SessionUser, TenantAdmin, TenantVisitor, Visitor, client_context,
};
use crate::schema::{BodyErrors, CommonErrors, UserResponse};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use time::OffsetDateTime;
use usher_core::service::{LoginOutcome, SignedIn};
use usher_core::session::Session;
use usher_core::useragent::Platform;
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
            expires_in: (t.access_expires_at - now).whole_seconds().max(0),
            refresh_token: t.refresh.expose().to_owned(),
            session_id: signed.session.id,
        }
    }
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

/// One session as admins and its user see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionResponse {
    pub id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub last_seen_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: OffsetDateTime,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// `desktop`, `mobile`, `tablet` or `other`.
    pub platform: &'static str,
    pub os: Option<String>,
    pub os_version: Option<String>,
    pub browser: Option<String>,
    pub browser_version: Option<String>,
    /// City and country, where a GeoIP database is configured.
    pub location: Option<String>,
    /// True for the session making the request (own sessions only).
    pub current: bool,
}

impl SessionResponse {
    fn new(s: Session, current: Option<Uuid>) -> Self {
        Self {
            id: s.id,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            expires_at: s.expires_at,
            ip: s.ip,
            user_agent: s.user_agent,
            platform: s.client.platform.as_str(),
            os: s.client.os,
            os_version: s.client.os_version,
            browser: s.client.browser,
            browser_version: s.client.browser_version,
            location: s.location,
            current: current == Some(s.id),
        }
    }
}

/// Sessions of one platform.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionGroup {
    pub platform: &'static str,
    pub items: Vec<SessionResponse>,
}

/// A user's live sessions, newest first, and the same grouped by platform
/// (groups in the order desktop, mobile, tablet, other; empty ones left out).
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionList {
    pub total: usize,
    pub groups: Vec<SessionGroup>,
}

fn session_list(sessions: Vec<Session>, current: Option<Uuid>) -> SessionList {
    let total = sessions.len();
    let mut groups: Vec<SessionGroup> = Platform::ALL
        .into_iter()
        .map(|p| SessionGroup {
            platform: p.as_str(),
            items: Vec::new(),
        })
        .collect();
    for s in sessions {
        let i = Platform::ALL
            .iter()
            .position(|p| *p == s.client.platform)
            .unwrap_or(Platform::ALL.len() - 1);
        groups[i].items.push(SessionResponse::new(s, current));
    }
    groups.retain(|g| !g.items.is_empty());
    SessionList { total, groups }
}

/// The caller and the session it holds.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    pub user: UserResponse,
    pub session: SessionResponse,
}

/// The answer to a logout or a revocation.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndedResponse {
    /// Sessions ended.
    pub ended: u64,
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
        (status = 400, description = "Malformed JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "invalid_credentials", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "user_blocked", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such tenant", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "too_many_attempts", body = crate::error::Problem, content_type = "application/problem+json",
            headers(("Retry-After" = String, description = "Seconds to wait"))),
        (status = 503, description = "Try again shortly", body = crate::error::Problem, content_type = "application/problem+json"),
        BodyErrors))]
pub async fn login(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(slug): Path<String>,
    headers: axum::http::HeaderMap,
    body: JsonBody,
) -> ApiResult<Json<LoginResponse>> {
    let visitor = TenantVisitor::find(&state, visitor, &slug, "user.login").await?;
    let read = body.required_strings(["email", "password"]);
    let [email, password] = visitor.accept(&state, "user.login", read).await?;
    let TenantVisitor { tenant, ctx } = &visitor;
    let outcome = state
        .services
        .login(tenant, ctx, &email, &password, client_context(&headers))
        .await?;
    Ok(Json(match outcome {
        LoginOutcome::SignedIn(signed) => {
            LoginResponse::Tokens(TokenResponse::new(*signed, state.services.clock.now()))
        }
        LoginOutcome::SecondFactor {
            mfa_token,
            methods,
            enrolment,
        } => LoginResponse::SecondFactor(SecondFactorResponse {
            mfa_required: true,
            mfa_token: mfa_token.expose().to_owned(),
            methods,
            enrolment_required: enrolment,
        }),
    }))
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
pub async fn refresh(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(slug): Path<String>,
    body: JsonBody,
) -> ApiResult<Json<TokenResponse>> {
    let visitor = TenantVisitor::find(&state, visitor, &slug, "session.refresh").await?;
    let read = body.required_strings(["refresh_token"]);
    let [token] = visitor.accept(&state, "session.refresh", read).await?;
    let TenantVisitor { tenant, ctx } = &visitor;
    let signed = state.services.refresh(tenant, ctx, &token).await?;
    Ok(Json(TokenResponse::new(signed, state.services.clock.now())))
}

/// End the calling session.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/auth/logout", tag = "auth",
    params(("tenant" = String, Path, description = "Tenant slug")),
    responses((status = 204, description = "The session is ended"),
        (status = 401, description = "invalid_token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Try again shortly", body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn logout(State(state): State<AppState>, me: SessionUser) -> ApiResult<StatusCode> {
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
pub async fn me(State(state): State<AppState>, me: SessionUser) -> Json<MeResponse> {
    let now = state.services.clock.now();
    let current = Some(me.caller.session.id);
    Json(MeResponse {
        user: UserResponse::new(&me.caller.user, now),
        session: SessionResponse::new(me.caller.session, current),
    })
}

/// The caller's own sessions.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/auth/sessions", tag = "auth",
    params(("tenant" = String, Path, description = "Tenant slug")),
    responses((status = 200, description = "Live sessions, grouped by platform", body = SessionList),
        (status = 401, description = "invalid_token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Try again shortly", body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn my_sessions(
    State(state): State<AppState>,
    me: SessionUser,
) -> ApiResult<Json<SessionList>> {
    let sessions = state
        .services
        .list_sessions(&me.tenant, &me.ctx, &me.caller.user.id.to_string())
        .await?;
    Ok(Json(session_list(sessions, Some(me.caller.session.id))))
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
pub async fn end_my_session(
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

/// A user's live sessions, grouped by platform.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/users/{id}/sessions", tag = "users",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = String, Path, description = "User id (UUID)")),
    responses((status = 200, description = "Live sessions, grouped by platform", body = SessionList),
        CommonErrors),
    security(("bearer" = [])))]
pub async fn user_sessions(
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
pub async fn end_user_sessions(
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
pub async fn end_user_session(
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
