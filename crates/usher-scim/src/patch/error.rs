//! Why a PATCH was refused: the `scimType` (RFC 7644 §3.12, table 9) and a
//! message that names the operation and what was wrong with it.

/// Which RFC 7644 `scimType` a [`PatchError`] answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchErrorKind {
    /// The body is not a `PatchOp` message, or an operation is malformed.
    InvalidSyntax,
    /// More than [`MAX_OPERATIONS`](super::MAX_OPERATIONS) operations.
    TooMany,
    /// A path that is malformed or names nothing the resource has.
    InvalidPath,
    /// A malformed value filter inside a path.
    InvalidFilter,
    /// A value that is missing or of the wrong shape.
    InvalidValue,
    /// Nothing to operate on: a `remove` without a path, or a value filter
    /// that matches no element and cannot create one.
    NoTarget,
    /// A write to a read-only attribute.
    Mutability,
}

impl PatchErrorKind {
    /// The `scimType` of an error body.
    pub fn scim_type(self) -> &'static str {
        match self {
            Self::InvalidSyntax => "invalidSyntax",
            Self::TooMany => "tooMany",
            Self::InvalidPath => "invalidPath",
            Self::InvalidFilter => "invalidFilter",
            Self::InvalidValue => "invalidValue",
            Self::NoTarget => "noTarget",
            Self::Mutability => "mutability",
        }
    }
}

/// A refused PATCH request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PatchError {
    kind: PatchErrorKind,
    message: String,
}

impl PatchError {
    pub(crate) fn new(kind: PatchErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// The same error, said of the `n`th operation (from 1) of the request.
    pub(crate) fn in_operation(self, n: usize) -> Self {
        Self {
            message: format!("operation {n}: {}", self.message),
            ..self
        }
    }

    pub fn kind(&self) -> PatchErrorKind {
        self.kind
    }

    /// What was wrong, for the client.
    pub fn message(&self) -> &str {
        &self.message
    }
}
