//! The SCIM 2.0 service provider at `/scim/v2/{tenant}` (RFC 7643, RFC
//! 7644): discovery, `/Users`, `/Groups`, `/.search` and `/Bulk`. Requests
//! are authenticated with the tenant's SCIM tokens
//! (`crate::extract::ScimClient`); every answer is `application/scim+json`,
//! errors are RFC 7644 §3.12 error bodies. The work is done by the same
//! services as the admin API's (`usher_core::service::scim`).

mod bulk;
mod discovery;
mod error;
mod groups;
mod projection;
mod reply;
mod request;
mod search;
mod users;

pub(crate) use error::{ScimError, ScimResult};

use crate::AppState;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use discovery::{
    discovery, get_resource_type, get_schema, get_service_provider_config, list_resource_types,
    list_schemas,
};

async fn unknown_endpoint() -> ScimError {
    ScimError::not_found("no such SCIM endpoint; see /ResourceTypes")
}

async fn method_not_allowed() -> ScimError {
    ScimError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        None,
        "this method is not allowed on this endpoint",
    )
}

/// The SCIM routes, nested under `/scim/v2/{tenant}`.
pub(crate) fn routes() -> Router<AppState> {
    let tenant = Router::new()
        .route("/Users", get(users::list_users).post(users::create_user))
        .route("/Users/.search", post(users::search_users))
        .route(
            "/Users/{id}",
            get(users::get_user)
                .put(users::replace_user)
                .patch(users::patch_user)
                .delete(users::delete_user),
        )
        .route(
            "/Groups",
            get(groups::list_groups).post(groups::create_group),
        )
        .route("/Groups/.search", post(groups::search_groups))
        .route(
            "/Groups/{id}",
            get(groups::get_group)
                .put(groups::replace_group)
                .patch(groups::patch_group)
                .delete(groups::delete_group),
        )
        .route("/.search", post(search::search_resources))
        .route("/Bulk", post(bulk::run_bulk_request))
        .route(
            "/ServiceProviderConfig",
            discovery(get_service_provider_config),
        )
        .route("/ResourceTypes", discovery(list_resource_types))
        .route("/ResourceTypes/{id}", discovery(get_resource_type))
        .route("/Schemas", discovery(list_schemas))
        .route("/Schemas/{id}", discovery(get_schema))
        .fallback(unknown_endpoint)
        .method_not_allowed_fallback(method_not_allowed);
    Router::new().nest("/scim/v2/{tenant}", tenant)
}
