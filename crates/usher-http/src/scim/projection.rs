//! `attributes` and `excludedAttributes` (RFC 7644 §3.9): which attributes
//! of a resource an answer shows, by attribute path, in the core schema or
//! an extension.

use serde_json::{Map, Value};
use usher_core::scim::PatchPath;
use usher_core::scim::resource::RETURNED_ON_REQUEST;

/// `attributes` / `excludedAttributes`: comma-separated attribute paths.
#[derive(Debug, Default, Clone)]
pub(super) struct Projection {
    pub attributes: Vec<String>,
    pub excluded: Vec<String>,
}

pub(super) fn split_list(v: Option<&str>) -> Vec<String> {
    v.map(|s| {
        s.split(',')
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect()
    })
    .unwrap_or_default()
}

/// Where an attribute path points in a resource: the extension object
/// (None for the core schema), the attribute, and its sub-attribute.
fn path_parts(path: &str) -> Option<(Option<String>, String, Option<String>)> {
    let Ok(PatchPath::Attr(p)) = PatchPath::parse(path) else {
        return None;
    };
    let uri = p.uri.clone();
    let is_core = |u: &str| {
        u.to_ascii_lowercase()
            .starts_with("urn:ietf:params:scim:schemas:core:")
    };
    match uri {
        Some(u) if !is_core(&u) => Some((Some(u), p.name, p.sub_attr)),
        _ => Some((None, p.name, p.sub_attr)),
    }
}

fn key_in(obj: &Map<String, Value>, name: &str) -> Option<String> {
    obj.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned()
}

/// The value `attributes=` keeps for one path: (the extension key holding
/// it, if any; the attribute's key; the value, cut to the sub-attribute).
fn pick(
    r: &Map<String, Value>,
    ext: Option<&str>,
    name: &str,
    sub: Option<&str>,
) -> Option<(Option<String>, String, Value)> {
    let (holder, src) = match ext {
        Some(u) => {
            let k = key_in(r, u)?;
            (Some(k.clone()), r.get(&k)?.as_object()?)
        }
        None => (None, r),
    };
    let k = key_in(src, name)?;
    let value = match (sub, &src[&k]) {
        (None, v) => v.clone(),
        (Some(s), Value::Object(o)) => {
            let sk = key_in(o, s)?;
            let mut m = Map::new();
            m.insert(sk.clone(), o[&sk].clone());
            Value::Object(m)
        }
        (Some(s), Value::Array(items)) => Value::Array(
            items
                .iter()
                .filter_map(|it| {
                    let o = it.as_object()?;
                    let sk = key_in(o, s)?;
                    let mut m = Map::new();
                    m.insert(sk.clone(), o[&sk].clone());
                    Some(Value::Object(m))
                })
                .collect(),
        ),
        (Some(_), _) => return None,
    };
    Some((holder, k, value))
}

impl Projection {
    /// Whether `attributes` names `attr.sub` itself (a `returned: "request"`
    /// sub-attribute is not shown for its attribute alone).
    fn asks_for(&self, attr: &str, sub: &str) -> bool {
        self.attributes.iter().any(|p| {
            matches!(path_parts(p), Some((None, n, Some(s)))
                if n.eq_ignore_ascii_case(attr) && s.eq_ignore_ascii_case(sub))
        })
    }

