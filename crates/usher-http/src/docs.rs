//! The served OpenAPI document: what utoipa generates from the handlers,
//! made precise where the handlers read parameters by hand. Every
//! constraint the server enforces on a parameter or a body field is
//! written into the document here, in one place, so that clients (and
//! schemathesis) know exactly what is valid.

use crate::error;
use serde_json::{Value, json};
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Usher", description = "Identity lifecycle service: the admin REST API."),
    modifiers(&BearerAuth),
    components(schemas(error::Problem, error::ProblemField)),
    tags(
        (name = "users", description = "Users and their lifecycle"),
        (name = "attributes", description = "Custom attribute definitions"),
        (name = "roles", description = "Roles and who holds them"),
        (name = "admins", description = "Admins as people: their login, second factor and session"),
        (name = "audit", description = "The audit log"),
        (name = "tenants", description = "Tenants and their settings"),
        (name = "mail", description = "The outbox of invitation and reset mails"),
        (name = "jobs", description = "Background work: mail deliveries, bulk runs, sweeps"),
        (name = "tokens", description = "API tokens: their expiry, last use and revocation"),
        (name = "auth", description = "End-user authentication"),
        (name = "groups", description = "Groups, kept by provisioning clients over SCIM"),
        (name = "bulk", description = "Bulk processes: one action over the users a CSV file names"),
        (name = "operations", description = "Health and readiness")
    )
)]
pub(crate) struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

const SLUG: &str = "^[a-z0-9][a-z0-9-]{0,62}$";
const ATTRIBUTE_NAME: &str = "^[A-Za-z0-9_]{1,30}$";
/// No control characters (the server refuses them in these fields).
const PRINTABLE: &str = "^[^\\x00-\\x1f\\x7f]*$";
const USER_STATES: [&str; 6] = [
    "not_invited",
    "pending_invitation",
    "expired_invitation",
    "active",
    "blocked",
    "disabled",
];

/// The schema of a path, query or header parameter.
fn parameter_schema(path: &str, location: &str, name: &str) -> Option<Value> {
    Some(match (location, name) {
        ("path", "tenant") => json!({"type": "string", "pattern": SLUG, "example": "default"}),
        ("path", "id") => json!({"type": "string", "format": "uuid"}),
        ("path", "name") => json!({"type": "string", "pattern": ATTRIBUTE_NAME}),
        ("query", "limit") => json!({"type": "integer", "minimum": 1, "maximum": 200}),
        ("query", "cursor") => {
            json!({"type": "string", "pattern": "^(last|[ab]\\.[A-Za-z0-9_-]*)$", "maxLength": 2048})
        }
        ("query", "state") if path.ends_with("/outbox") => {
            json!({"type": "string", "enum": ["queued", "sent", "failed"]})
        }
        ("query", "state") => json!({"type": "string", "enum": USER_STATES}),
        ("query", "archived" | "purge") => json!({"type": "string", "enum": ["true", "false"]}),
        ("query", "search") => {
            json!({"type": "string", "minLength": 2, "maxLength": 100, "pattern": "^[^\\x00-\\x1f\\x7f\\s]([^\\x00-\\x1f\\x7f]*[^\\x00-\\x1f\\x7f\\s])?$"})
        }
        ("query", "from" | "to") => json!({"type": "string", "format": "date-time"}),
        ("query", "actor" | "target" | "action") => {
            json!({"type": "string", "maxLength": 200, "pattern": PRINTABLE})
        }
        ("header", "If-Match") => json!({"type": "string", "pattern": "^(\\*|(W/)?\"[0-9]+\")$"}),
        _ => return None,
    })
}

