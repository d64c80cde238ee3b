//! Usher's users and groups as SCIM resources (RFC 7643 §4), and SCIM
//! bodies read back into the admin API's fields: the User resource and the
//! extensions that carry custom attributes ([`user_resource`]), a User
//! body read ([`read_user`]), groups both ways ([`group_resource`],
//! [`read_group`]), and what reading a body of either needs (`body`).

mod body;
mod group;
mod read_user;
mod roles;
mod user;

pub use group::{group_resource, read_group};
pub use read_user::{UserInput, read_user, scim_field};
pub use roles::{RETURNED_ON_REQUEST, ROLE_SUB_ATTRIBUTES, ROLES, roles_schema, roles_value};
pub use user::{ENTERPRISE_ATTRIBUTES, ExtensionNames, user_resource};
pub use usher_scim::urn::{
    BULK_REQUEST_URN, BULK_RESPONSE_URN, ENTERPRISE_URN, ERROR_URN, GROUP_URN, LIST_URN, PATCH_URN,
    SEARCH_URN, USER_URN,
};
pub use usher_scim::{lenient_bool, member};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Usher's own extension, which shows every custom attribute the
/// enterprise extension does not.
pub const USHER_USER_URN: &str = "urn:usher:params:scim:schemas:extension:2.0:User";

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// `W/"<version>"`, the ETag and `meta.version` of a resource.
pub fn version_tag(version: i64) -> String {
    format!("W/\"{version}\"")
}
