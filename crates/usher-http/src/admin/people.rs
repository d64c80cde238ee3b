//! `/api/v1/tenants/{tenant}/admin/…`: admins as people. A user holding an
//! admin role logs in with their password (`/admin/login`) and always a
//! second factor (`/admin/login/mfa`), enrolling an authenticator app at
//! that login when they have none; the answer is a short-lived bearer
//! token for this API that acts as them (`/admin/me`), until it idles out,
//! reaches its end, or they log out (`/admin/logout`).

use crate::AppState;
use crate::auth_api::EnrolmentResponse;
use crate::error::ApiResult;
use crate::extract::{
    AuditedCaller, JsonBody, TenantAdmin, TenantVisitor, Visitor, client_context,
};
use crate::metrics::LoginCount;
use crate::schema::{BodyErrors, CommonErrors, LoginErrors, SecondStepErrors};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Serialize;
use time::OffsetDateTime;
use usher_core::Error;
use usher_core::audit::AuditAction;
use usher_core::error::ErrorCode;
use usher_core::service::LoginOutcome;
use utoipa::ToSchema;
use uuid::Uuid;

/// The body of an admin login.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct AdminLoginRequest {
    pub email: String,
    pub password: String,
}

/// The answer to an admin's right password: the second factor is next.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminLoginResponse {
    /// True when the admin has an authenticator app: finish with a code.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub mfa_required: bool,
    /// True when the admin has none yet: `totp` holds a new one to scan;
    /// a code from it finishes the login and confirms the app.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub enrolment_required: bool,
    /// Names this login for the next 5 minutes.
    pub mfa_token: String,
    /// `totp`, and `recovery_code` while unused codes remain.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub methods: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub totp: Option<EnrolmentResponse>,
}

/// The body of the second step.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct AdminSecondFactorRequest {
    pub mfa_token: String,
    /// A current TOTP code or an unused recovery code.
    pub code: String,
}

/// An admin session.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminTokenResponse {
    /// Bearer token for this API, acting as the admin. Shown only now.
    pub admin_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the token stops working if it is not used again.
    pub expires_in: i64,
    /// When the session ends at the latest, used or not.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: OffsetDateTime,
    pub session_id: Uuid,
}

/// Who is calling.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminMeResponse {
    /// `user` for a person's admin session, `token` for an API token.
    pub kind: &'static str,
    /// The person's user id, or the token's id.
    pub id: String,
    /// The person's email, or the token's name.
    pub name: String,
    /// The admin roles the caller acts with now; `super_admin` for a
    /// super-admin token.
    pub roles: Vec<&'static str>,
    /// The part of the directory the roles are held for (see
    /// `PUT /users/{id}/admin-roles/{role}`); `null`: all of it.
    #[schema(value_type = Option<Object>)]
    pub scope: Option<serde_json::Value>,
    /// When a person's session ends at the latest; `null` for a token.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<OffsetDateTime>,
}

/// Log in to the admin side with email and password.
///
/// Every failure answers 401 `invalid_credentials`, whatever failed — a
/// wrong password, an unknown email, or a user who holds no admin role.
/// A second factor is always required; an admin without one enrols an
/// authenticator app at this login (`enrolment_required`, with `totp`).
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/admin/login", tag = "admins",
    params(("tenant" = String, Path, description = "Tenant slug")),
    request_body(content = AdminLoginRequest, content_type = "application/json"),
    responses((status = 200, description = "The second factor is next", body = AdminLoginResponse),
        LoginErrors, BodyErrors))]
