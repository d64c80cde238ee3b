//! Tenants: isolated user directories addressed by a slug, each with its
//! own settings.

use crate::error::{Error, ErrorCode, FieldError};
use crate::ids::TenantId;
use crate::input::{ObjectReader, Patch};
use serde::{Deserialize, Serialize};
use std::fmt;
use time::OffsetDateTime;

/// `^[a-z0-9][a-z0-9-]{0,62}$`, the tenant's name in URLs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct TenantSlug(String);

impl TenantSlug {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let b = input.as_bytes();
        let ok = !b.is_empty()
            && b.len() <= 63
            && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
            && b.iter()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-');
        if ok {
            Ok(Self(input.to_owned()))
        } else {
            Err(FieldError::new(
                "slug",
                ErrorCode::InvalidSlug,
                "must be 1 to 63 characters of a-z, 0-9 and '-', starting with a letter or digit",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The tenant every fresh install has.
pub const DEFAULT_TENANT: &str = "default";

/// Whether users must have a second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum MfaPolicy {
    #[default]
    Optional,
    Required,
}

/// Per-tenant settings; the object grows with the features.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TenantSettings {
    pub invitation_ttl_hours: u32,
    pub reset_ttl_hours: u32,
    pub password_min_length: u32,
    pub mfa: MfaPolicy,
    pub require_disable_before_delete: bool,
    pub min_search_length: u32,
    /// The user list shows nobody until a search is given (admins find
    /// people rather than browse them).
    pub list_requires_search: bool,
    /// A session unused this long ends, whatever its absolute expiry.
    pub session_idle_timeout_hours: u32,
    /// An admin session unused this long ends.
    pub admin_idle_timeout_minutes: u32,
    /// An admin session ends this long after its login, used or not.
    pub admin_session_hours: u32,
}

impl Default for TenantSettings {
    fn default() -> Self {
        Self {
            invitation_ttl_hours: 168,
            reset_ttl_hours: 168,
            password_min_length: 8,
            mfa: MfaPolicy::Optional,
            require_disable_before_delete: false,
            min_search_length: 2,
            list_requires_search: false,
            session_idle_timeout_hours: 12,
            admin_idle_timeout_minutes: 30,
            admin_session_hours: 12,
        }
    }
}

fn ranged(r: &mut ObjectReader, key: &str, min: i64, max: i64, target: &mut u32) {
    match r.integer(key) {
        Patch::Value(n) if (min..=max).contains(&n) => *target = n as u32,
        Patch::Value(_) => {
            let field = r.path(key);
            r.push(FieldError::new(
                field,
                ErrorCode::OutOfRange,
                format!("must be between {min} and {max}"),
            ));
        }
        Patch::Null => {
            let field = r.path(key);
            r.push(FieldError::new(
                field,
                ErrorCode::Required,
                "cannot be unset",
            ));
        }
        Patch::Absent => {}
    }
}

impl TenantSettings {
    /// How long a session may go unused.
    pub fn session_idle_timeout(&self) -> time::Duration {
        time::Duration::hours(i64::from(self.session_idle_timeout_hours))
    }

    /// How long an admin session may go unused.
    pub fn admin_idle_timeout(&self) -> time::Duration {
        time::Duration::minutes(i64::from(self.admin_idle_timeout_minutes))
    }

    /// How long an admin session lasts at most.
    pub fn admin_session_length(&self) -> time::Duration {
        time::Duration::hours(i64::from(self.admin_session_hours))
    }

    /// Applies a merge patch, validating every field.
    pub fn patched(&self, body: serde_json::Value) -> Result<Self, Error> {
        let mut next = self.clone();
        let mut r = ObjectReader::new(body).map_err(Error::Validation)?;
        ranged(
            &mut r,
            "invitation_ttl_hours",
            1,
            24 * 90,
            &mut next.invitation_ttl_hours,
        );
        ranged(
            &mut r,
            "reset_ttl_hours",
            1,
            24 * 90,
            &mut next.reset_ttl_hours,
        );
        ranged(
            &mut r,
            "password_min_length",
            8,
            64,
            &mut next.password_min_length,
        );
        ranged(
            &mut r,
            "min_search_length",
            1,
            10,
            &mut next.min_search_length,
        );
        ranged(
            &mut r,
            "session_idle_timeout_hours",
            1,
            24 * 30,
            &mut next.session_idle_timeout_hours,
        );
        ranged(
            &mut r,
            "admin_idle_timeout_minutes",
            5,
            240,
            &mut next.admin_idle_timeout_minutes,
        );
        ranged(
            &mut r,
            "admin_session_hours",
            1,
            24,
            &mut next.admin_session_hours,
        );
        match r.string("mfa") {
            Patch::Value(s) => match s.as_str() {
                "optional" => next.mfa = MfaPolicy::Optional,
                "required" => next.mfa = MfaPolicy::Required,
                _ => r.push(FieldError::new(
                    "mfa",
                    ErrorCode::InvalidValue,
                    "must be optional or required",
                )),
            },
            Patch::Null => r.push(FieldError::new(
                "mfa",
                ErrorCode::Required,
                "cannot be unset",
            )),
            Patch::Absent => {}
        }
        for (key, target) in [
            (
                "require_disable_before_delete",
                &mut next.require_disable_before_delete,
            ),
            ("list_requires_search", &mut next.list_requires_search),
        ] {
            match r.bool(key) {
                Patch::Value(b) => *target = b,
                Patch::Null => r.push(FieldError::new(key, ErrorCode::Required, "cannot be unset")),
                Patch::Absent => {}
            }
        }
        r.finish().into_result(next)
    }
}

/// A tenant as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub id: TenantId,
    pub slug: TenantSlug,
    pub name: String,
    pub settings: TenantSettings,
    pub created_at: OffsetDateTime,
}

/// A tenant to create, from `POST /api/v1/tenants`.
#[derive(Debug, Clone)]
pub struct NewTenant {
    pub slug: TenantSlug,
    pub name: String,
}

impl NewTenant {
    pub fn from_json(body: serde_json::Value) -> Result<Self, Error> {
        let mut r = ObjectReader::new(body).map_err(Error::Validation)?;
        let slug = r
            .required_string("slug")
            .and_then(|s| r.errors.take(TenantSlug::parse(&s)));
        let name = r.string("name").into_option().map(|s| s.trim().to_owned());
        if let Some(n) = &name {
            if n.chars().count() > 200 {
                r.push(FieldError::new(
                    "name",
                    ErrorCode::TooLong,
                    "must be at most 200 characters",
                ));
            } else if n.chars().any(char::is_control) {
                r.push(FieldError::new(
                    "name",
                    ErrorCode::InvalidCharacters,
                    "must not contain control characters",
                ));
            }
        }
        r.read_only(&["id", "created_at", "settings"]);
        let errors = r.finish();
        match slug {
            Some(slug) if errors.is_empty() => {
                let name = name.unwrap_or_else(|| slug.as_str().to_owned());
                Ok(Self { slug, name })
            }
            _ => Err(Error::Validation(errors)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn slugs_follow_the_design_pattern() {
        for good in ["default", "acme", "0day", "a-b-c", &"a".repeat(63)] {
            assert!(TenantSlug::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "-x", "Acme", "a_b", "a.b", &"a".repeat(64), "ü"] {
            assert!(TenantSlug::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn settings_patch_validates_each_field() {
        let s = TenantSettings::default();
        let next = s
            .patched(json!({"invitation_ttl_hours": 24, "mfa": "required"}))
            .unwrap();
        assert_eq!(next.invitation_ttl_hours, 24);
        assert_eq!(next.mfa, MfaPolicy::Required);
        assert_eq!(next.reset_ttl_hours, 168);
        let Err(Error::Validation(v)) =
            s.patched(json!({"password_min_length": 4, "mfa": "sometimes", "x": 1}))
        else {
            panic!()
        };
        assert_eq!(v.0.len(), 3);
    }

    #[test]
    fn stored_settings_missing_newer_fields_take_defaults() {
        let s: TenantSettings = serde_json::from_value(json!({"invitation_ttl_hours": 5})).unwrap();
        assert_eq!(s.invitation_ttl_hours, 5);
        assert_eq!(s.min_search_length, 2);
    }
}
