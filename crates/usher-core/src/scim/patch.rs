//! SCIM PATCH (RFC 7644 §3.5.2) applied to a resource in its JSON form.
//!
//! A PATCH is applied to the resource as a GET shows it, and the result is
//! then read back like a PUT body: the same validation and one write under
//! the version the operations were applied to, so a PATCH is atomic (every
//! operation or none) and never races another change.
//!
//! Beyond the RFC, what Entra ID and Okta send:
//! - `op` in any case (`Replace`, `Add`, `Remove`);
//! - booleans as strings (`"False"`), read where the attribute is boolean;
//! - a path-less `replace`/`add` whose value has dotted keys
//!   (`{"name.givenName": "Ada"}`) or URN-qualified keys
//!   (`{"urn:…:enterprise:2.0:User:department": "R&D"}`);
//! - `replace` of `emails[type eq "work"].value` on a user with no such
//!   email: the element is created (Entra ID's documented expectation);
//! - member removal as `path: members[value eq "id"]`, or as `path:
//!   members` with the members to remove in `value`.

use super::ast::{CompValue, CompareOp, Filter};
use super::path::PatchPath;
use super::resource::{PATCH_URN, member};
use crate::error::Error;
use serde_json::{Map, Value};

/// An operation's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Add,
    Replace,
    Remove,
}

/// One parsed operation.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOp {
    pub op: OpKind,
    pub path: Option<PatchPath>,
    pub value: Option<Value>,
}

/// The most operations one request may carry.
pub const MAX_OPERATIONS: usize = 1000;

/// A SCIM error of the request: `scimType` and what to do about it.
pub fn scim_error(code: &'static str, detail: impl Into<String>) -> Error {
    Error::bad_request(code, detail)
}

/// Parses a `PatchOp` message.
pub fn parse_patch(body: &Value) -> Result<Vec<PatchOp>, Error> {
    let Value::Object(obj) = body else {
        return Err(scim_error(
            "invalid_syntax",
            "the body must be a PatchOp JSON object",
        ));
    };
    let schemas_ok = match member(obj, "schemas") {
        Some(Value::Array(s)) => s.iter().any(|s| {
            s.as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case(PATCH_URN))
        }),
        _ => false,
    };
    if !schemas_ok {
        return Err(scim_error(
            "invalid_syntax",
            format!("schemas must list {PATCH_URN}"),
        ));
    }
    let Some(Value::Array(ops)) = member(obj, "Operations") else {
        return Err(scim_error(
            "invalid_syntax",
            "Operations must be an array of operations",
        ));
    };
    if ops.is_empty() {
        return Err(scim_error("invalid_syntax", "Operations is empty"));
    }
    if ops.len() > MAX_OPERATIONS {
        return Err(scim_error(
            "too_many",
            format!("at most {MAX_OPERATIONS} operations per request"),
        ));
    }
    let mut out = Vec::with_capacity(ops.len());
    for (i, op) in ops.iter().enumerate() {
        let n = i + 1;
        let Value::Object(o) = op else {
            return Err(scim_error(
                "invalid_syntax",
                format!("operation {n} is not an object"),
            ));
        };
        let kind = match member(o, "op")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
        {
            Some(k) if k == "add" => OpKind::Add,
            Some(k) if k == "replace" => OpKind::Replace,
            Some(k) if k == "remove" => OpKind::Remove,
            _ => {
                return Err(scim_error(
                    "invalid_syntax",
                    format!("operation {n}: op must be add, replace or remove"),
                ));
            }
        };
        let path = match member(o, "path") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(Value::String(s)) => Some(PatchPath::parse(s).map_err(|e| {
                let code = if e.scim_type() == "invalidFilter" {
                    "invalid_filter"
                } else {
                    "invalid_path"
                };
                scim_error(code, format!("operation {n}: {e}"))
            })?),
            Some(_) => {
                return Err(scim_error(
                    "invalid_path",
                    format!("operation {n}: path must be a string"),
                ));
            }
        };
        let value = member(o, "value").cloned();
        if kind != OpKind::Remove && value.is_none() {
            return Err(scim_error(
                "invalid_value",
                format!(
                    "operation {n}: {} needs a value",
                    if kind == OpKind::Add {
                        "add"
                    } else {
                        "replace"
                    }
                ),
            ));
        }
        if kind == OpKind::Remove && path.is_none() {
            return Err(scim_error(
                "no_target",
                format!("operation {n}: remove needs a path"),
            ));
        }
        out.push(PatchOp {
            op: kind,
            path,
            value,
        });
    }
    Ok(out)
}

