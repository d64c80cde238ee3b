//! `POST /scim/v2/{tenant}/Bulk` (RFC 7644 §3.7): many operations on users
//! and groups in one request, each through the service of its own
//! endpoint.

use super::error::{ScimError, ScimResult};
use super::reply::scim_json;
use super::request::body_of;
use crate::AppState;
use crate::extract::{JsonBody, ScimClient, parse_if_match};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};
use std::collections::HashMap;
use usher_core::audit::AuditAction;
use usher_core::group::Group;
use usher_core::scim::resource::{
    BULK_REQUEST_URN, BULK_RESPONSE_URN, ERROR_URN, member, version_tag,
};
use usher_core::scim::schemas;
use usher_core::user::User;

/// One operation of a `/Bulk` request, as read.
struct BulkOp {
    method: String,
    path: String,
    bulk_id: Option<String>,
    version: Option<i64>,
    data: Option<Value>,
}

fn read_bulk(body: &Value) -> ScimResult<(Vec<BulkOp>, Option<usize>)> {
    let invalid = |d: String| ScimError::new(StatusCode::BAD_REQUEST, Some("invalidSyntax"), d);
    let Value::Object(o) = body else {
        return Err(invalid("the body must be a BulkRequest object".into()));
    };
    let schemas_ok = match member(o, "schemas") {
        Some(Value::Array(s)) => s.iter().any(|s| {
            s.as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case(BULK_REQUEST_URN))
        }),
        _ => false,
    };
    if !schemas_ok {
        return Err(invalid(format!("schemas must list {}", BULK_REQUEST_URN)));
    }
    let fail_on_errors = match member(o, "failOnErrors") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) if n.as_u64().is_some_and(|n| n >= 1) => {
            usize::try_from(n.as_u64().unwrap_or(1)).ok()
        }
        Some(_) => return Err(invalid("failOnErrors must be a positive integer".into())),
    };
    let Some(Value::Array(ops)) = member(o, "Operations") else {
        return Err(invalid("Operations must be an array".into()));
    };
    if ops.len() > schemas::BULK_MAX_OPERATIONS {
        return Err(ScimError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            Some("tooMany"),
            format!(
                "a bulk request may carry at most {} operations",
                schemas::BULK_MAX_OPERATIONS
            ),
        ));
    }
    let mut out = Vec::with_capacity(ops.len());
    for (i, op) in ops.iter().enumerate() {
        let n = i + 1;
        let Value::Object(op) = op else {
            return Err(invalid(format!("operation {n} is not an object")));
        };
        let method = member(op, "method")
            .and_then(Value::as_str)
            .map(str::to_ascii_uppercase)
            .filter(|m| matches!(m.as_str(), "POST" | "PUT" | "PATCH" | "DELETE"))
            .ok_or_else(|| {
                invalid(format!(
                    "operation {n}: method must be POST, PUT, PATCH or DELETE"
                ))
            })?;
        let path = member(op, "path")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| invalid(format!("operation {n}: path is required")))?;
        let bulk_id = member(op, "bulkId")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if method == "POST" && bulk_id.is_none() {
            return Err(invalid(format!("operation {n}: a POST needs a bulkId")));
        }
        let version = match member(op, "version").and_then(Value::as_str) {
            Some(v) => parse_if_match(v).map_err(ScimError::from)?,
            None => None,
        };
        let data = member(op, "data").cloned();
        if method != "DELETE" && data.is_none() {
            return Err(invalid(format!("operation {n}: {method} needs data")));
        }
        out.push(BulkOp {
            method,
            path,
            bulk_id,
            version,
            data,
        });
    }
    Ok((out, fail_on_errors))
}

/// Resolves `bulkId:<id>` segments of an operation's path.
fn resolve_path(path: &str, ids: &HashMap<String, String>) -> Result<String, String> {
    let mut out = Vec::new();
    for seg in path.split('/') {
        match seg.strip_prefix("bulkId:") {
            Some(r) => out.push(ids.get(r).cloned().ok_or_else(|| r.to_owned())?),
            None => out.push(seg.to_owned()),
        }
    }
    Ok(out.join("/"))
}

/// Replaces `bulkId:<id>` references with the ids created so far;
/// answers the first reference that is not resolved yet.
fn resolve_refs(v: &mut Value, ids: &HashMap<String, String>) -> Option<String> {
    match v {
        Value::String(s) => match s.strip_prefix("bulkId:") {
            Some(r) => match ids.get(r) {
                Some(id) => {
                    *s = id.clone();
                    None
                }
                None => Some(r.to_owned()),
            },
            None => None,
        },
        Value::Array(items) => items.iter_mut().find_map(|i| resolve_refs(i, ids)),
        Value::Object(o) => o.values_mut().find_map(|i| resolve_refs(i, ids)),
        _ => None,
    }
}

