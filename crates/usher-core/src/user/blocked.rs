//! Who blocked a user. A block made by an admin of a scope is a
//! quarantine: it keeps the scope it was made under, and only an admin of
//! that same scope, or of the whole tenant, may lift it (another scope's
//! admin gets `quarantine_other_scope`). The record lives on the user's
//! row, so the unblock checks it under the same lock that changes the
//! state.

use crate::error::{Error, ErrorCode};
use crate::ids::{GroupId, UserId};
use crate::scope::AdminScope;
use serde_json::{Value, json};

/// The admin behind a block and the scope they blocked under.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BlockedBy {
    /// The person who blocked (or who owns the token that did); `None` for
    /// a token of nobody, the CLI or Usher itself.
    pub admin_id: Option<UserId>,
    /// The scope the block was made under; `None`: the whole tenant.
    pub scope: Option<AdminScope>,
}

impl BlockedBy {
    /// As the user's JSON shows it: `{admin_id, scope}` with the scope as
    /// granted (`{"group": name}` or `{"attribute", "equals"}`).
    pub fn to_json(&self) -> Value {
        json!({
            "admin_id": self.admin_id.map(|id| id.to_string()),
            "scope": self.scope.as_ref().map(AdminScope::to_json),
        })
    }

    /// The stored text: the shown form with a group's id beside its name.
    pub fn to_stored(&self) -> String {
        let mut v = self.to_json();
        if let Some(AdminScope::Group { id, .. }) = &self.scope {
            v["scope"]["group_id"] = json!(id.to_string());
        }
        v.to_string()
    }

    /// Reads [`BlockedBy::to_stored`]'s text; `None` when it is unreadable.
    pub fn from_stored(text: &str) -> Option<Self> {
        let v: Value = serde_json::from_str(text).ok()?;
        let admin_id = match &v["admin_id"] {
            Value::Null => None,
            id => Some(id.as_str()?.parse().ok()?),
        };
        let s = &v["scope"];
        let scope = if s.is_null() {
            None
        } else if let Some(name) = s["group"].as_str() {
            let id: GroupId = s["group_id"].as_str()?.parse().ok()?;
            Some(AdminScope::Group {
                id,
                name: name.to_owned(),
            })
        } else {
            Some(AdminScope::Attribute {
                name: s["attribute"].as_str()?.to_owned(),
                equals: s["equals"].as_str()?.to_owned(),
            })
        };
        Some(Self { admin_id, scope })
    }

    /// Refuses to lift a quarantine for an admin of another scope than the
    /// one it was made under (`caller`: the unblocking admin's scope).
    pub fn check_lift(&self, caller: Option<&AdminScope>) -> Result<(), Error> {
        match (&self.scope, caller) {
            (Some(made), Some(caller)) if !made.same_as(caller) => Err(Error::Denied {
                code: ErrorCode::QuarantineOtherScope,
                message: "an admin of another scope blocked this user; only an admin of that \
                          scope or of the whole tenant may unblock them"
                    .into(),
            }),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_record_round_trips_through_its_stored_text() {
        let group = AdminScope::Group {
            id: GroupId::generate(),
            name: "Sales".into(),
        };
        let value = AdminScope::Attribute {
            name: "department".into(),
            equals: "Sales".into(),
        };
        for b in [
            BlockedBy::default(),
            BlockedBy {
                admin_id: Some(UserId::generate()),
                scope: Some(group),
            },
            BlockedBy {
                admin_id: None,
                scope: Some(value),
            },
        ] {
            assert_eq!(BlockedBy::from_stored(&b.to_stored()), Some(b));
        }
        assert_eq!(BlockedBy::from_stored("not json"), None);
    }

    #[test]
    fn only_the_same_scope_or_the_whole_tenant_lifts_a_quarantine() {
        let sales = AdminScope::Attribute {
            name: "department".into(),
            equals: "Sales".into(),
        };
        let hr = AdminScope::Attribute {
            name: "department".into(),
            equals: "HR".into(),
        };
        let quarantine = BlockedBy {
            admin_id: None,
            scope: Some(sales.clone()),
        };
        assert!(quarantine.check_lift(None).is_ok());
        assert!(quarantine.check_lift(Some(&sales)).is_ok());
        let refused = quarantine.check_lift(Some(&hr)).unwrap_err();
        assert_eq!(refused.code(), ErrorCode::QuarantineOtherScope);
        assert!(BlockedBy::default().check_lift(Some(&hr)).is_ok());
    }
}
