//! Admin callers. Authorization is a type: a handler that receives a
//! [`TenantAdmin`] may act on that tenant; one that receives a
//! [`SuperAdmin`] may act on all of them. An admin is an API token or a
//! person holding an admin session (`usher_adm_…`, from `/admin/login`).
//! The extractors decide, in this order: no or unknown credential → 401; a
//! SCIM-only token → 403; a tenant the caller may not see, or that does
//! not exist → 404 (the same answer either way, so tenants cannot be
//! discovered); a route the caller's admin roles do not allow → 403
//! `forbidden`, audited as `admin.forbidden`. The last is decided here,
//! for every tenant route, from [`usher_core::access::ROUTES`].

use super::request::{bearer, request_context, tenant_slug};
use crate::AppState;
use crate::error::ApiError;
use axum::extract::{FromRequestParts, MatchedPath, RawPathParams};
use axum::http::Method;
use axum::http::request::Parts;
use serde_json::json;
use usher_core::access::{self, Permission};
use usher_core::admin_session::{ADMIN_TOKEN_PREFIX, AdminRoles};
use usher_core::audit::{Actor, AuditAction, AuditContext};
use usher_core::error::Missing;
use usher_core::service::AdminPerson;
use usher_core::tenant::Tenant;
use usher_core::token::{ApiToken, TokenScope};
use usher_core::{Error, UserId};

/// An authenticated admin API token and the audit context of its request.
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
        let actor = Actor::token(token.id, &token.name).owned_by(token.owner_id);
        let ctx = request_context(parts, state, actor);
        Ok(Caller { token, ctx })
    }
}

/// An admin of the tenant named in the path, whose roles allow the route.
#[derive(Debug, Clone)]
pub(crate) struct TenantAdmin {
    pub tenant: Tenant,
    pub ctx: AuditContext,
    /// The roles the caller acts with; `None` for a super-admin, who may
    /// do everything a tenant admin may.
    pub roles: Option<AdminRoles>,
    /// The person, when the caller holds an admin session.
    pub person: Option<AdminPerson>,
}

impl TenantAdmin {
    /// Whether the caller holds `permission` (a super-admin holds all).
    pub fn may(&self, permission: Permission) -> bool {
        self.roles.is_none_or(|roles| roles.allow(permission))
    }
}

/// Refuses a route the caller's roles do not allow, auditing the refusal.
async fn authorize(
    parts: &Parts,
    state: &AppState,
    tenant: &Tenant,
    ctx: &AuditContext,
    roles: AdminRoles,
) -> Result<(), ApiError> {
    let route = parts
        .extensions
        .get::<MatchedPath>()
        .map(MatchedPath::as_str);
    let permission = route.and_then(|r| access::permission_for(parts.method.as_str(), r));
    if permission.is_some_and(|p| roles.allow(p)) {
        return Ok(());
    }
    let names = roles.names().join(", ");
    let message = format!("the role {names} may not make this call");
    Err(forbid(
        Refusal {
            parts,
            state,
            tenant,
            ctx,
            roles,
        },
        None,
        message,
    )
    .await)
}

/// A caller refused by [`authorize`] or [`protect_admins`].
struct Refusal<'a> {
    parts: &'a Parts,
    state: &'a AppState,
    tenant: &'a Tenant,
    ctx: &'a AuditContext,
    roles: AdminRoles,
}

/// The 403 `forbidden` of a refused call, audited as `admin.forbidden`
/// with the method, the route, the caller's roles and why.
async fn forbid(r: Refusal<'_>, reason: Option<&str>, message: String) -> ApiError {
    let route = r
        .parts
        .extensions
        .get::<MatchedPath>()
        .map(MatchedPath::as_str);
    let details = json!({
        "method": r.parts.method.as_str(),
        "route": route,
        "role": r.roles.names().join(", "),
        "reason": reason,
    });
    let action = AuditAction::AdminForbidden;
    r.state
        .services
        .refuse_with(
            r.ctx,
            Some(r.tenant),
            action,
            details,
            Error::Forbidden(message),
        )
        .await
        .into()
}

