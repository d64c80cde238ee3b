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

/// Refuses a request the caller's roles do not allow (see [`check_call`]),
/// reading from the request what the decision needs: the matched route,
/// and the user the path names when a scope or the admin guard needs it.
async fn authorize(
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
    // The user a route names matters only to a scoped caller, or to a
    // change by someone who may not configure the tenant; most calls skip
    // reading the path for it.
    let target = if ctx.scope.is_some() || guards_admins(&parts.method, roles) {
        target_user(parts, state, route.as_deref()).await
    } else {
        None
    };
    let method = parts.method.clone();
    let call = Call {
        method: &method,
        route: route.as_deref(),
        target,
    };
    Ok(check_call(state, tenant, ctx, roles, call).await?)
}

/// Whether a call by these roles must not change a person who holds an
/// admin role (see [`check_call`]).
fn guards_admins(method: &Method, roles: AdminRoles) -> bool {
    method != Method::GET && !roles.allow(Permission::Configure)
}

/// One call of the admin API to decide: its method, its route as
/// [`access::ROUTES`] writes it, and the user it names, if any. The
/// console decides each of its pages and actions as the API call it
/// stands for.
pub(crate) struct Call<'a> {
    pub method: &'a Method,
    pub route: Option<&'a str>,
    pub target: Option<UserId>,
}

/// Refuses, with 403 `forbidden` audited as `admin.forbidden`, a call the
/// caller's roles do not allow: a route outside them (see
/// [`access::ROUTES`]), a tenant-wide route called by an admin of a scope
/// (see [`access::open_to_scoped`]), or a change to a person who holds an
/// admin role by anyone but a tenant-wide `tenant_admin` — otherwise a
/// `user_admin` could, say, change a `tenant_admin`'s email and have a
/// reset link sent there. A user outside a scoped caller's scope is
/// `user_not_found`, as if there were no such user (audited with reason
/// `outside_scope`).
pub(crate) async fn check_call(
    state: &AppState,
    tenant: &Tenant,
    ctx: &AuditContext,
    roles: AdminRoles,
    call: Call<'_>,
) -> Result<(), Error> {
    let Call {
        method,
        route,
        target,
    } = call;
    let permission = route.and_then(|r| access::permission_for(method.as_str(), r));
    let scope = ctx.scope.as_ref();
    let names = roles.names().join(", ");
    let (reason, refusal) = if !permission.is_some_and(|p| roles.allow(p)) {
        let message = format!("the role {names} may not make this call");
        (None, Error::Forbidden(message))
    } else if scope.is_some() && !route.is_some_and(|r| access::open_to_scoped(method.as_str(), r))
    {
        let message = "an admin of a scope works on the users of the scope only";
        (Some("scoped_admin"), Error::Forbidden(message.into()))
    } else if let (Some(scope), Some(id)) = (scope, target)
        && !state.services.user_in_scope(tenant, id, scope).await?
    {
        (Some("outside_scope"), Error::NotFound(Missing::User))
    } else if *method != Method::GET
        && (guards_admins(method, roles) || scope.is_some())
        && let Some(id) = target
        && state.services.is_admin(tenant, id).await?
    {
        let message =
            "only a tenant_admin of the whole tenant may change a person who holds an admin role";
        (Some("target_is_admin"), Error::Forbidden(message.into()))
    } else {
        return Ok(());
    };
    let details = json!({
        "method": method.as_str(),
        "route": route,
        "role": names,
        "reason": reason,
        "user_id": target.map(|id| id.to_string()),
    });
    let action = AuditAction::AdminForbidden;
    Err(state
        .services
        .refuse_with(ctx, Some(tenant), action, details, refusal)
        .await)
}

/// The user a route on `/users/{id}…` names, when the id is one.
async fn target_user(parts: &mut Parts, state: &AppState, route: Option<&str>) -> Option<UserId> {
    let on_a_user = route.is_some_and(|r| r.starts_with("/api/v1/tenants/{tenant}/users/{id}"));
    if !on_a_user {
        return None;
    }
    let params = RawPathParams::from_request_parts(parts, state).await.ok()?;
    params
        .iter()
        .find(|(k, _)| *k == "id")
        .and_then(|(_, v)| v.parse::<UserId>().ok())
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
        let admin =
            if let Some(presented) = bearer(parts).filter(|b| b.starts_with(ADMIN_TOKEN_PREFIX)) {
                let presented = presented.to_owned();
                let tenant = path_tenant(parts, state).await?;
                let person = state
                    .services
                    .authenticate_admin(&tenant, &presented)
                    .await?
                    .ok_or_else(ApiError::unauthorized)?;
                let actor = Actor::user(person.user.id, person.user.email.as_str());
                let mut ctx = request_context(parts, state, actor);
                ctx.scope = person.scope.clone();
                TenantAdmin {
                    ctx,
                    tenant,
                    roles: Some(person.roles),
                    person: Some(person),
                }
            } else {
                let caller = Caller::from_request_parts(parts, state).await?;
                let tenant = path_tenant(parts, state).await?;
                if caller.token.tenant_id.is_some_and(|t| t != tenant.id) {
                    return Err(Error::NotFound(Missing::Tenant).into());
                }
                let token = &caller.token;
                // A token acts with its role on its scope: every rule of a
                // scoped admin (users outside are 404, tenant-wide routes
                // closed, blocks are quarantines) reads the scope from here.
                let mut ctx = caller.ctx;
                ctx.scope = token.admin_scope.clone();
                TenantAdmin {
                    roles: (!token.is_super_admin()).then(|| AdminRoles::of([token.tenant_role()])),
                    tenant,
                    ctx,
                    person: None,
                }
            };
        if let Some(roles) = admin.roles {
            authorize(parts, state, &admin.tenant, &admin.ctx, roles).await?;
        }
        Ok(admin)
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
