//! A SCIM User body (POST, PUT, or the result of a PATCH) read as the
//! admin API's user fields, following the mapping of `user`, and
//! the admin API's field names in SCIM terms for the errors it answers.

use super::body::{check_schemas, element_value, elements, is_primary, kind_of, string_at};
use super::user::ExtensionNames;
use super::{
    ENTERPRISE_ATTRIBUTES, ENTERPRISE_URN, USER_URN, USHER_USER_URN, lenient_bool, member,
};
use crate::error::{Error, ErrorCode, ValidationErrors};
use serde_json::{Map, Value, json};

/// A SCIM User body read as the admin API's user fields.
#[derive(Debug, Clone, PartialEq)]
pub struct UserInput {
    /// The admin API's JSON fields (`email`, `first_name`, `attributes`…).
    /// For a replacement every field Usher maps is present, `null` where
    /// the body leaves it out.
    pub fields: Map<String, Value>,
    /// `active`, when the body says.
    pub active: Option<bool>,
    /// The role names `roles` gives, as written (checked against the
    /// tenant's roles by the service); none when the body has no `roles`.
    pub roles: Vec<String>,
}

/// Reads a whole User resource (POST, PUT, or the result of a PATCH) into
/// the admin API's fields. Every problem is named at once, with the SCIM
/// attribute it concerns.
pub fn read_user(body: &Value, ext: &ExtensionNames) -> Result<UserInput, Error> {
    let Value::Object(obj) = body else {
        return Err(Error::bad_request(
            ErrorCode::InvalidBody,
            "the body must be a JSON object (a SCIM User resource)",
        ));
    };
    let mut errors = ValidationErrors::default();
    check_schemas(obj, &ext.schemas(), USER_URN, &mut errors);
    let mut fields = Map::new();

    let user_name = string_at(obj, "userName", "userName", &mut errors)
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    if user_name.is_none() && !errors.0.iter().any(|e| e.field == "userName") {
        errors.add("userName", ErrorCode::Required, "is required");
    }

    // The login email: the primary email, else the work one, else the
    // first; a second address is the personal email.
    let emails = elements(obj, "emails", &mut errors);
    let mut with_value: Vec<&Map<String, Value>> = emails
        .iter()
        .copied()
        .filter(|e| element_value(e).is_some())
        .collect();
    if with_value.len() > 2 {
        errors.add(
            "emails",
            ErrorCode::TooManyEmails,
            "Usher keeps two addresses: the primary (work) email and one personal email",
        );
    }
    let main = with_value
        .iter()
        .position(|e| is_primary(e))
        .or_else(|| {
            with_value
                .iter()
                .position(|e| kind_of(e).as_deref() == Some("work"))
        })
        .or(if with_value.is_empty() { None } else { Some(0) });
    let main_email = main.map(|i| with_value.remove(i)).and_then(element_value);
    let personal = with_value.first().and_then(|e| element_value(e));

    match (&main_email, &user_name) {
        (Some(email), Some(u)) => {
            fields.insert("email".into(), json!(email));
            let same =
                crate::user::fields::fold_case(email.trim()) == crate::user::fields::fold_case(u);
            fields.insert("username".into(), if same { Value::Null } else { json!(u) });
        }
        (None, Some(u)) if u.contains('@') => {
            fields.insert("email".into(), json!(u));
            fields.insert("username".into(), Value::Null);
        }
        (None, Some(_)) => errors.add(
            "emails",
            ErrorCode::Required,
            "a user needs an email address: send emails, or a userName that is an email address",
        ),
        (_, None) => {}
    }
    fields.insert(
        "personal_email".into(),
        personal.map_or(Value::Null, Value::String),
    );

    let name = match member(obj, "name") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(n)) => n.clone(),
        Some(_) => {
            errors.add(
                "name",
                ErrorCode::InvalidType,
                "must be an object with givenName and familyName",
            );
            Map::new()
        }
    };
    let given = string_at(&name, "givenName", "name.givenName", &mut errors);
    let family = string_at(&name, "familyName", "name.familyName", &mut errors);
    fields.insert(
        "first_name".into(),
        given.map_or(Value::Null, Value::String),
    );
    fields.insert(
        "last_name".into(),
        family.map_or(Value::Null, Value::String),
    );

    let display = string_at(obj, "displayName", "displayName", &mut errors);
    fields.insert(
        "display_name".into(),
        display.map_or(Value::Null, Value::String),
    );

    let phones = elements(obj, "phoneNumbers", &mut errors);
    // Usher keeps one number: the primary one, else the mobile one (the
    // number a text message reaches), else the first. Entra ID sends its
    // work and mobile numbers as two values.
    let with_phone = || phones.iter().filter(|e| element_value(e).is_some());
    let phone = with_phone()
        .find(|e| is_primary(e))
        .or_else(|| with_phone().find(|e| kind_of(e).as_deref() == Some("mobile")))
        .or_else(|| with_phone().next())
        .and_then(|e| element_value(e));
    fields.insert("phone".into(), phone.map_or(Value::Null, Value::String));

    let external_id = string_at(obj, "externalId", "externalId", &mut errors);
    fields.insert(
        "external_id".into(),
        external_id.map_or(Value::Null, Value::String),
    );

    let active = match member(obj, "active") {
        None | Some(Value::Null) => None,
        Some(v) => match lenient_bool(v) {
            Some(b) => Some(b),
            None => {
                errors.add("active", ErrorCode::InvalidType, "must be true or false");
                None
            }
        },
    };

    let mut attributes = Map::new();
    for (_, name) in &ext.enterprise {
        attributes.insert(name.clone(), Value::Null);
    }
    for name in &ext.usher {
        attributes.insert(name.clone(), Value::Null);
    }
    if let Some(v) = member(obj, ENTERPRISE_URN) {
        match v {
            Value::Object(e) => {
                for (scim, name) in &ext.enterprise {
                    let field = format!("{ENTERPRISE_URN}:{scim}");
                    if let Some(s) = string_at(e, scim, &field, &mut errors) {
                        attributes.insert(name.clone(), json!(s));
                    }
                }
            }
            Value::Null => {}
            _ => errors.add(ENTERPRISE_URN, ErrorCode::InvalidType, "must be an object"),
        }
    }
    if let Some(v) = member(obj, USHER_USER_URN) {
        match v {
            Value::Object(own) => {
                for (k, val) in own {
                    let field = format!("{USHER_USER_URN}:{k}");
                    match ext.usher.iter().find(|n| n.eq_ignore_ascii_case(k)) {
                        Some(name) => match val {
                            Value::Null => {}
                            Value::String(s) => {
                                attributes.insert(name.clone(), json!(s));
                            }
                            _ => errors.add(field, ErrorCode::InvalidType, "must be a string"),
                        },
                        None => errors.add(
                            field,
                            ErrorCode::UnknownAttribute,
                            "is not a custom attribute of this tenant",
                        ),
                    }
                }
            }
            Value::Null => {}
            _ => errors.add(USHER_USER_URN, ErrorCode::InvalidType, "must be an object"),
        }
    }
    fields.insert("attributes".into(), Value::Object(attributes));
    let roles = super::roles::read_roles(obj, &mut errors);
    errors.into_result(UserInput {
        fields,
        active,
        roles,
    })
}

