//! Test support shared by Usher's test suites: the application on port 0
//! ([`app`]), per-test PostgreSQL databases ([`pg`]) and the store
//! conformance suite ([`conformance`]) every backend must pass.

pub mod app;
pub mod conformance;
pub mod pg;
pub mod smtp;
