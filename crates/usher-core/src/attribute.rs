//! Custom attribute definitions: a tenant's own user fields (`department`,
//! `cost_center`), each with a label, a maximum length and an optional
//! pattern the whole value must match. Every write path validates values
//! through [`AttributeSet`].

use crate::error::{Error, ErrorCode, FieldError, ValidationErrors};
use crate::input::{ObjectReader, Patch};
use regex::{Regex, RegexBuilder};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use time::OffsetDateTime;

/// `^[A-Za-z0-9_]{1,30}$`, unique per tenant ignoring ASCII case (SCIM
/// attribute names are case-insensitive, and the SCIM extension carries them).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct AttributeName(String);

impl AttributeName {
    pub fn parse(field: &str, input: &str) -> Result<Self, FieldError> {
        let ok = (1..=30).contains(&input.len())
            && input
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if ok {
            Ok(Self(input.to_owned()))
        } else {
            Err(FieldError::new(
                field,
                ErrorCode::InvalidAttributeName,
                "must be 1 to 30 characters: letters, digits and underscore",
            ))
        }
    }

    pub fn from_stored(s: String) -> Self {
        Self(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key under which names are unique.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

/// One definition as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttributeDefinition {
    pub name: AttributeName,
    pub label: String,
    pub max_length: u16,
    pub regex: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// Upper bound on the compiled size of an admin-supplied pattern: the regex
/// crate matches in linear time, this bounds its memory.
const REGEX_SIZE_LIMIT: usize = 256 * 1024;
const REGEX_MAX_LEN: usize = 1000;

fn compile_whole_match(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(&format!(r"\A(?:{pattern})\z"))
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(_) => "the pattern is too large".to_owned(),
            other => format!("is not a valid regular expression: {other}"),
        })
}

/// A definition to create, parsed from `POST /attributes`.
#[derive(Debug, Clone)]
pub struct NewAttributeDefinition {
    pub name: AttributeName,
    pub label: String,
    pub max_length: u16,
    pub regex: Option<String>,
}

impl NewAttributeDefinition {
    pub fn from_json(body: Value) -> Result<Self, Error> {
        let mut r = ObjectReader::new(body).map_err(Error::Validation)?;
        let name = r
            .required_string("name")
            .and_then(|s| r.errors.take(AttributeName::parse("name", s.trim())));
        let label = r.required_string("label").map(|s| s.trim().to_owned());
        if let Some(l) = &label {
            if l.chars().count() > 120 {
                r.push(FieldError::new(
                    "label",
                    ErrorCode::TooLong,
                    "must be at most 120 characters",
                ));
            } else if l.chars().any(char::is_control) {
                r.push(FieldError::new(
                    "label",
                    ErrorCode::InvalidCharacters,
                    "must not contain control characters",
                ));
            }
        }
        let max_length = match r.integer("max_length") {
            Patch::Value(n) if (1..=1000).contains(&n) => n as u16,
            Patch::Value(_) => {
                r.push(FieldError::new(
                    "max_length",
                    ErrorCode::OutOfRange,
                    "must be between 1 and 1000",
                ));
                1000
            }
            _ => 1000,
        };
        let regex = r.string("regex").into_option();
        if let Some(p) = &regex {
            if p.contains('\0') {
                r.push(FieldError::new(
                    "regex",
                    ErrorCode::InvalidCharacters,
                    "must not contain NUL characters",
                ));
            } else if p.len() > REGEX_MAX_LEN {
                r.push(FieldError::new(
                    "regex",
                    ErrorCode::TooLong,
                    "must be at most 1000 characters",
                ));
            } else if let Err(msg) = compile_whole_match(p) {
                r.push(FieldError::new("regex", ErrorCode::InvalidRegex, msg));
            }
        }
        r.read_only(&["created_at"]);
        let errors = r.finish();
        match (name, label) {
            (Some(name), Some(label)) if errors.is_empty() => Ok(Self {
                name,
                label,
                max_length,
                regex,
            }),
            _ => Err(Error::Validation(errors)),
        }
    }
}

/// A tenant's definitions, compiled once per request for validating values.
#[derive(Debug, Default)]
pub struct AttributeSet {
    by_key: HashMap<String, (AttributeDefinition, Option<Regex>)>,
}

impl AttributeSet {
    pub fn new(defs: Vec<AttributeDefinition>) -> Self {
        let by_key = defs
            .into_iter()
            .map(|d| {
                // Stored patterns compiled when they were defined; a failure here
                // would mean a corrupted row, and then no value can match.
                let re = d.regex.as_deref().map(|p| {
                    compile_whole_match(p).unwrap_or_else(|_| {
                        Regex::new(r"[^\s\S]").unwrap_or_else(|_| unreachable!())
                    })
                });
                (d.name.key(), (d, re))
            })
            .collect();
        Self { by_key }
    }

    pub fn definitions(&self) -> impl Iterator<Item = &AttributeDefinition> {
        self.by_key.values().map(|(d, _)| d)
    }

