//! The SCIM User resource (RFC 7643 §4.1) of an Usher user, and a SCIM
//! User body read back into the admin API's user fields.
//!
//! The mapping, both ways:
//!
//! | SCIM | Usher |
//! |---|---|
//! | `id` | `id` |
//! | `userName` | `username` where set, else `email` |
//! | `name.givenName`, `name.familyName` | `first_name`, `last_name` |
//! | `displayName` | `display_name` |
//! | `emails`: the `primary` (or `work`) one; a second one | `email` (shown with `type` `work`); `personal_email` (shown with `type` `home`) |
//! | `phoneNumbers[0].value` (the primary one) | `phone` (E.164) |
//! | `externalId` | `external_id` |
//! | `active` | `false` ⇔ `state` is `disabled` |
//! | enterprise `employeeNumber`, `costCenter`, `organization`, `division`, `department` | the custom attribute of that name, where the tenant defines one |
//! | `urn:usher:params:scim:schemas:extension:2.0:User` | every other custom attribute |
//! | `meta.created`, `meta.lastModified`, `meta.version` | `created_at`, `updated_at`, `W/"<version>"` |
//!
//! Attributes of the core schema that Usher does not store (`displayName`,
//! `title`, `addresses`, `password`, …) are not advertised in `/Schemas`
//! and are ignored when a client sends them, as RFC 7644 §3.3 allows:
//! Entra ID and Okta send several of them whatever the schema says.

use crate::error::{Error, ValidationErrors};
use crate::user::{User, UserState};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub use usher_scim::urn::{
    BULK_REQUEST_URN, BULK_RESPONSE_URN, ENTERPRISE_URN, ERROR_URN, GROUP_URN, LIST_URN, PATCH_URN,
    SEARCH_URN, USER_URN,
};
pub use usher_scim::{lenient_bool, member};

/// Usher's own extension, which shows every custom attribute the
/// enterprise extension does not.
pub const USHER_USER_URN: &str = "urn:usher:params:scim:schemas:extension:2.0:User";

/// The enterprise extension's string attributes Usher can keep, each in
/// the custom attribute of the same name (compared ignoring case).
pub const ENTERPRISE_ATTRIBUTES: [&str; 5] = [
    "employeeNumber",
    "costCenter",
    "organization",
    "division",
    "department",
];

/// How the custom attributes of a tenant split between the two extensions.
#[derive(Debug, Clone, Default)]
pub struct ExtensionNames {
    /// (SCIM name, custom attribute name) of the enterprise attributes the
    /// tenant defines.
    pub enterprise: Vec<(&'static str, String)>,
    /// The other custom attributes, shown in Usher's own extension.
    pub usher: Vec<String>,
}

impl ExtensionNames {
    /// Splits the tenant's attribute names.
    pub fn new(names: &[String]) -> Self {
        let mut out = Self::default();
        for n in names {
            match ENTERPRISE_ATTRIBUTES
                .iter()
                .find(|e| e.eq_ignore_ascii_case(n))
            {
                Some(e) => out.enterprise.push((e, n.clone())),
                None => out.usher.push(n.clone()),
            }
        }
        out.usher.sort();
        out
    }

    /// The schemas a User resource of this tenant may carry.
    pub fn schemas(&self) -> Vec<&'static str> {
        let mut s = vec![USER_URN];
        if !self.enterprise.is_empty() {
            s.push(ENTERPRISE_URN);
        }
        if !self.usher.is_empty() {
            s.push(USHER_USER_URN);
        }
        s
    }
}

pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// `W/"<version>"`, the ETag and `meta.version` of a resource.
pub fn version_tag(version: i64) -> String {
    format!("W/\"{version}\"")
}

