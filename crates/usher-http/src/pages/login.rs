//! The login page, `/t/{tenant}/login`. Every failed password shows one
//! message with one status; a password that needs a second factor goes on
//! to the second step (`super::mfa`), and a login that succeeds sets the
//! session cookie and goes on to the sessions page.

use super::busy;
use super::i18n::login_words;
use super::kit::{
    Area, csrf_field, csrf_matches, csrf_token, error_box, esc, field, form_fields, form_page_in,
    message_page, retry_after, see_other, set_cookie, with_strong,
};
use super::mfa::{self, StepAt, second_step};
use super::sessions::{cookie_session, session_cookie};
use crate::AppState;
use crate::extract::{Page, Visitor, client_context};
use crate::metrics::LoginCount;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use usher_core::Error;
use usher_core::error::ErrorCode;
use usher_core::service::{LoginOutcome, SignedIn};
use usher_core::tenant::Tenant;
use usher_core::user::fields::Language;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/t/{tenant}/login",
            get(show_login_form).post(submit_login_form),
        )
        .route(
            "/t/{tenant}/mfa",
            get(mfa::redirect_to_login).post(mfa::submit_code_form),
        )
}

/// What the login form shows.
pub(crate) struct LoginForm<'a> {
    pub status: StatusCode,
    pub csrf: &'a str,
    pub email: &'a str,
    pub error: Option<&'a str>,
}

/// Where a form of email and password posts and what it says around its
/// fields: the end-user login, or the console's sign-in.
pub(crate) struct Door<'a> {
    pub area: Area,
    pub action: String,
    pub title: &'a str,
    /// The paragraph above the form (HTML).
    pub intro: String,
    /// What follows the form (HTML), such as the forgot-password link.
    pub after: String,
}

/// The page of a form of email and password.
pub(crate) fn credentials_page(
    state: &AppState,
    lang: Language,
    door: &Door<'_>,
    f: LoginForm<'_>,
) -> Response {
    let w = login_words(lang);
    let invalid = if f.error.is_some() {
        " aria-invalid=\"true\" aria-describedby=\"login-error\""
    } else {
        ""
    };
    let body = format!(
        "<p>{intro}</p>\n{error}<form method=\"post\" action=\"{action}\">\n\
         {csrf}\n\
         <label for=\"email\">{l_email}</label>\n\
         <input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" required value=\"{email}\"{invalid}>\n\
         <label for=\"password\">{l_password}</label>\n\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required{invalid}>\n\
         <button type=\"submit\">{submit}</button>\n</form>\n{after}",
        intro = door.intro,
        error = error_box(f.error, "login-error"),
        action = esc(&door.action),
        csrf = csrf_field(f.csrf),
        l_email = esc(w.label_email),
        email = esc(f.email),
        l_password = esc(w.label_password),
        submit = esc(w.submit_login),
        after = door.after,
    );
    form_page_in(door.area, state, f.status, lang, door.title, &body, f.csrf)
}

fn login_page(state: &AppState, tenant: &Tenant, lang: Language, f: LoginForm<'_>) -> Response {
    let w = login_words(lang);
    let slug = esc(tenant.slug.as_str());
    let door = Door {
        area: Area::EndUser,
        action: format!("/t/{slug}/login"),
        title: w.title_login,
        intro: with_strong(w.intro_login, &[("{tenant}", &tenant.name)]),
        after: format!(
            "<p><a href=\"/t/{slug}/forgot\">{}</a></p>",
            esc(super::forgot::forgot_words(lang).link)
        ),
    };
    credentials_page(state, lang, &door, f)
}

/// A new session: its cookie, and on to the sessions page.
pub(super) fn signed_in(state: &AppState, tenant: &Tenant, signed: SignedIn) -> Response {
    let slug = tenant.slug.as_str();
    let mut res = see_other(&format!("/t/{slug}/sessions"));
    if let Some(token) = &signed.tokens.session {
        set_cookie(&mut res, &session_cookie(state, slug, Some(token.expose())));
    }
    if let Some(device) = &signed.device {
        set_cookie(&mut res, &crate::extract::device_cookie(state, device));
    }
    res
}

/// The pages for a login the services refused.
pub(super) fn refused_login(
    state: &AppState,
    tenant: &Tenant,
    lang: Language,
    csrf: &str,
    email: &str,
    e: Error,
) -> Response {
    let w = login_words(lang);
    let form = |status, error| {
        login_page(
            state,
            tenant,
            lang,
            LoginForm {
                status,
                csrf,
                email,
                error: Some(error),
            },
        )
    };
    match e {
        Error::Denied { .. } => {
            message_page(lang, StatusCode::FORBIDDEN, w.blocked_title, w.blocked_body)
        }
        Error::TooManyAttempts { retry_after_secs } => {
            let text = w.throttled.replace("{secs}", &retry_after_secs.to_string());
            retry_after(form(StatusCode::TOO_MANY_REQUESTS, &text), retry_after_secs)
        }
        Error::Unauthorized {
            code: ErrorCode::InvalidCredentials,
            ..
        } => form(StatusCode::UNAUTHORIZED, w.wrong),
        // An expired or spent second step starts over.
        Error::Unauthorized { .. } => form(StatusCode::UNAUTHORIZED, w.expired),
        Error::Store(e) => busy(lang, &e),
        other => busy(lang, &other),
    }
}

async fn show_login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: Page,
) -> Response {
    let Page { tenant, lang } = page;
    match cookie_session(&state, &tenant, &headers).await {
        Ok(Some(_)) => return see_other(&format!("/t/{}/sessions", tenant.slug)),
        Ok(None) => {}
        Err(e) => return busy(lang, &e),
    }
    let csrf = csrf_token(&headers);
    login_page(
        &state,
        &tenant,
        lang,
        LoginForm {
            status: StatusCode::OK,
            csrf: &csrf,
            email: "",
            error: None,
        },
    )
}

async fn submit_login_form(
    State(state): State<AppState>,
    Visitor(ctx): Visitor,
    headers: HeaderMap,
    page: Page,
    body: Bytes,
) -> Response {
    let Page { tenant, lang } = page;
    let w = login_words(lang);
    let fields = form_fields(&body);
    let email = field(&fields, "email");
    let csrf = csrf_token(&headers);
    if !csrf_matches(&headers, field(&fields, "csrf")) {
        let form = LoginForm {
            status: StatusCode::FORBIDDEN,
            csrf: &csrf,
            email,
            error: Some(w.csrf),
        };
        return login_page(&state, &tenant, lang, form);
    }
    let outcome = state
        .services
        .login(
            &tenant,
            &ctx,
            email,
            field(&fields, "password"),
            client_context(&headers),
        )
        .await;
    state.metrics.count_login(LoginCount::of_password(&outcome));
    match outcome {
        Ok(LoginOutcome::SignedIn(signed)) => signed_in(&state, &tenant, *signed),
        Ok(LoginOutcome::SecondFactor {
            mfa_token,
            methods,
            enrolment,
        }) => {
            let at = StepAt {
                area: Area::EndUser,
                action: format!("/t/{}/mfa", tenant.slug),
            };
            let shown = second_step(
                &state, &tenant, &ctx, lang, &csrf, at, &mfa_token, &methods, enrolment,
            );
            match shown.await {
                Ok(page) => page,
                Err(e) => refused_login(&state, &tenant, lang, &csrf, email, e),
            }
        }
        Err(e) => refused_login(&state, &tenant, lang, &csrf, email, e),
    }
}
