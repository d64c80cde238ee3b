//! Accepting an invitation and resetting a password, at
//! `/t/{tenant}/invite/{token}` and `/t/{tenant}/reset/{token}`: a form for
//! the new password, twice.
//!
//! An unknown, used or expired link (or an unknown tenant) always shows the
//! same page with the same status, so the page tells nothing about accounts.

use super::i18n::{Words, negotiate, words};
use super::kit::{
    csrf_field, csrf_matches, csrf_token, error_box, esc, field, form_fields, form_page, html,
    layout, new_csrf, with_strong,
};
use crate::AppState;
use crate::extract::Visitor;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use usher_core::Error;
use usher_core::error::ErrorCode;
use usher_core::store::LinkKind;
use usher_core::tenant::Tenant;
use usher_core::user::User;
use usher_core::user::fields::Language;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/t/{tenant}/invite/{token}",
            get(show_invitation_form).post(submit_invitation_form),
        )
        .route(
            "/t/{tenant}/reset/{token}",
            get(show_reset_form).post(submit_reset_form),
        )
}

async fn show_invitation_form(
    state: State<AppState>,
    headers: HeaderMap,
    path: Path<(String, String)>,
) -> Response {
    show_link_form(state, headers, path, LinkKind::Invitation).await
}

async fn show_reset_form(
    state: State<AppState>,
    headers: HeaderMap,
    path: Path<(String, String)>,
) -> Response {
    show_link_form(state, headers, path, LinkKind::PasswordReset).await
}

async fn submit_invitation_form(
    state: State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    path: Path<(String, String)>,
    body: Bytes,
) -> Response {
    submit_link_form(state, visitor, headers, path, body, LinkKind::Invitation).await
}

async fn submit_reset_form(
    state: State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    path: Path<(String, String)>,
    body: Bytes,
) -> Response {
    submit_link_form(state, visitor, headers, path, body, LinkKind::PasswordReset).await
}

/// The neutral page for every link that cannot be used.
fn invalid_page(lang: Language) -> Response {
    let w = words(lang);
    let body = format!("<p>{}</p>", esc(w.invalid_body));
    html(StatusCode::NOT_FOUND, layout(lang, w.invalid_title, &body))
}

struct Form<'a> {
    kind: LinkKind,
    tenant: &'a Tenant,
    user: &'a User,
    csrf: &'a str,
    error: Option<String>,
}

fn password_form(state: &AppState, status: StatusCode, f: Form<'_>) -> Response {
    let lang = f.user.language;
    let w: &Words = words(lang);
    let (title, intro, submit) = match f.kind {
        LinkKind::Invitation => (w.title_invite, w.intro_invite, w.submit_invite),
        LinkKind::PasswordReset => (w.title_reset, w.intro_reset, w.submit_reset),
    };
    let min = f.tenant.settings.password_min_length;
    let intro = with_strong(
        intro,
        &[
            ("{tenant}", &f.tenant.name),
            ("{email}", f.user.email.as_str()),
        ],
    );
    let described = if f.error.is_some() {
        "password-hint password-error"
    } else {
        "password-hint"
    };
    let invalid = if f.error.is_some() {
        " aria-invalid=\"true\""
    } else {
        ""
    };
    let body = format!(
        "<p>{intro}</p>\n{error}<form method=\"post\">\n\
         {csrf}\n\
         <input type=\"email\" name=\"username\" autocomplete=\"username\" value=\"{email}\" hidden readonly>\n\
         <label for=\"password\">{label}</label>\n\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"new-password\" required minlength=\"{min}\" aria-describedby=\"{described}\"{invalid}>\n\
         <p id=\"password-hint\" class=\"hint\">{hint}</p>\n\
         <label for=\"password_confirmation\">{confirm}</label>\n\
         <input id=\"password_confirmation\" name=\"password_confirmation\" type=\"password\" autocomplete=\"new-password\" required minlength=\"{min}\">\n\
         <button type=\"submit\">{submit}</button>\n</form>",
        error = error_box(f.error.as_deref(), "password-error"),
        csrf = csrf_field(f.csrf),
        email = esc(f.user.email.as_str()),
        label = esc(w.label_password),
        hint = esc(&w.hint.replace("{min}", &min.to_string())),
        confirm = esc(w.label_confirm),
        submit = esc(submit),
    );
    form_page(state, status, lang, title, &body, f.csrf)
}

