//! Evaluates a [`Filter`] against one SCIM resource in JSON form: the
//! reference semantics for the SQL translation, and enough for tests and
//! small in-memory checks.
//!
//! Rules (RFC 7644 §3.4.2.2 where it says, Usher's choice where it does
//! not):
//! - Attribute names and URNs match case-insensitively. A URN-qualified path
//!   looks in the resource's member named by that URN (an extension), or at
//!   the top level for a core schema URN (`urn:ietf:params:scim:schemas:core:…`).
//!   An unqualified path looks at the top level only.
//! - A multi-valued attribute matches if any of its values matches; a
//!   complex value compared with a plain value is compared by its `value`
//!   sub-attribute (`emails co "@example.com"`).
//! - `pr`: some value is neither null, `""`, `[]`, nor an object of such.
//! - Strings compare case-insensitively (Unicode case folding) unless the
//!   `case_exact` callback says the attribute is `caseExact`; `co`, `sw` and
//!   `ew` apply to strings only. `gt`/`ge`/`lt`/`le` order strings by code
//!   point (so ISO 8601 timestamps in one format and zone order by time) and
//!   numbers numerically; on booleans and null they never match.
//! - Values of different JSON types are never equal, so `ne` matches them.
//!   `ne` is per value like every operator: an absent attribute matches
//!   neither `eq` nor `ne`. `eq null` matches an absent attribute and `ne
//!   null` a present one.

use super::ast::{AttrPath, CompValue, CompareOp, Filter};
use crate::fold::fold_case;
use crate::lenient::member;
use serde_json::{Number, Value};
use std::borrow::Cow;
use std::cmp::Ordering;

/// The schema URN prefix whose attributes sit at the top level of a
/// resource rather than in a member of their own.
const CORE_SCHEMA_PREFIX: &str = "urn:ietf:params:scim:schemas:core:";

/// Deepest filter or JSON this module walks; parsed filters are far below
/// it, so only hand-built trees can reach it (and then do not match).
const WALK_LIMIT: usize = 128;

/// Whether `resource` matches `filter`. `case_exact` answers, for the
/// attribute (with its sub-attribute, as an absolute path) being compared,
/// whether its schema marks it `caseExact`.
pub fn matches(filter: &Filter, resource: &Value, case_exact: &dyn Fn(&AttrPath) -> bool) -> bool {
    Eval { case_exact }.filter(filter, resource, None, 0)
}

struct Eval<'c> {
    case_exact: &'c dyn Fn(&AttrPath) -> bool,
}

impl Eval<'_> {
    /// `node` is the resource (`parent` None) or one element of the
    /// multi-valued attribute `parent` inside a value filter.
    fn filter(
        &self,
        filter: &Filter,
        node: &Value,
        parent: Option<&AttrPath>,
        depth: usize,
    ) -> bool {
        if depth > WALK_LIMIT {
            return false;
        }
        match filter {
            Filter::And(items) => items
                .iter()
                .all(|f| self.filter(f, node, parent, depth + 1)),
            Filter::Or(items) => items
                .iter()
                .any(|f| self.filter(f, node, parent, depth + 1)),
            Filter::Not(inner) => !self.filter(inner, node, parent, depth + 1),
            Filter::Present(path) => values(node, path, parent.is_none())
                .iter()
                .any(|v| !is_empty(v, 0)),
            Filter::Compare { path, op, value } => self.compare(node, path, *op, value, parent),
            Filter::ValuePath(vp) => {
                parent.is_none()
                    && values(node, &vp.attr, true)
                        .into_iter()
                        .any(|element| self.filter(&vp.filter, element, Some(&vp.attr), depth + 1))
            }
        }
    }

    fn compare(
        &self,
        node: &Value,
        path: &AttrPath,
        op: CompareOp,
        value: &CompValue,
        parent: Option<&AttrPath>,
    ) -> bool {
        let found = values(node, path, parent.is_none());
        if matches!(value, CompValue::Null) {
            let present = found.iter().any(|v| !is_empty(v, 0));
            return match op {
                CompareOp::Eq => !present,
                CompareOp::Ne => present,
                _ => false,
            };
        }
        let absolute = match parent {
            Some(parent) => AttrPath {
                uri: parent.uri.clone(),
                name: parent.name.clone(),
                sub_attr: Some(path.name.clone()),
            },
            None => path.clone(),
        };
        // Asked at most once per attribute (and once for an implied `.value`).
        let mut exact: [Option<bool>; 2] = [None, None];
        found.into_iter().any(|v| {
            let (v, implied) = match v {
                Value::Object(map) if absolute.sub_attr.is_none() => match member(map, "value") {
                    Some(inner) => (inner, true),
                    None => return op == CompareOp::Ne,
                },
                v => (v, false),
            };
            let slot = &mut exact[usize::from(implied)];
            let case_exact = *slot.get_or_insert_with(|| {
                if implied {
                    (self.case_exact)(&absolute.clone().with_sub_attr("value"))
                } else {
                    (self.case_exact)(&absolute)
                }
            });
            compare_one(v, op, value, case_exact)
        })
    }
}

