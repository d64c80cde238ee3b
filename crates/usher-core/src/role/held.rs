//! The tenant's own roles a user holds, as SCIM and imports set them: the
//! names a client gives, checked against the tenant's roles, and the
//! changes that make a user hold exactly those. Built-in admin roles are
//! outside this: they are given one person at a time through the roles
//! API, never set with a user's other data.

use super::RoleName;
use crate::error::{ErrorCode, FieldError};
use crate::store::RoleChange;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// What a list of names does with the name of a built-in admin role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuiltInNames {
    /// Refuse it (SCIM: a client must not make admins).
    Refuse,
    /// Leave it out (imports: an export lists admin roles too, and
    /// imports back as it is without giving or taking them).
    Skip,
}

/// Some of the tenant's own roles (at least those a request names), by
/// key, with their stored spelling.
#[derive(Debug, Clone, Default)]
pub struct KnownRoles(BTreeMap<String, RoleName>);

impl KnownRoles {
    pub fn new(roles: impl IntoIterator<Item = RoleName>) -> Self {
        Self(
            roles
                .into_iter()
                .filter(|r| !r.is_built_in())
                .map(|r| (r.key(), r))
                .collect(),
        )
    }

    /// The roles `given` names, found ignoring case, each once, in the
    /// order given. Every name that is no role of the tenant is refused
    /// (`unknown_role` on `field`), all at once.
    pub fn resolve(
        &self,
        field: &str,
        given: &[String],
        built_in: BuiltInNames,
    ) -> Result<Vec<RoleName>, Vec<FieldError>> {
        let mut out: Vec<RoleName> = Vec::new();
        let mut seen = BTreeSet::new();
        let mut errors = Vec::new();
        for name in given {
            let parsed = RoleName::parse(field, name.trim()).ok();
            if let Some(n) = parsed.as_ref().filter(|n| n.is_built_in()) {
                if built_in == BuiltInNames::Refuse {
                    errors.push(FieldError::new(
                        field,
                        ErrorCode::InvalidValue,
                        format!(
                            "{:?} is a built-in admin role; admin roles are given one person at a time, through the roles API",
                            n.as_str()
                        ),
                    ));
                }
                continue;
            }
            match parsed.and_then(|n| self.0.get(&n.key())) {
                Some(role) if seen.insert(role.key()) => out.push(role.clone()),
                Some(_) => {}
                None => errors.push(FieldError::new(
                    field,
                    ErrorCode::UnknownRole,
                    format!("the tenant has no role named {name:?}"),
                )),
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }
}

/// The names a `roles` value of an import holds: a string of names
/// separated by spaces (as an export writes them), commas or semicolons,
/// or an array of names; `null` holds none. `None` for another type.
pub fn names_in(value: &Value) -> Option<Vec<String>> {
    let split = |s: &str| -> Vec<String> {
        s.split(|c: char| c.is_whitespace() || c == ',' || c == ';')
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
            .collect()
    };
    match value {
        Value::Null => Some(Vec::new()),
        Value::String(s) => Some(split(s)),
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map(|s| s.trim().to_owned()))
            .collect::<Option<Vec<String>>>()
            .map(|names| names.into_iter().filter(|n| !n.is_empty()).collect()),
        _ => None,
    }
}

/// The changes that make a user who holds `held` (built-in admin roles
/// included, which stay as they are) hold exactly the tenant roles
/// `wanted`, compared ignoring case.
pub fn changes_to(held: &[RoleName], wanted: &[RoleName]) -> Vec<RoleChange> {
    let own: BTreeSet<String> = held
        .iter()
        .filter(|r| !r.is_built_in())
        .map(RoleName::key)
        .collect();
    let want: BTreeSet<String> = wanted.iter().map(RoleName::key).collect();
    let removes = held
        .iter()
        .filter(|r| !r.is_built_in() && !want.contains(&r.key()))
        .map(|r| RoleChange::Remove(r.clone()));
    let assigns = wanted
        .iter()
        .filter(|r| !r.is_built_in() && !own.contains(&r.key()))
        .map(|r| RoleChange::Assign(r.clone()));
    removes.chain(assigns).collect()
}

/// The tenant's own roles among `held` (the built-in admin roles left out).
pub fn own_roles(held: &[RoleName]) -> Vec<RoleName> {
    held.iter().filter(|r| !r.is_built_in()).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn n(s: &str) -> RoleName {
        RoleName::parse("role", s).unwrap()
    }

    fn names(v: &[RoleName]) -> Vec<&str> {
        v.iter().map(RoleName::as_str).collect()
    }

    #[test]
    fn names_are_found_ignoring_case_once_each_and_unknown_ones_are_all_named() {
        let known = KnownRoles::new([n("Sales"), n("ops"), n("helpdesk")]);
        let given = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let got = known
            .resolve(
                "roles",
                &given(&["sales", "OPS", "SALES"]),
                BuiltInNames::Refuse,
            )
            .unwrap();
        assert_eq!(names(&got), vec!["Sales", "ops"]);
        let errors = known
            .resolve(
                "roles",
                &given(&["nope", "Tenant_Admin", "no space"]),
                BuiltInNames::Refuse,
            )
            .unwrap_err();
        let codes: Vec<&str> = errors.iter().map(|e| e.code.as_str()).collect();
        assert_eq!(codes, vec!["unknown_role", "invalid_value", "unknown_role"]);
        assert!(errors[0].message.contains("\"nope\""), "{errors:?}");
        let skipped = known
            .resolve("roles", &given(&["helpdesk", "ops"]), BuiltInNames::Skip)
            .unwrap();
        assert_eq!(names(&skipped), vec!["ops"]);
    }

    #[test]
    fn a_roles_value_is_a_string_of_names_or_an_array_of_them() {
        let want = Some(vec!["a".to_owned(), "b.c".to_owned(), "d".to_owned()]);
        assert_eq!(names_in(&json!("a b.c;d")), want);
        assert_eq!(names_in(&json!(" a, b.c ; d ")), want);
        assert_eq!(names_in(&json!(["a", "b.c", " d", ""])), want);
        assert_eq!(names_in(&json!(null)), Some(vec![]));
        assert_eq!(names_in(&json!([1])), None);
        assert_eq!(names_in(&json!({"a": 1})), None);
    }

    #[test]
    fn the_changes_to_a_set_leave_admin_roles_alone() {
        let held = [n("helpdesk"), n("Sales"), n("ops")];
        let changes = changes_to(&held, &[n("sales"), n("eu")]);
        assert_eq!(
            changes,
            vec![RoleChange::Remove(n("ops")), RoleChange::Assign(n("eu"))]
        );
        assert!(changes_to(&held, &[n("OPS"), n("sales")]).is_empty());
        assert_eq!(names(&own_roles(&held)), vec!["Sales", "ops"]);
    }
}
