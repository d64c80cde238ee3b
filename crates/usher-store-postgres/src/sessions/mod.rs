//! Sessions, the login throttle and second factors ([`SessionStore`]).

pub(crate) mod factors;
mod mfa_reset;
pub(crate) mod session;
mod throttle;

use crate::{PostgresStore, detached};
use async_trait::async_trait;
use time::OffsetDateTime;
use usher_core::audit::AuditDraft;
use usher_core::factor::{Challenge, FactorSecret, NewFactor};
use usher_core::session::ThrottleKey;
use usher_core::session::{Rotation, RotationOutcome, Session, SessionMatch, Throttle, TokenKind};
use usher_core::store::SessionStore;
use usher_core::token::SecretHash;
use usher_core::{Error, FactorId, SessionId, StoreError, TenantId, UserId};

#[async_trait]
impl SessionStore for PostgresStore {
    async fn find_session(
        &self,
        kind: TokenKind,
        hash: &SecretHash,
    ) -> Result<Option<SessionMatch>, StoreError> {
        session::find(self.pool(), kind, hash).await
    }

    async fn touch_session(
        &self,
        session_id: SessionId,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        session::touch(self.pool(), session_id, now).await
    }

    async fn session_authenticated_at(
        &self,
        session_id: SessionId,
    ) -> Result<Option<OffsetDateTime>, StoreError> {
        session::authenticated_at(self.pool(), session_id).await
    }

    async fn mark_session_authenticated(
        &self,
        session_id: SessionId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        session::mark_authenticated(self.pool(), session_id, at).await
    }

    async fn rotate_refresh(
        &self,
        rotation: Rotation,
        audit: AuditDraft,
    ) -> Result<RotationOutcome, Error> {
        let tk = self.tenant_key(rotation.tenant_id).await?;
        let pool = self.pool().clone();
        detached(async move { session::rotate(&pool, tk, rotation, audit).await }).await
    }

    async fn list_sessions(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        now: OffsetDateTime,
    ) -> Result<Vec<Session>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        session::list(self.pool(), tk, user_id, now).await
    }

    async fn end_sessions(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        session_id: Option<SessionId>,
        audit: AuditDraft,
    ) -> Result<u64, Error> {
        let tk = self.tenant_key(tenant_id).await?;
        let pool = self.pool().clone();
        detached(async move { session::end(&pool, tk, user_id, session_id, audit).await }).await
    }

    async fn throttle(
        &self,
        tenant_id: TenantId,
        key: &ThrottleKey,
    ) -> Result<Option<Throttle>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        throttle::throttle(self.pool(), tk, key.as_str()).await
    }

    async fn throttle_failure(
        &self,
        tenant_id: TenantId,
        key: &ThrottleKey,
        now: OffsetDateTime,
    ) -> Result<Throttle, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        throttle::throttle_failure(self.pool(), tk, key.as_str(), now).await
    }

    async fn throttle_reserve(
        &self,
        tenant_id: TenantId,
        key: &ThrottleKey,
        seen: Option<Throttle>,
        now: OffsetDateTime,
    ) -> Result<Option<Throttle>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        throttle::throttle_reserve(self.pool(), tk, key.as_str(), seen, now).await
    }

    async fn throttle_release(
        &self,
        tenant_id: TenantId,
        key: &ThrottleKey,
    ) -> Result<(), StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        throttle::throttle_release(self.pool(), tk, key.as_str()).await
    }

    async fn remember_login_clients(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        clients: &[String],
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        throttle::remember_clients(self.pool(), tk, user_id, clients, at).await
    }

    async fn login_client_known(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        clients: &[String],
        since: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        throttle::client_known(self.pool(), tk, user_id, clients, since).await
    }

    async fn throttle_clear(
        &self,
        tenant_id: TenantId,
        key: &ThrottleKey,
    ) -> Result<(), StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        throttle::throttle_clear(self.pool(), tk, key.as_str()).await
    }

    async fn list_factors(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
    ) -> Result<Vec<FactorSecret>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        factors::list(self.pool(), tk, user_id).await
    }

    async fn add_factor(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        new: NewFactor,
        audit: AuditDraft,
    ) -> Result<(), Error> {
        let tk = self.tenant_key(tenant_id).await?;
        let pool = self.pool().clone();
        detached(async move { factors::add(&pool, tk, user_id, new, audit).await }).await
    }

    async fn confirm_factor(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        factor_id: FactorId,
        step: i64,
        audit: AuditDraft,
    ) -> Result<(), Error> {
        let tk = self.tenant_key(tenant_id).await?;
        let pool = self.pool().clone();
        detached(async move { factors::confirm(&pool, tk, user_id, factor_id, step, audit).await })
            .await
    }

    async fn use_totp_step(
        &self,
        factor_id: FactorId,
        step: i64,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        factors::use_step(self.pool(), factor_id, step, now).await
    }

    async fn use_recovery_code(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        hash: &SecretHash,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        factors::use_code(self.pool(), tk, user_id, hash, now).await
    }

    async fn delete_factor(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        factor_id: Option<FactorId>,
        audit: AuditDraft,
    ) -> Result<(), Error> {
        let tk = self.tenant_key(tenant_id).await?;
        let pool = self.pool().clone();
        detached(async move { factors::delete(&pool, tk, user_id, factor_id, audit).await }).await
    }

    async fn reset_factors(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        now: OffsetDateTime,
        audit: AuditDraft,
    ) -> Result<u64, Error> {
        let tk = self.tenant_key(tenant_id).await?;
        let pool = self.pool().clone();
        detached(async move { mfa_reset::reset(&pool, tk, user_id, now, audit).await }).await
    }

    async fn enrolment_required(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
    ) -> Result<bool, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        mfa_reset::pending(self.pool(), tk, user_id).await
    }

    async fn create_challenge(
        &self,
        hash: &SecretHash,
        challenge: Challenge,
    ) -> Result<(), StoreError> {
        let tk = self.tenant_key(challenge.tenant_id).await?;
        factors::create_challenge(self.pool(), tk, hash, &challenge).await
    }

    async fn find_challenge(&self, hash: &SecretHash) -> Result<Option<Challenge>, StoreError> {
        factors::find_challenge(self.pool(), hash).await
    }

    async fn challenge_failed(&self, hash: &SecretHash) -> Result<u32, StoreError> {
        factors::challenge_failed(self.pool(), hash).await
    }

    async fn end_challenge(&self, hash: &SecretHash) -> Result<bool, StoreError> {
        factors::end_challenge(self.pool(), hash).await
    }
}
