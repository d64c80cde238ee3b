//! Who is calling. Authorization is a type: a handler that receives a
//! [`TenantAdmin`] may act on that tenant; one that receives a
//! [`SuperAdmin`] may act on all of them. The extractors decide, in this
//! order: no or unknown token → 401; a SCIM-only token → 403; a tenant the
//! token may not see, or that does not exist → 404 (the same answer either
//! way, so tenants cannot be discovered).

use crate::AppState;
use crate::error::ApiError;
use axum::extract::{ConnectInfo, FromRequestParts, RawPathParams};
use axum::http::header;
use axum::http::request::Parts;
use std::net::SocketAddr;
use usher_core::Error;
use usher_core::audit::{Actor, AuditContext};
use usher_core::error::Missing;
use usher_core::tenant::Tenant;
use usher_core::token::{ApiToken, TokenScope};

/// An authenticated admin token and the audit context of its request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub token: ApiToken,
    pub ctx: AuditContext,
}

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
pub fn request_context(parts: &Parts, state: &AppState, actor: Actor) -> AuditContext {
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

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let presented = bearer(parts).ok_or_else(ApiError::unauthorized)?;
        let token = state
            .services
            .authenticate_token(presented)
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        if token.scope != TokenScope::Admin {
            return Err(
                Error::Forbidden("this token may only call the SCIM endpoint".into()).into(),
            );
        }
        let ctx = request_context(parts, state, Actor::token(token.id, &token.name));
        Ok(Caller { token, ctx })
    }
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

/// An admin of the tenant named in the path.
#[derive(Debug, Clone)]
pub struct TenantAdmin {
    pub tenant: Tenant,
    pub ctx: AuditContext,
}

impl TenantAdmin {
    /// Records a request of this admin refused before the service read it
    /// (a bad body or query), and answers it.
    pub(crate) async fn refused(&self, state: &AppState, action: &str, e: Error) -> ApiError {
        state
            .services
            .refuse_request(&self.ctx, Some(&self.tenant), action, e)
            .await
            .into()
    }
}

impl FromRequestParts<AppState> for TenantAdmin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let slug = tenant_slug(parts, state).await?;
        let hidden = || ApiError::from(Error::NotFound(Missing::Tenant));
        let tenant = match state.services.find_tenant(&slug).await {
            Ok(t) => t,
            Err(Error::NotFound(_)) => return Err(hidden()),
            Err(e) => return Err(e.into()),
        };
        if caller.token.tenant_id.is_some_and(|t| t != tenant.id) {
            return Err(hidden());
        }
        Ok(TenantAdmin {
            tenant,
            ctx: caller.ctx,
        })
    }
}

/// A super-admin: a token bound to no tenant.
#[derive(Debug, Clone)]
pub struct SuperAdmin {
    pub ctx: AuditContext,
}

impl FromRequestParts<AppState> for SuperAdmin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        if !caller.token.is_super_admin() {
            return Err(
                Error::Forbidden("only a super-admin token may manage tenants".into()).into(),
            );
        }
        Ok(SuperAdmin { ctx: caller.ctx })
    }
}

/// An unauthenticated visitor (end-user pages and the auth API), with the
/// audit context of the request.
#[derive(Debug, Clone)]
pub struct Visitor(pub AuditContext);

impl FromRequestParts<AppState> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Visitor(request_context(parts, state, Actor::anonymous())))
    }
}
