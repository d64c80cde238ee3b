//! SCIM 2.0 (RFC 7643/7644) syntax with no Usher types, no HTTP and no
//! storage: the filter grammar of `filter=` and `/.search`, PATCH `path`
//! values and `PatchOp` messages (parsed, and applied to a resource in its
//! JSON form), an in-memory evaluator of filters over resource JSON, the
//! caseless comparison both use, and the schema and message URNs.
//!
//! Everything parsed here is bounded: input longer than
//! [`MAX_INPUT_BYTES`] or nested deeper than [`MAX_DEPTH`] is refused with
//! an error rather than parsed, and no code path panics on any input.
//!
//! The tree types are public so that a store can translate a [`Filter`]
//! into SQL; [`matches`] is the reference semantics for that translation
//! and serves tests and small in-memory checks.

mod ast;
mod error;
mod eval;
mod filter;
mod fold;
mod lenient;
mod lexer;
mod parser;
mod patch;
mod path;
#[cfg(test)]
mod tests;
pub mod urn;

pub use ast::{AttrPath, CompValue, CompareOp, Filter, ValuePath};
pub use error::{ParseError, ParseErrorKind};
pub use eval::matches;
pub use fold::fold_case;
pub use lenient::{lenient_bool, member};
pub use patch::{
    MAX_OPERATIONS, OpKind, PatchError, PatchErrorKind, PatchOp, PatchSchema, apply_patch,
    parse_patch,
};
pub use path::PatchPath;

/// Longest filter or path accepted, in bytes (4 KiB; Entra ID and Okta send
/// one comparison of an identifier).
pub const MAX_INPUT_BYTES: usize = 4096;

/// Deepest nesting of `(`, `not (` and `[` accepted.
pub const MAX_DEPTH: usize = 32;
