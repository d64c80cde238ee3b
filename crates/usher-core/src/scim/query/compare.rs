//! Comparisons both lowerings share: strings (folded or exact), ids,
//! times, booleans as Entra ID sends them, and fixed values decided at once.

use super::{Cond, LowerError, OrderOp, Text, TextOp, TimeColumn};
use crate::user::fields::fold_case;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use usher_scim::{AttrPath, CompValue, CompareOp};
use uuid::Uuid;

pub(super) fn text_op(op: CompareOp) -> TextOp {
    match op {
        CompareOp::Eq => TextOp::Eq,
        CompareOp::Ne => TextOp::Ne,
        CompareOp::Co => TextOp::Co,
        CompareOp::Sw => TextOp::Sw,
        CompareOp::Ew => TextOp::Ew,
        CompareOp::Gt => TextOp::Gt,
        CompareOp::Ge => TextOp::Ge,
        CompareOp::Lt => TextOp::Lt,
        CompareOp::Le => TextOp::Le,
    }
}

/// A boolean from a filter value; Entra ID sends `"True"` and `"False"`.
pub(super) fn bool_value(value: &CompValue) -> Option<bool> {
    match value {
        CompValue::Bool(b) => Some(*b),
        CompValue::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        CompValue::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// How a string comparison of two known values comes out (for the fixed
/// sub-attributes such as `type`).
pub(super) fn compare_fixed(have: &str, op: CompareOp, want: &str, case_exact: bool) -> bool {
    let (h, w) = if case_exact {
        (have.to_owned(), want.to_owned())
    } else {
        (fold_case(have), fold_case(want))
    };
    match op {
        CompareOp::Eq => h == w,
        CompareOp::Ne => h != w,
        CompareOp::Co => h.contains(&w),
        CompareOp::Sw => h.starts_with(&w),
        CompareOp::Ew => h.ends_with(&w),
        CompareOp::Gt => h > w,
        CompareOp::Ge => h >= w,
        CompareOp::Lt => h < w,
        CompareOp::Le => h <= w,
    }
}

/// A string comparison; `fold` compares case-folded. Entra ID and Okta
/// send numbers and booleans unquoted now and then for string attributes
/// (`employeeNumber eq 42`): they are compared as their text.
pub(super) fn text_cond(text: Text, fold: bool, op: CompareOp, value: &CompValue) -> Cond {
    let s = match value {
        CompValue::String(s) => s.clone(),
        CompValue::Number(n) => n.to_string(),
        CompValue::Bool(b) => b.to_string(),
        CompValue::Null => String::new(),
    };
    Cond::Text {
        text,
        op: text_op(op),
        value: if fold { fold_case(&s) } else { s },
        fold,
    }
}

/// `id eq` / `id ne` (of users or groups); an id that is no UUID matches
/// nothing.
pub(super) fn id_compare(op: CompareOp, value: &CompValue) -> Result<Cond, LowerError> {
    let CompValue::String(s) = value else {
        return Err(LowerError(
            "id is a string; compare it with a quoted value".into(),
        ));
    };
    let id = Uuid::parse_str(s).ok();
    match op {
        CompareOp::Eq => Ok(id.map_or(Cond::Const(false), Cond::Id)),
        CompareOp::Ne => Ok(id.map_or(Cond::Const(true), |id| Cond::not(Cond::Id(id)))),
        _ => Err(LowerError(
            "id can be compared with eq, ne and pr only".into(),
        )),
    }
}

/// A comparison of `meta.created` or `meta.lastModified` with an RFC 3339
/// time.
pub(super) fn time_compare(
    path: &AttrPath,
    column: TimeColumn,
    op: CompareOp,
    value: &CompValue,
) -> Result<Cond, LowerError> {
    let CompValue::String(s) = value else {
        return Err(LowerError(format!(
            "{path} is a dateTime; compare it with a quoted RFC 3339 time"
        )));
    };
    let at = OffsetDateTime::parse(s, &Rfc3339).map_err(|_| {
        LowerError(format!(
            "{path} is a dateTime; \"{s}\" is not an RFC 3339 time such as 2026-01-31T12:00:00Z"
        ))
    })?;
    let op = match op {
        CompareOp::Eq => OrderOp::Eq,
        CompareOp::Ne => OrderOp::Ne,
        CompareOp::Gt => OrderOp::Gt,
        CompareOp::Ge => OrderOp::Ge,
        CompareOp::Lt => OrderOp::Lt,
        CompareOp::Le => OrderOp::Le,
        _ => {
            return Err(LowerError(format!(
                "{path} is a dateTime: co, sw and ew do not apply"
            )));
        }
    };
    Ok(Cond::Time {
        column,
        op,
        value: at,
    })
}