async fn show_link_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((slug, token)): Path<(String, String)>,
    kind: LinkKind,
) -> Response {
    let lang = negotiate(&headers);
    let Ok(tenant) = state.services.find_tenant(&slug).await else {
        return invalid_page(lang);
    };
    match state.services.check_link(&tenant, kind, &token).await {
        Ok(user) => {
            let csrf = csrf_token(&headers);
            password_form(
                &state,
                StatusCode::OK,
                Form {
                    kind,
                    tenant: &tenant,
                    user: &user,
                    csrf: &csrf,
                    error: None,
                },
            )
        }
        Err(Error::Store(e)) => {
            tracing::error!(error = %e, "checking a link failed");
            html(
                StatusCode::SERVICE_UNAVAILABLE,
                layout(
                    lang,
                    words(lang).invalid_title,
                    &format!("<p>{}</p>", esc(words(lang).busy)),
                ),
            )
        }
        Err(_) => invalid_page(lang),
    }
}

pub(super) fn field_message(w: &Words, code: Option<ErrorCode>, min: u32) -> String {
    match code {
        Some(ErrorCode::TooShort) => w.too_short.replace("{min}", &min.to_string()),
        Some(ErrorCode::TooLong) => w.too_long.to_owned(),
        Some(ErrorCode::CommonPassword) => w.common_password.to_owned(),
        Some(ErrorCode::SameAsEmail) => w.same_as_email.to_owned(),
        Some(ErrorCode::SameAsUsername) => w.same_as_username.to_owned(),
        _ => w.busy.to_owned(),
    }
}

async fn submit_link_form(
    State(state): State<AppState>,
    Visitor(ctx): Visitor,
    headers: HeaderMap,
    Path((slug, token)): Path<(String, String)>,
    body: Bytes,
    kind: LinkKind,
) -> Response {
    let lang = negotiate(&headers);
    let Ok(tenant) = state.services.find_tenant(&slug).await else {
        return invalid_page(lang);
    };
    let user = match state.services.check_link(&tenant, kind, &token).await {
        Ok(u) => u,
        Err(_) => {
            // Recorded as a failed redemption; the page stays neutral.
            state.services.refuse_link(&tenant, &ctx, kind).await;
            return invalid_page(lang);
        }
    };
    let w = words(user.language);
    let fields = form_fields(&body);
    let get = |k: &str| field(&fields, k);
    let fresh = new_csrf();
    let again = |status, error: &str| {
        password_form(
            &state,
            status,
            Form {
                kind,
                tenant: &tenant,
                user: &user,
                csrf: &fresh,
                error: Some(error.to_owned()),
            },
        )
    };
    if !csrf_matches(&headers, get("csrf")) {
        return again(StatusCode::FORBIDDEN, w.csrf);
    }
    if get("password") != get("password_confirmation") {
        return again(StatusCode::UNPROCESSABLE_ENTITY, w.mismatch);
    }
    match state
        .services
        .redeem_link(&tenant, &ctx, kind, &token, get("password"))
        .await
    {
        Ok(_) => {
            let done = match kind {
                LinkKind::Invitation => w.done_invite,
                LinkKind::PasswordReset => w.done_reset,
            };
            html(
                StatusCode::OK,
                layout(
                    user.language,
                    w.done_title,
                    &format!("<p role=\"status\">{}</p>", esc(done)),
                ),
            )
        }
        Err(Error::Validation(v)) => {
            let code = v.0.first().map(|f| f.code);
            again(
                StatusCode::UNPROCESSABLE_ENTITY,
                &field_message(w, code, tenant.settings.password_min_length),
            )
        }
        Err(Error::Store(e)) => {
            tracing::error!(error = %e, "redeeming a link failed");
            again(StatusCode::SERVICE_UNAVAILABLE, w.busy)
        }
        Err(_) => invalid_page(user.language),
    }
}
