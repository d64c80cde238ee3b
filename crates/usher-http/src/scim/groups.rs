//! `/scim/v2/{tenant}/Groups` and `/Groups/.search`: the groups provisioning
//! clients keep.

use super::error::ScimResult;
use super::reply::{group_list_reply, group_reply, not_modified_reply};
use super::request::{ListParams, accept_search, body_of, if_match, not_modified, query_of};
use crate::AppState;
use crate::extract::{JsonBody, ScimClient};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use usher_core::audit::AuditAction;

pub(super) async fn list_groups(
    State(state): State<AppState>,
    client: ScimClient,
    Query(p): Query<ListParams>,
) -> ScimResult<Response> {
    let q = client
        .accept(&state, AuditAction::GroupList, query_of(&p))
        .await?;
    let proj = p.projection();
    group_list_reply(&state, &client, &q, &proj).await
}

pub(super) async fn search_groups(
    State(state): State<AppState>,
    client: ScimClient,
    body: JsonBody,
) -> ScimResult<Response> {
    let (q, proj) = accept_search(&state, &client, AuditAction::GroupSearch, body).await?;
    group_list_reply(&state, &client, &q, &proj).await
}

pub(super) async fn create_group(
    State(state): State<AppState>,
    client: ScimClient,
    Query(p): Query<ListParams>,
    body: JsonBody,
) -> ScimResult<Response> {
    let body = client
        .accept(&state, AuditAction::GroupCreate, body_of(body))
        .await?;
    let group = state
        .services
        .create_group(&client.tenant, &client.ctx, &body)
        .await?;
    let proj = p.projection();
    Ok(group_reply(&client, StatusCode::CREATED, &group, &proj))
}

pub(super) async fn get_group(
    State(state): State<AppState>,
    client: ScimClient,
    Path((_, id)): Path<(String, String)>,
    Query(p): Query<ListParams>,
    headers: HeaderMap,
) -> ScimResult<Response> {
    let group = state
        .services
        .get_group(&client.tenant, &client.ctx, &id)
        .await?;
    if not_modified(&headers, group.version) {
        return Ok(not_modified_reply(group.version));
    }
    let proj = p.projection();
    Ok(group_reply(&client, StatusCode::OK, &group, &proj))
}

pub(super) async fn replace_group(
    State(state): State<AppState>,
    client: ScimClient,
    Path((_, id)): Path<(String, String)>,
    Query(p): Query<ListParams>,
    headers: HeaderMap,
    body: JsonBody,
) -> ScimResult<Response> {
    let version = client
        .accept(&state, AuditAction::GroupUpdate, if_match(&headers))
        .await?;
    let body = client
        .accept(&state, AuditAction::GroupUpdate, body_of(body))
        .await?;
    let group = state
        .services
        .replace_group(&client.tenant, &client.ctx, &id, version, &body)
        .await?;
    let proj = p.projection();
    Ok(group_reply(&client, StatusCode::OK, &group, &proj))
}

pub(super) async fn patch_group(
    State(state): State<AppState>,
    client: ScimClient,
    Path((_, id)): Path<(String, String)>,
    Query(p): Query<ListParams>,
    headers: HeaderMap,
    body: JsonBody,
) -> ScimResult<Response> {
    let version = client
        .accept(&state, AuditAction::GroupUpdate, if_match(&headers))
        .await?;
    let body = client
        .accept(&state, AuditAction::GroupUpdate, body_of(body))
        .await?;
    let group = state
        .services
        .patch_group(&client.tenant, &client.ctx, &id, version, &body)
        .await?;
    let proj = p.projection();
    Ok(group_reply(&client, StatusCode::OK, &group, &proj))
}

pub(super) async fn delete_group(
    State(state): State<AppState>,
    client: ScimClient,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> ScimResult<Response> {
    let version = client
        .accept(&state, AuditAction::GroupDelete, if_match(&headers))
        .await?;
    state
        .services
        .delete_group(&client.tenant, &client.ctx, &id, version)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