/// What one bulk operation did: its status, and the resource's location
/// and version (or the error body).
async fn run_bulk_op(
    state: &AppState,
    client: &ScimClient,
    op: &BulkOp,
    path: &str,
    data: Option<&Value>,
) -> Result<(StatusCode, String, i64), ScimError> {
    let s = &state.services;
    let (t, ctx) = (&client.tenant, &client.ctx);
    let mut parts = path.trim_start_matches('/').splitn(2, '/');
    let kind = parts.next().unwrap_or("");
    let id = parts.next();
    let null = Value::Null;
    let body = data.unwrap_or(&null);
    let user = |u: User| (format!("{}/Users/{}", client.base, u.id), u.version);
    let group = |g: Group| (format!("{}/Groups/{}", client.base, g.id), g.version);
    let (status, (location, version)) = match (op.method.as_str(), kind, id) {
        ("POST", "Users", None) => (
            StatusCode::CREATED,
            user(s.scim_create_user(t, ctx, body).await?),
        ),
        ("POST", "Groups", None) => (
            StatusCode::CREATED,
            group(s.create_group(t, ctx, body).await?),
        ),
        ("PUT", "Users", Some(id)) => (
            StatusCode::OK,
            user(s.scim_replace_user(t, ctx, id, op.version, body).await?),
        ),
        ("PUT", "Groups", Some(id)) => (
            StatusCode::OK,
            group(s.replace_group(t, ctx, id, op.version, body).await?),
        ),
        ("PATCH", "Users", Some(id)) => (
            StatusCode::OK,
            user(s.scim_patch_user(t, ctx, id, op.version, body).await?),
        ),
        ("PATCH", "Groups", Some(id)) => (
            StatusCode::OK,
            group(s.patch_group(t, ctx, id, op.version, body).await?),
        ),
        ("DELETE", "Users", Some(id)) => (
            StatusCode::NO_CONTENT,
            user(s.scim_delete_user(t, ctx, id, op.version).await?),
        ),
        ("DELETE", "Groups", Some(id)) => (
            StatusCode::NO_CONTENT,
            group(s.delete_group(t, ctx, id, op.version).await?),
        ),
        _ => {
            return Err(ScimError::new(
                StatusCode::BAD_REQUEST,
                Some("invalidPath"),
                format!(
                    "{} {path}: not an operation of /Bulk (POST /Users, PUT|PATCH|DELETE /Users/{{id}}, the same for /Groups)",
                    op.method
                ),
            ));
        }
    };
    Ok((status, location, version))
}

/// `POST /Bulk` (RFC 7644 §3.7): the operations in order, each through
/// the same service as on its own endpoint; `bulkId:` references to
/// resources created in the same request are resolved, in whatever order
/// they were given; after `failOnErrors` errors the rest are not run.
pub(super) async fn run_bulk_request(
    State(state): State<AppState>,
    client: ScimClient,
    body: JsonBody,
) -> ScimResult<Response> {
    let body = client
        .accept(&state, AuditAction::ScimBulk, body_of(body))
        .await?;
    let (ops, fail_on_errors) = client
        .accept(&state, AuditAction::ScimBulk, read_bulk(&body))
        .await?;
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut results: Vec<Option<Value>> = vec![None; ops.len()];
    let mut errors = 0usize;
    let mut pending: Vec<usize> = (0..ops.len()).collect();
    'passes: loop {
        let mut progressed = false;
        let mut waiting = Vec::new();
        for &i in &pending {
            let op = &ops[i];
            let mut data = op.data.clone();
            let path = resolve_path(&op.path, &ids);
            let unresolved = data.as_mut().and_then(|d| resolve_refs(d, &ids));
            let Ok(path) = path else {
                waiting.push(i);
                continue;
            };
            if unresolved.is_some() {
                waiting.push(i);
                continue;
            }
            progressed = true;
            let mut entry = json!({"method": op.method});
            if let Some(b) = &op.bulk_id {
                entry["bulkId"] = json!(b);
            }
            match run_bulk_op(&state, &client, op, &path, data.as_ref()).await {
                Ok((status, location, version)) => {
                    if let (Some(b), Some(id)) = (&op.bulk_id, location.rsplit('/').next()) {
                        ids.insert(b.clone(), id.to_owned());
                    }
                    entry["location"] = json!(location);
                    if status != StatusCode::NO_CONTENT {
                        entry["version"] = json!(version_tag(version));
                    }
                    entry["status"] = json!(status.as_u16().to_string());
                }
                Err(e) => {
                    errors += 1;
                    entry["status"] = json!(e.status().as_u16().to_string());
                    entry["response"] = e.body();
                }
            }
            results[i] = Some(entry);
            if fail_on_errors.is_some_and(|n| errors >= n) {
                break 'passes;
            }
        }
        pending = waiting;
        if pending.is_empty() || !progressed {
            break;
        }
    }
    // References that never resolved: to a bulkId no operation created.
    if fail_on_errors.is_none_or(|n| errors < n) {
        for &i in &pending {
            let op = &ops[i];
            let mut entry = json!({
                "method": op.method,
                "status": "409",
                "response": {
                    "schemas": [ERROR_URN],
                    "status": "409",
                    "scimType": "invalidValue",
                    "detail": "refers to a bulkId that no operation of this request created",
                },
            });
            if let Some(b) = &op.bulk_id {
                entry["bulkId"] = json!(b);
            }
            results[i] = Some(entry);
        }
    }
    let operations: Vec<Value> = results.into_iter().flatten().collect();
    Ok(scim_json(
        StatusCode::OK,
        &json!({
            "schemas": [BULK_RESPONSE_URN],
            "Operations": operations,
        }),
    ))
}
