//! Operations whose path has a value filter (`emails[type eq "work"]`):
//! applied to the elements the filter matches, or creating the element a
//! `replace` names by equalities and does not find.

use super::PatchErrorKind::{InvalidValue, NoTarget};
use super::apply::merge_object;
use super::locate::key_of;
use super::{OpKind, PatchError, PatchSchema};
use crate::ast::{AttrPath, CompValue, CompareOp, Filter};
use crate::eval::matches;
use serde_json::{Map, Value};

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

/// `filter` with the strings `"True"` and `"False"` compared with
/// `primary` read as the booleans they stand for. Entra ID writes
/// `roles[primary eq "True"].value`; `primary` is a boolean (RFC 7643
/// §2.4), and the evaluator, strict about JSON types, would match nothing.
fn primary_as_boolean(f: &Filter) -> Filter {
    match f {
        Filter::And(parts) => Filter::And(parts.iter().map(primary_as_boolean).collect()),
        Filter::Or(parts) => Filter::Or(parts.iter().map(primary_as_boolean).collect()),
        Filter::Not(inner) => Filter::Not(Box::new(primary_as_boolean(inner))),
        Filter::Compare {
            path,
            op,
            value: CompValue::String(s),
        } if path.sub_attr.is_none() && path.name.eq_ignore_ascii_case("primary") => {
            match crate::lenient::lenient_bool(&Value::String(s.clone())) {
                Some(b) => Filter::Compare {
                    path: path.clone(),
                    op: *op,
                    value: CompValue::Bool(b),
                },
                None => f.clone(),
            }
        }
        other => other.clone(),
    }
}

pub(super) fn filtered(
    root: &mut Map<String, Value>,
    name: &str,
    filter: &Filter,
    sub: Option<&str>,
    kind: OpKind,
    value: Option<&Value>,
    schema: &dyn PatchSchema,
) -> Result<(), PatchError> {
    let key = key_of(root, name);
    let case_exact = |p: &AttrPath| schema.case_exact(name, &p.name);
    let filter = &primary_as_boolean(filter);
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
        .filter(|(_, it)| matches(filter, it, &case_exact))
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
                    return Err(PatchError::new(
                        NoTarget,
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
                        return Err(PatchError::new(
                            InvalidValue,
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
                            return Err(PatchError::new(
                                InvalidValue,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entras_string_booleans_compared_with_primary_are_booleans() {
        let f = Filter::parse(r#"primary eq "True" and type eq "True""#).unwrap();
        let want = Filter::parse(r#"primary eq true and type eq "True""#).unwrap();
        assert_eq!(primary_as_boolean(&f), want);
        let f = Filter::parse(r#"not (PRIMARY ne "false")"#).unwrap();
        let want = Filter::parse("not (PRIMARY ne false)").unwrap();
        assert_eq!(primary_as_boolean(&f), want);
    }
}
