//! Test support shared by Usher's test suites: the application on port 0
//! ([`app`]), per-test PostgreSQL databases ([`pg`]) and the store
//! conformance suite ([`conformance`]) every backend must pass, a MaxMind
//! DB writer for GeoIP tests ([`mmdb`]), and the forger of audit chains
//! ([`forge`]).

pub mod app;
pub mod conformance;
pub mod forge;
pub mod mmdb;
pub mod pg;
pub mod smtp;