/// What the patcher needs to know of the resource's schema.
pub trait PatchSchema {
    /// The canonical spelling of an attribute (or sub-attribute) name, if
    /// the schema has it: keys the patch creates take that spelling.
    fn canonical(&self, parent: Option<&str>, name: &str) -> Option<String>;
    /// Whether a top-level attribute is multi-valued.
    fn multi_valued(&self, name: &str) -> bool;
    /// Whether a top-level attribute may not be written.
    fn read_only(&self, name: &str) -> bool;
    /// The extension URNs the resource may carry.
    fn extensions(&self) -> Vec<&'static str>;
    /// Whether a string attribute compares case-exactly (for value filters).
    fn case_exact(&self, parent: &str, sub: &str) -> bool;
    /// Whether an attribute the schema does not have is one of RFC 7643's
    /// that Usher does not store (`title`, `addresses`, `name.formatted`,
    /// the enterprise `manager`, …): operations on it are skipped, as the
    /// attribute is ignored in a POST or PUT body (Entra ID sends them).
    /// Names are given as written; `extension` is the URN, if any.
    fn unstored(&self, extension: Option<&str>, name: &str, sub: Option<&str>) -> bool;
}

/// Applies `ops` to `resource` in order. Nothing is kept on error: the
/// caller patches a copy.
pub fn apply_patch(
    resource: &mut Value,
    ops: &[PatchOp],
    schema: &dyn PatchSchema,
) -> Result<(), Error> {
    let Value::Object(root) = resource else {
        return Err(scim_error(
            "invalid_syntax",
            "the resource is not an object",
        ));
    };
    for (i, op) in ops.iter().enumerate() {
        apply_one(root, op, schema).map_err(|e| match e {
            Error::BadRequest { code, message } => {
                Error::bad_request(code, format!("operation {}: {message}", i + 1))
            }
            e => e,
        })?;
    }
    Ok(())
}

/// Where a path points: the object holding the attribute, by its
/// extension URN (None for the core schema), and the attribute name.
struct Location {
    extension: Option<&'static str>,
    name: String,
    sub: Option<String>,
}

/// Where a path points, or `None` for an attribute Usher does not store
/// (the operation is skipped).
fn locate(
    uri: Option<&str>,
    name: &str,
    sub: Option<&str>,
    schema: &dyn PatchSchema,
) -> Result<Option<Location>, Error> {
    let ext = uri.filter(|u| {
        !u.eq_ignore_ascii_case(super::resource::USER_URN)
            && !u.eq_ignore_ascii_case(super::resource::GROUP_URN)
    });
    if schema.unstored(ext, name, sub) {
        return Ok(None);
    }
    locate_stored(uri, name, sub, schema).map(Some)
}

