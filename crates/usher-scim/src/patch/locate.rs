//! Where a PATCH path points: the object that holds the attribute (the
//! resource or one of its extensions) and the attribute's canonical name,
//! or nothing for an attribute the service does not store.

use super::PatchErrorKind::{InvalidPath, Mutability};
use super::{PatchError, PatchSchema};
use crate::urn::{GROUP_URN, USER_URN};
use serde_json::{Map, Value};

/// Where a path points: the object holding the attribute, by its
/// extension URN (None for the core schema), and the attribute name.
pub(super) struct Location {
    pub(super) extension: Option<&'static str>,
    pub(super) name: String,
    pub(super) sub: Option<String>,
}

/// Where a path points, or `None` for an attribute the service does not store
/// (the operation is skipped).
pub(super) fn locate(
    uri: Option<&str>,
    name: &str,
    sub: Option<&str>,
    schema: &dyn PatchSchema,
) -> Result<Option<Location>, PatchError> {
    let ext =
        uri.filter(|u| !u.eq_ignore_ascii_case(USER_URN) && !u.eq_ignore_ascii_case(GROUP_URN));
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
) -> Result<Location, PatchError> {
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
        Some(u) if u.eq_ignore_ascii_case(USER_URN) || u.eq_ignore_ascii_case(GROUP_URN) => None,
        Some(u) => Some(
            schema
                .extensions()
                .into_iter()
                .find(|e| e.eq_ignore_ascii_case(u))
                .ok_or_else(|| PatchError::new(InvalidPath, format!("unknown schema {u}")))?,
        ),
    };
    let name = match extension {
        Some(ext) => schema
            .canonical(Some(ext), name)
            .ok_or_else(|| PatchError::new(InvalidPath, format!("unknown attribute {full}")))?,
        None => schema
            .canonical(None, name)
            .ok_or_else(|| PatchError::new(InvalidPath, format!("unknown attribute {full}")))?,
    };
    if extension.is_none() && schema.read_only(&name) {
        return Err(PatchError::new(Mutability, format!("{name} is read-only")));
    }
    let sub = match sub {
        Some(s) => Some(schema.canonical(Some(&name), s).ok_or_else(|| {
            PatchError::new(InvalidPath, format!("unknown attribute {name}.{s}"))
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
pub(super) fn container<'r>(
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
pub(super) fn key_of(obj: &Map<String, Value>, name: &str) -> String {
    obj.keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .unwrap_or_else(|| name.to_owned())
}
