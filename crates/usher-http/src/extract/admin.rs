//! Admin callers. Authorization is a type: a handler that receives a
//! [`TenantAdmin`] may act on that tenant; one that receives a
//! [`SuperAdmin`] may act on all of them. The extractors decide, in this
//! order: no or unknown token → 401; a SCIM-only token → 403; a tenant the
//! token may not see, or that does not exist → 404 (the same answer either
//! way, so tenants cannot be discovered); a route the caller's admin role
//! does not allow → 403 `forbidden`, audited as `admin.forbidden`. The
//! last is decided here, for every tenant route, from
//! [`usher_core::access::ROUTES`].

use super::request::{bearer, request_context, tenant_slug};
use crate::AppState;
use crate::error::ApiError;
use axum::extract::{FromRequestParts, MatchedPath};
use axum::http::request::Parts;
use serde_json::json;
use usher_core::Error;
use usher_core::access::{self, AdminRole, Permission};
use usher_core::audit::{Actor, AuditAction, AuditContext};
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

/// An admin of the tenant named in the path, whose role allows the route.
#[derive(Debug, Clone)]
pub(crate) struct TenantAdmin {
    pub tenant: Tenant,
    pub ctx: AuditContext,
    /// The role the caller acts with; `None` for a super-admin, who may do
    /// everything a tenant admin may.
    pub role: Option<AdminRole>,
}

impl TenantAdmin {
    /// Whether the caller holds `permission` (a super-admin holds all).
    pub fn may(&self, permission: Permission) -> bool {
        self.role.is_none_or(|role| role.allows(permission))
    }
}

/// Refuses a route the caller's role does not allow, auditing the refusal.
async fn authorize(
    parts: &Parts,
    state: &AppState,
    tenant: &Tenant,
    ctx: &AuditContext,
    role: AdminRole,
) -> Result<(), ApiError> {
    let route = parts
        .extensions
        .get::<MatchedPath>()
        .map(MatchedPath::as_str);
    let permission = route.and_then(|r| access::permission_for(parts.method.as_str(), r));
    if permission.is_some_and(|p| role.allows(p)) {
        return Ok(());
    }
    let refusal = Error::Forbidden(format!("the {role} role may not make this call"));
    let details = json!({
        "method": parts.method.as_str(),
        "route": route,
        "role": role.as_str(),
    });
    Err(state
        .services
        .refuse_with(
            ctx,
            Some(tenant),
            AuditAction::AdminForbidden,
            details,
            refusal,
        )
        .await
        .into())
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
        let role = (!caller.token.is_super_admin()).then(|| caller.token.tenant_role());
        if let Some(role) = role {
            authorize(parts, state, &tenant, &caller.ctx, role).await?;
        }
        Ok(TenantAdmin {
            tenant,
            ctx: caller.ctx,
            role,
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