    /// Validates one value given under `key`, answering the definition's own
    /// spelling of the name and the trimmed value.
    pub fn check(
        &self,
        field: &str,
        key: &str,
        value: &str,
    ) -> Result<(String, String), FieldError> {
        let Some((def, re)) = self.by_key.get(&key.to_ascii_lowercase()) else {
            return Err(FieldError::new(
                field,
                ErrorCode::UnknownAttribute,
                "no custom attribute of this name is defined",
            ));
        };
        let value = value.trim();
        if value.contains('\0') {
            return Err(FieldError::new(
                field,
                ErrorCode::InvalidCharacters,
                "must not contain NUL characters",
            ));
        }
        if value.chars().count() > usize::from(def.max_length) {
            return Err(FieldError::new(
                field,
                ErrorCode::TooLong,
                format!("must be at most {} characters", def.max_length),
            ));
        }
        if let Some(re) = re
            && !re.is_match(value)
        {
            return Err(FieldError::new(
                field,
                ErrorCode::PatternMismatch,
                format!(
                    "must match the pattern {}",
                    def.regex.as_deref().unwrap_or_default()
                ),
            ));
        }
        Ok((def.name.as_str().to_owned(), value.to_owned()))
    }

    /// Reads an `attributes` object into changes: `Some(value)` sets,
    /// `None` (null or empty string) removes. Errors are added to `errors`.
    pub fn read_changes(
        &self,
        obj: Map<String, Value>,
        errors: &mut ValidationErrors,
    ) -> BTreeMap<String, Option<String>> {
        let mut out = BTreeMap::new();
        for (key, v) in obj {
            let field = format!("attributes.{key}");
            let value = match v {
                Value::Null => None,
                Value::String(s) if s.trim().is_empty() => None,
                Value::String(s) => Some(s),
                other => {
                    errors.add(
                        field,
                        ErrorCode::InvalidType,
                        format!("must be a string, not {}", json_kind(&other)),
                    );
                    continue;
                }
            };
            match value {
                Some(s) => {
                    if let Some((name, value)) = errors.take(self.check(&field, &key, &s)) {
                        out.insert(name, Some(value));
                    }
                }
                None => match self.by_key.get(&key.to_ascii_lowercase()) {
                    Some((def, _)) => {
                        out.insert(def.name.as_str().to_owned(), None);
                    }
                    None => errors.add(
                        field,
                        ErrorCode::UnknownAttribute,
                        "no custom attribute of this name is defined",
                    ),
                },
            }
        }
        out
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
        _ => "a string",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(name: &str, max: u16, regex: Option<&str>) -> AttributeDefinition {
        AttributeDefinition {
            name: AttributeName::parse("name", name).unwrap(),
            label: name.into(),
            max_length: max,
            regex: regex.map(str::to_owned),
            created_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn names_are_alphanumeric_and_underscore_up_to_30() {
        assert!(AttributeName::parse("name", "cost_center_2").is_ok());
        assert!(AttributeName::parse("name", &"a".repeat(30)).is_ok());
        for bad in ["", "has-dash", "space d", &"a".repeat(31), "ümlaut"] {
            assert!(AttributeName::parse("name", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_pattern_must_match_the_whole_value() {
        let set = AttributeSet::new(vec![def("dept", 10, Some("[A-Z]{2}[0-9]+"))]);
        assert!(set.check("f", "dept", "HR42").is_ok());
        assert_eq!(
            set.check("f", "dept", "xHR42").unwrap_err().code,
            "pattern_mismatch"
        );
        assert_eq!(
            set.check("f", "dept", "HR42x").unwrap_err().code,
            "pattern_mismatch"
        );
        assert_eq!(
            set.check("f", "dept", "HR123456789").unwrap_err().code,
            "too_long"
        );
    }

    #[test]
    fn an_alternation_cannot_escape_the_anchors() {
        let set = AttributeSet::new(vec![def("a", 100, Some("x|y"))]);
        assert!(set.check("f", "a", "x").is_ok());
        assert!(set.check("f", "a", "xz").is_err());
        assert!(set.check("f", "a", "zy").is_err());
    }

    #[test]
    fn values_are_looked_up_ignoring_the_case_of_the_name() {
        let set = AttributeSet::new(vec![def("Department", 100, None)]);
        assert_eq!(
            set.check("f", "department", " Sales ").unwrap(),
            ("Department".into(), "Sales".into())
        );
        assert_eq!(
            set.check("f", "other", "x").unwrap_err().code,
            "unknown_attribute"
        );
    }

    #[test]
    fn length_counts_characters() {
        let set = AttributeSet::new(vec![def("a", 3, None)]);
        assert!(set.check("f", "a", "äöü").is_ok());
        assert!(set.check("f", "a", "äöüß").is_err());
    }

    #[test]
    fn definitions_are_validated_field_by_field() {
        let e = NewAttributeDefinition::from_json(
            json!({"name": "bad name", "max_length": 0, "regex": "(", "extra": 1}),
        )
        .unwrap_err();
        let Error::Validation(v) = e else { panic!() };
        let got: Vec<(&str, &str)> =
            v.0.iter()
                .map(|e| (e.field.as_str(), e.code.as_str()))
                .collect();
        assert_eq!(
            got,
            vec![
                ("name", "invalid_attribute_name"),
                ("label", "required"),
                ("max_length", "out_of_range"),
                ("regex", "invalid_regex"),
                ("extra", "unknown_field")
            ]
        );
        let ok = NewAttributeDefinition::from_json(json!({"name": "dept", "label": "Department"}))
            .unwrap();
        assert_eq!(ok.max_length, 1000);
    }

    #[test]
    fn a_huge_pattern_is_refused_not_compiled_forever() {
        let e = NewAttributeDefinition::from_json(
            json!({"name": "a", "label": "A", "regex": "(a{1,100}){1,100}"}),
        )
        .unwrap_err();
        let Error::Validation(v) = e else { panic!() };
        assert_eq!(v.0[0].code, "invalid_regex");
    }
}
