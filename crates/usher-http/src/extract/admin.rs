//! Admin callers. Authorization is a type: a handler that receives a
//! [`TenantAdmin`] may act on that tenant; one that receives a
//! [`SuperAdmin`] may act on all of them. The extractors decide, in this
//! order: no or unknown token → 401; a SCIM-only token → 403; a tenant the
//! token may not see, or that does not exist → 404 (the same answer either
//! way, so tenants cannot be discovered).

use super::request::{bearer, request_context, tenant_slug};
use crate::AppState;
use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use usher_core::Error;
use usher_core::audit::{Actor, AuditContext};
use usher_core::error::Missing;
use usher_core::tenant::Tenant;
use usher_core::token::{ApiToken, TokenScope};

/// An authenticated admin token and the audit context of its request.
#[derive(Debug, Clone)]
struct Caller {
    token: ApiToken,
    ctx: AuditContext,
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

/// An admin of the tenant named in the path.
#[derive(Debug, Clone)]
pub(crate) struct TenantAdmin {
    pub tenant: Tenant,
    pub ctx: AuditContext,
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
pub(crate) struct SuperAdmin {
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
