//! Every request extractor, for every surface. Authorization is a type:
//! the extractor a handler receives ([`TenantAdmin`], [`SuperAdmin`],
//! [`SessionUser`], [`ScimClient`], a [`Visitor`], the pages' [`Page`])
//! decides what it may do. Bodies, query strings and `If-Match` are read
//! without rejecting, so that a malformed request is still audited
//! ([`AuditedCaller::accept`]).

mod admin;
mod body;
mod multipart;
mod page;
mod precondition;
mod refusal;
mod request;
mod scim;
mod session;

pub(crate) use admin::{Call, SuperAdmin, TenantAdmin, check_call};
pub(crate) use body::{
    JsonBody, OptionalJsonBody, QueryParams, bounded_param, flag, int_param, media_type,
    parse_json, parse_query,
};
pub(crate) use multipart::{multipart_fields, text_field};
pub(crate) use page::Page;
pub(crate) use precondition::{IfMatch, etag, parse_if_match};
pub(crate) use refusal::{Audited, AuditedCaller};
pub(crate) use request::{Visitor, client_context, device_cookie, request_context};
pub(crate) use scim::ScimClient;
pub(crate) use session::{SessionUser, TenantVisitor};