    pub(super) fn apply(&self, resource: Value) -> Value {
        let Value::Object(mut r) = resource else {
            return resource;
        };
        for (attr, sub) in RETURNED_ON_REQUEST {
            if self.asks_for(attr, sub) {
                continue;
            }
            if let Some(Value::Array(items)) = r.get_mut(attr) {
                for item in items.iter_mut().filter_map(Value::as_object_mut) {
                    item.remove(sub);
                }
            }
        }
        if !self.attributes.is_empty() {
            let mut out = Map::new();
            for k in ["schemas", "id"] {
                if let Some(v) = r.get(k) {
                    out.insert(k.to_owned(), v.clone());
                }
            }
            for path in &self.attributes {
                let Some((ext, name, sub)) = path_parts(path) else {
                    continue;
                };
                // A whole extension named by its URN.
                let full = match &ext {
                    Some(u) => format!("{u}:{name}"),
                    None => name.clone(),
                };
                if let Some(k) = key_in(&r, &full).filter(|_| full.contains(':')) {
                    out.insert(k.clone(), r[&k].clone());
                    continue;
                }
                let Some((holder, key, value)) = pick(&r, ext.as_deref(), &name, sub.as_deref())
                else {
                    continue;
                };
                let dst = match holder {
                    Some(h) => match out.entry(h).or_insert_with(|| Value::Object(Map::new())) {
                        Value::Object(o) => o,
                        _ => continue,
                    },
                    None => &mut out,
                };
                match (dst.get_mut(&key), value) {
                    (Some(Value::Object(have)), Value::Object(more)) => have.extend(more),
                    // Two sub-attributes of a multi-valued attribute
                    // (`roles.value,roles.display`): element by element.
                    (Some(Value::Array(have)), Value::Array(more)) if have.len() == more.len() => {
                        for (h, m) in have.iter_mut().zip(more) {
                            if let (Value::Object(h), Value::Object(m)) = (h, m) {
                                h.extend(m);
                            }
                        }
                    }
                    (_, value) => {
                        dst.insert(key, value);
                    }
                }
            }
            r = out;
        }
        for path in &self.excluded {
            let Some((ext, name, sub)) = path_parts(path) else {
                continue;
            };
            let full = match &ext {
                Some(u) => format!("{u}:{name}"),
                None => name.clone(),
            };
            if full.contains(':')
                && let Some(k) = key_in(&r, &full)
            {
                r.remove(&k);
                continue;
            }
            let holder = match &ext {
                Some(u) => match key_in(&r, u) {
                    Some(k) => match r.get_mut(&k) {
                        Some(Value::Object(o)) => o,
                        _ => continue,
                    },
                    None => continue,
                },
                None => &mut r,
            };
            let Some(k) = key_in(holder, &name) else {
                continue;
            };
            if matches!(k.as_str(), "id" | "schemas") {
                continue;
            }
            match sub {
                None => {
                    holder.remove(&k);
                }
                Some(s) => match holder.get_mut(&k) {
                    Some(Value::Object(o)) => {
                        if let Some(sk) = key_in(o, &s) {
                            o.remove(&sk);
                        }
                    }
                    Some(Value::Array(items)) => {
                        for it in items {
                            if let Value::Object(o) = it
                                && let Some(sk) = key_in(o, &s)
                            {
                                o.remove(&sk);
                            }
                        }
                    }
                    _ => {}
                },
            }
        }
        // Extensions emptied by the projection go, with their URN.
        let empty: Vec<String> = r
            .iter()
            .filter(|(k, v)| k.starts_with("urn:") && v.as_object().is_some_and(Map::is_empty))
            .map(|(k, _)| k.clone())
            .collect();
        for k in &empty {
            r.remove(k);
        }
        // `schemas` lists the core schema and the extensions still shown.
        let shown: Vec<String> = r
            .keys()
            .filter(|k| k.starts_with("urn:"))
            .cloned()
            .collect();
        if let Some(Value::Array(s)) = r.get_mut("schemas") {
            s.retain(|u| {
                u.as_str().is_some_and(|u| {
                    u.to_ascii_lowercase()
                        .starts_with("urn:ietf:params:scim:schemas:core:")
                        || shown.iter().any(|e| e == u)
                })
            });
        }
        Value::Object(r)
    }
}

pub(super) fn projection(attributes: Option<&str>, excluded: Option<&str>) -> Projection {
    Projection {
        attributes: split_list(attributes),
        excluded: split_list(excluded),
    }
}
