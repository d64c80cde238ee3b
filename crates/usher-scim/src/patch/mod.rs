//! SCIM PATCH (RFC 7644 §3.5.2): `PatchOp` messages parsed into operations,
//! and operations applied to a resource in its JSON form.
//!
//! A PATCH is applied to the resource as a GET shows it, so that the caller
//! can read the result back like a PUT body: the same validation and one
//! write under the version the operations were applied to, so a PATCH is
//! atomic (every operation or none) and never races another change.
//!
//! Beyond the RFC, what Entra ID and Okta send:
//! - `op` in any case (`Replace`, `Add`, `Remove`);
//! - booleans as strings (`"False"`), read where the attribute is boolean;
//! - a path-less `replace`/`add` whose value has dotted keys
//!   (`{"name.givenName": "Ada"}`) or URN-qualified keys
//!   (`{"urn:…:enterprise:2.0:User:department": "R&D"}`);
//! - `replace` of `emails[type eq "work"].value` on a user with no such
//!   email: the element is created (Entra ID's documented expectation);
//! - member removal as `path: members[value eq "id"]`, or as `path:
//!   members` with the members to remove in `value`.

mod apply;
mod error;
mod filtered;
mod locate;
mod parse;

pub use apply::apply_patch;
pub use error::{PatchError, PatchErrorKind};
pub use parse::{MAX_OPERATIONS, parse_patch};

use crate::path::PatchPath;
use serde_json::Value;

/// An operation's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Add,
    Replace,
    Remove,
}

/// One parsed operation.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOp {
    pub op: OpKind,
    pub path: Option<PatchPath>,
    pub value: Option<Value>,
}

/// What the patcher needs to know of the resource's schema.
pub trait PatchSchema {
    /// The canonical spelling of an attribute (or sub-attribute) name, if
    /// the schema has it: keys the patch creates take that spelling.
    fn canonical(&self, parent: Option<&str>, name: &str) -> Option<String>;
    /// Whether a top-level attribute is multi-valued.
    fn multi_valued(&self, name: &str) -> bool;
    /// Whether a top-level attribute may not be written.
    fn read_only(&self, name: &str) -> bool;
    /// The extension URNs the resource may carry.
    fn extensions(&self) -> Vec<&'static str>;
    /// Whether a string attribute compares case-exactly (for value filters).
    fn case_exact(&self, parent: &str, sub: &str) -> bool;
    /// Whether an attribute the schema does not have is one of RFC 7643's
    /// that the service does not store (`title`, `addresses`,
    /// `name.formatted`, the enterprise `manager`, …): operations on it are
    /// skipped, as the attribute is ignored in a POST or PUT body (Entra ID
    /// sends them). Names are given as written; `extension` is the URN, if
    /// any.
    fn unstored(&self, extension: Option<&str>, name: &str, sub: Option<&str>) -> bool;
}
