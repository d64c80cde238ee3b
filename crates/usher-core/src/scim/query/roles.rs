//! `roles` in user filters: whether a user holds one of the tenant's own
//! roles, tested in the assignments table ([`Cond::Role`]).
//!
//! Usher keeps a set of role names per user and compares them ignoring
//! case, so what a filter may ask is whether a name is held (`roles eq`,
//! `roles.value eq`, `roles[value eq "…"]`; `display` is the same name)
//! and whether any is (`roles pr`). Other operators, and `type` or
//! `primary`, are refused as `invalidFilter` rather than answered from a
//! walk of every user's roles.

use super::{Cond, LowerError};
use crate::role::RoleName;
use crate::user::fields::fold_case;
use usher_scim::{AttrPath, CompValue, CompareOp, Filter};

pub(super) fn unsupported(what: impl std::fmt::Display) -> LowerError {
    LowerError(format!(
        "{what}: roles can be filtered by name with eq (roles.value eq \"name\", roles[value eq \"name\"]) or with pr"
    ))
}

/// Whether `sub` (of `roles`) names the role's name.
pub(super) fn names_the_role(sub: Option<&str>) -> bool {
    matches!(sub, None | Some("value") | Some("display"))
}

/// `roles[.value] op value`.
pub(super) fn compare(
    path: &AttrPath,
    op: CompareOp,
    value: &CompValue,
) -> Result<Cond, LowerError> {
    match (op, value) {
        (CompareOp::Eq, CompValue::String(s)) => Ok(holds(s)),
        _ => Err(unsupported(path)),
    }
}

/// The user holds the role named `name`, compared as the reference
/// evaluator compares (Unicode case folding); a name no role can have
/// matches nobody.
fn holds(name: &str) -> Cond {
    let key = fold_case(name);
    match RoleName::parse("roles", &key) {
        Ok(n) if !n.is_built_in() => Cond::Role(Some(n.key())),
        _ => Cond::Const(false),
    }
}

/// A value filter on `roles`: one name test, or `value pr`.
pub(super) fn value_filter(f: &Filter) -> Result<Cond, LowerError> {
    let sub = |p: &AttrPath| {
        (p.uri.is_none() && p.sub_attr.is_none())
            .then(|| p.name_key())
            .filter(|n| n == "value" || n == "display")
    };
    match f {
        Filter::Compare { path, op, value } if sub(path).is_some() => compare(path, *op, value),
        Filter::Present(path) if sub(path).is_some() => Ok(Cond::Role(None)),
        _ => Err(unsupported(format!("roles[{f}]"))),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Attributes, lower_user_filter};
    use super::*;

    fn lower(src: &str) -> Result<Cond, LowerError> {
        lower_user_filter(&Filter::parse(src).unwrap(), Attributes { names: &[] })
    }

    #[test]
    fn names_are_tested_ignoring_case_in_every_form() {
        let sales = Cond::Role(Some("sales".into()));
        for f in [
            r#"roles eq "Sales""#,
            r#"roles.value eq "SALES""#,
            r#"roles.display eq "sales""#,
            r#"roles[value eq "Sales"]"#,
            r#"urn:ietf:params:scim:schemas:core:2.0:User:roles.value eq "sales""#,
        ] {
            assert_eq!(lower(f).unwrap(), sales, "{f}");
        }
        assert_eq!(lower("roles pr").unwrap(), Cond::Role(None));
        assert_eq!(lower("roles[value pr]").unwrap(), Cond::Role(None));
        assert_eq!(
            lower("not (roles pr)").unwrap(),
            Cond::Not(Box::new(Cond::Role(None)))
        );
        // No role has such a name (or SCIM does not show it).
        assert_eq!(lower(r#"roles eq "no space""#).unwrap(), Cond::Const(false));
        assert_eq!(
            lower(r#"roles eq "tenant_admin""#).unwrap(),
            Cond::Const(false)
        );
    }

    #[test]
    fn other_tests_of_roles_are_invalid_filters() {
        for f in [
            r#"roles.value co "sal""#,
            r#"roles ne "sales""#,
            r#"roles.primary eq true"#,
            r#"roles.type eq "x""#,
            r#"roles[value eq "a" or value eq "b"]"#,
            r#"roles[type eq "x"]"#,
        ] {
            assert!(lower(f).is_err(), "{f}");
        }
    }
}
