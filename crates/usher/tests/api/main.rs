//! HTTP integration tests against the real server on port 0. One binary,
//! one module per resource.

mod attributes;
mod audit;
mod auth;
mod cli;
mod errors;
mod invitations;
mod listing;
mod matrix;
mod openapi;
mod tenants;
mod users;
