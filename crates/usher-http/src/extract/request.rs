//! What every surface reads from a request before knowing who calls: the
//! bearer token, the `{tenant}` path segment, the audit context (client
//! address through trusted proxies, request id) and the client's user
//! agent. [`Visitor`] is the caller nobody authenticated.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::{ConnectInfo, FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use std::net::SocketAddr;
use usher_core::audit::{Actor, AuditContext};
use usher_core::service::ClientContext;

pub(crate) fn bearer(parts: &Parts) -> Option<&str> {
    let v = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty() && t.len() <= 512)
}

/// The audit context of a request: the client address (through trusted
/// proxies, see `usher_core::net`) and request id.
pub(crate) fn request_context(parts: &Parts, state: &AppState, actor: Actor) -> AuditContext {
    let mut ctx = AuditContext::new(actor);
    let proxies = &state.services.options().trusted_proxies;
    ctx.client_ip = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| {
        // The forwarded chain is read only when a proxy is configured: other
        // requests pay nothing for it.
        let forwarded = if proxies.is_empty() {
            None
        } else {
            let hops: Vec<&str> = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            (!hops.is_empty()).then(|| hops.join(","))
        };
        proxies.client(c.0.ip(), forwarded.as_deref()).to_string()
    });
    ctx.request_id = parts
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(100).collect());
    ctx
}

/// The `{tenant}` segment of the request's path.
pub(crate) async fn tenant_slug(parts: &mut Parts, state: &AppState) -> Result<String, ApiError> {
    let params = RawPathParams::from_request_parts(parts, state)
        .await
        .map_err(|_| ApiError::not_found_route())?;
    params
        .iter()
        .find(|(k, _)| *k == "tenant")
        .map(|(_, v)| v.to_owned())
        .ok_or_else(ApiError::not_found_route)
}

/// The cookie that marks a client which logged in before: the right
/// password from it passes an account's throttle delay.
pub(crate) const DEVICE_COOKIE: &str = "usher_device";

/// How long a device cookie is kept: the window in which a login makes a
/// client known.
const DEVICE_COOKIE_MAX_AGE: i64 = usher_core::service::KNOWN_CLIENT_WINDOW.whole_seconds();

/// The client a new session records (its user agent, parsed later) and the
/// device cookie it presents.
pub(crate) fn client_context(headers: &HeaderMap) -> ClientContext {
    ClientContext {
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        device: crate::pages::kit::cookie(headers, DEVICE_COOKIE).filter(|v| v.len() <= 128),
    }
}

/// The `Set-Cookie` value of a device cookie, for every answer that
/// finishes a login (the JSON API's and the pages').
pub(crate) fn device_cookie(state: &AppState, device: &usher_core::token::Secret) -> String {
    let secure = crate::pages::kit::secure_attr(state);
    format!(
        "{DEVICE_COOKIE}={}; Path=/; Max-Age={DEVICE_COOKIE_MAX_AGE}; HttpOnly; SameSite=Strict{secure}",
        device.expose()
    )
}

/// An unauthenticated visitor (end-user pages and the auth API), with the
/// audit context of the request.
#[derive(Debug, Clone)]
pub(crate) struct Visitor(pub AuditContext);

impl FromRequestParts<AppState> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Visitor(request_context(parts, state, Actor::anonymous())))
    }
}