/// Refuses a change to a person who holds an admin role unless the caller
/// may configure the tenant: otherwise a `user_admin` could, say, change a
/// `tenant_admin`'s email and have a reset link sent there. Reads of such
/// a person, and changes to everyone else, pass.
async fn protect_admins(
    parts: &mut Parts,
    state: &AppState,
    tenant: &Tenant,
    ctx: &AuditContext,
    roles: AdminRoles,
) -> Result<(), ApiError> {
    let route = parts
        .extensions
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let on_a_user = route
        .as_deref()
        .is_some_and(|r| r.starts_with("/api/v1/tenants/{tenant}/users/{id}"));
    if parts.method == Method::GET || !on_a_user || roles.allow(Permission::Configure) {
        return Ok(());
    }
    let Ok(params) = RawPathParams::from_request_parts(parts, state).await else {
        return Ok(());
    };
    let target = params
        .iter()
        .find(|(k, _)| *k == "id")
        .and_then(|(_, v)| v.parse::<UserId>().ok());
    let Some(target) = target else {
        return Ok(());
    };
    if !state.services.is_admin(tenant, target).await? {
        return Ok(());
    }
    let message = "only a tenant_admin may change a person who holds an admin role".to_owned();
    let refusal = Refusal {
        parts,
        state,
        tenant,
        ctx,
        roles,
    };
    Err(forbid(refusal, Some("target_is_admin"), message).await)
}

/// The tenant of the path, or the 404 that hides whether it exists.
async fn path_tenant(parts: &mut Parts, state: &AppState) -> Result<Tenant, ApiError> {
    let slug = tenant_slug(parts, state).await?;
    match state.services.find_tenant(&slug).await {
        Ok(t) => Ok(t),
        Err(Error::NotFound(_)) => Err(Error::NotFound(Missing::Tenant).into()),
        Err(e) => Err(e.into()),
    }
}

impl FromRequestParts<AppState> for TenantAdmin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(presented) = bearer(parts).filter(|b| b.starts_with(ADMIN_TOKEN_PREFIX)) {
            let presented = presented.to_owned();
            let tenant = path_tenant(parts, state).await?;
            let person = state
                .services
                .authenticate_admin(&tenant, &presented)
                .await?
                .ok_or_else(ApiError::unauthorized)?;
            let actor = Actor::user(person.user.id, person.user.email.as_str());
            let ctx = request_context(parts, state, actor);
            authorize(parts, state, &tenant, &ctx, person.roles).await?;
            protect_admins(parts, state, &tenant, &ctx, person.roles).await?;
            return Ok(TenantAdmin {
                tenant,
                ctx,
                roles: Some(person.roles),
                person: Some(person),
            });
        }
        let caller = Caller::from_request_parts(parts, state).await?;
        let tenant = path_tenant(parts, state).await?;
        if caller.token.tenant_id.is_some_and(|t| t != tenant.id) {
            return Err(Error::NotFound(Missing::Tenant).into());
        }
        let roles =
            (!caller.token.is_super_admin()).then(|| AdminRoles::of([caller.token.tenant_role()]));
        if let Some(roles) = roles {
            authorize(parts, state, &tenant, &caller.ctx, roles).await?;
            protect_admins(parts, state, &tenant, &caller.ctx, roles).await?;
        }
        Ok(TenantAdmin {
            tenant,
            ctx: caller.ctx,
            roles,
            person: None,
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
        // A person's admin session belongs to one tenant: known, it is
        // refused like a tenant's token; unknown, like any unknown secret.
        if let Some(presented) = bearer(parts).filter(|b| b.starts_with(ADMIN_TOKEN_PREFIX)) {
            return Err(if state.services.is_admin_token(presented).await? {
                Error::Forbidden("only a super-admin token may make this call".into()).into()
            } else {
                ApiError::unauthorized()
            });
        }
        let caller = Caller::from_request_parts(parts, state).await?;
        if !caller.token.is_super_admin() {
            return Err(
                Error::Forbidden("only a super-admin token may manage tenants".into()).into(),
            );
        }
        Ok(SuperAdmin { ctx: caller.ctx })
    }
}