pub async fn admin_login(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: JsonBody,
) -> ApiResult<Json<AdminLoginResponse>> {
    let action = AuditAction::AdminLogin;
    let (visitor, [email, password]) =
        TenantVisitor::with_fields(&state, visitor, &slug, action, body, ["email", "password"])
            .await?;
    let TenantVisitor { tenant, ctx } = &visitor;
    let outcome = state
        .services
        .admin_login(tenant, ctx, &email, &password, client_context(&headers))
        .await;
    state.metrics.count_login(LoginCount::of_password(&outcome));
    let LoginOutcome::SecondFactor {
        mfa_token,
        methods,
        enrolment,
    } = outcome?
    else {
        // An admin login never ends at the password.
        return Err(Error::Store(usher_core::StoreError::Corrupt(
            "an admin login opened a session without a second factor".into(),
        ))
        .into());
    };
    let mfa_token = mfa_token.expose().to_owned();
    let totp = if enrolment {
        let e = state
            .services
            .enrol_totp_at_login(tenant, ctx, &mfa_token)
            .await?;
        Some(e.into())
    } else {
        None
    };
    Ok(Json(AdminLoginResponse {
        mfa_required: !enrolment,
        enrolment_required: enrolment,
        mfa_token,
        methods: if enrolment { Vec::new() } else { methods },
        totp,
    }))
}

/// Finish an admin login with a second factor.
///
/// Answers the admin token. Wrong codes answer 401 `invalid_code`; after
/// five, or after five minutes, the login must start again (401
/// `invalid_token`), as must one whose admin role was taken meanwhile.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/admin/login/mfa", tag = "admins",
    params(("tenant" = String, Path, description = "Tenant slug")),
    request_body(content = AdminSecondFactorRequest, content_type = "application/json"),
    responses((status = 200, description = "A new admin session", body = AdminTokenResponse),
        SecondStepErrors, BodyErrors))]
pub async fn admin_login_mfa(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: JsonBody,
) -> ApiResult<Json<AdminTokenResponse>> {
    let action = AuditAction::AdminLoginSecondFactor;
    let (visitor, [token, code]) =
        TenantVisitor::with_fields(&state, visitor, &slug, action, body, ["mfa_token", "code"])
            .await?;
    let TenantVisitor { tenant, ctx } = &visitor;
    let signed = state
        .services
        .admin_login_second_factor(tenant, ctx, &token, &code, client_context(&headers))
        .await?;
    Ok(Json(AdminTokenResponse {
        admin_token: signed.token.expose().to_owned(),
        token_type: "Bearer",
        expires_in: signed.expires_in.whole_seconds(),
        expires_at: signed.session.expires_at,
        session_id: signed.session.id.uuid(),
    }))
}

/// End the caller's admin session.
///
/// The token is refused from the next request on. An API token cannot log
/// out (400 `not_an_admin_session`): revoke it with `DELETE /tokens/{id}`.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/admin/logout", tag = "admins",
    params(("tenant" = String, Path, description = "Tenant slug")),
    responses((status = 204, description = "Logged out"),
        (status = 400, description = "not_an_admin_session", body = crate::error::Problem, content_type = "application/problem+json"),
        CommonErrors),
    security(("bearer" = [])))]
pub async fn admin_logout(
    State(state): State<AppState>,
    admin: TenantAdmin,
) -> ApiResult<StatusCode> {
    let Some(person) = &admin.person else {
        let e = Error::bad_request(
            ErrorCode::NotAnAdminSession,
            "only an admin session logs out; revoke an API token with DELETE /tokens/{id}",
        );
        return Err(admin
            .audited()
            .refuse(&state, AuditAction::AdminLogout, e)
            .await
            .into());
    };
    state
        .services
        .admin_logout(&admin.tenant, &admin.ctx, person)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who the caller is and which admin roles they act with.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/admin/me", tag = "admins",
    params(("tenant" = String, Path, description = "Tenant slug")),
    responses((status = 200, description = "The caller", body = AdminMeResponse), CommonErrors),
    security(("bearer" = [])))]
pub async fn admin_me(admin: TenantAdmin) -> Json<AdminMeResponse> {
    let actor = &admin.ctx.actor;
    Json(AdminMeResponse {
        kind: actor.kind,
        id: actor.id.clone(),
        name: actor.name.clone(),
        roles: match admin.roles {
            Some(roles) => roles.names(),
            None => vec!["super_admin"],
        },
        scope: admin.ctx.scope.as_ref().map(|s| s.to_json()),
        expires_at: admin.person.as_ref().map(|p| p.session.expires_at),
    })
}
