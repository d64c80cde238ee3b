//! Operations applied in order to a resource in its JSON form: values set,
//! merged into complex attributes, added to or removed from multi-valued
//! ones, with the names the schema spells.

use super::PatchErrorKind::{InvalidPath, InvalidSyntax, InvalidValue, NoTarget};
use super::filtered::filtered;
use super::locate::{Location, container, key_of, locate};
use super::{OpKind, PatchError, PatchOp, PatchSchema};
use crate::ast::AttrPath;
use crate::lenient::lenient_bool;
use crate::path::PatchPath;
use serde_json::{Map, Value};

/// Applies `ops` to `resource` in order. Nothing is kept on error: the
/// caller patches a copy.
pub fn apply_patch(
    resource: &mut Value,
    ops: &[PatchOp],
    schema: &dyn PatchSchema,
) -> Result<(), PatchError> {
    let Value::Object(root) = resource else {
        return Err(PatchError::new(
            InvalidSyntax,
            "the resource is not an object",
        ));
    };
    for (i, op) in ops.iter().enumerate() {
        apply_one(root, op, schema).map_err(|e| e.in_operation(i + 1))?;
    }
    Ok(())
}

fn apply_one(
    root: &mut Map<String, Value>,
    op: &PatchOp,
    schema: &dyn PatchSchema,
) -> Result<(), PatchError> {
    match (&op.path, op.op) {
        (None, OpKind::Remove) => Err(PatchError::new(NoTarget, "remove needs a path")),
        (None, kind) => {
            let Some(Value::Object(values)) = &op.value else {
                return Err(PatchError::new(
                    InvalidValue,
                    "without a path the value must be an object of attributes",
                ));
            };
            for (k, v) in values {
                // A read-only attribute sent back as it is (Okta sends the
                // resource's own `id`) changes nothing: ignored, as RFC 7643
                // §2.2 has it. Another value is still refused below.
                let unchanged_read_only = schema.read_only(k)
                    && root
                        .iter()
                        .find(|(name, _)| name.eq_ignore_ascii_case(k))
                        .is_some_and(|(_, current)| current == v);
                if unchanged_read_only {
                    continue;
                }
                let path = if k.contains(':') || k.contains('.') {
                    PatchPath::parse(k).map_err(|e| PatchError::new(InvalidPath, e.to_string()))?
                } else {
                    PatchPath::Attr(AttrPath::new(k.clone()))
                };
                let PatchPath::Attr(p) = path else {
                    return Err(PatchError::new(
                        InvalidPath,
                        format!("{k} is not an attribute name"),
                    ));
                };
                if let Some(loc) = locate(p.uri.as_deref(), &p.name, p.sub_attr.as_deref(), schema)?
                {
                    set(root, &loc, v.clone(), kind, schema)?;
                }
            }
            Ok(())
        }
        (Some(PatchPath::Attr(p)), OpKind::Remove) => {
            match locate(p.uri.as_deref(), &p.name, p.sub_attr.as_deref(), schema)? {
                Some(loc) => remove(root, &loc, op.value.as_ref(), schema),
                None => Ok(()),
            }
        }
        (Some(PatchPath::Attr(p)), kind) => {
            let Some(loc) = locate(p.uri.as_deref(), &p.name, p.sub_attr.as_deref(), schema)?
            else {
                return Ok(());
            };
            let value = op.value.clone().unwrap_or(Value::Null);
            set(root, &loc, value, kind, schema)
        }
        (Some(PatchPath::Value { path, sub_attr }), kind) => {
            let Some(loc) = locate(
                path.attr.uri.as_deref(),
                &path.attr.name,
                sub_attr.as_deref(),
                schema,
            )?
            else {
                return Ok(());
            };
            if !schema.multi_valued(&loc.name) || loc.extension.is_some() {
                return Err(PatchError::new(
                    InvalidPath,
                    format!(
                        "{} is not multi-valued; a [filter] needs a multi-valued attribute",
                        loc.name
                    ),
                ));
            }
            let sub = match sub_attr {
                Some(s) => Some(schema.canonical(Some(&loc.name), s).ok_or_else(|| {
                    PatchError::new(InvalidPath, format!("unknown attribute {}.{s}", loc.name))
                })?),
                None => None,
            };
            filtered(
                root,
                &loc.name,
                &path.filter,
                sub.as_deref(),
                kind,
                op.value.as_ref(),
                schema,
            )
        }
    }
}

/// Merges `value` into the complex attribute `target` (sub-attributes not
/// named are left as they are).
pub(super) fn merge_object(
    target: &mut Value,
    value: Map<String, Value>,
    parent: &str,
    schema: &dyn PatchSchema,
) {
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(t) = target {
        for (k, v) in value {
            let name = schema.canonical(Some(parent), &k).unwrap_or(k);
            let key = key_of(t, &name);
            if v.is_null() {
                t.remove(&key);
            } else {
                t.insert(key, v);
            }
        }
    }
}

