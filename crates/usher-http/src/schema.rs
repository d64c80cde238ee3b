//! Response bodies and the documented shapes of request bodies. Request
//! bodies are read field by field by the domain (so that every bad field is
//! reported at once); the types here describe them for `/openapi.json`, and
//! a test checks they list the same fields the domain reads.

use crate::error::Problem;
use serde::Serialize;
use std::collections::BTreeMap;
use time::OffsetDateTime;
use usher_core::attribute::AttributeDefinition;
use usher_core::tenant::{Tenant, TenantSettings};
use usher_core::user::User;
use utoipa::{IntoResponses, ToSchema};
use uuid::Uuid;

/// A user.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserResponse {
    pub id: Uuid,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// The name to show (SCIM `displayName`).
    pub display_name: Option<String>,
    pub phone: Option<String>,
    pub personal_email: Option<String>,
    pub username: Option<String>,
    /// `en`, `de` or `fr`.
    pub language: String,
    /// `not_invited`, `pending_invitation`, `expired_invitation`, `active`, `blocked` or `disabled`.
    pub state: String,
    pub archived: bool,
    /// `local` or the id of an external user source.
    pub source: String,
    pub external_id: Option<String>,
    /// Custom attribute values by attribute name.
    pub attributes: BTreeMap<String, String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub signup_completed_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_login_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_failed_login_at: Option<OffsetDateTime>,
    /// When the current invitation link expires, while one is pending.
    #[serde(with = "time::serde::rfc3339::option")]
    pub invitation_expires_at: Option<OffsetDateTime>,
    pub mfa_enrolled: bool,
    /// Incremented by every change; the ETag is `W/"<version>"`.
    pub version: i64,
}

impl UserResponse {
    pub fn new(u: &User, now: OffsetDateTime) -> Self {
        let s = |v: Option<&str>| v.map(str::to_owned);
        Self {
            id: u.id,
            email: u.email.as_str().to_owned(),
            first_name: s(u.first_name.as_ref().map(|v| v.as_str())),
            last_name: s(u.last_name.as_ref().map(|v| v.as_str())),
            display_name: s(u.display_name.as_ref().map(|v| v.as_str())),
            phone: s(u.phone.as_ref().map(|v| v.as_str())),
            personal_email: s(u.personal_email.as_ref().map(|v| v.as_str())),
            username: s(u.username.as_ref().map(|v| v.as_str())),
            language: u.language.as_str().to_owned(),
            state: u.state(now).as_str().to_owned(),
            archived: u.archived,
            source: u.source.clone(),
            external_id: s(u.external_id.as_ref().map(|v| v.as_str())),
            attributes: u.attributes.clone(),
            created_at: u.created_at,
            updated_at: u.updated_at,
            signup_completed_at: u.signup_completed_at,
            last_login_at: u.last_login_at,
            last_failed_login_at: u.last_failed_login_at,
            invitation_expires_at: u
                .invitation_expires_at
                .filter(|_| u.state(now).can_be_invited()),
            mfa_enrolled: u.mfa_enrolled,
            version: u.version,
        }
    }
}

/// Links to the first, previous, next and last pages (`null` when absent).
#[derive(Debug, Serialize, ToSchema)]
pub struct Links {
    pub first: Option<String>,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub last: Option<String>,
}

/// A page of users.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    pub items: Vec<UserResponse>,
    /// The exact number of users matching the query.
    pub total: u64,
    pub links: Links,
}

/// The body of `POST /users`.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct CreateUserRequest {
    /// The login name; unique per tenant ignoring case.
    pub email: String,
    /// At most 50 characters.
    pub first_name: Option<String>,
    /// At most 100 characters.
    pub last_name: Option<String>,
    /// The name to show, at most 150 characters.
    pub display_name: Option<String>,
    /// E.164, e.g. `+4915112345678`.
    pub phone: Option<String>,
    pub personal_email: Option<String>,
    /// Unique per tenant ignoring case.
    pub username: Option<String>,
    /// `en` (default), `de` or `fr`.
    pub language: Option<String>,
    pub external_id: Option<String>,
    /// Values of the tenant's custom attributes.
    pub attributes: Option<BTreeMap<String, String>>,
    /// Send an invitation (default true).
    pub send_invitation: Option<bool>,
    /// Create the user directly `active` (SSO-only users, SCIM, imports).
    pub activate: Option<bool>,
}

