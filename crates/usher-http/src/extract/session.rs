//! End-user callers of the auth API: [`SessionUser`] holds a session of the
//! tenant in the path (by session or access token); [`TenantVisitor`] is a
//! visitor whose tenant was found.

use super::request::{Visitor, bearer, request_context, tenant_slug};
use super::{Audited, AuditedCaller, JsonBody};
use crate::AppState;
use crate::error::{ApiError, ApiResult};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use usher_core::Error;
use usher_core::audit::{Actor, AuditAction, AuditContext};
use usher_core::service::{SessionCaller, invalid_token};
use usher_core::tenant::Tenant;

/// A user holding a session of the tenant in the path, by session or
/// access token.
#[derive(Debug, Clone)]
pub(crate) struct SessionUser {
    pub tenant: Tenant,
    pub caller: SessionCaller,
    pub ctx: AuditContext,
}

impl FromRequestParts<AppState> for SessionUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let rejected = || ApiError::from(invalid_token());
        let presented = bearer(parts).map(str::to_owned).ok_or_else(rejected)?;
        let slug = tenant_slug(parts, state).await?;
        let tenant = match state.services.find_tenant(&slug).await {
            Ok(t) => t,
            Err(Error::NotFound(_)) => return Err(rejected()),
            Err(e) => return Err(e.into()),
        };
        let caller = state
            .services
            .authenticate_session(&tenant, &presented)
            .await?;
        let actor = Actor::user(caller.user.id, caller.user.email.as_str());
        let ctx = request_context(parts, state, actor);
        Ok(SessionUser {
            tenant,
            caller,
            ctx,
        })
    }
}

impl AuditedCaller for SessionUser {
    fn audited(&self) -> Audited<'_> {
        Audited {
            ctx: &self.ctx,
            tenant: Some(&self.tenant),
        }
    }
}

/// A visitor of the auth API and the tenant of its path.
#[derive(Debug, Clone)]
pub(crate) struct TenantVisitor {
    pub tenant: Tenant,
    pub ctx: AuditContext,
}

impl TenantVisitor {
    /// The tenant named `slug`; an unknown one is refused, and audited as
    /// `action`, since the visitor asked for something there.
    pub(crate) async fn find(
        state: &AppState,
        visitor: Visitor,
        slug: &str,
        action: AuditAction,
    ) -> ApiResult<Self> {
        match state.services.find_tenant(slug).await {
            Ok(tenant) => Ok(Self {
                tenant,
                ctx: visitor.0,
            }),
            Err(e @ Error::NotFound(_)) => visitor.accept(state, action, Err(e)).await,
            Err(e) => Err(e.into()),
        }
    }

    /// [`Self::find`], and the body's required string fields `names`: the
    /// start of every call that a visitor makes with a small JSON body
    /// (a login, its second step, a refresh). Refusals are audited as
    /// `action`.
    pub(crate) async fn with_fields<const N: usize>(
        state: &AppState,
        visitor: Visitor,
        slug: &str,
        action: AuditAction,
        body: JsonBody,
        names: [&'static str; N],
    ) -> ApiResult<(Self, [String; N])> {
        let visitor = Self::find(state, visitor, slug, action).await?;
        let fields = visitor
            .accept(state, action, body.required_strings(names))
            .await?;
        Ok((visitor, fields))
    }
}

impl AuditedCaller for TenantVisitor {
    fn audited(&self) -> Audited<'_> {
        Audited {
            ctx: &self.ctx,
            tenant: Some(&self.tenant),
        }
    }
}
