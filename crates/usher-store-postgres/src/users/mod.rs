//! The user aggregate ([`UserStore`]): rows, writes and their effects,
//! counters, the search index, lists and SCIM searches.

pub(crate) mod batch;
mod conds;
pub(crate) mod counts;
pub(crate) mod effects;
pub(crate) mod index;
mod list;
pub(crate) mod ops;
pub(crate) mod rows;
mod scoped;
pub(crate) mod search;
mod totals;
pub(crate) mod update_many;
pub(crate) mod write;

use crate::{PostgresStore, detached};
use async_trait::async_trait;
use time::OffsetDateTime;
use usher_core::audit::AuditDraft;
use usher_core::listing::{Page, UserQuery};
use usher_core::scope::AdminScope;
use usher_core::store::{DeleteGuard, Effects, UserStore, UserWrite};
use usher_core::user::User;
use usher_core::user::fields::Email;
use usher_core::{Error, StoreError, TenantId, UserId};

#[async_trait]
impl UserStore for PostgresStore {
    async fn create_user(
        &self,
        user: User,
        effects: Effects,
        audit: AuditDraft,
    ) -> Result<User, Error> {
        let tk = self.tenant_key(user.tenant_id).await?;
        let pool = self.pool().clone();
        detached(async move { ops::create(&pool, tk, user, effects, audit).await }).await
    }

    async fn insert_users(
        &self,
        tenant_id: TenantId,
        batch: Vec<User>,
        audit: AuditDraft,
    ) -> Result<u64, Error> {
        let tk = self.tenant_key(tenant_id).await?;
        let pool = self.pool().clone();
        detached(async move { batch::insert_batch(&pool, tk, batch, audit).await }).await
    }

    async fn get_user(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
    ) -> Result<Option<User>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        Ok(rows::user_by_id(self.pool(), tk, tenant_id, user_id, false)
            .await?
            .map(|s| s.user))
    }

    async fn get_users(
        &self,
        tenant_id: TenantId,
        ids: Vec<UserId>,
    ) -> Result<Vec<User>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        rows::users_by_ids(self.pool(), tk, tenant_id, &ids).await
    }

    async fn user_by_email(
        &self,
        tenant_id: TenantId,
        email: &Email,
    ) -> Result<Option<User>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        Ok(
            rows::user_by_email(self.pool(), tk, tenant_id, email.normalized())
                .await?
                .map(|s| s.user),
        )
    }

    async fn modify_user(&self, write: UserWrite) -> Result<User, Error> {
        let tk = self.tenant_key(write.tenant_id).await?;
        let pool = self.pool().clone();
        detached(async move { ops::modify(&pool, tk, write).await }).await
    }

    async fn delete_user(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        if_match: Option<i64>,
        guard: DeleteGuard,
        audit: AuditDraft,
    ) -> Result<User, Error> {
        let tk = self.tenant_key(tenant_id).await?;
        let pool = self.pool().clone();
        detached(
            async move { ops::delete(&pool, tk, tenant_id, user_id, if_match, guard, audit).await },
        )
        .await
    }

    async fn list_users(
        &self,
        tenant_id: TenantId,
        query: &UserQuery,
    ) -> Result<Page<User>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        list::list_users(self.pool(), tk, tenant_id, query).await
    }

    async fn user_in_scope(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        scope: &AdminScope,
    ) -> Result<bool, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        scoped::in_scope(self.pool(), tk, user_id, scope).await
    }

    async fn search_users(
        &self,
        tenant_id: TenantId,
        search: &usher_core::scim::query::UserSearch,
    ) -> Result<(u64, Vec<User>), StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        search::search_users(self.pool(), tk, tenant_id, search).await
    }

    async fn sweep_expired_invitations(
        &self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<u64, StoreError> {
        let pool = self.pool().clone();
        detached(async move { Ok(ops::sweep_expired(&pool, now, limit).await?) })
            .await
            .map_err(crate::error::into_store)
    }
}
