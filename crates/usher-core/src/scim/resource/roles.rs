//! `roles` of the SCIM User resource (RFC 7643 §4.1.2): the tenant's own
//! roles a user holds, shown and read back, and the attribute as
//! `/Schemas` describes it. Built-in admin roles are not shown and cannot
//! be given over SCIM: they are given one person at a time through the
//! roles API.
//!
//! Usher keeps a set of role names per user and nothing per assignment, so:
//! `value` is the role's name (one of the tenant's roles, found ignoring
//! case), `display` the same name, and `type` is neither kept nor shown.
//! `primary` is `true` on the one role of a user who holds exactly one, and
//! `false` otherwise: Entra ID's single app role mapping writes
//! `roles[primary eq "True"].value`, which then replaces that role.
//!
//! `display` and `primary` are derived, not kept: they are `returned:
//! "request"` (RFC 7643 §7), shown when `attributes` names them, so that a
//! client writing `[{"value": "sales"}]` reads back exactly that (what
//! schema-driven clients such as scim2-tester check).

use crate::error::{ErrorCode, ValidationErrors};
use crate::role::RoleName;
use crate::scim::schemas::Attr;
use serde_json::{Map, Value, json};

/// The attribute's name in the resource.
pub const ROLES: &str = "roles";

/// The sub-attributes a client may name in a path or a value filter.
pub const ROLE_SUB_ATTRIBUTES: [&str; 4] = ["value", "display", "type", "primary"];

/// The sub-attributes of the User resource shown only when `attributes`
/// names them (`returned: "request"`), as (attribute, sub-attribute).
pub const RETURNED_ON_REQUEST: [(&str, &str); 2] = [(ROLES, "display"), (ROLES, "primary")];

/// `roles` of a user who holds the tenant roles `own`; `None` when they hold
/// none (the attribute is then left out, as RFC 7643 §2.5 has it).
pub fn roles_value(own: &[RoleName]) -> Option<Value> {
    if own.is_empty() {
        return None;
    }
    let primary = own.len() == 1;
    Some(Value::Array(
        own.iter()
            .map(|r| json!({"value": r.as_str(), "display": r.as_str(), "primary": primary}))
            .collect(),
    ))
}

/// The role names a User body gives in `roles`, in order: each element's
/// `value` (a bare string is read as the name; `display`, `type` and
/// `primary` are read and ignored). Absent or `null` gives none.
pub(super) fn read_roles(obj: &Map<String, Value>, errors: &mut ValidationErrors) -> Vec<String> {
    let items = match super::member(obj, ROLES) {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(items)) => items.iter().collect::<Vec<_>>(),
        Some(one @ Value::Object(_)) => vec![one],
        Some(_) => {
            errors.add(
                ROLES,
                ErrorCode::InvalidType,
                "must be an array of objects with a value (a role name)",
            );
            return Vec::new();
        }
    };
    let mut names = Vec::new();
    for item in items {
        let value = match item {
            Value::Object(o) => super::member(o, "value"),
            Value::String(_) => Some(item),
            Value::Null => continue,
            _ => None,
        };
        match value {
            Some(Value::String(s)) if !s.trim().is_empty() => names.push(s.trim().to_owned()),
            _ => errors.add(
                ROLES,
                ErrorCode::InvalidValue,
                "each role needs its name as value",
            ),
        }
    }
    names
}

/// `roles` as `/Schemas` describes it, the tenant's role names `names`
/// being the canonical values of `value`. Only `value` is writable; the
/// derived sub-attributes are [`RETURNED_ON_REQUEST`].
pub fn roles_schema(names: &[String]) -> Value {
    let derived = |a: Attr| Attr {
        mutability: "readOnly",
        returned: "request",
        ..a
    };
    let attr = Attr::complex(
        ROLES,
        true,
        vec![
            Attr {
                required: true,
                ..Attr::string("value", "The name of one of the tenant's roles")
            },
            derived(Attr::string("display", "The role's name")),
            derived(Attr::boolean(
                "primary",
                "true for the one role of a user who holds exactly one",
            )),
        ],
        "The tenant's roles the user holds (built-in admin roles are not shown)",
    );
    let mut v = attr.to_json();
    v["subAttributes"][0]["canonicalValues"] = json!(names);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> RoleName {
        RoleName::parse("role", s).unwrap()
    }

    #[test]
    fn a_sole_role_is_primary_and_none_is_no_attribute() {
        assert_eq!(roles_value(&[]), None);
        let one = roles_value(&[n("sales")]).unwrap();
        assert_eq!(
            one,
            json!([{"value": "sales", "display": "sales", "primary": true}])
        );
        let two = roles_value(&[n("ops"), n("sales")]).unwrap();
        assert!(
            two.as_array()
                .unwrap()
                .iter()
                .all(|r| r["primary"] == false)
        );
    }

    #[test]
    fn names_are_read_from_values_or_strings_and_bad_elements_named() {
        let body =
            json!({"Roles": [{"value": " sales ", "type": "x", "primary": "True"}, "ops", null]});
        let mut errors = ValidationErrors::default();
        let names = read_roles(body.as_object().unwrap(), &mut errors);
        assert_eq!(names, vec!["sales", "ops"]);
        assert!(errors.is_empty());
        let body = json!({"roles": [{"display": "no value"}, 3]});
        read_roles(body.as_object().unwrap(), &mut errors);
        assert_eq!(errors.0.len(), 2);
        let mut errors = ValidationErrors::default();
        read_roles(json!({"roles": "sales"}).as_object().unwrap(), &mut errors);
        assert_eq!(errors.0[0].code, ErrorCode::InvalidType);
    }

    #[test]
    fn the_schema_offers_the_tenants_roles_and_writes_only_the_value() {
        let s = roles_schema(&["ops".into(), "sales".into()]);
        assert_eq!(s["multiValued"], true);
        assert_eq!(s["mutability"], "readWrite");
        let subs: Vec<(&str, &str, &str)> = s["subAttributes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["name"].as_str().unwrap(),
                    a["mutability"].as_str().unwrap(),
                    a["returned"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            subs,
            vec![
                ("value", "readWrite", "default"),
                ("display", "readOnly", "request"),
                ("primary", "readOnly", "request")
            ]
        );
        assert_eq!(
            s["subAttributes"][0]["canonicalValues"],
            json!(["ops", "sales"])
        );
    }
}
