//! The bodies shared beyond one resource: a user and a tenant with its
//! settings (the CLI prints them as the API shows them), a page's links,
//! a user's sessions as admins and the user see them, and the error
//! answers every handler documents. A resource's own bodies live in its
//! module. Request bodies are read field by field by the domain (so that
//! every bad field is reported at once); their types only describe them
//! for `/openapi.json`, and a test checks they list the fields the domain
//! reads.

use crate::error::Problem;
use serde::Serialize;
use std::collections::BTreeMap;
use time::OffsetDateTime;
use usher_core::UserId;
use usher_core::role::RoleName;
use usher_core::session::Session;
use usher_core::tenant::{Tenant, TenantSettings};
use usher_core::user::User;
use usher_core::useragent::Platform;
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
    /// The roles the user holds, by name (built-in admin roles included).
    pub roles: Vec<String>,
    /// While blocked: `{admin_id, scope}`, the person who blocked (`null`
    /// for a token of nobody or the CLI) and the admin scope they blocked
    /// under (`null`: the whole tenant). A block under a scope is a
    /// quarantine, lifted only by an admin of that scope or of the whole
    /// tenant. `null` when not blocked.
    #[schema(value_type = Option<Object>)]
    pub blocked_by: Option<serde_json::Value>,
    /// Incremented by every change; the ETag is `W/"<version>"`.
    pub version: i64,
}

impl UserResponse {
    pub fn new(u: &User, now: OffsetDateTime) -> Self {
        let s = |v: Option<&str>| v.map(str::to_owned);
        Self {
            id: u.id.uuid(),
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
            roles: Vec::new(),
            blocked_by: u.block_record().map(|b| b.to_json()),
            version: u.version,
        }
    }

    /// The JSON of a page of users, each with the roles they hold (one
    /// query for the page).
    pub async fn page(
        services: &usher_core::service::Services,
        tenant: &Tenant,
        users: &[User],
    ) -> Result<Vec<Self>, usher_core::Error> {
        let ids: Vec<UserId> = users.iter().map(|u| u.id).collect();
        let roles = services.role_names_of(tenant, &ids).await?;
        let now = services.clock.now();
        Ok(users
            .iter()
            .map(|u| Self::with_roles(u, now, &roles))
            .collect())
    }

    /// The user's JSON with the roles they hold, from a map of a page's.
    pub fn with_roles(
        u: &User,
        now: OffsetDateTime,
        roles: &BTreeMap<UserId, Vec<RoleName>>,
    ) -> Self {
        let mut r = Self::new(u, now);
        if let Some(names) = roles.get(&u.id) {
            r.roles = names.iter().map(|n| n.as_str().to_owned()).collect();
        }
        r
    }
}

/// Links to the first, previous, next and last pages (`null` when absent).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Links {
    pub first: Option<String>,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub last: Option<String>,
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
            id: t.id.uuid(),
            slug: t.slug.as_str().to_owned(),
            name: t.name.clone(),
            settings: SettingsResponse::from(&t.settings),
            created_at: t.created_at,
        }
    }
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
    /// The user list shows nobody until a search is given.
    pub list_requires_search: bool,
    /// Hours a session may go unused before it ends.
    pub session_idle_timeout_hours: u32,
    /// Minutes an admin session may go unused before it ends.
    pub admin_idle_timeout_minutes: u32,
    /// Hours an admin session lasts at most.
    pub admin_session_hours: u32,
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
            list_requires_search: s.list_requires_search,
            session_idle_timeout_hours: s.session_idle_timeout_hours,
            admin_idle_timeout_minutes: s.admin_idle_timeout_minutes,
            admin_session_hours: s.admin_session_hours,
        }
    }
}

/// One session as admins and its user see it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SessionResponse {
    pub id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub last_seen_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: OffsetDateTime,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// `desktop`, `mobile`, `tablet` or `other`.
    pub platform: &'static str,
    pub os: Option<String>,
    pub os_version: Option<String>,
    pub browser: Option<String>,
    pub browser_version: Option<String>,
    /// City and country, where a GeoIP database is configured.
    pub location: Option<String>,
    /// True for the session making the request (own sessions only).
    pub current: bool,
}

impl SessionResponse {
    pub(crate) fn new(s: Session, current: Option<Uuid>) -> Self {
        Self {
            id: s.id.uuid(),
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            expires_at: s.expires_at,
            ip: s.ip,
            user_agent: s.user_agent,
            platform: s.client.platform.as_str(),
            os: s.client.os,
            os_version: s.client.os_version,
            browser: s.client.browser,
            browser_version: s.client.browser_version,
            location: s.location,
            current: current == Some(s.id.uuid()),
        }
    }
}

/// Sessions of one platform.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SessionGroup {
    pub platform: &'static str,
    pub items: Vec<SessionResponse>,
}

/// A user's live sessions, newest first, and the same grouped by platform
/// (groups in the order desktop, mobile, tablet, other; empty ones left out).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SessionList {
    pub total: usize,
    pub groups: Vec<SessionGroup>,
}

pub(crate) fn session_list(sessions: Vec<Session>, current: Option<Uuid>) -> SessionList {
    let total = sessions.len();
    let mut groups: Vec<SessionGroup> = Platform::ALL
        .into_iter()
        .map(|p| SessionGroup {
            platform: p.as_str(),
            items: Vec::new(),
        })
        .collect();
    for s in sessions {
        let i = Platform::ALL
            .iter()
            .position(|p| *p == s.client.platform)
            .unwrap_or(Platform::ALL.len() - 1);
        groups[i].items.push(SessionResponse::new(s, current));
    }
    groups.retain(|g| !g.items.is_empty());
    SessionList { total, groups }
}

/// Error answers any authenticated admin call can give.
#[derive(Debug, IntoResponses)]
#[allow(dead_code)]
pub(crate) enum CommonErrors {
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
pub(crate) enum BodyErrors {
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

/// Error answers of a login's password step (end-user or admin).
#[derive(Debug, IntoResponses)]
#[allow(dead_code)]
pub(crate) enum LoginErrors {
    /// The JSON is malformed.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// `invalid_credentials`, whatever failed.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// `user_blocked`: the right password of a blocked user.
    #[response(status = 403, content_type = "application/problem+json")]
    Blocked(Problem),
    /// No such tenant.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    /// `too_many_attempts`: wait for the seconds of `Retry-After`.
    #[response(status = 429, content_type = "application/problem+json",
        headers(("Retry-After" = String, description = "Seconds to wait")))]
    Throttled(Problem),
    /// Try again shortly.
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(Problem),
}

/// Error answers of a login's second step (end-user or admin).
#[derive(Debug, IntoResponses)]
#[allow(dead_code)]
pub(crate) enum SecondStepErrors {
    /// The JSON is malformed.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// `invalid_code`; `invalid_token` after five wrong codes or five
    /// minutes (the login starts again); at the admin side also
    /// `invalid_credentials` when the admin role was taken meanwhile.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// No such tenant.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    /// Try again shortly.
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(Problem),
}