/// The User resource of `user`, with `meta.location` under `base` (the
/// absolute URL of the tenant's `/scim/v2/{tenant}`).
pub fn user_resource(user: &User, now: OffsetDateTime, base: &str, ext: &ExtensionNames) -> Value {
    let mut r = Map::new();
    let mut schemas = vec![json!(USER_URN)];
    r.insert("id".into(), json!(user.id.to_string()));
    if let Some(x) = &user.external_id {
        r.insert("externalId".into(), json!(x.as_str()));
    }
    let user_name = match &user.username {
        Some(u) => u.as_str().to_owned(),
        None => user.email.as_str().to_owned(),
    };
    r.insert("userName".into(), json!(user_name));
    let mut name = Map::new();
    if let Some(g) = &user.first_name {
        name.insert("givenName".into(), json!(g.as_str()));
    }
    if let Some(f) = &user.last_name {
        name.insert("familyName".into(), json!(f.as_str()));
    }
    if !name.is_empty() {
        r.insert("name".into(), Value::Object(name));
    }
    if let Some(d) = &user.display_name {
        r.insert("displayName".into(), json!(d.as_str()));
    }
    // The login email is the primary one, but `primary` is not shown:
    // Usher cannot keep the flag a client sets on the address.
    let mut emails = vec![json!({"value": user.email.as_str(), "type": "work"})];
    if let Some(p) = &user.personal_email {
        emails.push(json!({"value": p.as_str(), "type": "home"}));
    }
    r.insert("emails".into(), Value::Array(emails));
    if let Some(p) = &user.phone {
        r.insert("phoneNumbers".into(), json!([{"value": p.as_str()}]));
    }
    r.insert(
        "active".into(),
        json!(user.state(now) != UserState::Disabled),
    );
    let mut enterprise = Map::new();
    for (scim, name) in &ext.enterprise {
        if let Some(v) = user.attributes.get(name) {
            enterprise.insert((*scim).to_owned(), json!(v));
        }
    }
    if !enterprise.is_empty() {
        schemas.push(json!(ENTERPRISE_URN));
        r.insert(ENTERPRISE_URN.into(), Value::Object(enterprise));
    }
    let mut own = Map::new();
    for name in &ext.usher {
        if let Some(v) = user.attributes.get(name) {
            own.insert(name.clone(), json!(v));
        }
    }
    if !own.is_empty() {
        schemas.push(json!(USHER_USER_URN));
        r.insert(USHER_USER_URN.into(), Value::Object(own));
    }
    r.insert(
        "meta".into(),
        json!({
            "resourceType": "User",
            "created": rfc3339(user.created_at),
            "lastModified": rfc3339(user.updated_at),
            "location": format!("{base}/Users/{}", user.id),
            "version": version_tag(user.version),
        }),
    );
    r.insert("schemas".into(), Value::Array(schemas));
    Value::Object(r)
}

/// A SCIM User body read as the admin API's user fields.
#[derive(Debug, Clone, PartialEq)]
pub struct UserInput {
    /// The admin API's JSON fields (`email`, `first_name`, `attributes`…).
    /// For a replacement every field Usher maps is present, `null` where
    /// the body leaves it out.
    pub fields: Map<String, Value>,
    /// `active`, when the body says.
    pub active: Option<bool>,
}

/// A string attribute of the body: absent and `null` are `None`.
fn string_at(
    obj: &Map<String, Value>,
    name: &str,
    field: &str,
    errors: &mut ValidationErrors,
) -> Option<String> {
    match member(obj, name) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(_) => {
            errors.add(field, "invalid_type", "must be a string");
            None
        }
    }
}

/// The elements of a multi-valued attribute: an array of objects (a single
/// object is read as an array of one, as some clients send it).
fn elements<'v>(
    obj: &'v Map<String, Value>,
    name: &str,
    errors: &mut ValidationErrors,
) -> Vec<&'v Map<String, Value>> {
    match member(obj, name) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            let mut out = Vec::new();
            for item in items {
                match item {
                    Value::Object(o) => out.push(o),
                    Value::Null => {}
                    _ => errors.add(
                        name,
                        "invalid_type",
                        "must be an array of objects with a value",
                    ),
                }
            }
            out
        }
        Some(Value::Object(o)) => vec![o],
        Some(_) => {
            errors.add(
                name,
                "invalid_type",
                "must be an array of objects with a value",
            );
            Vec::new()
        }
    }
}

fn element_value(e: &Map<String, Value>) -> Option<String> {
    match member(e, "value") {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        _ => None,
    }
}

fn is_primary(e: &Map<String, Value>) -> bool {
    member(e, "primary").and_then(lenient_bool) == Some(true)
}

fn kind_of(e: &Map<String, Value>) -> Option<String> {
    match member(e, "type") {
        Some(Value::String(s)) => Some(s.to_ascii_lowercase()),
        _ => None,
    }
}

