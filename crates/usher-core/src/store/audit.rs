//! The audit log: one hash chain per tenant (and one global chain).

use crate::audit::{AuditDraft, StoredLink};
use crate::error::StoreError;
use crate::ids::TenantId;
use crate::listing::{AuditQuery, Page};
use async_trait::async_trait;

/// The head of one audit chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    pub chain: TenantId,
    pub seq: i64,
    pub hash: String,
}

/// Appending to and reading the audit chains.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends an event that records no change of its own (a view, a list,
    /// a refusal decided before reaching the store).
    async fn append_audit(&self, draft: AuditDraft) -> Result<(), StoreError>;
    /// Events of a chain (the tenant id, or nil for global), newest first.
    async fn list_audit(
        &self,
        chain: TenantId,
        query: &AuditQuery,
    ) -> Result<Page<StoredLink>, StoreError>;
    /// Whether events reach their chain only when sealed after their write
    /// (PostgreSQL, where sealing inside each write would make the writes
    /// of a tenant wait for one another); the `audit_seal` job then runs.
    fn seals_audit_later(&self) -> bool {
        false
    }
    /// Gives every event written but not yet sealed its place in its chain;
    /// answers how many. Reads of the log seal first on their own, so this
    /// only bounds how long an event waits unsealed.
    async fn seal_audit(&self) -> Result<u64, StoreError> {
        Ok(0)
    }
    /// The head of every chain that has events.
    async fn audit_heads(&self) -> Result<Vec<ChainHead>, StoreError>;
    /// Raw events of one chain with `seq > after`, ascending, for verification.
    async fn audit_links(
        &self,
        chain: TenantId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<StoredLink>, StoreError>;
}
