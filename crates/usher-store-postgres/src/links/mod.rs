//! Links, password hashes and the outbox ([`LinkStore`]).

pub(crate) mod link;
pub(crate) mod outbox;

use crate::{PostgresStore, detached};
use async_trait::async_trait;
use usher_core::audit::AuditDraft;
use usher_core::listing::Page;
use usher_core::mail::OutboxEntry;
use usher_core::store::{LinkRecord, LinkStore, MailOutcome, OutboxQuery, Redemption};
use usher_core::token::SecretHash;
use usher_core::user::User;
use usher_core::{Error, MailId, StoreError, TenantId, UserId};

#[async_trait]
impl LinkStore for PostgresStore {
    async fn find_link(&self, hash: &SecretHash) -> Result<Option<LinkRecord>, StoreError> {
        link::find(self.pool(), hash).await
    }

    async fn redeem_link(&self, redemption: Redemption) -> Result<User, Error> {
        let tk = self.tenant_key(redemption.tenant_id).await?;
        let pool = self.pool().clone();
        detached(async move { link::redeem(&pool, tk, redemption).await }).await
    }

    async fn password_hash(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
    ) -> Result<Option<String>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        link::password_hash(self.pool(), tk, user_id).await
    }

    async fn list_outbox(
        &self,
        tenant_id: TenantId,
        query: &OutboxQuery,
    ) -> Result<Page<OutboxEntry>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        outbox::list(self.pool(), tk, query).await
    }

    async fn get_mail(&self, id: MailId) -> Result<Option<OutboxEntry>, StoreError> {
        outbox::get(self.pool(), id).await
    }

    async fn finish_mail(
        &self,
        id: MailId,
        outcome: MailOutcome,
        audit: AuditDraft,
    ) -> Result<(), StoreError> {
        let pool = self.pool().clone();
        detached(async move { outbox::finish(&pool, id, outcome, audit).await })
            .await
            .map_err(crate::error::into_store)
    }
}
