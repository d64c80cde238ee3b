//! The actions on one user, `/console/{tenant}/users/{id}/actions/{act}`:
//! a GET shows what the action will do and asks for confirmation; the
//! POST (with the CSRF token and the version the admin saw) does it.
//!
//! Each action is one admin API call, decided as that call
//! ([`crate::extract::check_call`]: the admin's roles, scope, and the
//! guard on changing other admins, refusals audited) and done through the
//! same service with the version as `If-Match`, so a user changed by
//! someone else since the confirmation was shown is not acted on.

use super::page::{ConsolePage, error_page};
use super::user_words::{act_words, user_words};
use crate::AppState;
use crate::pages::kit::{csrf_field, error_box, esc, field, form_fields, hidden_field};
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::json;
use time::OffsetDateTime;
use usher_core::Error;
use usher_core::scope::AdminScope;
use usher_core::user::state::{Action, transition};
use usher_core::user::{User, UserState};

/// An action the console offers on a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Act {
    Invite,
    ResetPassword,
    Block,
    Unblock,
    Disable,
    Enable,
    Archive,
    EndSessions,
    ResetMfa,
    Delete,
}

impl Act {
    pub(crate) const ALL: [Act; 10] = [
        Act::Invite,
        Act::ResetPassword,
        Act::Block,
        Act::Unblock,
        Act::Disable,
        Act::Enable,
        Act::Archive,
        Act::EndSessions,
        Act::ResetMfa,
        Act::Delete,
    ];

    /// Its name in the URL.
    pub(crate) fn slug(self) -> &'static str {
        match self {
            Act::Invite => "invite",
            Act::ResetPassword => "reset-password",
            Act::Block => "block",
            Act::Unblock => "unblock",
            Act::Disable => "disable",
            Act::Enable => "enable",
            Act::Archive => "archive",
            Act::EndSessions => "end-sessions",
            Act::ResetMfa => "reset-mfa",
            Act::Delete => "delete",
        }
    }

    fn parse(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.slug() == slug)
    }

    /// The admin API call the action is: its method and route.
    pub(crate) fn call(self) -> (Method, &'static str) {
        let on_user = |method, route| (method, route);
        match self {
            Act::Invite => on_user(
                Method::POST,
                "/api/v1/tenants/{tenant}/users/{id}/invitation",
            ),
            Act::ResetPassword => on_user(
                Method::POST,
                "/api/v1/tenants/{tenant}/users/{id}/password-reset",
            ),
            Act::Block => on_user(Method::POST, "/api/v1/tenants/{tenant}/users/{id}/block"),
            Act::Unblock => on_user(Method::POST, "/api/v1/tenants/{tenant}/users/{id}/unblock"),
            Act::Disable => on_user(Method::POST, "/api/v1/tenants/{tenant}/users/{id}/disable"),
            Act::Enable => on_user(Method::POST, "/api/v1/tenants/{tenant}/users/{id}/enable"),
            Act::Archive => on_user(Method::POST, "/api/v1/tenants/{tenant}/users/{id}/archive"),
            Act::EndSessions => on_user(
                Method::DELETE,
                "/api/v1/tenants/{tenant}/users/{id}/sessions",
            ),
            Act::ResetMfa => on_user(
                Method::POST,
                "/api/v1/tenants/{tenant}/users/{id}/mfa-reset",
            ),
            Act::Delete => on_user(Method::DELETE, "/api/v1/tenants/{tenant}/users/{id}"),
        }
    }

    /// The lifecycle action behind it, if it is one.
    fn lifecycle(self) -> Option<Action> {
        match self {
            Act::Invite => Some(Action::SendInvitation),
            Act::Block => Some(Action::Block),
            Act::Unblock => Some(Action::Unblock),
            Act::Disable => Some(Action::Disable),
            Act::Enable => Some(Action::Enable),
            Act::Archive => Some(Action::Archive),
            _ => None,
        }
    }

    /// Whether the action applies to `user` now, for an admin acting under
    /// `scope` in a tenant that may `require_disable_before_delete`: the
    /// page offers only these, and the service decides again when it is
    /// done.
    pub(crate) fn applies(
        self,
        user: &User,
        now: OffsetDateTime,
        require_disable_before_delete: bool,
        scope: Option<&AdminScope>,
    ) -> bool {
        let state = user.state(now);
        // Lifting a quarantine made under another scope is refused
        // (`quarantine_other_scope`), and so is deleting the user.
        let lifts = matches!(self, Act::Unblock | Act::Disable | Act::Delete);
        if lifts
            && user
                .block_record()
                .is_some_and(|b| b.check_lift(scope).is_err())
        {
            return false;
        }
        if self == Act::Delete && require_disable_before_delete && state != UserState::Disabled {
            return false;
        }
        match self.lifecycle() {
            Some(action) => transition(
                action,
                state,
                user.archived,
                user.signup_completed_at.is_some(),
            )
            .is_ok(),
            None => match self {
                Act::ResetPassword => matches!(state, UserState::Active | UserState::Blocked),
                Act::ResetMfa => user.mfa_enrolled,
                _ => true,
            },
        }
    }

    /// Whether confirming it loses something for good or locks the user
    /// out: its button is drawn as a warning.
    fn is_drastic(self) -> bool {
        matches!(self, Act::Delete | Act::Disable | Act::ResetMfa)
    }
}