/// The admin API's field names in SCIM terms, for error messages.
pub fn scim_field(field: &str) -> String {
    match field {
        "email" => "emails".into(),
        "personal_email" => "emails".into(),
        "username" => "userName".into(),
        "first_name" => "name.givenName".into(),
        "display_name" => "displayName".into(),
        "last_name" => "name.familyName".into(),
        "phone" => "phoneNumbers".into(),
        "external_id" => "externalId".into(),
        f => match f.strip_prefix("attributes.") {
            Some(name) => ENTERPRISE_ATTRIBUTES
                .iter()
                .find(|e| e.eq_ignore_ascii_case(name))
                .map_or_else(
                    || format!("{USHER_USER_URN}:{name}"),
                    |e| format!("{ENTERPRISE_URN}:{e}"),
                ),
            None => f.to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ext() -> ExtensionNames {
        ExtensionNames::new(&["department".into(), "badge".into()])
    }

    #[test]
    fn user_name_that_is_the_email_leaves_the_username_unset() {
        let body = json!({
            "schemas": [USER_URN],
            "userName": "Ada@Example.com",
            "emails": [{"value": "ada@example.com", "type": "work", "primary": true}],
        });
        let input = read_user(&body, &ext()).unwrap();
        assert_eq!(input.fields["email"], json!("ada@example.com"));
        assert_eq!(input.fields["username"], Value::Null);
    }

    #[test]
    fn other_user_names_become_the_username() {
        let body = json!({
            "schemas": [USER_URN, ENTERPRISE_URN, USHER_USER_URN],
            "userName": "ada",
            "emails": [{"value": "home@example.org", "type": "home"}, {"value": "ada@example.com", "primary": "True"}],
            ENTERPRISE_URN: {"department": "R&D", "manager": {"value": "x"}},
            USHER_USER_URN: {"BADGE": "17"},
            "active": "False",
            "displayName": "ignored",
        });
        let input = read_user(&body, &ext()).unwrap();
        assert_eq!(input.fields["email"], json!("ada@example.com"));
        assert_eq!(input.fields["personal_email"], json!("home@example.org"));
        assert_eq!(input.fields["username"], json!("ada"));
        assert_eq!(
            input.fields["attributes"],
            json!({"department": "R&D", "badge": "17"})
        );
        assert_eq!(input.active, Some(false));
    }

    #[test]
    fn every_problem_is_named() {
        let body = json!({
            "userName": "ada",
            "name": "Ada",
            USHER_USER_URN: {"nope": "1"},
            "active": 3,
        });
        let Err(Error::Validation(e)) = read_user(&body, &ext()) else {
            panic!("expected a validation error");
        };
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "schemas",
                "emails",
                "name",
                "active",
                "urn:usher:params:scim:schemas:extension:2.0:User:nope"
            ]
        );
    }
}
