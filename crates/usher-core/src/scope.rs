//! Admin scopes: the part of a tenant's directory an admin role assignment
//! covers. A scope is the members of one group, or the users whose custom
//! attribute has one value (compared ignoring case). A scoped admin sees
//! only the users in scope: others are `user_not_found`, and lists, totals,
//! searches and exports count only the scope. The stores test a scope at
//! every read, never from a copy, so a user who leaves the group or whose
//! attribute changes drops out of the admin's view with that write.
//!
//! A person's admin roles share one scope (or none): a grant under another
//! scope than the person's other admin roles is refused with
//! `scope_conflict`. What a person may do is then always "these roles, on
//! this part of the directory", which the console can say in one line.

use crate::error::{Error, ErrorCode, FieldError, ValidationErrors};
use crate::ids::GroupId;
use crate::input::{ObjectReader, Patch};
use crate::user::fields::fold_case;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The longest value an attribute scope compares with (an attribute
/// value's own bound).
pub const MAX_SCOPE_VALUE_CHARS: usize = 256;

/// The part of the directory an admin role assignment covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminScope {
    /// The members of a group: kept by id, shown by its display name.
    Group { id: GroupId, name: String },
    /// Users whose custom attribute `name` equals `equals`, ignoring case.
    Attribute { name: String, equals: String },
}

impl AdminScope {
    /// The scope as the API shows it: `{"group": name}` or
    /// `{"attribute": name, "equals": value}`.
    pub fn to_json(&self) -> Value {
        match self {
            AdminScope::Group { name, .. } => json!({"group": name}),
            AdminScope::Attribute { name, equals } => {
                json!({"attribute": name, "equals": equals})
            }
        }
    }

    /// Whether both name the same part of the directory: the same group,
    /// or the same attribute and value (ignoring case).
    pub fn same_as(&self, other: &AdminScope) -> bool {
        match (self, other) {
            (AdminScope::Group { id: a, .. }, AdminScope::Group { id: b, .. }) => a == b,
            (
                AdminScope::Attribute { name: a, equals: x },
                AdminScope::Attribute { name: b, equals: y },
            ) => a.eq_ignore_ascii_case(b) && fold_case(x) == fold_case(y),
            _ => false,
        }
    }

    /// Whether a user with these custom attribute values is in an
    /// attribute scope; `None` for a group scope, which only the store can
    /// tell.
    pub fn holds_for(&self, attributes: &BTreeMap<String, String>) -> Option<bool> {
        match self {
            AdminScope::Group { .. } => None,
            AdminScope::Attribute { name, equals } => Some(
                attributes
                    .get(name)
                    .is_some_and(|v| fold_case(v) == fold_case(equals)),
            ),
        }
    }
}

/// The refusal of a grant whose scope's group was deleted after it was
/// looked up.
pub fn group_gone() -> Error {
    Error::Validation(ValidationErrors::single(
        "scope.group",
        ErrorCode::UnknownGroup,
        "the group is gone",
    ))
}

/// Whether two scopes, either perhaps the whole tenant (`None`), are the
/// same part of the directory.
pub fn same_scope(a: Option<&AdminScope>, b: Option<&AdminScope>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a.same_as(b),
        _ => false,
    }
}

/// A scope as a request asks for it, before the tenant's groups and
/// attributes are looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeRequest {
    /// A group by its display name.
    Group(String),
    Attribute {
        name: String,
        equals: String,
    },
}

