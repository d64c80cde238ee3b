//! `/scim/v2/{tenant}/Users` and `/Users/.search`: users as SCIM resources,
//! through the same services as the admin API's users.

use super::error::ScimResult;
use super::reply::{not_modified_reply, user_list_reply, user_reply};
use super::request::{ListParams, accept_search, body_of, if_match, not_modified, query_of};
use crate::AppState;
use crate::extract::{JsonBody, ScimClient};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use usher_core::audit::AuditAction;

pub(super) async fn list_users(
    State(state): State<AppState>,
    client: ScimClient,
    Query(p): Query<ListParams>,
) -> ScimResult<Response> {
    let q = client
        .accept(&state, AuditAction::UserList, query_of(&p))
        .await?;
    let proj = p.projection();
    user_list_reply(&state, &client, &q, &proj).await
}

pub(super) async fn search_users(
    State(state): State<AppState>,
    client: ScimClient,
    body: JsonBody,
) -> ScimResult<Response> {
    let (q, proj) = accept_search(&state, &client, AuditAction::UserSearch, body).await?;
    user_list_reply(&state, &client, &q, &proj).await
}

pub(super) async fn create_user(
    State(state): State<AppState>,
    client: ScimClient,
    Query(p): Query<ListParams>,
    body: JsonBody,
) -> ScimResult<Response> {
    let body = client
        .accept(&state, AuditAction::UserCreate, body_of(body))
        .await?;
    let user = state
        .services
        .scim_create_user(&client.tenant, &client.ctx, &body)
        .await?;
    let proj = p.projection();
    user_reply(&state, &client, StatusCode::CREATED, &user, &proj).await
}

pub(super) async fn get_user(
    State(state): State<AppState>,
    client: ScimClient,
    Path((_, id)): Path<(String, String)>,
    Query(p): Query<ListParams>,
    headers: HeaderMap,
) -> ScimResult<Response> {
    let user = state
        .services
        .scim_get_user(&client.tenant, &client.ctx, &id)
        .await?;
    if not_modified(&headers, user.version) {
        return Ok(not_modified_reply(user.version));
    }
    let proj = p.projection();
    user_reply(&state, &client, StatusCode::OK, &user, &proj).await
}

pub(super) async fn replace_user(
    State(state): State<AppState>,
    client: ScimClient,
    Path((_, id)): Path<(String, String)>,
    Query(p): Query<ListParams>,
    headers: HeaderMap,
    body: JsonBody,
) -> ScimResult<Response> {
    let version = client
        .accept(&state, AuditAction::UserUpdate, if_match(&headers))
        .await?;
    let body = client
        .accept(&state, AuditAction::UserUpdate, body_of(body))
        .await?;
    let user = state
        .services
        .scim_replace_user(&client.tenant, &client.ctx, &id, version, &body)
        .await?;
    let proj = p.projection();
    user_reply(&state, &client, StatusCode::OK, &user, &proj).await
}

pub(super) async fn patch_user(
    State(state): State<AppState>,
    client: ScimClient,
    Path((_, id)): Path<(String, String)>,
    Query(p): Query<ListParams>,
    headers: HeaderMap,
    body: JsonBody,
) -> ScimResult<Response> {
    let version = client
        .accept(&state, AuditAction::UserUpdate, if_match(&headers))
        .await?;
    let body = client
        .accept(&state, AuditAction::UserUpdate, body_of(body))
        .await?;
    let user = state
        .services
        .scim_patch_user(&client.tenant, &client.ctx, &id, version, &body)
        .await?;
    let proj = p.projection();
    user_reply(&state, &client, StatusCode::OK, &user, &proj).await
}

pub(super) async fn delete_user(
    State(state): State<AppState>,
    client: ScimClient,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> ScimResult<Response> {
    let version = client
        .accept(&state, AuditAction::UserDelete, if_match(&headers))
        .await?;
    state
        .services
        .scim_delete_user(&client.tenant, &client.ctx, &id, version)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
