//! Usher's HTTP surfaces. [`router`] assembles every route with its
//! middleware; the same route table produces `/openapi.json`, so the
//! document cannot drift from what is served.

mod attributes;
mod audit;
mod auth_api;
mod bulk;
mod docs;
pub mod error;
mod export;
mod extract;
mod factors;
mod groups;
mod i18n;
mod imports;
mod login_pages;
mod ops;
mod outbox;
mod pages;
mod paging;
pub mod schema;
mod scim;
mod sessions;
mod tenants;
mod users;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::response::IntoResponse;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use usher_core::service::Services;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub services: Services,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Usher", description = "Identity lifecycle service: the admin REST API."),
    modifiers(&BearerAuth),
    components(schemas(error::Problem, error::ProblemField)),
    tags(
        (name = "users", description = "Users and their lifecycle"),
        (name = "attributes", description = "Custom attribute definitions"),
        (name = "audit", description = "The audit log"),
        (name = "tenants", description = "Tenants and their settings"),
        (name = "mail", description = "The outbox of invitation and reset mails"),
        (name = "auth", description = "End-user authentication"),
        (name = "groups", description = "Groups, kept by provisioning clients over SCIM"),
        (name = "bulk", description = "Bulk processes: one action over the users a CSV file names"),
        (name = "operations", description = "Health and readiness")
    )
)]
struct ApiDoc;

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

fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(tenants::list_tenants, tenants::create_tenant))
        .routes(routes!(tenants::get_tenant))
        .routes(routes!(tenants::get_settings, tenants::update_settings))
        .routes(routes!(users::create_user, users::list_users))
        .routes(routes!(export::export_users))
        .routes(routes!(imports::import))
        .routes(routes!(
            users::get_user,
            users::update_user,
            users::delete_user
        ))
        .routes(routes!(users::block_user))
        .routes(routes!(users::unblock_user))
        .routes(routes!(users::disable_user))
        .routes(routes!(users::enable_user))
        .routes(routes!(users::archive_user))
        .routes(routes!(users::invite_user))
        .routes(routes!(
            attributes::list_attributes,
            attributes::create_attribute
        ))
        .routes(routes!(attributes::delete_attribute))
        .routes(routes!(audit::list_audit))
        .routes(routes!(users::reset_password))
        .routes(routes!(outbox::list_outbox))
        .routes(routes!(auth_api::accept_invitation))
        .routes(routes!(auth_api::complete_password_reset))
        .routes(routes!(sessions::login))
        .routes(routes!(sessions::refresh))
        .routes(routes!(sessions::logout))
        .routes(routes!(sessions::me))
        .routes(routes!(sessions::my_sessions))
        .routes(routes!(sessions::end_my_session))
        .routes(routes!(
            sessions::user_sessions,
            sessions::end_user_sessions
        ))
        .routes(routes!(sessions::end_user_session))
        .routes(routes!(factors::login_mfa))
        .routes(routes!(factors::login_enrol_totp))
        .routes(routes!(factors::enrol_totp))
        .routes(routes!(factors::confirm_totp))
        .routes(routes!(factors::recovery_codes))
        .routes(routes!(factors::user_factors))
        .routes(routes!(factors::delete_factor))
        .routes(routes!(factors::revoke_recovery_codes))
        .routes(routes!(bulk::upload, bulk::list))
        .routes(routes!(bulk::get))
        .routes(routes!(bulk::rows))
        .routes(routes!(bulk::start))
        .routes(routes!(bulk::cancel))
        .routes(routes!(groups::list_groups))
        .routes(routes!(groups::user_groups))
}

/// The OpenAPI document of every route, as served at `/openapi.json`.
pub fn openapi() -> serde_json::Value {
    let (_, doc) = api_routes().split_for_parts();
    docs::refine(serde_json::to_value(doc).unwrap_or_default())
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let (api, doc) = api_routes().split_for_parts();
    let doc_json =
        serde_json::to_string_pretty(&docs::refine(serde_json::to_value(doc).unwrap_or_default()))
            .unwrap_or_default();
    let request_id = HeaderName::from_static("x-request-id");
    api.route(
        "/openapi.json",
        axum::routing::get(move || async move { ([(header::CONTENT_TYPE, "application/json")], doc_json) }),
    )
    .merge(pages::routes())
    .merge(login_pages::routes())
    .merge(scim::routes())
    .fallback(|| async { error::ApiError::not_found_route().into_response() })
    .method_not_allowed_fallback(|| async {
        error::ApiError::new(
            axum::http::StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this method is not allowed on this resource",
        )
        .into_response()
    })
    .with_state(state)
    .layer(SetResponseHeaderLayer::if_not_present(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    ))
    .layer(SetResponseHeaderLayer::overriding(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ))
    .layer(SetResponseHeaderLayer::overriding(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    ))
    .layer(SetResponseHeaderLayer::overriding(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("DENY"),
    ))
    .layer(CatchPanicLayer::custom(|_| {
        tracing::error!("a request handler panicked");
        error::ApiError::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "an internal error occurred")
            .into_response()
    }))
    .layer(PropagateRequestIdLayer::new(request_id.clone()))
    .layer(
        TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }),
    )
    .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// Methods the API answers; used by tests that walk the route table.
pub const METHODS: [Method; 4] = [Method::GET, Method::POST, Method::PATCH, Method::DELETE];