/// Reads the `scope` member of a grant's body (`field` is its path):
/// `null` or absent for the whole tenant, `{"group": name}` or
/// `{"attribute": name, "equals": value}`.
pub fn read_scope(
    value: Option<Value>,
    field: &str,
) -> Result<Option<ScopeRequest>, ValidationErrors> {
    let value = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(v) => v,
    };
    let mut r = ObjectReader::nested(value, field)?;
    let group = r.string("group");
    let attribute = r.string("attribute");
    let equals = r.string("equals");
    let shape = |r: &mut ObjectReader| {
        r.push(FieldError::new(
            field,
            ErrorCode::InvalidValue,
            "must be {\"group\": name} or {\"attribute\": name, \"equals\": value}",
        ))
    };
    let request = match (group, attribute, equals) {
        (Patch::Value(g), Patch::Absent, Patch::Absent) => Some(ScopeRequest::Group(g)),
        (Patch::Absent, Patch::Value(name), Patch::Value(equals)) => {
            if equals.chars().any(char::is_control) {
                r.push(FieldError::new(
                    format!("{field}.equals"),
                    ErrorCode::InvalidCharacters,
                    "may not hold control characters",
                ));
            } else if equals.chars().count() > MAX_SCOPE_VALUE_CHARS {
                r.push(FieldError::new(
                    format!("{field}.equals"),
                    ErrorCode::TooLong,
                    format!("may have at most {MAX_SCOPE_VALUE_CHARS} characters"),
                ));
            }
            Some(ScopeRequest::Attribute { name, equals })
        }
        _ => {
            shape(&mut r);
            None
        }
    };
    let errors = r.finish();
    if errors.is_empty() {
        Ok(request)
    } else {
        Err(errors)
    }
}

/// Reads the scope member `key` of a body that `r` reads: absent, `null`
/// (the whole tenant) or a scope request (see [`read_scope`]). A bad one is
/// named in `r`'s errors and read as absent, so the caller's `finish`
/// refuses the body. Grants and tokens both read their scope here, so that
/// a bad scope is the same error on the same field for either.
pub fn scope_member(r: &mut ObjectReader, key: &str) -> Patch<ScopeRequest> {
    let field = r.path(key);
    match r.object(key) {
        Patch::Absent => Patch::Absent,
        Patch::Null => Patch::Null,
        Patch::Value(m) => match read_scope(Some(Value::Object(m)), &field) {
            Ok(Some(request)) => Patch::Value(request),
            // `read_scope` reads no object as "no scope"; answer it the
            // way the body wrote nothing, should that ever change.
            Ok(None) => Patch::Absent,
            Err(errors) => {
                for e in errors.0 {
                    r.push(e);
                }
                Patch::Absent
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(v: Value) -> Result<Option<ScopeRequest>, Vec<String>> {
        read_scope(Some(v), "scope").map_err(|e| {
            e.0.iter()
                .map(|f| format!("{} {}", f.field, f.code.as_str()))
                .collect()
        })
    }

    #[test]
    fn a_scope_is_a_group_or_an_attribute_value_and_nothing_else() {
        assert_eq!(read(json!(null)), Ok(None));
        assert_eq!(
            read(json!({"group": "Sales"})),
            Ok(Some(ScopeRequest::Group("Sales".into())))
        );
        assert_eq!(
            read(json!({"attribute": "department", "equals": "Sales"})),
            Ok(Some(ScopeRequest::Attribute {
                name: "department".into(),
                equals: "Sales".into()
            }))
        );
        assert_eq!(read(json!({})), Err(vec!["scope invalid_value".into()]));
        assert_eq!(
            read(json!({"group": "a", "attribute": "b", "equals": "c"})),
            Err(vec!["scope invalid_value".into()])
        );
        assert_eq!(
            read(json!({"attribute": "b"})),
            Err(vec!["scope invalid_value".into()])
        );
        assert_eq!(
            read(json!({"group": "a", "extra": 1})),
            Err(vec!["scope.extra unknown_field".into()])
        );
        assert_eq!(read(json!("Sales")), Err(vec!["scope invalid_type".into()]));
        assert_eq!(
            read(json!({"attribute": "b", "equals": "a\u{0}b"})),
            Err(vec!["scope.equals invalid_characters".into()])
        );
    }

    #[test]
    fn attribute_scopes_compare_values_ignoring_case() {
        let s = AdminScope::Attribute {
            name: "department".into(),
            equals: "Sales".into(),
        };
        let attrs = BTreeMap::from([("department".to_owned(), "SALES".to_owned())]);
        assert_eq!(s.holds_for(&attrs), Some(true));
        assert_eq!(s.holds_for(&BTreeMap::new()), Some(false));
        let other = AdminScope::Attribute {
            name: "Department".into(),
            equals: "sales".into(),
        };
        assert!(s.same_as(&other));
        let g = AdminScope::Group {
            id: GroupId::generate(),
            name: "Sales".into(),
        };
        assert!(!s.same_as(&g));
        assert_eq!(g.holds_for(&attrs), None);
    }
}
