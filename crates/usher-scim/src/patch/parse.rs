//! A `PatchOp` message read into operations, every one checked before any
//! is applied.

use super::{OpKind, PatchError, PatchErrorKind, PatchOp};
use crate::error::ParseErrorKind;
use crate::lenient::member;
use crate::path::PatchPath;
use crate::urn::PATCH_URN;
use serde_json::{Map, Value};

/// The most operations one request may carry.
pub const MAX_OPERATIONS: usize = 1000;

fn syntax(message: impl Into<String>) -> PatchError {
    PatchError::new(PatchErrorKind::InvalidSyntax, message)
}

/// Parses a `PatchOp` message.
pub fn parse_patch(body: &Value) -> Result<Vec<PatchOp>, PatchError> {
    let Value::Object(obj) = body else {
        return Err(syntax("the body must be a PatchOp JSON object"));
    };
    let schemas_ok = match member(obj, "schemas") {
        Some(Value::Array(s)) => s.iter().any(|s| {
            s.as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case(PATCH_URN))
        }),
        _ => false,
    };
    if !schemas_ok {
        return Err(syntax(format!("schemas must list {PATCH_URN}")));
    }
    let Some(Value::Array(ops)) = member(obj, "Operations") else {
        return Err(syntax("Operations must be an array of operations"));
    };
    if ops.is_empty() {
        return Err(syntax("Operations is empty"));
    }
    if ops.len() > MAX_OPERATIONS {
        return Err(PatchError::new(
            PatchErrorKind::TooMany,
            format!("at most {MAX_OPERATIONS} operations per request"),
        ));
    }
    let mut out = Vec::with_capacity(ops.len());
    for (i, op) in ops.iter().enumerate() {
        let n = i + 1;
        let Value::Object(op) = op else {
            return Err(syntax(format!("operation {n} is not an object")));
        };
        out.push(operation(op).map_err(|e| e.in_operation(n))?);
    }
    Ok(out)
}

/// One element of `Operations`.
fn operation(o: &Map<String, Value>) -> Result<PatchOp, PatchError> {
    let kind = match member(o, "op")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase)
    {
        Some(k) if k == "add" => OpKind::Add,
        Some(k) if k == "replace" => OpKind::Replace,
        Some(k) if k == "remove" => OpKind::Remove,
        _ => return Err(syntax("op must be add, replace or remove")),
    };
    let path = match member(o, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(PatchPath::parse(s).map_err(|e| {
            let kind = match e.kind() {
                ParseErrorKind::InvalidFilter => PatchErrorKind::InvalidFilter,
                ParseErrorKind::InvalidPath => PatchErrorKind::InvalidPath,
            };
            PatchError::new(kind, e.to_string())
        })?),
        Some(_) => {
            return Err(PatchError::new(
                PatchErrorKind::InvalidPath,
                "path must be a string",
            ));
        }
    };
    let value = member(o, "value").cloned();
    if kind != OpKind::Remove && value.is_none() {
        return Err(PatchError::new(
            PatchErrorKind::InvalidValue,
            format!(
                "{} needs a value",
                if kind == OpKind::Add {
                    "add"
                } else {
                    "replace"
                }
            ),
        ));
    }
    if kind == OpKind::Remove && path.is_none() {
        return Err(PatchError::new(
            PatchErrorKind::NoTarget,
            "remove needs a path",
        ));
    }
    Ok(PatchOp {
        op: kind,
        path,
        value,
    })
}
