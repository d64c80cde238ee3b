//! The admin web console (DESIGN §7): server-rendered pages at
//! `/console/{tenant}/…`, usable without JavaScript. An admin signs in at
//! `/console/{tenant}/login` ([`sign_in`]) with their own password and
//! second factor, and the admin session lives in a cookie of the tenant's
//! console ([`session`]). The pages call the same services as the admin
//! API and allow exactly what the API allows the admin's roles and scope;
//! they are drawn with the end-user pages' HTML kit inside the console's
//! frame ([`shell`]), in the admin's language ([`words`]).

mod actions;
mod admins;
mod audit;
mod bulk;
mod bulk_words;
mod changes;
mod definitions;
mod edit;
mod forms;
mod imports;
mod page;
mod session;
mod settings;
mod settings_words;
mod shell;
mod sign_in;
mod tokens;
mod user;
mod user_words;
mod users;
mod words;

use crate::AppState;
use crate::pages::kit::see_other;
use axum::Router;
use axum::extract::Path;
use axum::response::Response;
use axum::routing::{get, post};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/{tenant}", get(to_users))
        .route("/console/{tenant}/", get(to_users))
        .route(
            "/console/{tenant}/login",
            get(sign_in::show_sign_in).post(sign_in::submit_sign_in),
        )
        .route(
            "/console/{tenant}/login/mfa",
            get(to_users).post(sign_in::submit_code),
        )
        .route("/console/{tenant}/logout", post(sign_in::sign_out))
        .route("/console/{tenant}/users", get(users::show_users))
        .route("/console/{tenant}/audit", get(audit::show_audit))
        .route("/console/{tenant}/bulk", get(bulk::bulk).post(bulk::bulk))
        .route(
            "/console/{tenant}/bulk/{id}",
            get(bulk::process).post(bulk::process),
        )
        .route(
            "/console/{tenant}/imports",
            get(imports::imports).post(imports::imports),
        )
        .route("/console/{tenant}/imports/{id}", get(imports::import))
        .route(
            "/console/{tenant}/settings",
            get(settings::settings).post(settings::settings),
        )
        .route(
            "/console/{tenant}/settings/attributes",
            get(definitions::attributes).post(definitions::attributes),
        )
        .route(
            "/console/{tenant}/settings/roles",
            get(definitions::roles).post(definitions::roles),
        )
        .route(
            "/console/{tenant}/settings/admins",
            get(admins::admins).post(admins::admins),
        )
        .route(
            "/console/{tenant}/settings/tokens",
            get(tokens::tokens).post(tokens::tokens),
        )
        .route("/console/{tenant}/audit/verify", post(audit::verify))
        .route(
            "/console/{tenant}/users/new",
            get(edit::new_user).post(edit::new_user),
        )
        .route("/console/{tenant}/users/{id}", get(user::show_user))
        .route("/console/{tenant}/users/{id}/change", post(changes::change))
        .route(
            "/console/{tenant}/users/{id}/edit",
            get(edit::edit_user).post(edit::edit_user),
        )
        .route(
            "/console/{tenant}/users/{id}/actions/{act}",
            get(actions::confirm).post(actions::perform),
        )
}

/// The console's front door is the users list (which sends a browser
/// without a session on to the sign-in page).
async fn to_users(Path(slug): Path<String>) -> Response {
    match usher_core::tenant::TenantSlug::parse(&slug) {
        Ok(s) => see_other(&format!("/console/{s}/users")),
        Err(_) => crate::pages::not_found(usher_core::user::fields::Language::En),
    }
}
