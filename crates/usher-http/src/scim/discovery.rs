//! Discovery (RFC 7644 §4): `/ServiceProviderConfig`, `/ResourceTypes` and
//! `/Schemas`, with the tenant's custom attributes as an extension schema
//! and its roles as the values `roles` takes.
//! Read-only: every write method answers 405.

use super::error::{ScimError, ScimResult};
use super::reply::{list_response, scim_json};
use crate::AppState;
use crate::extract::ScimClient;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde_json::Value;
use usher_core::scim::schemas;

/// Every resource of a discovery list, in one page.
fn list_of(resources: Vec<Value>) -> Value {
    list_response(resources.len() as u64, 1, resources)
}

/// The item of a discovery list whose `id` is `id`, ignoring case.
fn find_by_id(items: Vec<Value>, id: &str) -> Option<Value> {
    items.into_iter().find(|item| {
        item["id"]
            .as_str()
            .is_some_and(|i| i.eq_ignore_ascii_case(id))
    })
}

pub(super) async fn get_service_provider_config(client: ScimClient) -> Response {
    scim_json(
        StatusCode::OK,
        &schemas::service_provider_config(&client.base),
    )
}

pub(super) async fn list_resource_types(
    State(state): State<AppState>,
    client: ScimClient,
) -> ScimResult<Response> {
    let ext = state.services.scim_extensions(&client.tenant).await?;
    Ok(scim_json(
        StatusCode::OK,
        &list_of(schemas::resource_types(&client.base, &ext)),
    ))
}

pub(super) async fn get_resource_type(
    State(state): State<AppState>,
    client: ScimClient,
    Path((_, id)): Path<(String, String)>,
) -> ScimResult<Response> {
    let ext = state.services.scim_extensions(&client.tenant).await?;
    find_by_id(schemas::resource_types(&client.base, &ext), &id)
        .map(|r| scim_json(StatusCode::OK, &r))
        .ok_or_else(|| ScimError::not_found("no resource type of this name; see /ResourceTypes"))
}

pub(super) async fn list_schemas(
    State(state): State<AppState>,
    client: ScimClient,
) -> ScimResult<Response> {
    let all = state
        .services
        .scim_schemas(&client.tenant, &client.base)
        .await?;
    Ok(scim_json(StatusCode::OK, &list_of(all)))
}

pub(super) async fn get_schema(
    State(state): State<AppState>,
    client: ScimClient,
    Path((_, id)): Path<(String, String)>,
) -> ScimResult<Response> {
    let all = state
        .services
        .scim_schemas(&client.tenant, &client.base)
        .await?;
    find_by_id(all, &id)
        .map(|s| scim_json(StatusCode::OK, &s))
        .ok_or_else(|| ScimError::not_found("no schema with this id; see /Schemas"))
}

async fn refuse_write() -> ScimError {
    ScimError::method_not_allowed()
}

/// A read-only discovery endpoint: every write method is 405.
pub(super) fn discovery<H, T>(h: H) -> axum::routing::MethodRouter<AppState>
where
    H: axum::handler::Handler<T, AppState>,
    T: 'static,
{
    get(h)
        .post(refuse_write)
        .put(refuse_write)
        .patch(refuse_write)
        .delete(refuse_write)
}
