//! Single-use links (invitations, password resets), the password hashes
//! they set, and the outbox of mails that carry them.

use crate::audit::AuditDraft;
use crate::error::{Error, StoreError};
use crate::ids::{MailId, TenantId, UserId};
use crate::listing::{Cursor, Page};
use crate::mail::{MailState, OutboxEntry};
use crate::token::SecretHash;
use crate::user::User;
use async_trait::async_trait;
use time::OffsetDateTime;

/// The kinds of single-use links a user can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    Invitation,
    PasswordReset,
}

impl LinkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::Invitation => "invitation",
            LinkKind::PasswordReset => "password_reset",
        }
    }
}

/// A link to store: only the hash of its secret.
#[derive(Debug, Clone)]
pub struct NewLink {
    pub kind: LinkKind,
    pub hash: SecretHash,
    pub expires_at: OffsetDateTime,
}

/// A stored link, found by the hash of its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRecord {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub kind: LinkKind,
    pub expires_at: OffsetDateTime,
    pub used_at: Option<OffsetDateTime>,
}

impl LinkRecord {
    /// Unused and not expired at `now`.
    pub fn is_live(&self, now: OffsetDateTime) -> bool {
        self.used_at.is_none() && self.expires_at > now
    }
}

/// Redeeming a link with a new password.
#[derive(Debug)]
pub struct Redemption {
    pub tenant_id: TenantId,
    pub kind: LinkKind,
    pub hash: SecretHash,
    pub now: OffsetDateTime,
    /// The new password, already hashed (PHC string).
    pub password_hash: String,
    pub audit: AuditDraft,
}

/// How a delivery attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailOutcome {
    /// Accepted by the SMTP server; the link is removed from the stored mail.
    Sent { at: OffsetDateTime },
    /// Failed; try again at `at`.
    Retry { error: String, at: OffsetDateTime },
    /// Failed for good.
    Failed { error: String },
    /// Not sent, for good: `reason` says why (see `MailState::Cancelled`).
    Cancelled { reason: String },
}

/// A query of the outbox, newest first; keys are mail ids.
#[derive(Debug, Clone)]
pub struct OutboxQuery {
    pub state: Option<MailState>,
    pub limit: u32,
    pub cursor: Cursor,
}

/// Links, password hashes and the outbox.
#[async_trait]
pub trait LinkStore: Send + Sync {
    async fn find_link(&self, hash: &SecretHash) -> Result<Option<LinkRecord>, StoreError>;
    /// Redeems a live link of the given kind in the given tenant, at most
    /// once even under concurrency: stores the password and, for an
    /// invitation, makes the pending user `active` with its signup
    /// completed. Refuses with `invalid_link` (the same for an unknown,
    /// used or expired link, or a user no longer in a state the link serves).
    async fn redeem_link(&self, redemption: Redemption) -> Result<User, Error>;
    /// The user's password hash (Usher's argon2id PHC string, or an imported
    /// hash of a format [`crate::password::parse_stored`] accepts), if one
    /// is set.
    async fn password_hash(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
    ) -> Result<Option<String>, StoreError>;

    // --- outbox ---

    async fn list_outbox(
        &self,
        tenant_id: TenantId,
        query: &OutboxQuery,
    ) -> Result<Page<OutboxEntry>, StoreError>;
    /// One mail of the outbox, whatever its tenant (its delivery job names
    /// it by id).
    async fn get_mail(&self, id: MailId) -> Result<Option<OutboxEntry>, StoreError>;
    /// Records how a delivery attempt ended, with its audit event.
    async fn finish_mail(
        &self,
        id: MailId,
        outcome: MailOutcome,
        audit: AuditDraft,
    ) -> Result<(), StoreError>;
}
