//! Usher's domain: tenants, users and their lifecycle, custom attributes,
//! audit events, API tokens, the `Store` trait every backend implements, and
//! the services that the HTTP API and the CLI share.
//!
//! Nothing here knows about HTTP or SQL. Values are parsed at the edge into
//! the newtypes of [`user::fields`] and [`tenant`], so code further in never
//! handles a raw address or slug.

pub mod access;
pub mod admin_session;
pub mod attribute;
pub mod audit;
pub mod bulk;
pub mod clock;
#[cfg(test)]
mod doc_tables;
pub mod error;
pub mod export;
pub mod factor;
pub mod geoip;
pub mod group;
pub mod ids;
pub mod import;
pub mod input;
pub mod job;
pub mod list_filters;
pub mod listing;
pub mod mail;
pub mod mfa;
pub mod net;
pub mod password;
#[cfg(test)]
mod properties;
pub mod role;
pub mod scim;
pub mod scope;
pub mod sealing;
pub mod search;
pub mod service;
pub mod session;
pub mod store;
pub mod tenant;
pub mod token;
pub mod user;
pub mod useragent;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Error, FieldError, StoreError, ValidationErrors};
pub use ids::{
    BulkProcessId, FactorId, GroupId, Id, ImportId, JobId, MailId, SessionId, TenantId, TokenId,
    UserId,
};
pub use store::Store;
