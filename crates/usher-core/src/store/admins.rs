//! Admin sessions (see [`crate::admin_session`]). Who is an admin is kept
//! with the roles ([`super::RoleStore`]): a person is an admin while they
//! hold a built-in admin role.

use crate::admin_session::AdminSession;
use crate::audit::AuditDraft;
use crate::error::{Error, StoreError};
use crate::ids::SessionId;
use crate::token::SecretHash;
use async_trait::async_trait;
use time::OffsetDateTime;

#[async_trait]
pub trait AdminStore: Send + Sync {
    /// Stores a session under the hash of its token, with the audit event
    /// of the login that opened it. `user_not_found` when the user is gone.
    async fn open_admin_session(
        &self,
        session: AdminSession,
        hash: SecretHash,
        audit: AuditDraft,
    ) -> Result<(), Error>;
    /// The session whose token hashes to `hash`, live or not: the caller
    /// decides with the tenant's timeouts.
    async fn admin_session(&self, hash: &SecretHash) -> Result<Option<AdminSession>, StoreError>;
    /// Records a use of the session.
    async fn touch_admin_session(
        &self,
        id: SessionId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Ends the session; answers whether there was one. The audit event is
    /// written either way.
    async fn end_admin_session(&self, id: SessionId, audit: AuditDraft) -> Result<bool, Error>;
}
