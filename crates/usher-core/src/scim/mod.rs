//! SCIM 2.0 as Usher serves it: users and groups as SCIM resources and
//! back ([`resource`]), filters lowered to conditions on the stored columns
//! ([`query`]), the discovery documents and the schema PATCH reads
//! ([`schemas`]), and PATCH answering in Usher's [`Error`](crate::Error).
//!
//! The syntax itself — filters, PATCH paths and operations, the reference
//! evaluator — has no Usher types and is the `usher-scim` crate, re-exported
//! here for the services and the stores.

mod patch;
pub mod query;
pub mod resource;
pub mod schemas;

pub use patch::{apply_patch, parse_patch};
pub use usher_scim::{
    AttrPath, CompValue, CompareOp, Filter, MAX_DEPTH, MAX_INPUT_BYTES, OpKind, ParseError,
    ParseErrorKind, PatchOp, PatchPath, PatchSchema, ValuePath, matches,
};
