//! Links, password hashes and the outbox ([`LinkStore`]).

pub(crate) mod link;
pub(crate) mod outbox;

use crate::{SqliteStore, store_only};
use async_trait::async_trait;
use usher_core::audit::AuditDraft;
use usher_core::listing::Page;
use usher_core::mail::OutboxEntry;
use usher_core::store::{LinkRecord, LinkStore, MailOutcome, OutboxQuery, Redemption};
use usher_core::token::SecretHash;
use usher_core::user::User;
use usher_core::{Error, MailId, StoreError, TenantId, UserId};

#[async_trait]
impl LinkStore for SqliteStore {
    async fn find_link(&self, hash: &SecretHash) -> Result<Option<LinkRecord>, StoreError> {
        let hash = *hash;
        self.read(move |c| link::find(c, &hash)).await
    }

    async fn redeem_link(&self, redemption: Redemption) -> Result<User, Error> {
        let tk = self.tenant_key(redemption.tenant_id).await?;
        self.inner
            .writer
            .write(move |c| link::redeem(c, tk, redemption))
            .await
    }

    async fn password_hash(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
    ) -> Result<Option<String>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        self.read(move |c| link::password_hash(c, tk, user_id))
            .await
    }

    async fn list_outbox(
        &self,
        tenant_id: TenantId,
        query: &OutboxQuery,
    ) -> Result<Page<OutboxEntry>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        let query = query.clone();
        self.read(move |c| outbox::list(c, tk, &query)).await
    }

    async fn get_mail(&self, id: MailId) -> Result<Option<OutboxEntry>, StoreError> {
        self.read(move |c| outbox::get(c, id)).await
    }

    async fn finish_mail(
        &self,
        id: MailId,
        outcome: MailOutcome,
        audit: AuditDraft,
    ) -> Result<(), StoreError> {
        self.inner
            .writer
            .write(move |c| outbox::finish(c, id, outcome, audit))
            .await
            .map_err(store_only)
    }
}
