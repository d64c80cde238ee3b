//! Usher's HTTP surfaces. [`router`] assembles every route with its
//! middleware; the same route table produces `/openapi.json`, so the
//! document cannot drift from what is served.

mod admin;
mod auth_api;
mod console;
mod docs;
mod error;
mod extract;
pub mod metrics;
mod ops;
mod pages;
mod paging;
pub mod schema;
mod scim;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::IntoResponse;
use metrics::Metrics;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use usher_core::error::ErrorCode;
use usher_core::service::Services;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub services: Services,
    pub metrics: Metrics,
}

fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(docs::ApiDoc::openapi())
        .merge(ops::routes())
        .merge(metrics::routes())
        .merge(admin::routes())
        .merge(auth_api::routes())
}

/// The OpenAPI document of every route, as served at `/openapi.json`.
pub fn openapi() -> serde_json::Value {
    let (_, doc) = api_routes().split_for_parts();
    docs::served(&doc)
}

/// The whole HTTP application. A request taking longer than
/// `request_timeout` (body included) is answered 408; it is inside the
/// counting and logging layers, so those see the 408 too.
pub fn router(state: AppState, request_timeout: Duration) -> Router {
    let metrics = state.metrics.clone();
    // Browsers that reached Usher over https stay on https (a year): only
    // when the address users see is https, or a plain-http installation
    // would be unreachable for browsers that once saw the header.
    let hsts = state.services.options().public_url.starts_with("https://");
    let (api, doc) = api_routes().split_for_parts();
    let doc_json = serde_json::to_string_pretty(&docs::served(&doc)).unwrap_or_default();
    let request_id = HeaderName::from_static("x-request-id");
    api.route(
        "/openapi.json",
        axum::routing::get(move || async move { ([(header::CONTENT_TYPE, "application/json")], doc_json) }),
    )
    .merge(pages::routes())
    .merge(scim::routes())
    .merge(console::routes())
    .fallback(|| async { error::ApiError::not_found_route().into_response() })
    .method_not_allowed_fallback(|| async { error::ApiError::method_not_allowed().into_response() })
    .with_state(state)
    .layer(TimeoutLayer::with_status_code(
        StatusCode::REQUEST_TIMEOUT,
        request_timeout,
    ))
    .layer(SetResponseHeaderLayer::if_not_present(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    ))
    .layer(axum::middleware::map_response(move |mut res: axum::response::Response| async move {
        if hsts {
            res.headers_mut()
                .insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
        }
        res
    }))
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
        error::ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::InternalError, "an internal error occurred")
            .into_response()
    }))
    .layer(PropagateRequestIdLayer::new(request_id.clone()))
    .layer(metrics::CountRequestsLayer::new(metrics))
    .layer(
        // The route template, never the path: a path can hold a link's
        // secret (`/t/{tenant}/invite/{token}`), and the query is not
        // logged either.
        TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
            tracing::info_span!("request", method = %req.method(), route = %metrics::route_of(req), request_id = %id)
        }),
    )
    .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// Methods the API answers; used by tests that walk the route table.
pub const METHODS: [Method; 4] = [Method::GET, Method::POST, Method::PATCH, Method::DELETE];
