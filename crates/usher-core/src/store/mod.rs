//! The storage contract. Every backend implements [`Store`]: one trait per
//! aggregate ([`TenantStore`], [`UserStore`], [`GroupStore`],
//! [`LinkStore`], [`SessionStore`], [`BulkStore`], [`AuditStore`],
//! [`JobStore`], [`RoleStore`], [`AdminStore`]), each in
//! the module of the same name here and in both store crates. The shared
//! conformance suite (`usher-testkit`) holds them to the same behaviour.
//! Through `Arc<dyn Store>` every method is at hand; code that holds a
//! concrete store brings the aggregate traits into scope with
//! `use usher_core::store::prelude::*`.
//!
//! Methods are whole operations, each one transaction: a write and the audit
//! event that records it commit together or not at all. A method that takes
//! an [`AuditDraft`] records it with outcome `success` when it succeeds and
//! with outcome `refused` (and the error's code) when it answers a refusal
//! such as a taken email or a forbidden transition — in which case nothing
//! else was written. After a [`StoreError`] nothing is promised.

mod admins;
mod audit;
mod bulk;
mod groups;
mod jobs;
mod links;
mod role_writes;
mod roles;
mod sessions;
mod tenants;
mod users;

pub use admins::AdminStore;
pub use audit::{AuditStore, ChainHead};
pub use bulk::{
    BulkChange, BulkOp, BulkStep, BulkStore, ImportEntry, ImportMode, ImportSave, import_moved_on,
};
pub use groups::GroupStore;
pub use jobs::{JobStats, JobStore};
pub use links::{LinkKind, LinkRecord, LinkStore, MailOutcome, NewLink, OutboxQuery, Redemption};
pub use role_writes::{RoleChange, RoleWrites};
pub use roles::RoleStore;
pub use sessions::SessionStore;
pub use tenants::TenantStore;
pub use users::{DeleteGuard, Effects, PasswordWrite, UserMutation, UserStore, UserWrite};

use crate::error::StoreError;
use async_trait::async_trait;

/// A whole store: every aggregate, and a health check.
#[async_trait]
pub trait Store:
    TenantStore
    + UserStore
    + GroupStore
    + LinkStore
    + SessionStore
    + BulkStore
    + AuditStore
    + JobStore
    + RoleStore
    + AdminStore
    + std::fmt::Debug
    + 'static
{
    /// Answers once the database can serve requests.
    async fn ping(&self) -> Result<(), StoreError>;

    /// The store's own figures for `/metrics`, read at each scrape. Cheap:
    /// no query, at most a file's size.
    fn stats(&self) -> StoreStats;
}

/// What a store tells about its resources (the `usher_store_*` and
/// `usher_sqlite_*` gauges).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Connections of the pool requests are served from, handed out now
    /// and waiting: PostgreSQL's pool; SQLite's readers (its one write
    /// connection, owned by the writer thread, is not counted).
    pub connections_in_use: u32,
    pub connections_idle: u32,
    /// SQLite: the size of the write-ahead log file. `None` elsewhere.
    pub wal_bytes: Option<u64>,
}

/// The aggregate traits, for calling store methods on a concrete store.
pub mod prelude {
    pub use super::{
        AdminStore as _, AuditStore as _, BulkStore as _, GroupStore as _, JobStore as _,
        LinkStore as _, RoleStore as _, SessionStore as _, Store, TenantStore as _, UserStore as _,
    };
}
