//! SCIM answers: `application/scim+json` bodies, one resource projected
//! with its ETag and Location, list responses, and 304s.

use super::error::ScimResult;
use super::projection::Projection;
use crate::AppState;
use crate::extract::{ScimClient, etag};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use usher_core::group::Group;
use usher_core::scim::resource::{LIST_URN, group_resource};
use usher_core::service::ScimQuery;
use usher_core::user::User;

const SCIM_JSON: &str = "application/scim+json; charset=utf-8";

pub(super) fn scim_json(status: StatusCode, body: &Value) -> Response {
    let text = serde_json::to_string(body).unwrap_or_else(|_| "{}".into());
    (status, [(header::CONTENT_TYPE, SCIM_JSON)], text).into_response()
}

/// A `ListResponse` (RFC 7644 §3.4.2).
pub(super) fn list_response(total: u64, start_index: u64, resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_URN],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

/// 304 for a GET whose `If-None-Match` names the current version.
pub(super) fn not_modified_reply(version: i64) -> Response {
    let mut res = StatusCode::NOT_MODIFIED.into_response();
    res.headers_mut().insert(header::ETAG, etag(version));
    res
}

/// One resource, projected, with its ETag (and its Location when created).
fn resource_reply(
    status: StatusCode,
    resource: Value,
    version: i64,
    proj: &Projection,
) -> Response {
    let location = resource["meta"]["location"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    let mut res = scim_json(status, &proj.apply(resource));
    res.headers_mut().insert(header::ETAG, etag(version));
    if status == StatusCode::CREATED
        && let Ok(v) = HeaderValue::from_str(&location)
    {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

pub(super) async fn user_reply(
    state: &AppState,
    client: &ScimClient,
    status: StatusCode,
    user: &User,
    proj: &Projection,
) -> ScimResult<Response> {
    let resource = state
        .services
        .scim_resource(&client.tenant, &client.base, user)
        .await?;
    Ok(resource_reply(status, resource, user.version, proj))
}

pub(super) fn group_reply(
    client: &ScimClient,
    status: StatusCode,
    group: &Group,
    proj: &Projection,
) -> Response {
    let resource = group_resource(group, &client.base);
    resource_reply(status, resource, group.version, proj)
}

pub(super) async fn user_list_reply(
    state: &AppState,
    client: &ScimClient,
    q: &ScimQuery,
    proj: &Projection,
) -> ScimResult<Response> {
    let page = state
        .services
        .scim_list_users(&client.tenant, &client.ctx, q)
        .await?;
    let resources: Vec<Value> = state
        .services
        .scim_resources(&client.tenant, &client.base, &page.users)
        .await?
        .into_iter()
        .map(|r| proj.apply(r))
        .collect();
    let body = list_response(page.total, page.start_index, resources);
    Ok(scim_json(StatusCode::OK, &body))
}

pub(super) async fn group_list_reply(
    state: &AppState,
    client: &ScimClient,
    q: &ScimQuery,
    proj: &Projection,
) -> ScimResult<Response> {
    let page = state
        .services
        .list_groups(&client.tenant, &client.ctx, q)
        .await?;
    let resources: Vec<Value> = page
        .groups
        .iter()
        .map(|g| proj.apply(group_resource(g, &client.base)))
        .collect();
    let body = list_response(page.total, page.start_index, resources);
    Ok(scim_json(StatusCode::OK, &body))
}
