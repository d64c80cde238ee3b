//! Reading JSON request bodies field by field, so that a request with five
//! bad fields is answered with five errors at once: wrong types, unknown
//! fields and read-only fields are collected next to the domain rules.

use crate::error::{ErrorCode, FieldError, ValidationErrors};
use serde_json::{Map, Value};

/// A field of a JSON merge patch (RFC 7396), or of a create body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Patch<T> {
    /// Not in the body: keep what is there.
    Absent,
    /// `null`, or an empty string for an optional text field: unset it.
    Null,
    Value(T),
}

impl<T> Patch<T> {
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Patch<U> {
        match self {
            Patch::Absent => Patch::Absent,
            Patch::Null => Patch::Null,
            Patch::Value(v) => Patch::Value(f(v)),
        }
    }

    pub fn is_absent(&self) -> bool {
        matches!(self, Patch::Absent)
    }

    /// The value to store when creating: absent and null both mean unset.
    pub fn into_option(self) -> Option<T> {
        match self {
            Patch::Value(v) => Some(v),
            _ => None,
        }
    }

    /// Applies the patch to a current optional value.
    pub fn apply_to(self, current: &mut Option<T>) {
        match self {
            Patch::Absent => {}
            Patch::Null => *current = None,
            Patch::Value(v) => *current = Some(v),
        }
    }
}

/// Takes the fields of one JSON object, recording every problem it meets.
#[derive(Debug)]
pub struct ObjectReader {
    obj: Map<String, Value>,
    prefix: String,
    pub errors: ValidationErrors,
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl ObjectReader {
    /// Starts reading `value`, which must be a JSON object.
    pub fn new(value: Value) -> Result<Self, ValidationErrors> {
        Self::nested(value, "")
    }

    /// Reads an object found at `prefix` (e.g. `attributes`).
    pub fn nested(value: Value, prefix: &str) -> Result<Self, ValidationErrors> {
        match value {
            Value::Object(obj) => Ok(Self {
                obj,
                prefix: prefix.to_owned(),
                errors: ValidationErrors::default(),
            }),
            other => Err(ValidationErrors::single(
                if prefix.is_empty() { "$" } else { prefix },
                ErrorCode::InvalidType,
                format!("must be a JSON object, not {}", type_name(&other)),
            )),
        }
    }

    pub fn path(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.prefix)
        }
    }

    fn wrong_type(&mut self, key: &str, expected: &str, got: &Value) {
        let field = self.path(key);
        self.errors.add(
            field,
            ErrorCode::InvalidType,
            format!("must be {expected}, not {}", type_name(got)),
        );
    }

    /// A text field. A string that is empty after trimming counts as `null`.
    pub fn string(&mut self, key: &str) -> Patch<String> {
        match self.obj.remove(key) {
            None => Patch::Absent,
            Some(Value::Null) => Patch::Null,
            Some(Value::String(s)) if s.trim().is_empty() => Patch::Null,
            Some(Value::String(s)) => Patch::Value(s),
            Some(other) => {
                self.wrong_type(key, "a string", &other);
                Patch::Absent
            }
        }
    }

    /// A required text field on create.
    pub fn required_string(&mut self, key: &str) -> Option<String> {
        match self.string(key) {
            Patch::Value(s) => Some(s),
            Patch::Null | Patch::Absent
                if self.errors.0.iter().any(|e| e.field == self.path(key)) =>
            {
                None
            }
            _ => {
                let field = self.path(key);
                self.errors.add(field, ErrorCode::Required, "is required");
                None
            }
        }
    }

    /// A boolean. Strings are not accepted: `"false"` is a type error.
    pub fn bool(&mut self, key: &str) -> Patch<bool> {
        match self.obj.remove(key) {
            None => Patch::Absent,
            Some(Value::Null) => Patch::Null,
            Some(Value::Bool(b)) => Patch::Value(b),
            Some(other) => {
                self.wrong_type(key, "true or false", &other);
                Patch::Absent
            }
        }
    }

    /// A whole number.
    pub fn integer(&mut self, key: &str) -> Patch<i64> {
        match self.obj.remove(key) {
            None => Patch::Absent,
            Some(Value::Null) => Patch::Null,
            Some(Value::Number(n)) if n.as_i64().is_some() => {
                Patch::Value(n.as_i64().unwrap_or_default())
            }
            // 74.0 is the whole number 74 (as JSON Schema has it).
            Some(Value::Number(n))
                if n.as_f64()
                    .is_some_and(|f| f.fract() == 0.0 && f.abs() < 9.0e15) =>
            {
                Patch::Value(n.as_f64().unwrap_or_default() as i64)
            }
            Some(other) => {
                self.wrong_type(key, "a whole number", &other);
                Patch::Absent
            }
        }
    }

    /// A nested object, returned whole for its own reader.
    pub fn object(&mut self, key: &str) -> Patch<Map<String, Value>> {
        match self.obj.remove(key) {
            None => Patch::Absent,
            Some(Value::Null) => Patch::Null,
            Some(Value::Object(m)) => Patch::Value(m),
            Some(other) => {
                self.wrong_type(key, "an object", &other);
                Patch::Absent
            }
        }
    }

    /// Fields clients may read but never write.
    pub fn read_only(&mut self, keys: &[&str]) {
        for key in keys {
            if self.obj.remove(*key).is_some() {
                let field = self.path(key);
                self.errors
                    .add(field, ErrorCode::ReadOnly, "is read-only and cannot be set");
            }
        }
    }

    pub fn push(&mut self, e: FieldError) {
        self.errors.push(e);
    }

    /// Records any field nobody took as unknown and answers every error.
    pub fn finish(mut self) -> ValidationErrors {
        let mut unknown: Vec<String> = self.obj.keys().cloned().collect();
        unknown.sort();
        for key in unknown {
            let field = self.path(&key);
            self.errors
                .add(field, ErrorCode::UnknownField, "is not a known field");
        }
        self.errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_problem_is_collected() {
        let mut r =
            ObjectReader::new(json!({"a": 1, "b": "x", "c": true, "zz": 1, "id": "1"})).unwrap();
        assert_eq!(r.string("a"), Patch::Absent);
        assert_eq!(r.string("b"), Patch::Value("x".into()));
        assert_eq!(r.integer("c"), Patch::Absent);
        assert!(r.required_string("missing").is_none());
        r.read_only(&["id"]);
        let errs = r.finish();
        let got: Vec<(&str, &str)> = errs
            .0
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("a", "invalid_type"),
                ("c", "invalid_type"),
                ("missing", "required"),
                ("id", "read_only"),
                ("zz", "unknown_field")
            ]
        );
    }

    #[test]
    fn a_required_field_of_the_wrong_type_is_reported_once() {
        let mut r = ObjectReader::new(json!({"email": 5})).unwrap();
        assert!(r.required_string("email").is_none());
        assert_eq!(r.finish().0.len(), 1);
    }

    #[test]
    fn blank_strings_mean_unset() {
        let mut r = ObjectReader::new(json!({"a": "   ", "b": null})).unwrap();
        assert_eq!(r.string("a"), Patch::Null);
        assert_eq!(r.string("b"), Patch::Null);
    }

    #[test]
    fn a_body_that_is_not_an_object_is_refused() {
        let e = ObjectReader::new(json!([1, 2])).unwrap_err();
        assert_eq!(e.0[0].code, "invalid_type");
    }
}
