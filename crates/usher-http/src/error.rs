//! The one mapping from domain errors to HTTP: RFC 9457 problem details with
//! a stable `code`. 5xx bodies say nothing about the cause; the cause is
//! logged once, here.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use usher_core::error::{ErrorCode, FieldError};
use usher_core::{Error, StoreError};
use utoipa::ToSchema;

/// A problem details body (RFC 9457) with Usher's stable `code`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type: `urn:usher:problem:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable, machine-readable reason.
    pub code: String,
    /// Every invalid field, for validation failures and conflicts on a field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
}

/// One invalid field.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemField {
    /// JSON path of the field, e.g. `attributes.department`.
    pub field: String,
    pub code: String,
    pub message: String,
}

impl From<&FieldError> for ProblemField {
    fn from(f: &FieldError) -> Self {
        Self {
            field: f.field.clone(),
            code: f.code.as_str().to_owned(),
            message: f.message.clone(),
        }
    }
}

/// An error answer of the admin API.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: ErrorCode,
    detail: String,
    errors: Vec<ProblemField>,
    challenge: bool,
    retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, detail: impl Into<String>) -> Self {
        // The status comes from the error's variant; the table of codes
        // (`ErrorCode::status`, and the docs made from it) must agree.
        debug_assert!(
            code.is_field_code() || code.status() == status.as_u16(),
            "{code} is documented with {} but answered with {status}",
            code.status()
        );
        Self {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
            challenge: false,
            retry_after: None,
        }
    }

    /// 401 with a `WWW-Authenticate: Bearer` challenge.
    pub fn unauthorized() -> Self {
        let mut e = Self::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
            "send a valid API token as Authorization: Bearer <token>",
        );
        e.challenge = true;
        e
    }

    pub fn not_found_route() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "no such resource",
        )
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::MethodNotAllowed,
            "this method is not allowed on this resource",
        )
    }
}

fn store_failure(e: &StoreError) -> ApiError {
    tracing::error!(error = %e, "storage failure");
    match e {
        StoreError::Unavailable(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::ServiceUnavailable,
            "the service cannot reach its database; try again shortly",
        ),
        StoreError::Corrupt(_) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::InternalError,
            "an internal error occurred",
        ),
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        match &e {
            Error::Validation(v) => {
                let mut out = ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    ErrorCode::ValidationFailed,
                    format!("{} field(s) are invalid; see errors", v.0.len()),
                );
                out.errors = v.0.iter().map(ProblemField::from).collect();
                out
            }
            Error::BadRequest { code, message } => {
                ApiError::new(StatusCode::BAD_REQUEST, *code, message.clone())
            }
            Error::NotFound(m) => ApiError::new(StatusCode::NOT_FOUND, m.code(), e.to_string()),
            Error::Conflict {
                code,
                field,
                message,
            } => {
                let mut out = ApiError::new(StatusCode::CONFLICT, *code, message.clone());
                if let Some(f) = field {
                    out.errors = vec![ProblemField {
                        field: (*f).to_owned(),
                        code: code.as_str().to_owned(),
                        message: message.clone(),
                    }];
                }
                out
            }
            Error::VersionMismatch { current } => ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                ErrorCode::VersionMismatch,
                format!(
                    "the resource was changed meanwhile; it is now at version {current}: read it again and retry"
                ),
            ),
            Error::Forbidden(m) => {
                ApiError::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, m.clone())
            }
            Error::Unauthorized { code, message } => {
                let mut out = ApiError::new(StatusCode::UNAUTHORIZED, *code, message.clone());
                out.challenge = true;
                out
            }
            Error::Denied { code, message } => {
                ApiError::new(StatusCode::FORBIDDEN, *code, message.clone())
            }
            Error::TooManyAttempts { retry_after_secs } => {
                let mut out = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    ErrorCode::TooManyAttempts,
                    e.to_string(),
                );
                out.retry_after = Some(*retry_after_secs);
                out
            }
            Error::TooLarge(m) => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::PayloadTooLarge,
                m.clone(),
            ),
            Error::UnsupportedMediaType(m) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::UnsupportedMediaType,
                m.clone(),
            ),
            Error::Store(s) => store_failure(s),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Problem {
            kind: format!("urn:usher:problem:{}", self.code),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: self.detail,
            code: self.code.as_str().to_owned(),
            errors: self.errors,
        };
        let json = serde_json::to_vec(&body).unwrap_or_default();
        let mut res = (self.status, json).into_response();
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if self.challenge {
            h.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"usher\""),
            );
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            h.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        if let Some(secs) = self.retry_after {
            h.insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        res
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