/// The body of `PATCH /users/{id}`: a JSON merge patch (absent = keep, `null` = unset).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct UpdateUserRequest {
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub display_name: Option<String>,
    pub phone: Option<String>,
    pub personal_email: Option<String>,
    pub username: Option<String>,
    pub language: Option<String>,
    pub external_id: Option<String>,
    /// Attribute values to set; `null` removes one.
    pub attributes: Option<BTreeMap<String, Option<String>>>,
}

/// A custom attribute definition.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttributeResponse {
    pub name: String,
    pub label: String,
    pub max_length: u16,
    pub regex: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<&AttributeDefinition> for AttributeResponse {
    fn from(d: &AttributeDefinition) -> Self {
        Self {
            name: d.name.as_str().to_owned(),
            label: d.label.clone(),
            max_length: d.max_length,
            regex: d.regex.clone(),
            created_at: d.created_at,
        }
    }
}

/// The body of `POST /attributes`.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct CreateAttributeRequest {
    /// `^[A-Za-z0-9_]{1,30}$`, unique ignoring case.
    pub name: String,
    /// 1 to 120 characters.
    pub label: String,
    /// 1 to 1000 (default 1000).
    pub max_length: Option<u16>,
    /// A regular expression a value must match as a whole.
    pub regex: Option<String>,
}

/// The custom attribute definitions of a tenant.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttributeList {
    pub items: Vec<AttributeResponse>,
    pub total: u64,
    pub links: Links,
}

/// A tenant.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantResponse {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub settings: SettingsResponse,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<&Tenant> for TenantResponse {
    fn from(t: &Tenant) -> Self {
        Self {
            id: t.id,
            slug: t.slug.as_str().to_owned(),
            name: t.name.clone(),
            settings: SettingsResponse::from(&t.settings),
            created_at: t.created_at,
        }
    }
}

/// The tenants.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantList {
    pub items: Vec<TenantResponse>,
    pub total: u64,
    pub links: Links,
}

/// The body of `POST /api/v1/tenants`.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct CreateTenantRequest {
    /// `^[a-z0-9][a-z0-9-]{0,62}$`
    pub slug: String,
    pub name: Option<String>,
}

/// A tenant's settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct SettingsResponse {
    pub invitation_ttl_hours: u32,
    pub reset_ttl_hours: u32,
    pub password_min_length: u32,
    /// `optional` or `required`.
    pub mfa: String,
    pub require_disable_before_delete: bool,
    pub min_search_length: u32,
}

impl From<&TenantSettings> for SettingsResponse {
    fn from(s: &TenantSettings) -> Self {
        Self {
            invitation_ttl_hours: s.invitation_ttl_hours,
            reset_ttl_hours: s.reset_ttl_hours,
            password_min_length: s.password_min_length,
            mfa: serde_json::to_value(s.mfa)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            require_disable_before_delete: s.require_disable_before_delete,
            min_search_length: s.min_search_length,
        }
    }
}

/// The body of `PATCH /settings`: a merge patch of the settings.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct UpdateSettingsRequest {
    pub invitation_ttl_hours: Option<u32>,
    pub reset_ttl_hours: Option<u32>,
    pub password_min_length: Option<u32>,
    pub mfa: Option<String>,
    pub require_disable_before_delete: Option<bool>,
    pub min_search_length: Option<u32>,
}

/// One audit event: the sealed payload plus its hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventResponse {
    pub id: Uuid,
    pub seq: i64,
    pub occurred_at: String,
    #[schema(value_type = Object)]
    pub actor: serde_json::Value,
    pub action: String,
    #[schema(value_type = Option<Object>)]
    pub target: serde_json::Value,
    /// `success`, `refused` or `failed`.
    pub outcome: String,
    pub reason: Option<String>,
    pub client_ip: Option<String>,
    pub request_id: Option<String>,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}

/// A page of audit events, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditList {
    pub items: Vec<AuditEventResponse>,
    pub total: u64,
    pub links: Links,
}

/// Error answers any authenticated admin call can give.
#[derive(Debug, IntoResponses)]
#[allow(dead_code)]
pub enum CommonErrors {
    /// The request is malformed (query parameters, If-Match, JSON syntax).
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// No valid token was sent.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// The token may not call this endpoint.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// The tenant or record does not exist (or is not the token's).
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    /// The database is unreachable.
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(Problem),
}

/// Error answers of calls that take a JSON body.
#[derive(Debug, IntoResponses)]
#[allow(dead_code)]
pub enum BodyErrors {
    /// The body is larger than 1 MiB.
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(Problem),
    /// The body is not JSON.
    #[response(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Problem),
    /// One or more fields are invalid; every one is listed in `errors`.
    #[response(status = 422, content_type = "application/problem+json")]
    Invalid(Problem),
}
