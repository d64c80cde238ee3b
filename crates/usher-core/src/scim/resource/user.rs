//! The SCIM User resource (RFC 7643 §4.1) of an Usher user, and how a
//! tenant's custom attributes split between the two extensions.
//!
//! The mapping, both ways (`read_user` reads a body back):
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
//! | `roles` (`value`) | the tenant's own roles the user holds (see `roles`) |
//! | enterprise `employeeNumber`, `costCenter`, `organization`, `division`, `department` | the custom attribute of that name, where the tenant defines one |
//! | `urn:usher:params:scim:schemas:extension:2.0:User` | every other custom attribute |
//! | `meta.created`, `meta.lastModified`, `meta.version` | `created_at`, `updated_at`, `W/"<version>"` |
//!
//! Attributes of the core schema that Usher does not store (`displayName`,
//! `title`, `addresses`, `password`, …) are not advertised in `/Schemas`
//! and are ignored when a client sends them, as RFC 7644 §3.3 allows:
//! Entra ID and Okta send several of them whatever the schema says.

use super::{ENTERPRISE_URN, ROLES, USER_URN, USHER_USER_URN, rfc3339, roles_value, version_tag};
use crate::role::RoleName;
use crate::user::{User, UserState};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

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

/// The User resource of `user`, who holds the tenant's own roles `roles`,
/// with `meta.location` under `base` (the absolute URL of the tenant's
/// `/scim/v2/{tenant}`).
pub fn user_resource(
    user: &User,
    roles: &[RoleName],
    now: OffsetDateTime,
    base: &str,
    ext: &ExtensionNames,
) -> Value {
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
    if let Some(roles) = roles_value(roles) {
        r.insert(ROLES.into(), roles);
    }
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