/// One attribute value against the filter's value.
fn compare_one(v: &Value, op: CompareOp, want: &CompValue, case_exact: bool) -> bool {
    let ordering = match (v, want) {
        (Value::String(have), CompValue::String(want)) => {
            let (have, want): (Cow<'_, str>, Cow<'_, str>) = if case_exact {
                (have.into(), want.into())
            } else {
                (fold_case(have).into(), fold_case(want).into())
            };
            match op {
                CompareOp::Co => return have.contains(want.as_ref()),
                CompareOp::Sw => return have.starts_with(want.as_ref()),
                CompareOp::Ew => return have.ends_with(want.as_ref()),
                _ => have.cmp(&want),
            }
        }
        (Value::Number(have), CompValue::Number(want)) => match compare_numbers(have, want) {
            Some(ordering) => ordering,
            None => return op == CompareOp::Ne,
        },
        (Value::Bool(have), CompValue::Bool(want)) => {
            return match op {
                CompareOp::Eq => have == want,
                CompareOp::Ne => have != want,
                _ => false,
            };
        }
        _ => return op == CompareOp::Ne,
    };
    match op {
        CompareOp::Eq => ordering == Ordering::Equal,
        CompareOp::Ne => ordering != Ordering::Equal,
        CompareOp::Gt => ordering == Ordering::Greater,
        CompareOp::Ge => ordering != Ordering::Less,
        CompareOp::Lt => ordering == Ordering::Less,
        CompareOp::Le => ordering != Ordering::Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

/// Exactly for integers, as floats otherwise.
fn compare_numbers(a: &Number, b: &Number) -> Option<Ordering> {
    if let (Some(a), Some(b)) = (a.as_i64(), b.as_i64()) {
        return Some(a.cmp(&b));
    }
    if let (Some(a), Some(b)) = (a.as_u64(), b.as_u64()) {
        return Some(a.cmp(&b));
    }
    a.as_f64()?.partial_cmp(&b.as_f64()?)
}

/// The values `path` names in `node`, arrays flattened and nulls dropped.
/// `at_root` says `node` is the resource (so a URN picks the extension).
fn values<'v>(node: &'v Value, path: &AttrPath, at_root: bool) -> Vec<&'v Value> {
    let Value::Object(node) = node else {
        return Vec::new();
    };
    let container = match (&path.uri, at_root) {
        (Some(uri), true) => match member(node, uri) {
            Some(Value::Object(extension)) => extension,
            _ if starts_with_ignore_case(uri, CORE_SCHEMA_PREFIX) => node,
            _ => return Vec::new(),
        },
        _ => node,
    };
    let mut out = Vec::new();
    let Some(top) = member(container, &path.name) else {
        return out;
    };
    for v in flatten(top) {
        match &path.sub_attr {
            None => out.push(v),
            Some(sub) => {
                if let Value::Object(map) = v
                    && let Some(inner) = member(map, sub)
                {
                    out.extend(flatten(inner));
                }
            }
        }
    }
    out.retain(|v| !v.is_null());
    out
}

fn flatten(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(items) => items.iter().collect(),
        v => vec![v],
    }
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// Null, `""`, or an array or object of nothing but such.
fn is_empty(v: &Value, depth: usize) -> bool {
    if depth > WALK_LIMIT {
        return false;
    }
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(items) => items.iter().all(|v| is_empty(v, depth + 1)),
        Value::Object(map) => map.values().all(|v| is_empty(v, depth + 1)),
        Value::Bool(_) | Value::Number(_) => false,
    }
}
