//! Reading SCIM JSON the way clients write it: member names in any case
//! (SCIM attribute names and URNs are case-insensitive), and booleans as
//! Entra ID sends them.

use serde_json::{Map, Value};

/// A member of a JSON object by case-insensitive name, the exact spelling
/// first.
pub fn member<'v>(obj: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    obj.get(name).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// A boolean as SCIM clients send it: `true`, or Entra ID's `"True"`.
pub fn lenient_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}
