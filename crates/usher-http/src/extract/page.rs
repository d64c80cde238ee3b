//! What every login-family page (`/t/{tenant}/login`, `/mfa`, `/sessions`)
//! starts from: the tenant of its path and the visitor's language. Its
//! refusals are pages, not problem+json.

use super::request::tenant_slug;
use crate::AppState;
use crate::pages::{busy, negotiate, not_found};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::Response;
use usher_core::Error;
use usher_core::tenant::Tenant;
use usher_core::user::fields::Language;

/// The tenant of the page's path and the visitor's language. An unknown
/// tenant gets the not-found page instead.
#[derive(Debug, Clone)]
pub(crate) struct Page {
    pub tenant: Tenant,
    pub lang: Language,
}

impl FromRequestParts<AppState> for Page {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let lang = negotiate(&parts.headers);
        let slug = tenant_slug(parts, state)
            .await
            .map_err(|_| not_found(lang))?;
        match state.services.find_tenant(&slug).await {
            Ok(tenant) => Ok(Page { tenant, lang }),
            Err(Error::Store(e)) => Err(busy(lang, &e)),
            Err(_) => Err(not_found(lang)),
        }
    }
}