fn locate_stored(
    uri: Option<&str>,
    name: &str,
    sub: Option<&str>,
    schema: &dyn PatchSchema,
) -> Result<Location, Error> {
    let full = match uri {
        Some(u) => format!("{u}:{name}"),
        None => name.to_owned(),
    };
    // A path naming a whole extension (`urn:…:enterprise:2.0:User`).
    if let Some(ext) = schema
        .extensions()
        .into_iter()
        .find(|e| e.eq_ignore_ascii_case(&full))
    {
        return Ok(Location {
            extension: Some(ext),
            name: String::new(),
            sub: sub.map(str::to_owned),
        });
    }
    let extension = match uri {
        None => None,
        Some(u)
            if u.eq_ignore_ascii_case(super::resource::USER_URN)
                || u.eq_ignore_ascii_case(super::resource::GROUP_URN) =>
        {
            None
        }
        Some(u) => Some(
            schema
                .extensions()
                .into_iter()
                .find(|e| e.eq_ignore_ascii_case(u))
                .ok_or_else(|| scim_error("invalid_path", format!("unknown schema {u}")))?,
        ),
    };
    let name = match extension {
        Some(ext) => schema
            .canonical(Some(ext), name)
            .ok_or_else(|| scim_error("invalid_path", format!("unknown attribute {full}")))?,
        None => schema
            .canonical(None, name)
            .ok_or_else(|| scim_error("invalid_path", format!("unknown attribute {full}")))?,
    };
    if extension.is_none() && schema.read_only(&name) {
        return Err(scim_error("mutability", format!("{name} is read-only")));
    }
    let sub =
        match sub {
            Some(s) => Some(schema.canonical(Some(&name), s).ok_or_else(|| {
                scim_error("invalid_path", format!("unknown attribute {name}.{s}"))
            })?),
            None => None,
        };
    Ok(Location {
        extension,
        name,
        sub,
    })
}

/// The object an attribute lives in, created when `create`.
fn container<'r>(
    root: &'r mut Map<String, Value>,
    extension: Option<&str>,
    create: bool,
) -> Option<&'r mut Map<String, Value>> {
    let Some(ext) = extension else {
        return Some(root);
    };
    let key = root
        .keys()
        .find(|k| k.eq_ignore_ascii_case(ext))
        .cloned()
        .unwrap_or_else(|| ext.to_owned());
    if !root.contains_key(&key) {
        if !create {
            return None;
        }
        root.insert(key.clone(), Value::Object(Map::new()));
    }
    match root.get_mut(&key) {
        Some(Value::Object(o)) => Some(o),
        Some(v) if create => {
            *v = Value::Object(Map::new());
            v.as_object_mut()
        }
        _ => None,
    }
}

/// The key under which `name` is stored in `obj` (its existing spelling).
fn key_of(obj: &Map<String, Value>, name: &str) -> String {
    obj.keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .unwrap_or_else(|| name.to_owned())
}

