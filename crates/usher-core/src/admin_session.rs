//! Admin sessions: a person holding an admin role, logged in to the admin
//! side with their password and a second factor. The session is apart from
//! any end-user session of the same person and short: it ends when unused
//! for the tenant's `admin_idle_timeout_minutes` (30) and at the latest
//! `admin_session_hours` (12) after the login. Its one secret is a bearer
//! token for the admin API, stored only as a SHA-256 hash.

use crate::access::{AdminRole, Permission};
use crate::ids::{SessionId, TenantId, UserId};
use time::{Duration, OffsetDateTime};

/// Prefix of admin session tokens.
pub const ADMIN_TOKEN_PREFIX: &str = "usher_adm_";

/// `last_seen_at` is written at most this often, so that an admin's every
/// click is not a write; the idle timeout is measured to this precision.
pub const ADMIN_SEEN_GRANULARITY: Duration = Duration::seconds(30);

/// One admin session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminSession {
    pub id: SessionId,
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    /// The absolute end, fixed at login.
    pub expires_at: OffsetDateTime,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl AdminSession {
    /// When the session ends if it is not used again.
    pub fn ends_at(&self, idle: Duration) -> OffsetDateTime {
        (self.last_seen_at + idle).min(self.expires_at)
    }

    /// Whether the session still works at `now`.
    pub fn is_live(&self, now: OffsetDateTime, idle: Duration) -> bool {
        now < self.ends_at(idle)
    }
}

/// The admin roles a person holds, as a set: what they may do is what any
/// of them allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AdminRoles(u8);

impl AdminRoles {
    pub fn of(roles: impl IntoIterator<Item = AdminRole>) -> Self {
        let bits = roles.into_iter().fold(0u8, |b, r| b | (1 << r as u8));
        Self(bits)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = AdminRole> {
        AdminRole::ALL
            .into_iter()
            .filter(move |r| self.0 & (1 << *r as u8) != 0)
    }

    /// Whether one of the roles allows `permission`.
    pub fn allow(self, permission: Permission) -> bool {
        self.iter().any(|r| r.allows(permission))
    }

    /// The names, for audit events and answers.
    pub fn names(self) -> Vec<&'static str> {
        self.iter().map(AdminRole::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_of_roles_allows_what_any_of_them_allows() {
        let both = AdminRoles::of([AdminRole::Helpdesk, AdminRole::Auditor]);
        assert!(both.allow(Permission::ViewAudit));
        assert!(both.allow(Permission::SupportUsers));
        assert!(!both.allow(Permission::ManageUsers));
        assert_eq!(both.names(), ["helpdesk", "auditor"]);
        assert!(AdminRoles::default().is_empty());
        assert!(!AdminRoles::default().allow(Permission::ViewUsers));
    }

    #[test]
    fn a_session_ends_when_idle_or_at_its_absolute_end_whichever_is_first() {
        let t0 = OffsetDateTime::UNIX_EPOCH;
        let s = AdminSession {
            id: crate::Id::generate(),
            tenant_id: crate::Id::generate(),
            user_id: crate::Id::generate(),
            created_at: t0,
            last_seen_at: t0 + Duration::hours(11) + Duration::minutes(50),
            expires_at: t0 + Duration::hours(12),
            ip: None,
            user_agent: None,
        };
        let idle = Duration::minutes(30);
        assert_eq!(s.ends_at(idle), t0 + Duration::hours(12));
        assert!(s.is_live(t0 + Duration::hours(11) + Duration::minutes(59), idle));
        assert!(!s.is_live(t0 + Duration::hours(12), idle));
        let early = AdminSession {
            last_seen_at: t0,
            ..s
        };
        assert!(!early.is_live(t0 + Duration::minutes(30), idle));
    }
}
