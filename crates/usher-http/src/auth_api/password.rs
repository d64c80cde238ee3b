//! A signed-in user's own credentials: changing the password
//! (`/auth/password`, which ends every other session) and proving who they
//! are again (`/auth/reauthenticate`) before changing second factors.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{AuditedCaller, JsonBody, SessionUser};
use crate::schema::BodyErrors;
use axum::extract::State;
use axum::http::StatusCode;
use usher_core::Error;
use usher_core::audit::AuditAction;
use usher_core::error::{ErrorCode, FieldError};
use usher_core::input::ObjectReader;
use usher_core::service::Proof;
use utoipa::ToSchema;

/// The body of `POST /auth/password`.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    /// Checked against the tenant's password policy.
    pub new_password: String,
}

/// The body of `POST /auth/reauthenticate`: one of the two.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct ReauthenticateRequest {
    pub password: Option<String>,
    /// A current code from the authenticator app, or an unused recovery code.
    pub code: Option<String>,
}

/// `{password}` or `{code}`, exactly one.
fn proof(body: Result<serde_json::Value, Error>) -> Result<Proof, Error> {
    let mut r = ObjectReader::new(body?).map_err(Error::Validation)?;
    let password = r.string("password").into_option();
    let code = r.string("code").into_option();
    let proof = match (password, code) {
        (Some(p), None) => Some(Proof::Password(p)),
        (None, Some(c)) => Some(Proof::Code(c)),
        (Some(_), Some(_)) => {
            r.push(FieldError::new(
                "code",
                ErrorCode::InvalidValue,
                "give the password or a code, not both",
            ));
            None
        }
        (None, None) => {
            r.push(FieldError::new(
                "password",
                ErrorCode::Required,
                "give the password, or a code in `code`",
            ));
            None
        }
    };
    let errors = r.finish();
    match proof {
        Some(p) if errors.is_empty() => Ok(p),
        _ => Err(Error::Validation(errors)),
    }
}

/// Change the caller's password.
///
/// Needs the current password (a wrong one counts as a failed login). Every
/// other session of the user ends; this one stays and counts as freshly
/// authenticated.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/auth/password", tag = "auth",
    params(("tenant" = String, Path, description = "Tenant slug")),
    request_body(content = ChangePasswordRequest, content_type = "application/json"),
    responses((status = 204, description = "Changed; other sessions ended"),
        (status = 401, description = "invalid_token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "too_many_attempts", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Try again shortly", body = crate::error::Problem, content_type = "application/problem+json"),
        BodyErrors),
    security(("bearer" = [])))]
pub async fn change_password(
    State(state): State<AppState>,
    me: SessionUser,
    body: JsonBody,
) -> ApiResult<StatusCode> {
    let action = AuditAction::UserPasswordChange;
    let [current, new] = me
        .accept(
            &state,
            action,
            body.required_strings(["current_password", "new_password"]),
        )
        .await?;
    state
        .services
        .change_password(&me.tenant, &me.ctx, &me.caller, &current, &new)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Prove who you are again.
///
/// With the password or a code; enrolling an authenticator and making new
/// recovery codes need this within the last 5 minutes (403
/// `reauthentication_required` otherwise). Wrong answers count in the login
/// throttles.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/auth/reauthenticate", tag = "auth",
    params(("tenant" = String, Path, description = "Tenant slug")),
    request_body(content = ReauthenticateRequest, content_type = "application/json"),
    responses((status = 204, description = "Renewed for 5 minutes"),
        (status = 401, description = "invalid_token, or invalid_code for a wrong code", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "too_many_attempts", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Try again shortly", body = crate::error::Problem, content_type = "application/problem+json"),
        BodyErrors),
    security(("bearer" = [])))]
pub async fn reauthenticate(
    State(state): State<AppState>,
    me: SessionUser,
    JsonBody(body): JsonBody,
) -> ApiResult<StatusCode> {
    let action = AuditAction::UserReauthenticate;
    let proof = me.accept(&state, action, proof(body)).await?;
    state
        .services
        .reauthenticate(&me.tenant, &me.ctx, &me.caller, proof)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
