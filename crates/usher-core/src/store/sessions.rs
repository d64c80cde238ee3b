//! End-user sessions and refresh tokens, the login throttle, second
//! factors and the challenges of logins waiting for one. Sessions are
//! opened through [`super::UserStore::modify_user`] with
//! [`super::Effects::new_session`].

use crate::audit::AuditDraft;
use crate::error::{Error, StoreError};
use crate::factor::{Challenge, FactorSecret, NewFactor};
use crate::ids::{FactorId, SessionId, TenantId, UserId};
use crate::session::{
    Rotation, RotationOutcome, Session, SessionMatch, Throttle, ThrottleKey, TokenKind,
};
use crate::token::SecretHash;
use async_trait::async_trait;
use time::OffsetDateTime;

/// Sessions, the throttle and second factors.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// The session a session or access token belongs to, expired or not.
    async fn find_session(
        &self,
        kind: TokenKind,
        hash: &SecretHash,
    ) -> Result<Option<SessionMatch>, StoreError>;
    /// Records that the session was used at `now`.
    async fn touch_session(
        &self,
        session_id: SessionId,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// When the session's holder last proved who they are (a password or a
    /// code): its login, or a later re-authentication. `None` for a
    /// session that does not exist.
    async fn session_authenticated_at(
        &self,
        session_id: SessionId,
    ) -> Result<Option<OffsetDateTime>, StoreError>;
    /// Records a re-authentication of the session at `at`.
    async fn mark_session_authenticated(
        &self,
        session_id: SessionId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Replaces a current refresh token (and the access token) with the
    /// next ones; a token already replaced ends its session. Exactly one of
    /// two concurrent uses of one token rotates it.
    async fn rotate_refresh(
        &self,
        rotation: Rotation,
        audit: AuditDraft,
    ) -> Result<RotationOutcome, Error>;
    /// A user's sessions not yet expired at `now`, newest first.
    async fn list_sessions(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        now: OffsetDateTime,
    ) -> Result<Vec<Session>, StoreError>;
    /// Ends one session of the user (`Some`) or all of them; answers how
    /// many ended. An unknown session id is `Error::NotFound`.
    async fn end_sessions(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        session_id: Option<SessionId>,
        audit: AuditDraft,
    ) -> Result<u64, Error>;

    // --- login throttle ---

    async fn throttle(
        &self,
        tenant_id: TenantId,
        key: &ThrottleKey,
    ) -> Result<Option<Throttle>, StoreError>;
    /// Counts one more failure for `key`; answers the new record.
    async fn throttle_failure(
        &self,
        tenant_id: TenantId,
        key: &ThrottleKey,
        now: OffsetDateTime,
    ) -> Result<Throttle, StoreError>;
    /// Counts one more failure for `key` ahead of an attempt, only if the
    /// record is still `seen` (`None`: no record): a compare-and-set, so
    /// that of parallel attempts each takes its own slot and none slips
    /// past a delay another's failure started. Answers the new record, or
    /// `None` when the record had changed (read it again and decide again).
    async fn throttle_reserve(
        &self,
        tenant_id: TenantId,
        key: &ThrottleKey,
        seen: Option<Throttle>,
        now: OffsetDateTime,
    ) -> Result<Option<Throttle>, StoreError>;
    /// Gives back one reserved failure of `key` (an attempt that succeeded,
    /// or that was refused before it was evaluated).
    async fn throttle_release(
        &self,
        tenant_id: TenantId,
        key: &ThrottleKey,
    ) -> Result<(), StoreError>;
    /// Records that `clients` (an address group, a device) logged in to the
    /// user successfully at `at`, in one write.
    async fn remember_login_clients(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        clients: &[String],
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Whether any of `clients` logged in to the user successfully since
    /// `since`.
    async fn login_client_known(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        clients: &[String],
        since: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    async fn throttle_clear(
        &self,
        tenant_id: TenantId,
        key: &ThrottleKey,
    ) -> Result<(), StoreError>;

    // --- second factors ---

    /// A user's factors with what verifying them needs, oldest first.
    async fn list_factors(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
    ) -> Result<Vec<FactorSecret>, StoreError>;
    /// Stores a factor: a TOTP factor replaces the user's unconfirmed one,
    /// a set of recovery codes the older set.
    async fn add_factor(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        new: NewFactor,
        audit: AuditDraft,
    ) -> Result<(), Error>;
    /// Marks a TOTP factor confirmed, its first code's step spent.
    async fn confirm_factor(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        factor_id: FactorId,
        step: i64,
        audit: AuditDraft,
    ) -> Result<(), Error>;
    /// Spends `step` of a TOTP factor if it is later than the last one
    /// spent; of concurrent uses of one step exactly one answers true.
    async fn use_totp_step(
        &self,
        factor_id: FactorId,
        step: i64,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Spends an unused recovery code of the user; true if it was unused.
    async fn use_recovery_code(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        hash: &SecretHash,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Removes a factor (`Some`) or the user's recovery codes (`None`).
    /// The last confirmed TOTP factor of a user is refused with
    /// `last_second_factor`; an unknown factor is `factor_not_found`.
    async fn delete_factor(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        factor_id: Option<FactorId>,
        audit: AuditDraft,
    ) -> Result<(), Error>;

    /// An admin's reset of the user's second factors: removes every factor
    /// (recovery codes included), ends every session, and marks the user to
    /// enrol an authenticator at their next login until one is confirmed.
    /// Answers the number of factors removed; `user_not_found`.
    async fn reset_factors(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        now: OffsetDateTime,
        audit: AuditDraft,
    ) -> Result<u64, Error>;
    /// Whether the user must enrol an authenticator at their next login
    /// (their factors were reset and no authenticator confirmed since).
    async fn enrolment_required(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
    ) -> Result<bool, StoreError>;

    /// Stores a login's wait for its second factor.
    async fn create_challenge(
        &self,
        hash: &SecretHash,
        challenge: Challenge,
    ) -> Result<(), StoreError>;
    async fn find_challenge(&self, hash: &SecretHash) -> Result<Option<Challenge>, StoreError>;
    /// Counts a wrong code; answers the attempts so far.
    async fn challenge_failed(&self, hash: &SecretHash) -> Result<u32, StoreError>;
    /// Removes the challenge; true for exactly one of concurrent callers.
    async fn end_challenge(&self, hash: &SecretHash) -> Result<bool, StoreError>;
}
