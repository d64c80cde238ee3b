//! Roles: names a tenant defines (`sales-approver`, `contractor`) and
//! assigns to its users, and the built-in admin roles, which the tenant
//! cannot define or delete.

mod held;

pub use held::{BuiltInNames, KnownRoles, changes_to, names_in, own_roles};

use crate::access::AdminRole;
use crate::error::{Error, ErrorCode, FieldError, ValidationErrors};
use crate::ids::UserId;
use crate::input::{ObjectReader, Patch};
use crate::scope::AdminScope;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

/// The longest description a role may carry.
pub const MAX_DESCRIPTION_CHARS: usize = 500;

/// `^[A-Za-z0-9_.-]{1,64}$`, unique per tenant ignoring case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct RoleName(String);

impl RoleName {
    pub fn parse(field: &str, input: &str) -> Result<Self, FieldError> {
        let ok = (1..=64).contains(&input.len())
            && input
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if ok {
            Ok(Self(input.to_owned()))
        } else {
            Err(FieldError::new(
                field,
                ErrorCode::InvalidRoleName,
                "must be 1 to 64 characters: letters, digits, _, . and -",
            ))
        }
    }

    pub fn from_stored(s: String) -> Self {
        Self(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key under which names are unique.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }

    /// Whether this names a built-in admin role.
    pub fn is_built_in(&self) -> bool {
        self.admin_role().is_some()
    }

    /// The built-in admin role this names, if it names one.
    pub fn admin_role(&self) -> Option<AdminRole> {
        AdminRole::parse(&self.0)
    }
}

/// A role as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Role {
    pub name: RoleName,
    pub description: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl Role {
    /// Reads the body of `POST /roles`: `name` (required), `description`.
    pub fn from_json(body: Value, now: OffsetDateTime) -> Result<Self, Error> {
        let mut r = ObjectReader::new(body).map_err(Error::Validation)?;
        let name = match r
            .required_string("name")
            .map(|n| RoleName::parse("name", &n))
        {
            Some(Ok(name)) => Some(name),
            Some(Err(e)) => {
                r.push(e);
                None
            }
            None => None,
        };
        let description = match r.string("description") {
            Patch::Value(d) if d.chars().count() > MAX_DESCRIPTION_CHARS => {
                r.push(FieldError::new(
                    "description",
                    ErrorCode::TooLong,
                    format!("may have at most {MAX_DESCRIPTION_CHARS} characters"),
                ));
                None
            }
            Patch::Value(d) => Some(d),
            _ => None,
        };
        let errors: ValidationErrors = r.finish();
        match name {
            Some(name) if errors.is_empty() => Ok(Self {
                name,
                description,
                created_at: now,
            }),
            _ => Err(Error::Validation(errors)),
        }
    }

    /// A built-in admin role's row, made when it is first assigned.
    pub fn built_in(name: RoleName, now: OffsetDateTime) -> Self {
        Self {
            description: Some("built-in admin role".into()),
            name,
            created_at: now,
        }
    }
}

/// A built-in admin role one user holds: one row of `GET /admins`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminGrant {
    pub user_id: UserId,
    pub email: String,
    pub role: AdminRole,
    /// The part of the directory the role is held for; `None`: all of it.
    pub scope: Option<AdminScope>,
    pub assigned_at: OffsetDateTime,
}

/// What giving a built-in admin role says of its scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeGrant {
    /// A new assignment is for the whole tenant; one the user holds keeps
    /// its scope (`PUT /users/{id}/roles/{role}`, bulk rows).
    Keep,
    /// Exactly this scope (`None`: the whole tenant), replacing the scope
    /// of an assignment the user holds (`PUT /users/{id}/admin-roles/…`).
    Set(Option<AdminScope>),
}

/// A role a user holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleAssignment {
    pub name: RoleName,
    pub description: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub assigned_at: OffsetDateTime,
    /// For a built-in admin role held for part of the directory only.
    #[serde(skip)]
    pub scope: Option<AdminScope>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_are_short_ascii_words_and_built_ins_are_known_in_any_case() {
        for ok in ["sales", "Sales.EU-2", "a", &"x".repeat(64)] {
            assert!(RoleName::parse("name", ok).is_ok(), "{ok}");
        }
        for bad in ["", "with space", "é", &"x".repeat(65), "a/b"] {
            assert!(RoleName::parse("name", bad).is_err(), "{bad}");
        }
        assert!(
            RoleName::parse("name", "Tenant_Admin")
                .unwrap()
                .is_built_in()
        );
        assert!(!RoleName::parse("name", "admin").unwrap().is_built_in());
    }

    #[test]
    fn a_role_body_names_every_bad_field_at_once() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let Err(Error::Validation(v)) = Role::from_json(
            json!({"name": "no spaces", "description": "d".repeat(501), "x": 1}),
            now,
        ) else {
            panic!("refused")
        };
        let fields: Vec<&str> = v.0.iter().map(|e| e.field.as_str()).collect();
        assert!(
            fields.contains(&"name") && fields.contains(&"description"),
            "{fields:?}"
        );
        let role = Role::from_json(json!({"name": "sales", "description": "Sales"}), now).unwrap();
        assert_eq!(role.description.as_deref(), Some("Sales"));
    }
}
