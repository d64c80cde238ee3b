//! The changes made from a tab of a user's page, one button or one short
//! form each: giving and taking a role, removing one second factor,
//! ending one session. Each posts to `/console/{tenant}/users/{id}/change`
//! with `op` and the item, is decided as the API call it stands for
//! (roles, scope and the guard on other admins, refusals audited) and done
//! through the same service; the browser goes back to the tab. The
//! service's own guards hold: the last authenticator app is never removed
//! alone, a built-in admin role is given only by a tenant-wide
//! `tenant_admin`.

use super::page::{ConsolePage, error_page};
use crate::AppState;
use crate::pages::kit::{csrf_field, esc, field, form_fields, hidden_field, see_other};
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::Method;
use axum::response::Response;
use usher_core::Error;
use usher_core::access::Permission;

/// A change one tab offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    AssignRole,
    RemoveRole,
    RemoveFactor,
    EndSession,
}

impl Op {
    fn parse(s: &str) -> Option<Self> {
        [
            Op::AssignRole,
            Op::RemoveRole,
            Op::RemoveFactor,
            Op::EndSession,
        ]
        .into_iter()
        .find(|o| o.name() == s)
    }

    fn name(self) -> &'static str {
        match self {
            Op::AssignRole => "assign_role",
            Op::RemoveRole => "remove_role",
            Op::RemoveFactor => "remove_factor",
            Op::EndSession => "end_session",
        }
    }

    /// The admin API call the change is.
    pub(super) fn call(self) -> (Method, &'static str) {
        match self {
            Op::AssignRole => (
                Method::PUT,
                "/api/v1/tenants/{tenant}/users/{id}/roles/{role}",
            ),
            Op::RemoveRole => (
                Method::DELETE,
                "/api/v1/tenants/{tenant}/users/{id}/roles/{role}",
            ),
            Op::RemoveFactor => (
                Method::DELETE,
                "/api/v1/tenants/{tenant}/users/{id}/factors/{fid}",
            ),
            Op::EndSession => (
                Method::DELETE,
                "/api/v1/tenants/{tenant}/users/{id}/sessions/{sid}",
            ),
        }
    }

    /// The tab the browser goes back to.
    fn tab(self) -> &'static str {
        match self {
            Op::AssignRole | Op::RemoveRole => "roles",
            Op::RemoveFactor => "factors",
            Op::EndSession => "sessions",
        }
    }
}

/// A one-button form for `op` on `item` (a role name, a factor or session
/// id), labelled `label` and, for screen readers, `about`.
pub(super) fn button(
    page: &ConsolePage,
    user: &str,
    op: Op,
    item: &str,
    label: &str,
    about: &str,
) -> String {
    format!(
        "<form method=\"post\" action=\"/console/{}/users/{user}/change\" class=\"inline\">{}{}{}\
         <button type=\"submit\" class=\"small\" aria-label=\"{} {}\">{}</button></form>",
        esc(page.tenant.slug.as_str()),
        csrf_field(&page.csrf),
        hidden_field("op", op.name()),
        hidden_field("item", item),
        esc(label),
        esc(about),
        esc(label),
    )
}

/// The form that gives a role by name.
pub(super) fn assign_form(page: &ConsolePage, user: &str, label: &str, submit: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/console/{}/users/{user}/change\" class=\"filters\">{}{}\
         <div><label for=\"item\">{}</label><input id=\"item\" name=\"item\" required maxlength=\"64\"></div>\
         <button type=\"submit\">{}</button></form>",
        esc(page.tenant.slug.as_str()),
        csrf_field(&page.csrf),
        hidden_field("op", Op::AssignRole.name()),
        esc(label),
        esc(submit),
    )
}

pub(super) async fn change(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, 16 * 1024).await.unwrap_or_default();
    let fields = form_fields(&bytes);
    let (page, user) =
        match ConsolePage::open_user(&state, Request::from_parts(parts, Body::empty())).await {
            Ok(found) => found,
            Err(res) => return res,
        };
    let Some(op) = Op::parse(field(&fields, "op")) else {
        let message = "the form names no change the console makes";
        let e = Error::bad_request(usher_core::error::ErrorCode::InvalidParameter, message);
        return error_page(&state, &page, e);
    };
    let (method, route) = op.call();
    let refused = page.post_refusal(&state, &fields, &method, route, Some(user.id));
    if let Some(res) = refused.await {
        return res;
    }
    let item = field(&fields, "item").trim();
    let (services, tenant, ctx, id) = (
        &state.services,
        &page.tenant,
        &page.admin.ctx,
        user.id.to_string(),
    );
    // Built-in admin roles are for tenant-wide admins to give, as in the API.
    let grants = page.admin.person.roles.allow(Permission::Configure) && ctx.scope.is_none();
    let done = match op {
        Op::AssignRole => services
            .assign_role(tenant, ctx, &id, item, grants)
            .await
            .map(drop),
        Op::RemoveRole => services.remove_role(tenant, ctx, &id, item, grants).await,
        Op::RemoveFactor => services.delete_factor(tenant, ctx, &id, Some(item)).await,
        Op::EndSession => services
            .end_sessions(tenant, ctx, &id, Some(item))
            .await
            .map(drop),
    };
    match done {
        Ok(()) => see_other(&format!(
            "/console/{}/users/{id}?tab={}&done={}",
            page.tenant.slug,
            op.tab(),
            op.name()
        )),
        Err(e) => error_page(&state, &page, e),
    }
}
