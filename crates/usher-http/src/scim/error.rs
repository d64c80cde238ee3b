//! SCIM error answers (RFC 7644 §3.12): the one mapping from domain errors
//! to SCIM statuses and `scimType`s, as `usher_http::error` is for the
//! other surfaces.

use super::reply::scim_json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use usher_core::Error;
use usher_core::error::{ErrorCode, Missing};
use usher_core::scim::resource::{ERROR_URN, scim_field};

/// A SCIM error answer (RFC 7644 §3.12).
#[derive(Debug)]
pub(crate) struct ScimError {
    status: StatusCode,
    scim_type: Option<&'static str>,
    detail: String,
}

impl ScimError {
    pub(crate) fn new(
        status: StatusCode,
        scim_type: Option<&'static str>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    pub(crate) fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, None, detail)
    }

    /// The domain error a refusal is audited as.
    pub(crate) fn to_domain(&self) -> Error {
        let code = match self.scim_type {
            Some("invalidSyntax") => ErrorCode::InvalidSyntax,
            Some("invalidFilter") => ErrorCode::InvalidFilter,
            Some("invalidPath") => ErrorCode::InvalidPath,
            Some("tooMany") => ErrorCode::TooMany,
            _ => ErrorCode::InvalidValue,
        };
        match self.status {
            StatusCode::PAYLOAD_TOO_LARGE => Error::TooLarge(self.detail.clone()),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Error::UnsupportedMediaType(self.detail.clone()),
            _ => Error::bad_request(code, self.detail.clone()),
        }
    }

    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }

    /// The error body (also the `response` of a failed `/Bulk` operation).
    pub(crate) fn body(&self) -> Value {
        let mut body = json!({
            "schemas": [ERROR_URN],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = json!(t);
        }
        body
    }

    pub(crate) fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            None,
            "this endpoint is read-only; only GET is allowed",
        )
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let mut res = scim_json(self.status, &self.body());
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

/// The `scimType` of a request error code from the services.
fn scim_type_of(code: ErrorCode) -> Option<&'static str> {
    use ErrorCode as C;
    Some(match code {
        C::InvalidFilter => "invalidFilter",
        C::InvalidPath => "invalidPath",
        C::NoTarget => "noTarget",
        C::Mutability => "mutability",
        C::TooMany => "tooMany",
        C::InvalidSyntax | C::MalformedJson | C::InvalidBody => "invalidSyntax",
        C::InvalidSort | C::InvalidValue | C::InvalidParameter => "invalidValue",
        _ => return None,
    })
}

impl From<Error> for ScimError {
    fn from(e: Error) -> Self {
        match &e {
            Error::Validation(v) => {
                let parts: Vec<String> =
                    v.0.iter()
                        .map(|f| format!("{}: {}", scim_field(&f.field), f.message))
                        .collect();
                ScimError::new(
                    StatusCode::BAD_REQUEST,
                    Some("invalidValue"),
                    parts.join("; "),
                )
            }
            Error::BadRequest { code, message } => ScimError::new(
                StatusCode::BAD_REQUEST,
                scim_type_of(*code).or(Some("invalidValue")),
                message.clone(),
            ),
            Error::NotFound(Missing::User) => ScimError::not_found("no user with this id"),
            Error::NotFound(Missing::Group) => ScimError::not_found("no group with this id"),
            Error::NotFound(_) => ScimError::not_found("not found"),
            Error::Conflict { code, message, .. }
                if code.as_str().ends_with("_taken") || *code == ErrorCode::AttributeExists =>
            {
                ScimError::new(StatusCode::CONFLICT, Some("uniqueness"), message.clone())
            }
            Error::Conflict { message, .. } => {
                ScimError::new(StatusCode::CONFLICT, None, message.clone())
            }
            Error::VersionMismatch { .. } => ScimError::new(
                StatusCode::PRECONDITION_FAILED,
                None,
                format!("{e}: read it again and retry"),
            ),
            Error::Forbidden(m) | Error::Denied { message: m, .. } => {
                ScimError::new(StatusCode::FORBIDDEN, None, m.clone())
            }
            Error::Unauthorized { message, .. } => {
                ScimError::new(StatusCode::UNAUTHORIZED, None, message.clone())
            }
            Error::TooManyAttempts { .. } => {
                ScimError::new(StatusCode::TOO_MANY_REQUESTS, None, e.to_string())
            }
            Error::TooLarge(m) => ScimError::new(StatusCode::PAYLOAD_TOO_LARGE, None, m.clone()),
            Error::UnsupportedMediaType(m) => ScimError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                None,
                format!("{m} (or application/scim+json)"),
            ),
            Error::Store(s) => {
                tracing::error!(error = %s, "storage failure behind a SCIM request");
                ScimError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    None,
                    "an internal error occurred",
                )
            }
        }
    }
}

pub(crate) type ScimResult<T> = Result<T, ScimError>;
