//! `GET /metrics`: on the API address to a super-admin token unless
//! `USHER_METRICS=off` (then 404, as any unknown path); on the metrics
//! address of `USHER_METRICS_LISTEN` ([`listen_router`]) to anyone who can
//! reach that address. A scrape is not audited: it reads counts, no
//! record, and a scraper's every 15 seconds would bury the audit log.

use super::{ApiAccess, Metrics, text};
use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::SuperAdmin;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The route on the API address.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_metrics))
}

/// Metrics in the Prometheus text format.
///
/// Request counts and durations by route template, login and mail
/// outcomes, store gauges (docs/operations.md lists them). Served to a
/// super-admin token; `USHER_METRICS=off` turns it off (404).
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format, version 0.0.4", body = String,
            content_type = "text/plain; version=0.0.4; charset=utf-8"),
        (status = 401, description = "No valid token was sent", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token is not a super-admin's", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Metrics are off (USHER_METRICS=off)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable", body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_metrics(
    State(state): State<AppState>,
    admin: Result<SuperAdmin, ApiError>,
) -> ApiResult<Response> {
    if state.metrics.api_access() == ApiAccess::Off {
        return Err(ApiError::not_found_route());
    }
    admin?;
    Ok(scrape(&state.metrics).await)
}

async fn scrape(metrics: &Metrics) -> Response {
    let body = metrics.render().await;
    ([(header::CONTENT_TYPE, text::CONTENT_TYPE)], body).into_response()
}

/// The router of the metrics address: `GET /metrics` without a token,
/// every other path 404. Nothing else is served there, so that address can
/// be opened to a scraper without opening the API.
pub fn listen_router(metrics: Metrics) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(|State(m): State<Metrics>| async move { scrape(&m).await }),
        )
        .fallback(|| async { ApiError::not_found_route().into_response() })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed().into_response() })
        .with_state(metrics)
}
