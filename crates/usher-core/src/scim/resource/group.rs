//! The SCIM Group resource (RFC 7643 §4.2) of an Usher group, and a Group
//! body read back into a group's fields.

use super::body::{check_schemas, elements, kind_of, string_at};
use super::{GROUP_URN, member, rfc3339, version_tag};
use crate::error::{Error, ErrorCode, ValidationErrors};
use crate::ids::UserId;
use serde_json::{Map, Value, json};

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
            ErrorCode::InvalidBody,
            "the body must be a JSON object (a SCIM Group resource)",
        ));
    };
    let mut errors = ValidationErrors::default();
    check_schemas(obj, &[GROUP_URN], GROUP_URN, &mut errors);
    let name = string_at(obj, "displayName", "displayName", &mut errors);
    let external_id = string_at(obj, "externalId", "externalId", &mut errors);
    let members: Vec<UserId> = elements(obj, "members", &mut errors)
        .into_iter()
        .filter(|m| kind_of(m).is_none_or(|k| k != "group"))
        .filter_map(|m| match member(m, "value") {
            Some(Value::String(s)) => s.trim().parse::<UserId>().ok(),
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
