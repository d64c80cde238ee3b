//! The domain's error type. Every refusal carries an [`ErrorCode`] from the
//! one table in [`code`]; the HTTP layer maps each variant to its answer in
//! one place (`usher_http::error`).

mod code;

pub use code::ErrorCode;
use serde::Serialize;

/// One invalid input field, named by its JSON path (`attributes.department`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: ErrorCode,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
        }
    }
}

/// Every invalid field of one request, collected before anything is written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }

    pub fn add(&mut self, field: impl Into<String>, code: ErrorCode, message: impl Into<String>) {
        self.0.push(FieldError::new(field, code, message));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn single(field: impl Into<String>, code: ErrorCode, message: impl Into<String>) -> Self {
        Self(vec![FieldError::new(field, code, message)])
    }

    /// `Ok(value)` when nothing was collected.
    pub fn into_result<T>(self, value: T) -> Result<T, Error> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(Error::Validation(self))
        }
    }

    /// Records the error of a fallible parse, returning the value if it parsed.
    pub fn take<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.push(e);
                None
            }
        }
    }
}

/// What kind of record was not found; the HTTP layer names it in the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    Tenant,
    User,
    Attribute,
    Token,
    Session,
    Factor,
    BulkProcess,
    Group,
    Job,
    Import,
    Role,
    RoleAssignment,
}

impl Missing {
    pub fn code(self) -> ErrorCode {
        match self {
            Missing::Tenant => ErrorCode::TenantNotFound,
            Missing::User => ErrorCode::UserNotFound,
            Missing::Attribute => ErrorCode::AttributeNotFound,
            Missing::Token => ErrorCode::TokenNotFound,
            Missing::Session => ErrorCode::SessionNotFound,
            Missing::Factor => ErrorCode::FactorNotFound,
            Missing::BulkProcess => ErrorCode::BulkProcessNotFound,
            Missing::Group => ErrorCode::GroupNotFound,
            Missing::Job => ErrorCode::JobNotFound,
            Missing::Import => ErrorCode::ImportNotFound,
            Missing::Role => ErrorCode::RoleNotFound,
            Missing::RoleAssignment => ErrorCode::RoleNotAssigned,
        }
    }

    /// What was missing, in words: the subject of the error's text.
    pub fn noun(self) -> &'static str {
        match self {
            Missing::Tenant => "tenant",
            Missing::User => "user",
            Missing::Attribute => "custom attribute",
            Missing::Token => "API token",
            Missing::Session => "session",
            Missing::Factor => "second factor",
            Missing::BulkProcess => "bulk process",
            Missing::Group => "group",
            Missing::Job => "job",
            Missing::Import => "import",
            Missing::Role => "role",
            Missing::RoleAssignment => "role assignment",
        }
    }
}

/// A failure of the storage backend itself, never caused by client input.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached or answered with an error.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Stored data could not be read back (a bug or a corrupted row).
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
}

/// Everything a service call can answer besides success.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is invalid; every bad field is listed.
    #[error("validation failed")]
    Validation(ValidationErrors),
    /// A request parameter outside the body is invalid (cursor, limit, search).
    #[error("{message}")]
    BadRequest { code: ErrorCode, message: String },
    #[error("{} not found", .0.noun())]
    NotFound(Missing),
    /// The request conflicts with the current state (a refused transition, a
    /// taken email). `field` names the input that collided, if any.
    #[error("{message}")]
    Conflict {
        code: ErrorCode,
        field: Option<&'static str>,
        message: String,
    },
    /// `If-Match` named another version than the current one.
    #[error("the user was changed meanwhile (now at version {current})")]
    VersionMismatch { current: i64 },
    /// The caller may not do this (e.g. a SCIM-only token on the admin API).
    #[error("{0}")]
    Forbidden(String),
    /// The caller could not be authenticated (a wrong password, an expired
    /// or unknown token). One answer for every cause, so that nothing is
    /// revealed about accounts.
    #[error("{message}")]
    Unauthorized { code: ErrorCode, message: String },
    /// Authenticated, but this account may not do it now (a blocked user).
    #[error("{message}")]
    Denied { code: ErrorCode, message: String },
    /// Too many failed attempts: try again after `retry_after_secs`.
    #[error("too many failed attempts; try again in {retry_after_secs} seconds")]
    TooManyAttempts { retry_after_secs: u64 },
    /// The request body is larger than accepted.
    #[error("{0}")]
    TooLarge(String),
    /// The request body is not in a format this endpoint reads.
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Error {
    pub fn conflict(code: ErrorCode, message: impl Into<String>) -> Self {
        Error::Conflict {
            code,
            field: None,
            message: message.into(),
        }
    }

    pub fn bad_request(code: ErrorCode, message: impl Into<String>) -> Self {
        Error::BadRequest {
            code,
            message: message.into(),
        }
    }

    /// The stable machine code the HTTP layer and the audit log use.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Validation(_) => ErrorCode::ValidationFailed,
            Error::BadRequest { code, .. } => *code,
            Error::NotFound(m) => m.code(),
            Error::Conflict { code, .. } => *code,
            Error::VersionMismatch { .. } => ErrorCode::VersionMismatch,
            Error::Forbidden(_) => ErrorCode::Forbidden,
            Error::Unauthorized { code, .. } | Error::Denied { code, .. } => *code,
            Error::TooManyAttempts { .. } => ErrorCode::TooManyAttempts,
            Error::TooLarge(_) => ErrorCode::PayloadTooLarge,
            Error::UnsupportedMediaType(_) => ErrorCode::UnsupportedMediaType,
            Error::Store(_) => ErrorCode::InternalError,
        }
    }

    /// Refuses with `version_mismatch` unless `if_match` (the version an
    /// `If-Match` named, if any) is `current`: the one optimistic
    /// concurrency check of every store and service.
    pub fn check_version(if_match: Option<i64>, current: i64) -> Result<(), Error> {
        match if_match {
            Some(v) if v != current => Err(Error::VersionMismatch { current }),
            _ => Ok(()),
        }
    }

    /// True when the caller's request was refused (as opposed to Usher failing).
    pub fn is_refusal(&self) -> bool {
        !matches!(self, Error::Store(_))
    }
}