fn apply_one(
    root: &mut Map<String, Value>,
    op: &PatchOp,
    schema: &dyn PatchSchema,
) -> Result<(), Error> {
    match (&op.path, op.op) {
        (None, OpKind::Remove) => Err(scim_error("no_target", "remove needs a path")),
        (None, kind) => {
            let Some(Value::Object(values)) = &op.value else {
                return Err(scim_error(
                    "invalid_value",
                    "without a path the value must be an object of attributes",
                ));
            };
            for (k, v) in values {
                let path = if k.contains(':') || k.contains('.') {
                    PatchPath::parse(k).map_err(|e| scim_error("invalid_path", e.to_string()))?
                } else {
                    PatchPath::Attr(super::ast::AttrPath::new(k.clone()))
                };
                let PatchPath::Attr(p) = path else {
                    return Err(scim_error(
                        "invalid_path",
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
                return Err(scim_error(
                    "invalid_path",
                    format!(
                        "{} is not multi-valued; a [filter] needs a multi-valued attribute",
                        loc.name
                    ),
                ));
            }
            let sub = match sub_attr {
                Some(s) => Some(schema.canonical(Some(&loc.name), s).ok_or_else(|| {
                    scim_error(
                        "invalid_path",
                        format!("unknown attribute {}.{s}", loc.name),
                    )
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
fn merge_object(
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
) -> Result<(), Error> {
    let obj = container(root, loc.extension, true)
        .ok_or_else(|| scim_error("invalid_path", "the extension is not an object"))?;
    // The whole extension: merge its attributes.
    if loc.name.is_empty() {
        let Value::Object(values) = value else {
            return Err(scim_error(
                "invalid_value",
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
                scim_error("invalid_path", format!("unknown attribute {ext}:{k}"))
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
                    if v.get("primary").and_then(super::resource::lenient_bool) == Some(true) {
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
) -> Result<(), Error> {
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

/// The `attr eq "x"` comparisons of a conjunction, for creating the
/// element a `replace` with a value filter found missing.
fn equalities(f: &Filter, out: &mut Vec<(String, Value)>) -> bool {
    match f {
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value,
        } if path.uri.is_none() && path.sub_attr.is_none() => {
            let v = match value {
                CompValue::String(s) => Value::String(s.clone()),
                CompValue::Bool(b) => Value::Bool(*b),
                CompValue::Number(n) => Value::Number(n.clone()),
                CompValue::Null => return false,
            };
            out.push((path.name.clone(), v));
            true
        }
        Filter::And(parts) => parts.iter().all(|p| equalities(p, out)),
        _ => false,
    }
}

fn filtered(
    root: &mut Map<String, Value>,
    name: &str,
    filter: &Filter,
    sub: Option<&str>,
    kind: OpKind,
    value: Option<&Value>,
    schema: &dyn PatchSchema,
) -> Result<(), Error> {
    let key = key_of(root, name);
    let case_exact = |p: &super::ast::AttrPath| schema.case_exact(name, &p.name);
    let entry = root.entry(key).or_insert_with(|| Value::Array(Vec::new()));
    if !entry.is_array() {
        *entry = Value::Array(Vec::new());
    }
    let Value::Array(items) = entry else {
        return Ok(());
    };
    let hits: Vec<usize> = items
        .iter()
        .enumerate()
        .filter(|(_, it)| super::eval::matches(filter, it, &case_exact))
        .map(|(i, _)| i)
        .collect();
    match kind {
        OpKind::Remove => {
            if hits.is_empty() {
                return Ok(());
            }
            match sub {
                Some(s) => {
                    for i in hits {
                        if let Value::Object(o) = &mut items[i] {
                            let k = key_of(o, s);
                            o.remove(&k);
                        }
                    }
                }
                None => {
                    let mut i = 0;
                    items.retain(|_| {
                        let keep = !hits.contains(&i);
                        i += 1;
                        keep
                    });
                }
            }
            Ok(())
        }
        OpKind::Add | OpKind::Replace => {
            let value = value.cloned().unwrap_or(Value::Null);
            if hits.is_empty() {
                let mut eqs = Vec::new();
                if !equalities(filter, &mut eqs) {
                    return Err(scim_error(
                        "no_target",
                        format!("no value of {name} matches the filter"),
                    ));
                }
                let mut element = Map::new();
                for (k, v) in eqs {
                    let k = schema.canonical(Some(name), &k).unwrap_or(k);
                    element.insert(k, v);
                }
                match (sub, value) {
                    (Some(s), v) => {
                        element.insert(s.to_owned(), v);
                    }
                    (None, Value::Object(m)) => element.extend(m),
                    (None, _) => {
                        return Err(scim_error(
                            "invalid_value",
                            format!("the value for {name}[…] must be an object"),
                        ));
                    }
                }
                items.push(Value::Object(element));
                return Ok(());
            }
            for i in hits {
                match sub {
                    Some(s) => {
                        if let Value::Object(o) = &mut items[i] {
                            let k = key_of(o, s);
                            o.insert(k, value.clone());
                        }
                    }
                    None => match &value {
                        Value::Object(m) => merge_object(&mut items[i], m.clone(), name, schema),
                        _ => {
                            return Err(scim_error(
                                "invalid_value",
                                format!("the value for {name}[…] must be an object"),
                            ));
                        }
                    },
                }
            }
            Ok(())
        }
    }
}
