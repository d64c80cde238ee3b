//! Sessions, the login throttle and second factors ([`SessionStore`]).

pub(crate) mod factors;
mod mfa_reset;
pub(crate) mod session;
mod throttle;

use crate::{SqliteStore, store_only};
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
impl SessionStore for SqliteStore {
    async fn find_session(
        &self,
        kind: TokenKind,
        hash: &SecretHash,
    ) -> Result<Option<SessionMatch>, StoreError> {
        let hash = *hash;
        self.read(move |c| session::find(c, kind, &hash)).await
    }

    async fn touch_session(
        &self,
        session_id: SessionId,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let now = usher_core::clock::to_micros(now);
        self.write(move |c| session::touch(c, session_id, now))
            .await
    }

    async fn session_authenticated_at(
        &self,
        session_id: SessionId,
    ) -> Result<Option<OffsetDateTime>, StoreError> {
        let at = self
            .read(move |c| session::authenticated_at(c, session_id))
            .await?;
        Ok(at.map(usher_core::clock::from_micros))
    }

    async fn mark_session_authenticated(
        &self,
        session_id: SessionId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let at = usher_core::clock::to_micros(at);
        self.write(move |c| session::mark_authenticated(c, session_id, at))
            .await
    }

    async fn rotate_refresh(
        &self,
        rotation: Rotation,
        audit: AuditDraft,
    ) -> Result<RotationOutcome, Error> {
        let tk = self.tenant_key(rotation.tenant_id).await?;
        self.inner
            .writer
            .write(move |c| session::rotate(c, tk, rotation, audit))
            .await
    }

    async fn list_sessions(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        now: OffsetDateTime,
    ) -> Result<Vec<Session>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        let now = usher_core::clock::to_micros(now);
        self.read(move |c| session::list(c, tk, user_id, now)).await
    }

    async fn end_sessions(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        session_id: Option<SessionId>,
        audit: AuditDraft,
    ) -> Result<u64, Error> {
        let tk = self.tenant_key(tenant_id).await?;
        self.inner
            .writer
            .write(move |c| session::end(c, tk, user_id, session_id, audit))
            .await
    }

    async fn throttle(
        &self,
        tenant_id: TenantId,
        key: &ThrottleKey,
    ) -> Result<Option<Throttle>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        let key = key.as_str().to_owned();
        self.read(move |c| throttle::throttle(c, tk, &key)).await
    }

    async fn throttle_failure(
        &self,
        tenant_id: TenantId,
        key: &ThrottleKey,
        now: OffsetDateTime,
    ) -> Result<Throttle, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        let key = key.as_str().to_owned();
        let now = usher_core::clock::to_micros(now);
        self.write(move |c| throttle::throttle_failure(c, tk, &key, now))
            .await
    }

    async fn throttle_reserve(
        &self,
        tenant_id: TenantId,
        key: &ThrottleKey,
        seen: Option<Throttle>,
        now: OffsetDateTime,
    ) -> Result<Option<Throttle>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        let key = key.as_str().to_owned();
        let now = usher_core::clock::to_micros(now);
        self.write(move |c| throttle::throttle_reserve(c, tk, &key, seen, now))
            .await
    }

    async fn throttle_release(
        &self,
        tenant_id: TenantId,
        key: &ThrottleKey,
    ) -> Result<(), StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        let key = key.as_str().to_owned();
        self.write(move |c| throttle::throttle_release(c, tk, &key))
            .await
    }

    async fn remember_login_clients(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        clients: &[String],
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        let clients = clients.to_vec();
        let at = usher_core::clock::to_micros(at);
        self.write(move |c| {
            clients
                .iter()
                .try_for_each(|client| throttle::remember_client(c, tk, user_id, client, at))
        })
        .await
    }

    async fn login_client_known(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        clients: &[String],
        since: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        let clients = clients.to_vec();
        let since = usher_core::clock::to_micros(since);
        self.read(move |c| throttle::client_known(c, tk, user_id, &clients, since))
            .await
    }

    async fn throttle_clear(
        &self,
        tenant_id: TenantId,
        key: &ThrottleKey,
    ) -> Result<(), StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        let key = key.as_str().to_owned();
        self.write(move |c| throttle::throttle_clear(c, tk, &key))
            .await
    }

    async fn list_factors(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
    ) -> Result<Vec<FactorSecret>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        self.read(move |c| factors::list(c, tk, user_id)).await
    }

    async fn add_factor(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        new: NewFactor,
        audit: AuditDraft,
    ) -> Result<(), Error> {
        let tk = self.tenant_key(tenant_id).await?;
        self.inner
            .writer
            .write(move |c| factors::add(c, tk, user_id, new, audit))
            .await
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
        self.inner
            .writer
            .write(move |c| factors::confirm(c, tk, user_id, factor_id, step, audit))
            .await
    }

    async fn use_totp_step(
        &self,
        factor_id: FactorId,
        step: i64,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let now = usher_core::clock::to_micros(now);
        self.write(move |c| factors::use_step(c, factor_id, step, now))
            .await
    }

    async fn use_recovery_code(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        hash: &SecretHash,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        let (hash, now) = (*hash, usher_core::clock::to_micros(now));
        self.write(move |c| factors::use_code(c, tk, user_id, &hash, now))
            .await
    }

    async fn delete_factor(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        factor_id: Option<FactorId>,
        audit: AuditDraft,
    ) -> Result<(), Error> {
        let tk = self.tenant_key(tenant_id).await?;
        self.inner
            .writer
            .write(move |c| factors::delete(c, tk, user_id, factor_id, audit))
            .await
    }

    async fn reset_factors(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        now: OffsetDateTime,
        audit: AuditDraft,
    ) -> Result<u64, Error> {
        let tk = self.tenant_key(tenant_id).await?;
        self.inner
            .writer
            .write(move |c| mfa_reset::reset(c, tk, user_id, now, audit))
            .await
    }

    async fn enrolment_required(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
    ) -> Result<bool, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        self.read(move |c| mfa_reset::pending(c, tk, user_id)).await
    }

    async fn create_challenge(
        &self,
        hash: &SecretHash,
        challenge: Challenge,
    ) -> Result<(), StoreError> {
        let tk = self.tenant_key(challenge.tenant_id).await?;
        let hash = *hash;
        self.inner
            .writer
            .write(move |c| factors::create_challenge(c, tk, &hash, &challenge))
            .await
            .map_err(store_only)
    }

    async fn find_challenge(&self, hash: &SecretHash) -> Result<Option<Challenge>, StoreError> {
        let hash = *hash;
        self.read(move |c| factors::find_challenge(c, &hash)).await
    }

    async fn challenge_failed(&self, hash: &SecretHash) -> Result<u32, StoreError> {
        let hash = *hash;
        self.write(move |c| factors::challenge_failed(c, &hash))
            .await
    }

    async fn end_challenge(&self, hash: &SecretHash) -> Result<bool, StoreError> {
        let hash = *hash;
        self.write(move |c| factors::end_challenge(c, &hash)).await
    }
}
