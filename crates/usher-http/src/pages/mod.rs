//! The server-rendered end-user pages under `/t/{tenant}/…`, usable without
//! JavaScript: redeeming invitation and reset links ([`links`]), logging in
//! ([`login`]) with a second step ([`mfa`]), asking for a reset link
//! ([`forgot`]), and the signed-in user's sessions ([`sessions`]) and
//! credentials ([`account`]). They call the same services as the JSON auth API, so
//! answers, timing, throttle and audit are the same. Every form repeats the
//! CSRF token of a `SameSite=Strict` cookie; the words are in [`i18n`].

mod account;
mod account_words;
mod forgot;
pub(crate) mod i18n;
pub(crate) mod kit;
mod links;
pub(crate) mod login;
pub(crate) mod mfa;
pub(crate) mod sessions;

pub(crate) use i18n::negotiate;

use crate::AppState;
use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use i18n::login_words;
use kit::message_page;
use usher_core::user::fields::Language;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .merge(links::routes())
        .merge(login::routes())
        .merge(forgot::routes())
        .merge(account::routes())
        .merge(sessions::routes())
}

/// The page for an unknown tenant.
pub(crate) fn not_found(lang: Language) -> Response {
    let w = login_words(lang);
    message_page(
        lang,
        StatusCode::NOT_FOUND,
        w.not_found_title,
        w.not_found_body,
    )
}

/// The page for a failure that is not the visitor's (its cause is logged).
pub(crate) fn busy(lang: Language, e: &impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "a login page could not be served");
    let w = login_words(lang);
    message_page(lang, StatusCode::SERVICE_UNAVAILABLE, w.title_login, w.busy)
}