/// Reads a whole User resource (POST, PUT, or the result of a PATCH) into
/// the admin API's fields. Every problem is named at once, with the SCIM
/// attribute it concerns.
pub fn read_user(body: &Value, ext: &ExtensionNames) -> Result<UserInput, Error> {
    let Value::Object(obj) = body else {
        return Err(Error::bad_request(
            "invalid_body",
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
        errors.add("userName", "required", "is required");
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
            "too_many_emails",
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
            "required",
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
                "invalid_type",
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
                errors.add("active", "invalid_type", "must be true or false");
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
            _ => errors.add(ENTERPRISE_URN, "invalid_type", "must be an object"),
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
                            _ => errors.add(field, "invalid_type", "must be a string"),
                        },
                        None => errors.add(
                            field,
                            "unknown_attribute",
                            "is not a custom attribute of this tenant",
                        ),
                    }
                }
            }
            Value::Null => {}
            _ => errors.add(USHER_USER_URN, "invalid_type", "must be an object"),
        }
    }
    fields.insert("attributes".into(), Value::Object(attributes));
    errors.into_result(UserInput { fields, active })
}

/// `schemas` must list the resource's core schema, and only schemas the
/// resource may carry.
pub(crate) fn check_schemas(
    obj: &Map<String, Value>,
    allowed: &[&str],
    core: &str,
    errors: &mut ValidationErrors,
) {
    match member(obj, "schemas") {
        Some(Value::Array(list)) => {
            let mut has_core = false;
            for s in list {
                match s.as_str() {
                    Some(s) if s.eq_ignore_ascii_case(core) => has_core = true,
                    Some(s) if allowed.iter().any(|a| a.eq_ignore_ascii_case(s)) => {}
                    // Entra ID and Okta list the enterprise extension even
                    // when they send none of its attributes.
                    Some(s) if s.eq_ignore_ascii_case(ENTERPRISE_URN) => {}
                    _ => errors.add(
                        "schemas",
                        "unknown_schema",
                        format!("lists a schema this resource does not have: {s}"),
                    ),
                }
            }
            if !has_core {
                errors.add("schemas", "required", format!("must list {core}"));
            }
        }
        None | Some(Value::Null) => errors.add("schemas", "required", format!("must list {core}")),
        Some(_) => errors.add("schemas", "invalid_type", "must be an array of schema URNs"),
    }
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

/// The Group resource of `group` (RFC 7643 §4.2): members as
/// `{value, $ref, type}` with `$ref` the member's `meta.location`.
pub fn group_resource(group: &crate::group::Group, base: &str) -> Value {
    let mut r = Map::new();
    r.insert("schemas".into(), json!([GROUP_URN]));
    r.insert("id".into(), json!(group.id.to_string()));
    if let Some(x) = &group.external_id {
        r.insert("externalId".into(), json!(x.as_str()));
    }
    r.insert("displayName".into(), json!(group.display_name.as_str()));
    if !group.members.is_empty() {
        let members: Vec<Value> = group
            .members
            .iter()
            .map(|m| json!({"value": m.to_string(), "$ref": format!("{base}/Users/{m}"), "type": "User"}))
            .collect();
        r.insert("members".into(), Value::Array(members));
    }
    r.insert(
        "meta".into(),
        json!({
            "resourceType": "Group",
            "created": rfc3339(group.created_at),
            "lastModified": rfc3339(group.updated_at),
            "location": format!("{base}/Groups/{}", group.id),
            "version": version_tag(group.version),
        }),
    );
    Value::Object(r)
}

/// Reads a whole Group resource (POST, PUT, or the result of a PATCH).
/// Members are users named by id in `value`; values that are no UUID, and
/// members of `type` `Group` (Usher has no nested groups), are left out
/// like ids of users that do not exist.
pub fn read_group(body: &Value) -> Result<crate::group::GroupInput, Error> {
    let Value::Object(obj) = body else {
        return Err(Error::bad_request(
            "invalid_body",
            "the body must be a JSON object (a SCIM Group resource)",
        ));
    };
    let mut errors = ValidationErrors::default();
    check_schemas(obj, &[GROUP_URN], GROUP_URN, &mut errors);
    let name = string_at(obj, "displayName", "displayName", &mut errors);
    let external_id = string_at(obj, "externalId", "externalId", &mut errors);
    let members: Vec<uuid::Uuid> = elements(obj, "members", &mut errors)
        .into_iter()
        .filter(|m| kind_of(m).is_none_or(|k| k != "group"))
        .filter_map(|m| match member(m, "value") {
            Some(Value::String(s)) => uuid::Uuid::parse_str(s.trim()).ok(),
            _ => None,
        })
        .collect();
    let input = crate::group::GroupInput::parse(
        name.as_deref(),
        external_id.as_deref(),
        members,
        &mut errors,
    );
    match input {
        Some(i) if errors.is_empty() => Ok(i),
        _ => Err(Error::Validation(errors)),
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
