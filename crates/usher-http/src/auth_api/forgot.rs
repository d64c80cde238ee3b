//! `…/auth/password-reset`: asking for a reset link by email, for apps that
//! draw their own "forgot your password?" page (`/t/{tenant}/forgot` is
//! Usher's). The answer never tells whether an account has the address.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{JsonBody, Visitor};
use crate::schema::BodyErrors;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use usher_core::Error;
use usher_core::input::ObjectReader;
use utoipa::ToSchema;

/// The body of a reset request.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct ForgotRequest {
    /// The email address of the account.
    pub email: String,
}

/// The answer to a reset request, whether or not an account has the address.
#[derive(Debug, Serialize, ToSchema)]
pub struct ForgotResponse {
    /// Always `accepted`.
    pub status: &'static str,
}

fn read(body: serde_json::Value) -> Result<String, Error> {
    let mut r = ObjectReader::new(body).map_err(Error::Validation)?;
    let email = r.required_string("email");
    let errors = r.finish();
    match email {
        Some(e) if errors.is_empty() => Ok(e),
        _ => Err(Error::Validation(errors)),
    }
}

/// Ask for a password-reset link.
///
/// When an active or blocked user has the address, a reset link is mailed
/// to it (replacing any older one); otherwise nothing happens. The answer
/// is 202 either way, and takes the same time. Per email at most 3 mails
/// are sent an hour; per client address 20 requests are answered an hour,
/// then 429 `too_many_attempts` with `Retry-After`.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/auth/password-reset", tag = "auth",
    params(("tenant" = String, Path, description = "Tenant slug")),
    request_body(content = ForgotRequest, content_type = "application/json"),
    responses((status = 202, description = "Accepted (whether or not the account exists)", body = ForgotResponse),
        (status = 404, description = "Unknown tenant", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this address", body = crate::error::Problem, content_type = "application/problem+json"),
        BodyErrors))]
pub async fn request_password_reset(
    State(state): State<AppState>,
    Visitor(ctx): Visitor,
    Path(slug): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<ForgotResponse>)> {
    let tenant = state.services.find_tenant(&slug).await?;
    let email = body.and_then(read)?;
    state
        .services
        .forgot_password(&tenant, &ctx, &email)
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(ForgotResponse { status: "accepted" }),
    ))
}
