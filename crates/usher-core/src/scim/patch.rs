//! SCIM PATCH in Usher's errors: `usher-scim` parses and applies the
//! operations, and its refusals become the 400s every other SCIM request
//! answers with, under the codes the HTTP layer turns back into `scimType`.

use crate::error::{Error, ErrorCode};
use serde_json::Value;
use usher_scim::{PatchError, PatchErrorKind, PatchOp, PatchSchema};

impl From<PatchError> for Error {
    fn from(e: PatchError) -> Self {
        let code = match e.kind() {
            PatchErrorKind::InvalidSyntax => ErrorCode::InvalidSyntax,
            PatchErrorKind::TooMany => ErrorCode::TooMany,
            PatchErrorKind::InvalidPath => ErrorCode::InvalidPath,
            PatchErrorKind::InvalidFilter => ErrorCode::InvalidFilter,
            PatchErrorKind::InvalidValue => ErrorCode::InvalidValue,
            PatchErrorKind::NoTarget => ErrorCode::NoTarget,
            PatchErrorKind::Mutability => ErrorCode::Mutability,
        };
        Error::bad_request(code, e.message())
    }
}

/// [`usher_scim::parse_patch`], refusing with a 400.
pub fn parse_patch(body: &Value) -> Result<Vec<PatchOp>, Error> {
    usher_scim::parse_patch(body).map_err(Error::from)
}

/// [`usher_scim::apply_patch`], refusing with a 400.
pub fn apply_patch(
    resource: &mut Value,
    ops: &[PatchOp],
    schema: &dyn PatchSchema,
) -> Result<(), Error> {
    usher_scim::apply_patch(resource, ops, schema).map_err(Error::from)
}
