//! The SCIM client: a SCIM token of the tenant in the path. Its refusals
//! are SCIM error bodies (RFC 7644 §3.12), never problem+json.

use super::Audited;
use super::request::{bearer, request_context, tenant_slug};
use crate::AppState;
use crate::scim::{ScimError, ScimResult};
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use usher_core::Error;
use usher_core::audit::{Actor, AuditAction, AuditContext};
use usher_core::tenant::Tenant;
use usher_core::token::TokenScope;

/// A SCIM client: a SCIM token of the tenant in the path.
#[derive(Debug, Clone)]
pub(crate) struct ScimClient {
    pub tenant: Tenant,
    pub ctx: AuditContext,
    /// `{public_url}/scim/v2/{tenant}`, the base of `meta.location`.
    pub base: String,
}

impl ScimClient {
    /// What the handler read, or (when it could not be read) the refusal,
    /// audited as `action` and answered as a SCIM error.
    pub(crate) async fn accept<T>(
        &self,
        state: &AppState,
        action: AuditAction,
        read: ScimResult<T>,
    ) -> ScimResult<T> {
        let e = match read {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        let audited = Audited {
            ctx: &self.ctx,
            tenant: Some(&self.tenant),
        };
        match audited.refuse(state, action, e.to_domain()).await {
            Error::Store(s) => Err(Error::Store(s).into()),
            _ => Err(e),
        }
    }
}

impl FromRequestParts<AppState> for ScimClient {
    type Rejection = ScimError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let unauthorized = || {
            ScimError::new(
                StatusCode::UNAUTHORIZED,
                None,
                "send a SCIM token of this tenant as Authorization: Bearer <token>",
            )
        };
        let presented = bearer(parts).ok_or_else(unauthorized)?;
        let token = state
            .services
            .authenticate_token(presented)
            .await
            .map_err(ScimError::from)?
            .ok_or_else(unauthorized)?;
        let slug = tenant_slug(parts, state)
            .await
            .map_err(|_| ScimError::not_found("no such tenant"))?;
        let hidden = || ScimError::not_found("no such tenant");
        let tenant = match state.services.find_tenant(&slug).await {
            Ok(t) => t,
            Err(Error::NotFound(_)) => return Err(hidden()),
            Err(e) => return Err(e.into()),
        };
        // A token of another tenant learns nothing about this one.
        if token.tenant_id.is_some_and(|t| t != tenant.id) {
            return Err(hidden());
        }
        if token.scope != TokenScope::Scim {
            return Err(ScimError::new(
                StatusCode::FORBIDDEN,
                None,
                "this endpoint takes SCIM tokens (usher token create --tenant T --scim)",
            ));
        }
        let ctx = request_context(parts, state, Actor::token(token.id, &token.name));
        let base = format!(
            "{}/scim/v2/{}",
            state.services.options().public_url,
            tenant.slug
        );
        Ok(ScimClient { tenant, ctx, base })
    }
}
