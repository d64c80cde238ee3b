//! Groups: named sets of a tenant's users, kept by provisioning clients
//! over SCIM and shown in the admin API (`GET /groups`,
//! `GET /users/{id}/groups`). A group's name is unique in its tenant
//! ignoring case; its members are users of the same tenant.

use crate::audit::AuditDraft;
use crate::error::{Error, ErrorCode, FieldError, ValidationErrors};
use crate::ids::{GroupId, TenantId, UserId};
use crate::user::fields::{ExternalId, fold_case};
use time::OffsetDateTime;

/// A group as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: GroupId,
    pub tenant_id: TenantId,
    pub display_name: GroupName,
    pub external_id: Option<ExternalId>,
    /// The ids of the member users, in no particular order.
    pub members: Vec<UserId>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

/// A group's name: trimmed, printable, 1 to 256 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupName(String);

impl GroupName {
    pub const MAX_LEN: usize = 256;

    pub fn parse(field: &str, input: &str) -> Result<Self, FieldError> {
        let v = input.trim();
        if v.is_empty() {
            return Err(FieldError::new(field, ErrorCode::Required, "is required"));
        }
        if v.chars().count() > Self::MAX_LEN {
            return Err(FieldError::new(
                field,
                ErrorCode::TooLong,
                format!("must be at most {} characters", Self::MAX_LEN),
            ));
        }
        if v.chars().any(char::is_control) {
            return Err(FieldError::new(
                field,
                ErrorCode::InvalidCharacters,
                "must not contain control characters such as line breaks",
            ));
        }
        Ok(Self(v.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-folded form uniqueness and filters compare.
    pub fn normalized(&self) -> String {
        fold_case(&self.0)
    }

    /// Rebuilds a name read back from storage, which was valid when written.
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }
}

/// What a group is made of, validated: the body of a create or a
/// replacement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInput {
    pub display_name: GroupName,
    pub external_id: Option<ExternalId>,
    /// Member ids as given; ids that are no user of the tenant are left
    /// out by the store.
    pub members: Vec<UserId>,
}

impl GroupInput {
    /// Validates the parts of a group, naming every bad one.
    pub fn parse(
        display_name: Option<&str>,
        external_id: Option<&str>,
        members: Vec<UserId>,
        errors: &mut ValidationErrors,
    ) -> Option<Self> {
        let name = match display_name {
            Some(n) => errors.take(GroupName::parse("displayName", n)),
            None => {
                errors.add("displayName", ErrorCode::Required, "is required");
                None
            }
        };
        let external_id = match external_id.map(str::trim).filter(|s| !s.is_empty()) {
            Some(x) => match ExternalId::parse("externalId", x) {
                Ok(x) => Some(x),
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
            None => None,
        };
        Some(Self {
            display_name: name?,
            external_id,
            members,
        })
    }

    /// `self` applied to `group`: its name, external id and members.
    pub fn apply(self, group: &mut Group) {
        group.display_name = self.display_name;
        group.external_id = self.external_id;
        let mut members = self.members;
        members.sort();
        members.dedup();
        group.members = members;
    }
}

/// A change to one group, decided while the store holds it.
pub type GroupMutation = Box<dyn FnOnce(&mut Group) -> Result<(), Error> + Send>;

/// An edit of one group.
pub struct GroupWrite {
    pub tenant_id: TenantId,
    pub group_id: GroupId,
    /// The version named by `If-Match`.
    pub if_match: Option<i64>,
    pub now: OffsetDateTime,
    pub mutation: GroupMutation,
    pub audit: AuditDraft,
}

impl std::fmt::Debug for GroupWrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupWrite")
            .field("tenant_id", &self.tenant_id)
            .field("group_id", &self.group_id)
            .field("if_match", &self.if_match)
            .finish_non_exhaustive()
    }
}

/// What changed between two versions of a group, for the audit log.
pub fn group_diff(before: &Group, after: &Group) -> serde_json::Map<String, serde_json::Value> {
    use serde_json::json;
    let mut out = serde_json::Map::new();
    if before.display_name != after.display_name {
        out.insert(
            "display_name".into(),
            json!({"from": before.display_name.as_str(), "to": after.display_name.as_str()}),
        );
    }
    if before.external_id != after.external_id {
        out.insert(
            "external_id".into(),
            json!({"from": before.external_id.as_ref().map(|x| x.as_str()), "to": after.external_id.as_ref().map(|x| x.as_str())}),
        );
    }
    let added: Vec<String> = after
        .members
        .iter()
        .filter(|m| !before.members.contains(m))
        .map(ToString::to_string)
        .collect();
    let removed: Vec<String> = before
        .members
        .iter()
        .filter(|m| !after.members.contains(m))
        .map(ToString::to_string)
        .collect();
    if !added.is_empty() {
        out.insert("members_added".into(), json!(added));
    }
    if !removed.is_empty() {
        out.insert("members_removed".into(), json!(removed));
    }
    out
}

/// Refusal of a second group with the same name.
pub fn group_name_taken() -> Error {
    Error::Conflict {
        code: ErrorCode::GroupNameTaken,
        field: Some("displayName"),
        message: "a group with this name already exists".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_bounded_and_printable() {
        assert_eq!(GroupName::parse("n", "  Sales ").unwrap().as_str(), "Sales");
        assert!(GroupName::parse("n", "   ").is_err());
        assert!(GroupName::parse("n", &"x".repeat(257)).is_err());
        assert!(GroupName::parse("n", "a\nb").is_err());
        assert_eq!(
            GroupName::parse("n", "ÄRGER").unwrap().normalized(),
            "ärger"
        );
    }

    #[test]
    fn the_diff_names_added_and_removed_members() {
        let t = OffsetDateTime::UNIX_EPOCH;
        let a = UserId::from(uuid::Uuid::from_u128(1));
        let b = UserId::from(uuid::Uuid::from_u128(2));
        let before = Group {
            id: GroupId::nil(),
            tenant_id: TenantId::nil(),
            display_name: GroupName::from_stored("G".into()),
            external_id: None,
            members: vec![a],
            created_at: t,
            updated_at: t,
            version: 1,
        };
        let after = Group {
            members: vec![b],
            ..before.clone()
        };
        let d = group_diff(&before, &after);
        assert_eq!(d["members_added"], serde_json::json!([b.to_string()]));
        assert_eq!(d["members_removed"], serde_json::json!([a.to_string()]));
        assert!(!d.contains_key("display_name"));
    }
}
