//! The end-user auth API (JSON) under `/api/v1/tenants/{tenant}/auth`:
//! asking for and redeeming password-reset links, redeeming invitations,
//! logging in (password,
//! then a second factor when one is due), refreshing and ending sessions,
//! the caller's own user and sessions, and their second factors. For apps
//! that draw their own pages; the pages of `crate::pages` call the same
//! services.

mod factors;
mod forgot;
mod links;
mod login;
mod login_mfa;
mod password;
mod sessions;

pub(crate) use factors::EnrolmentResponse;

use crate::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The auth API's routes, each documented in `/openapi.json`.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(links::accept_invitation))
        .routes(routes!(links::complete_password_reset))
        .routes(routes!(forgot::request_password_reset))
        .routes(routes!(login::create_session))
        .routes(routes!(login_mfa::verify_second_factor))
        .routes(routes!(login_mfa::enrol_totp_at_login))
        .routes(routes!(login::refresh_session))
        .routes(routes!(sessions::delete_current_session))
        .routes(routes!(sessions::get_current_user))
        .routes(routes!(sessions::list_my_sessions))
        .routes(routes!(sessions::delete_my_session))
        .routes(routes!(factors::enrol_totp))
        .routes(routes!(factors::confirm_totp))
        .routes(routes!(factors::regenerate_recovery_codes))
        .routes(routes!(password::change_password))
        .routes(routes!(password::reauthenticate))
}
