//! The one error type of the SCIM filter and PATCH-path parsers, and the
//! `scimType` (RFC 7644 §3.12, table 9) each error answers with.

/// Which RFC 7644 `scimType` a [`ParseError`] maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// Bad filter syntax: in a `filter` parameter, a `/.search` body, or the
    /// `[...]` value filter inside a PATCH path (table 9 lists PATCH "path
    /// filter" under `invalidFilter`).
    InvalidFilter,
    /// A PATCH `path` that is malformed outside its value filter.
    InvalidPath,
}

impl ParseErrorKind {
    /// The `scimType` of an error body.
    pub fn scim_type(self) -> &'static str {
        match self {
            Self::InvalidFilter => "invalidFilter",
            Self::InvalidPath => "invalidPath",
        }
    }
}

/// Why a filter or path was refused, and where.
///
/// `position` counts characters (not bytes) from 1, so it points at the same
/// place a person sees when they read the filter; the end of the input is
/// one past its last character.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at character {position}")]
pub struct ParseError {
    kind: ParseErrorKind,
    position: usize,
    message: String,
}

impl ParseError {
    pub(crate) fn new(kind: ParseErrorKind, position: usize, message: impl Into<String>) -> Self {
        Self {
            kind,
            position,
            message: message.into(),
        }
    }

    /// `invalidFilter` or `invalidPath`.
    pub fn scim_type(&self) -> &'static str {
        self.kind.scim_type()
    }

    pub fn kind(&self) -> ParseErrorKind {
        self.kind
    }

    /// 1-based character position of the problem.
    pub fn position(&self) -> usize {
        self.position
    }

    /// What was wrong or expected, without the position.
    pub fn message(&self) -> &str {
        &self.message
    }
}
