//! Signing in to the console, `/console/{tenant}/login`: the admin's email
//! and password, then always a second step (a code, or enrolling an
//! authenticator app at the first admin sign-in, which becomes an ordinary
//! factor of the user). The services are the admin API's (`/admin/login`),
//! so the answers, throttle and audit are the same: a wrong password, an
//! unknown email and a user without an admin role all read "the email or
//! password is wrong". Signing out ends the admin session on the server.

use super::page::ConsolePage;
use super::session::{ConsoleAdmin, cleared_cookie, session_cookie, to_sign_in};
use super::words::console_words;
use crate::AppState;
use crate::extract::{Page, Visitor, client_context};
use crate::metrics::LoginCount;
use crate::pages::busy;
use crate::pages::i18n::login_words;
use crate::pages::kit::{
    Area, csrf_matches, csrf_token, field, form_fields, retry_after, see_other, set_cookie,
    with_strong,
};
use crate::pages::login::{Door, LoginForm, credentials_page};
use crate::pages::mfa::{StepAt, SubmittedCode, second_step};
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use usher_core::Error;
use usher_core::error::ErrorCode;
use usher_core::service::LoginOutcome;
use usher_core::tenant::Tenant;
use usher_core::user::fields::Language;

fn sign_in_page(state: &AppState, tenant: &Tenant, lang: Language, f: LoginForm<'_>) -> Response {
    let c = console_words(lang);
    let door = Door {
        area: Area::Console,
        action: format!("/console/{}/login", tenant.slug),
        title: c.title_sign_in,
        intro: with_strong(c.intro_sign_in, &[("{tenant}", &tenant.name)]),
        after: String::new(),
    };
    credentials_page(state, lang, &door, f)
}

/// The page for a sign-in the services refused: the form again with
/// what went wrong, the same words for every credential failure.
fn refused(state: &AppState, tenant: &Tenant, lang: Language, csrf: &str, e: Error) -> Response {
    let w = login_words(lang);
    let form = |status, error| {
        let f = LoginForm {
            status,
            csrf,
            email: "",
            error: Some(error),
        };
        sign_in_page(state, tenant, lang, f)
    };
    match e {
        Error::TooManyAttempts { retry_after_secs } => {
            let text = w.throttled.replace("{secs}", &retry_after_secs.to_string());
            retry_after(form(StatusCode::TOO_MANY_REQUESTS, &text), retry_after_secs)
        }
        // A blocked admin reads the same as a wrong password here: the
        // console tells nobody which accounts exist or hold a role.
        Error::Denied { .. }
        | Error::Unauthorized {
            code: ErrorCode::InvalidCredentials,
            ..
        } => form(StatusCode::UNAUTHORIZED, w.wrong),
        Error::Unauthorized { .. } => form(StatusCode::UNAUTHORIZED, w.expired),
        other => busy(lang, &other),
    }
}

pub(super) async fn show_sign_in(State(state): State<AppState>, request: Request) -> Response {
    let (mut parts, _) = request.into_parts();
    let Page { tenant, lang } = match Page::from_request_parts(&mut parts, &state).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    match ConsoleAdmin::of(&state, &tenant, &parts).await {
        Ok(Some(_)) => return see_other(&format!("/console/{}/users", tenant.slug)),
        Ok(None) => {}
        Err(e) => return busy(lang, &e),
    }
    let csrf = csrf_token(&parts.headers);
    let form = LoginForm {
        status: StatusCode::OK,
        csrf: &csrf,
        email: "",
        error: None,
    };
    sign_in_page(&state, &tenant, lang, form)
}