/// Constraints of request body fields, by schema and field.
fn field_schema(schema: &str, field: &str) -> Option<Value> {
    let text = |max: u32| json!({"type": "string", "maxLength": max, "pattern": PRINTABLE});
    Some(match (schema, field) {
        (_, "email" | "personal_email") => {
            json!({"type": "string", "format": "email", "maxLength": 254})
        }
        (_, "first_name") => text(50),
        (_, "last_name") => text(100),
        (_, "phone") => json!({"type": "string", "pattern": "^\\+[1-9][0-9]{1,14}$"}),
        (_, "username") => {
            json!({"type": "string", "maxLength": 64, "pattern": "^[A-Za-z0-9._@+-]*$"})
        }
        (_, "language") => json!({"type": "string", "enum": ["en", "de", "fr"]}),
        (_, "external_id") => text(255),
        ("CreateTenantRequest", "slug") => json!({"type": "string", "pattern": SLUG}),
        ("CreateTenantRequest", "name") => text(200),
        ("CreateAttributeRequest", "name") => json!({"type": "string", "pattern": ATTRIBUTE_NAME}),
        ("CreateAttributeRequest", "label") => {
            json!({"type": "string", "minLength": 1, "maxLength": 120, "pattern": PRINTABLE})
        }
        ("CreateAttributeRequest", "max_length") => {
            json!({"type": "integer", "minimum": 1, "maximum": 1000})
        }
        ("UpdateSettingsRequest", "invitation_ttl_hours" | "reset_ttl_hours") => {
            json!({"type": "integer", "minimum": 1, "maximum": 2160})
        }
        ("UpdateSettingsRequest", "password_min_length") => {
            json!({"type": "integer", "minimum": 8, "maximum": 64})
        }
        ("UpdateSettingsRequest", "session_idle_timeout_hours") => {
            json!({"type": "integer", "minimum": 1, "maximum": 720})
        }
        ("UpdateSettingsRequest", "admin_idle_timeout_minutes") => {
            json!({"type": "integer", "minimum": 5, "maximum": 240})
        }
        ("UpdateSettingsRequest", "admin_session_hours") => {
            json!({"type": "integer", "minimum": 1, "maximum": 24})
        }
        ("UpdateSettingsRequest", "min_search_length") => {
            json!({"type": "integer", "minimum": 1, "maximum": 10})
        }
        ("UpdateSettingsRequest", "mfa") => {
            json!({"type": "string", "enum": ["optional", "required"]})
        }
        _ => return None,
    })
}

/// Request bodies refuse unknown fields.
const REQUEST_BODIES: [&str; 6] = [
    "CreateUserRequest",
    "UpdateUserRequest",
    "CreateAttributeRequest",
    "CreateTenantRequest",
    "UpdateSettingsRequest",
    "RedeemRequest",
];

/// The server treats an empty query value as an absent one.
fn or_empty(schema: Value) -> Value {
    json!({"anyOf": [schema, {"type": "string", "maxLength": 0}]})
}

/// The document as served: generated, then refined.
pub(crate) fn served(doc: &OpenApiDoc) -> Value {
    refine(serde_json::to_value(doc).unwrap_or_default())
}

/// Applies the constraints above to a generated document.
fn refine(mut doc: Value) -> Value {
    if let Some(paths) = doc["paths"].as_object_mut() {
        for (path, item) in paths.iter_mut() {
            let Some(ops) = item.as_object_mut() else {
                continue;
            };
            for op in ops.values_mut() {
                let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) else {
                    continue;
                };
                for p in params {
                    let (location, name) = (
                        p["in"].as_str().unwrap_or(""),
                        p["name"].as_str().unwrap_or(""),
                    );
                    if let Some(schema) = parameter_schema(path, location, name) {
                        p["schema"] = if location == "query" {
                            or_empty(schema)
                        } else {
                            schema
                        };
                    }
                }
            }
        }
    }
    if let Some(schemas) = doc["components"]["schemas"].as_object_mut() {
        for name in REQUEST_BODIES {
            let Some(schema) = schemas.get_mut(name) else {
                continue;
            };
            schema["additionalProperties"] = json!(false);
            let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
                continue;
            };
            for (field, prop) in props.iter_mut() {
                if let Some(mut refined) = field_schema(name, field) {
                    // Keep what utoipa knew (description, nullability).
                    if let (Some(r), Some(old)) = (refined.as_object_mut(), prop.as_object()) {
                        for key in ["description"] {
                            if let Some(v) = old.get(key) {
                                r.insert(key.to_owned(), v.clone());
                            }
                        }
                        // Settings cannot be unset; other optional fields can.
                        let nullable = old
                            .get("type")
                            .and_then(Value::as_array)
                            .is_some_and(|t| t.iter().any(|t| t == "null"));
                        if nullable && name != "UpdateSettingsRequest" {
                            let base = r.get("type").cloned().unwrap_or(json!("string"));
                            r.insert("type".into(), json!([base, "null"]));
                        }
                    }
                    *prop = refined;
                }
            }
        }
    }
    doc
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    #[test]
    fn no_two_operations_share_an_operation_id() {
        let doc = crate::openapi();
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                let here = format!("{} {path}", method.to_uppercase());
                let id = op["operationId"].as_str().unwrap_or_default();
                assert!(!id.is_empty(), "{here} has no operationId");
                if let Some(other) = seen.insert(id.to_owned(), here.clone()) {
                    panic!("operationId {id} names both {other} and {here}");
                }
            }
        }
        assert!(seen.len() > 50, "only {} operations were read", seen.len());
    }
}
