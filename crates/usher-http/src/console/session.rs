//! The console's session: an admin session (the same `usher_adm_…` secret
//! that `/admin/login/mfa` answers as a bearer token) kept in an
//! `HttpOnly`, `SameSite=Strict` cookie whose path is the tenant's
//! console, so that no script can read it, no other site can send it, and
//! no other tenant's console sees it. The server ends it at the tenant's
//! idle and absolute timeouts like any admin session; the cookie itself
//! lasts as long as the browser does.
//!
//! Every console page finds its admin here: no cookie, or one the server
//! no longer honours, sends the browser to the sign-in page.

use crate::AppState;
use crate::extract::request_context;
use crate::pages::kit::{cookie, secure_attr, see_other};
use axum::http::request::Parts;
use axum::response::Response;
use usher_core::Error;
use usher_core::access;
use usher_core::audit::{Actor, AuditContext};
use usher_core::service::AdminPerson;
use usher_core::tenant::Tenant;

const COOKIE: &str = "usher_console";

/// The `Set-Cookie` value that keeps `secret` for the tenant's console.
pub(super) fn session_cookie(state: &AppState, slug: &str, secret: &str) -> String {
    format!(
        "{COOKIE}={secret}; Path=/console/{slug}/; HttpOnly; SameSite=Strict{}",
        secure_attr(state)
    )
}

/// The `Set-Cookie` value that removes it.
pub(super) fn cleared_cookie(state: &AppState, slug: &str) -> String {
    format!(
        "{COOKIE}=; Path=/console/{slug}/; Max-Age=0; HttpOnly; SameSite=Strict{}",
        secure_attr(state)
    )
}

/// The admin signed in to this console, with the audit context of the
/// request (naming the person, and their scope).
pub(crate) struct ConsoleAdmin {
    pub person: AdminPerson,
    pub ctx: AuditContext,
}

impl ConsoleAdmin {
    /// The admin of the request's cookie; `Ok(None)` without one the server
    /// still honours.
    pub(super) async fn of(
        state: &AppState,
        tenant: &Tenant,
        parts: &Parts,
    ) -> Result<Option<Self>, Error> {
        let Some(secret) = cookie(&parts.headers, COOKIE) else {
            return Ok(None);
        };
        let Some(person) = state.services.authenticate_admin(tenant, &secret).await? else {
            return Ok(None);
        };
        let actor = Actor::user(person.user.id, person.user.email.as_str());
        let mut ctx = request_context(parts, state, actor);
        ctx.scope = person.scope.clone();
        Ok(Some(Self { person, ctx }))
    }

    /// Whether the admin's roles allow the API call that a page shows or
    /// makes (`method`, the route as `access::ROUTES` writes it): the
    /// console allows exactly what the API would.
    pub(super) fn may(&self, method: &str, route: &str) -> bool {
        let allowed =
            access::permission_for(method, route).is_some_and(|p| self.person.roles.allow(p));
        let scoped_ok = self.person.scope.is_none() || access::open_to_scoped(method, route);
        allowed && scoped_ok
    }
}

/// Where a browser without a session goes.
pub(super) fn to_sign_in(slug: &str) -> Response {
    see_other(&format!("/console/{slug}/login"))
}
