//! SCIM 2.0 (RFC 7643/7644) syntax that needs no HTTP or storage: the
//! filter grammar of `filter=` and `/.search`, PATCH `path` values, and an
//! in-memory evaluator of filters over resource JSON.
//!
//! Everything parsed here is bounded: input longer than
//! [`MAX_INPUT_BYTES`] or nested deeper than [`MAX_DEPTH`] is refused with
//! an error rather than parsed, and no code path panics on any input.
//!
//! The tree types are public so that the store layer can translate a
//! [`Filter`] into SQL; [`matches`] is the reference semantics for that
//! translation and serves tests and small in-memory checks.

mod ast;
mod error;
mod eval;
mod filter;
mod lexer;
mod parser;
mod patch;
mod path;
pub mod query;
pub mod resource;
pub mod schemas;
#[cfg(test)]
mod tests;

pub use ast::{AttrPath, CompValue, CompareOp, Filter, ValuePath};
pub use error::{ParseError, ParseErrorKind};
pub use eval::matches;
pub use patch::{OpKind, PatchOp, PatchSchema, apply_patch, parse_patch};
pub use path::PatchPath;

/// Longest filter or path accepted, in bytes (4 KiB; Entra ID and Okta send
/// one comparison of an identifier).
pub const MAX_INPUT_BYTES: usize = 4096;

/// Deepest nesting of `(`, `not (` and `[` accepted.
pub const MAX_DEPTH: usize = 32;