/// The confirmation form, with `error` above it when a try failed.
fn confirmation(page: &ConsolePage, user: &User, act: Act, error: Option<&str>) -> String {
    let w = user_words(page.lang);
    let (label, consequence) = act_words(page.lang, act);
    let slug = esc(page.tenant.slug.as_str());
    let reason = if act == Act::ResetMfa {
        format!(
            "<label for=\"reason\">{}</label><textarea id=\"reason\" name=\"reason\" required maxlength=\"500\" rows=\"3\"></textarea>",
            esc(w.reason)
        )
    } else {
        String::new()
    };
    let class = if act.is_drastic() {
        " class=\"danger\""
    } else {
        ""
    };
    format!(
        "<p><strong>{email}</strong></p>\n<p id=\"consequence\">{consequence}</p>\n{error}\
         <form method=\"post\" action=\"/console/{slug}/users/{id}/actions/{act}\" aria-describedby=\"consequence\">\
         {csrf}{version}{reason}\
         <div class=\"buttons\"><button type=\"submit\"{class}>{label}</button> \
         <a href=\"/console/{slug}/users/{id}\">{cancel}</a></div></form>",
        email = esc(user.email.as_str()),
        consequence = esc(consequence),
        error = error_box(error, "action-error"),
        id = user.id,
        act = act.slug(),
        csrf = csrf_field(&page.csrf),
        version = hidden_field("version", &user.version.to_string()),
        label = esc(label),
        cancel = esc(w.cancel),
    )
}

/// Shows the confirmation of an action.
pub(super) async fn confirm(state: axum::extract::State<AppState>, request: Request) -> Response {
    let (page, user, act) = match ConsolePage::open_user_act(&state, request).await {
        Ok(found) => found,
        Err(res) => return res,
    };
    // The confirmation of an action is shown only to an admin the API
    // would let do it, and only while it applies.
    let (method, route) = act.call();
    if let Err(e) = page.check(&state, &method, route, Some(user.id)).await {
        return error_page(&state, &page, e);
    }
    if !page.applies(act, &user, state.services.clock.now()) {
        let message = "this action does not apply to the user now".to_owned();
        let e = Error::Conflict {
            code: usher_core::error::ErrorCode::InvalidState,
            field: None,
            message,
        };
        return error_page(&state, &page, e);
    }
    let (label, _) = act_words(page.lang, act);
    let body = confirmation(&page, &user, act, None);
    page.render(&state, StatusCode::OK, label, "users", &body)
}

/// Does an action the admin confirmed.
pub(super) async fn perform(state: axum::extract::State<AppState>, request: Request) -> Response {
    let (request, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 16 * 1024)
        .await
        .unwrap_or_default();
    let request = Request::from_parts(request, axum::body::Body::empty());
    let (page, user, act) = match ConsolePage::open_user_act(&state, request).await {
        Ok(found) => found,
        Err(res) => return res,
    };
    let w = user_words(page.lang);
    let (label, _) = act_words(page.lang, act);
    let fields = form_fields(&bytes);
    let again = |status, error: &str| {
        let body = confirmation(&page, &user, act, Some(error));
        page.render(&state, status, label, "users", &body)
    };
    if page.csrf_refusal(&state, &fields).is_some() {
        return again(
            StatusCode::FORBIDDEN,
            crate::pages::i18n::login_words(page.lang).csrf,
        );
    }
    let (method, route) = act.call();
    if let Err(e) = page.check(&state, &method, route, Some(user.id)).await {
        return error_page(&state, &page, e);
    }
    // The version the confirmation was shown at: without it the action
    // would not be conditional, so a form that lacks it does nothing.
    let Ok(version) = field(&fields, "version").parse::<i64>() else {
        return again(StatusCode::PRECONDITION_FAILED, w.changed_meanwhile);
    };
    let version = Some(version);
    let (services, tenant, ctx, id) = (
        &state.services,
        &page.tenant,
        &page.admin.ctx,
        user.id.to_string(),
    );
    let done: Result<(), Error> = match act {
        Act::ResetPassword => services
            .request_password_reset(tenant, ctx, &id, version)
            .await
            .map(drop),
        Act::EndSessions => services
            .end_sessions(tenant, ctx, &id, None)
            .await
            .map(drop),
        Act::ResetMfa => {
            let body = json!({"reason": field(&fields, "reason")});
            services
                .reset_second_factors(tenant, ctx, &id, body)
                .await
                .map(drop)
        }
        Act::Delete => services
            .delete_user(tenant, ctx, &id, version)
            .await
            .map(drop),
        lifecycle => match lifecycle.lifecycle() {
            Some(action) => services
                .act_on_user(tenant, ctx, &id, version, action)
                .await
                .map(drop),
            None => Ok(()),
        },
    };
    let slug = page.tenant.slug.as_str();
    match done {
        Ok(()) if act == Act::Delete => {
            crate::pages::kit::see_other(&format!("/console/{slug}/users"))
        }
        Ok(()) => {
            crate::pages::kit::see_other(&format!("/console/{slug}/users/{id}?done={}", act.slug()))
        }
        Err(Error::VersionMismatch { .. }) => {
            again(StatusCode::PRECONDITION_FAILED, w.changed_meanwhile)
        }
        Err(Error::Validation(errors)) => {
            let text: Vec<&str> = errors.0.iter().map(|e| e.message.as_str()).collect();
            again(StatusCode::UNPROCESSABLE_ENTITY, &text.join(" "))
        }
        Err(Error::Conflict { message, .. }) => again(StatusCode::CONFLICT, &message),
        Err(e) => error_page(&state, &page, e),
    }
}

/// The action a path names, if it is one.
pub(super) fn act_of(slug: &str) -> Option<Act> {
    Act::parse(slug)
}