pub(super) async fn submit_sign_in(
    State(state): State<AppState>,
    Visitor(ctx): Visitor,
    headers: HeaderMap,
    page: Page,
    body: Bytes,
) -> Response {
    let Page { tenant, lang } = page;
    let fields = form_fields(&body);
    let email = field(&fields, "email");
    let csrf = csrf_token(&headers);
    if !csrf_matches(&headers, field(&fields, "csrf")) {
        let form = LoginForm {
            status: StatusCode::FORBIDDEN,
            csrf: &csrf,
            email,
            error: Some(login_words(lang).csrf),
        };
        return sign_in_page(&state, &tenant, lang, form);
    }
    let password = field(&fields, "password");
    let outcome = state
        .services
        .admin_login(&tenant, &ctx, email, password, client_context(&headers))
        .await;
    state.metrics.count_login(LoginCount::of_password(&outcome));
    let (mfa_token, methods, enrolment) = match outcome {
        Ok(LoginOutcome::SecondFactor {
            mfa_token,
            methods,
            enrolment,
        }) => (mfa_token, methods, enrolment),
        // An admin sign-in never ends at the password.
        Ok(LoginOutcome::SignedIn(_)) => {
            return busy(lang, &"an admin sign-in skipped its second factor");
        }
        Err(e) => return refused(&state, &tenant, lang, &csrf, e),
    };
    let at = StepAt {
        area: Area::Console,
        action: format!("/console/{}/login/mfa", tenant.slug),
    };
    let shown = second_step(
        &state, &tenant, &ctx, lang, &csrf, at, &mfa_token, &methods, enrolment,
    );
    match shown.await {
        Ok(page) => page,
        Err(e) => refused(&state, &tenant, lang, &csrf, e),
    }
}

pub(super) async fn submit_code(
    State(state): State<AppState>,
    Visitor(ctx): Visitor,
    headers: HeaderMap,
    page: Page,
    body: Bytes,
) -> Response {
    let Page { tenant, lang } = page;
    let w = login_words(lang);
    let action = format!("/console/{}/login/mfa", tenant.slug);
    let sent = SubmittedCode::read(&headers, &body, Area::Console, action);
    let again = |status, error| sent.again(&state, &tenant, lang, status, error);
    // A forged second step shows nothing it was sent (an enrolment seed
    // chosen elsewhere, say): the sign-in starts over.
    if !sent.csrf_ok(&headers) {
        return see_other(&format!("/console/{}/login", tenant.slug));
    }
    let get = |k: &str| sent.get(k);
    let outcome = state
        .services
        .admin_login_second_factor(
            &tenant,
            &ctx,
            get("mfa_token"),
            get("code"),
            client_context(&headers),
        )
        .await;
    match outcome {
        Ok(signed) => {
            let slug = tenant.slug.as_str();
            let mut res = see_other(&format!("/console/{slug}/users"));
            let cookie = session_cookie(&state, slug, signed.token.expose());
            set_cookie(&mut res, &cookie);
            // A new CSRF token for the signed-in console: one learnt before
            // the sign-in (on a shared machine, say) is worth nothing after.
            let csrf = crate::pages::kit::new_csrf();
            crate::pages::kit::set_csrf_cookie(&state, &mut res, &csrf, Area::Console);
            res
        }
        Err(Error::Unauthorized {
            code: ErrorCode::InvalidCode,
            ..
        }) => again(StatusCode::UNAUTHORIZED, w.wrong_code),
        Err(e) => refused(&state, &tenant, lang, sent.csrf(), e),
    }
}

/// Signing out: the admin session ends on the server, the cookie goes.
/// A form without the CSRF token changes nothing.
pub(super) async fn sign_out(State(state): State<AppState>, request: Request) -> Response {
    let (page, fields, _) = match ConsolePage::open_form(&state, request).await {
        Ok(opened) => opened,
        Err(res) => return res,
    };
    if let Some(res) = page.csrf_refusal(&state, &fields) {
        return res;
    }
    let ended = state
        .services
        .admin_logout(&page.tenant, &page.admin.ctx, &page.admin.person)
        .await;
    if let Err(e) = ended {
        return busy(page.lang, &e);
    }
    let slug = page.tenant.slug.as_str();
    let mut res = to_sign_in(slug);
    set_cookie(&mut res, &cleared_cookie(&state, slug));
    res
}
