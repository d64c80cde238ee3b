//! The admin REST API: `/api/v1/tenants` (super-admins) and
//! `/api/v1/tenants/{tenant}/…` (the tenant's admins), one resource per
//! module. Every call is audited, reads and refusals included.

mod admins;
mod attributes;
mod audit;
pub(crate) mod bulk;
mod export;
mod factors;
mod groups;
mod imports;
mod jobs;
mod outbox;
mod people;
mod roles;
mod sessions;
mod tenants;
mod tokens;
mod user_actions;
mod users;

use crate::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The admin routes, each documented in `/openapi.json`.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(tenants::list_tenants, tenants::create_tenant))
        .routes(routes!(people::admin_login))
        .routes(routes!(people::admin_login_mfa))
        .routes(routes!(people::admin_logout))
        .routes(routes!(people::admin_me))
        .routes(routes!(admins::list_admins))
        .routes(routes!(admins::grant_admin_role, admins::revoke_admin_role))
        .routes(routes!(tenants::get_tenant))
        .routes(routes!(
            tenants::get_tenant_settings,
            tenants::update_tenant_settings
        ))
        .routes(routes!(users::create_user, users::list_users))
        .routes(routes!(export::export_users))
        .routes(routes!(imports::import_users, imports::list_imports))
        .routes(routes!(imports::get_import))
        .routes(routes!(
            users::get_user,
            users::update_user,
            users::delete_user
        ))
        .routes(routes!(user_actions::block_user))
        .routes(routes!(user_actions::unblock_user))
        .routes(routes!(user_actions::disable_user))
        .routes(routes!(user_actions::enable_user))
        .routes(routes!(user_actions::archive_user))
        .routes(routes!(user_actions::invite_user))
        .routes(routes!(user_actions::reset_user_password))
        .routes(routes!(
            sessions::list_user_sessions,
            sessions::delete_user_sessions
        ))
        .routes(routes!(sessions::delete_user_session))
        .routes(routes!(factors::list_user_factors))
        .routes(routes!(factors::delete_user_factor))
        .routes(routes!(factors::revoke_user_recovery_codes))
        .routes(routes!(factors::reset_user_factors))
        .routes(routes!(groups::list_groups))
        .routes(routes!(groups::list_user_groups))
        .routes(routes!(
            attributes::list_attributes,
            attributes::create_attribute
        ))
        .routes(routes!(attributes::delete_attribute))
        .routes(routes!(roles::list_roles, roles::create_role))
        .routes(routes!(roles::delete_role))
        .routes(routes!(roles::list_user_roles))
        .routes(routes!(roles::assign_user_role, roles::remove_user_role))
        .routes(routes!(audit::list_audit_events))
        .routes(routes!(outbox::list_outbox_mails))
        .routes(routes!(jobs::list_jobs))
        .routes(routes!(jobs::retry_job))
        .routes(routes!(jobs::list_all_jobs))
        .routes(routes!(jobs::retry_any_job))
        .routes(routes!(tokens::list_tokens, tokens::create_token))
        .routes(routes!(tokens::revoke_token))
        .routes(routes!(
            tokens::list_super_tokens,
            tokens::create_super_token
        ))
        .routes(routes!(tokens::revoke_super_token))
        .routes(routes!(
            bulk::upload::create_bulk_process,
            bulk::list_bulk_processes
        ))
        .routes(routes!(bulk::get_bulk_process))
        .routes(routes!(bulk::list_bulk_process_rows))
        .routes(routes!(bulk::start_bulk_process))
        .routes(routes!(bulk::cancel_bulk_process))
}
