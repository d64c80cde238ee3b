//! Reading a resource body as clients write it: strings that may be
//! numbers, multi-valued attributes that may be one object, and the
//! `schemas` list; each problem is added to the errors, so that a body's
//! problems are named all at once.

use super::{lenient_bool, member};
use crate::error::{ErrorCode, ValidationErrors};
use serde_json::{Map, Value};

/// A string attribute of the body: absent and `null` are `None`.
pub(super) fn string_at(
    obj: &Map<String, Value>,
    name: &str,
    field: &str,
    errors: &mut ValidationErrors,
) -> Option<String> {
    match member(obj, name) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(_) => {
            errors.add(field, ErrorCode::InvalidType, "must be a string");
            None
        }
    }
}

/// The elements of a multi-valued attribute: an array of objects (a single
/// object is read as an array of one, as some clients send it).
pub(super) fn elements<'v>(
    obj: &'v Map<String, Value>,
    name: &str,
    errors: &mut ValidationErrors,
) -> Vec<&'v Map<String, Value>> {
    match member(obj, name) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            let mut out = Vec::new();
            for item in items {
                match item {
                    Value::Object(o) => out.push(o),
                    Value::Null => {}
                    _ => errors.add(
                        name,
                        ErrorCode::InvalidType,
                        "must be an array of objects with a value",
                    ),
                }
            }
            out
        }
        Some(Value::Object(o)) => vec![o],
        Some(_) => {
            errors.add(
                name,
                ErrorCode::InvalidType,
                "must be an array of objects with a value",
            );
            Vec::new()
        }
    }
}

pub(super) fn element_value(e: &Map<String, Value>) -> Option<String> {
    match member(e, "value") {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        _ => None,
    }
}

pub(super) fn is_primary(e: &Map<String, Value>) -> bool {
    member(e, "primary").and_then(lenient_bool) == Some(true)
}

pub(super) fn kind_of(e: &Map<String, Value>) -> Option<String> {
    match member(e, "type") {
        Some(Value::String(s)) => Some(s.to_ascii_lowercase()),
        _ => None,
    }
}

/// `schemas` must list the resource's core schema, and only schemas the
/// resource may carry.
pub(super) fn check_schemas(
    obj: &Map<String, Value>,
    allowed: &[&str],
    core: &str,
    errors: &mut ValidationErrors,
) {
    match member(obj, "schemas") {
        Some(Value::Array(list)) => {
            let mut has_core = false;
            for s in list {
                match s.as_str() {
                    Some(s) if s.eq_ignore_ascii_case(core) => has_core = true,
                    // Any other URN is accepted and its attributes ignored:
                    // Entra ID lists extensions of its own, Entra ID and
                    // Okta the enterprise extension even when they send
                    // none of its attributes (RFC 7644 §3.12: a service
                    // provider ignores what it does not support).
                    Some(s) if allowed.iter().any(|a| a.eq_ignore_ascii_case(s)) => {}
                    Some(s) if s.starts_with("urn:") => {}
                    _ => errors.add(
                        "schemas",
                        ErrorCode::UnknownSchema,
                        format!("lists something that is not a schema URN: {s}"),
                    ),
                }
            }
            if !has_core {
                errors.add("schemas", ErrorCode::Required, format!("must list {core}"));
            }
        }
        None | Some(Value::Null) => {
            errors.add("schemas", ErrorCode::Required, format!("must list {core}"))
        }
        Some(_) => errors.add(
            "schemas",
            ErrorCode::InvalidType,
            "must be an array of schema URNs",
        ),
    }
}