fn set(
    root: &mut Map<String, Value>,
    loc: &Location,
    value: Value,
    kind: OpKind,
    schema: &dyn PatchSchema,
) -> Result<(), PatchError> {
    let obj = container(root, loc.extension, true)
        .ok_or_else(|| PatchError::new(InvalidPath, "the extension is not an object"))?;
    // The whole extension: merge its attributes.
    if loc.name.is_empty() {
        let Value::Object(values) = value else {
            return Err(PatchError::new(
                InvalidValue,
                "an extension's value must be an object",
            ));
        };
        for (k, v) in values {
            // Clients (scim2-tester) send the extension with its own
            // `schemas` inside; the resource's `schemas` say it already.
            if k.eq_ignore_ascii_case("schemas") {
                continue;
            }
            let ext = loc.extension.unwrap_or_default();
            let name = schema.canonical(Some(ext), &k).ok_or_else(|| {
                PatchError::new(InvalidPath, format!("unknown attribute {ext}:{k}"))
            })?;
            let key = key_of(obj, &name);
            obj.insert(key, v);
        }
        return Ok(());
    }
    let key = key_of(obj, &loc.name);
    if let Some(sub) = &loc.sub {
        let target = obj.entry(key).or_insert_with(|| Value::Object(Map::new()));
        if schema.multi_valued(&loc.name) {
            // `emails.value`: every element's sub-attribute (RFC 7644
            // §3.5.2.3 applies a sub-attribute path to each value).
            if let Value::Array(items) = target {
                for item in items.iter_mut() {
                    if let Value::Object(o) = item {
                        let k = key_of(o, sub);
                        o.insert(k, value.clone());
                    }
                }
            }
            return Ok(());
        }
        let mut m = Map::new();
        m.insert(sub.clone(), value);
        merge_object(target, m, &loc.name, schema);
        return Ok(());
    }
    if schema.multi_valued(&loc.name) {
        let new_items = match value {
            Value::Array(a) => a,
            Value::Null => Vec::new(),
            v => vec![v],
        };
        let entry = obj.entry(key).or_insert_with(|| Value::Array(Vec::new()));
        match (kind, entry) {
            (OpKind::Add, Value::Array(items)) => {
                for v in new_items {
                    // A new primary value takes the flag from the others.
                    if v.get("primary").and_then(lenient_bool) == Some(true) {
                        for it in items.iter_mut() {
                            if let Value::Object(o) = it {
                                o.remove("primary");
                            }
                        }
                    }
                    let same_value = items.iter().position(|it| same_element(it, &v));
                    match same_value {
                        Some(i) => items[i] = v,
                        None => items.push(v),
                    }
                }
            }
            (_, entry) => *entry = Value::Array(new_items),
        }
        return Ok(());
    }
    match value {
        Value::Object(m) if !m.is_empty() => {
            let target = obj.entry(key).or_insert_with(|| Value::Object(Map::new()));
            merge_object(target, m, &loc.name, schema);
        }
        Value::Null => {
            obj.remove(&key);
        }
        v => {
            obj.insert(key, v);
        }
    }
    Ok(())
}

/// Two values of a multi-valued attribute are one when their `value`
/// sub-attributes are equal (members by id, emails by address).
fn same_element(a: &Value, b: &Value) -> bool {
    match (a.get("value"), b.get("value")) {
        (Some(x), Some(y)) => match (x.as_str(), y.as_str()) {
            (Some(x), Some(y)) => x.eq_ignore_ascii_case(y),
            _ => x == y,
        },
        _ => a == b,
    }
}

fn remove(
    root: &mut Map<String, Value>,
    loc: &Location,
    value: Option<&Value>,
    schema: &dyn PatchSchema,
) -> Result<(), PatchError> {
    let Some(obj) = container(root, loc.extension, false) else {
        return Ok(());
    };
    // The whole extension: its attributes go (and with them its URN).
    if loc.name.is_empty() {
        obj.clear();
        return Ok(());
    }
    let key = key_of(obj, &loc.name);
    match (&loc.sub, value) {
        (Some(sub), _) => {
            match obj.get_mut(&key) {
                Some(Value::Object(o)) => {
                    let k = key_of(o, sub);
                    o.remove(&k);
                }
                Some(Value::Array(items)) => {
                    for it in items.iter_mut() {
                        if let Value::Object(o) = it {
                            let k = key_of(o, sub);
                            o.remove(&k);
                        }
                    }
                }
                _ => {}
            }
            Ok(())
        }
        // Entra ID removes members by listing them in `value`.
        (None, Some(v)) if schema.multi_valued(&loc.name) && !v.is_null() => {
            let gone: Vec<Value> = match v {
                Value::Array(a) => a.clone(),
                v => vec![v.clone()],
            };
            if let Some(Value::Array(items)) = obj.get_mut(&key) {
                items.retain(|it| !gone.iter().any(|g| same_element(it, g)));
            }
            Ok(())
        }
        (None, _) => {
            obj.remove(&key);
            Ok(())
        }
    }
}
