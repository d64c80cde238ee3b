//! HTTP integration tests against the real server on port 0. One binary,
//! one module per resource.

#![allow(clippy::unwrap_used)] // tests may unwrap: a panic is a failure with its location

mod account_page;
mod admin_roles;
mod admins;
mod attributes;
mod audit;
mod auth;
mod backup;
mod bulk;
mod cli;
mod console;
mod console_audit;
mod console_bulk;
mod console_changes;
mod console_definitions;
mod console_edit;
mod console_settings;
mod console_users;
mod crash;
mod errors;
mod export;
mod geoip;
mod imported_hashes;
mod imports;
mod invitations;
mod jobs;
mod listing;
mod login_pages;
mod matrix;
mod metrics;
mod openapi;
mod processes;
mod roles;
mod scim;
mod scoped_tokens;
mod scopes;
mod search_fields;
mod sessions;
mod tenants;
mod tokens;
mod users;
