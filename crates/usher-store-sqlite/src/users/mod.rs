//! The user aggregate ([`UserStore`]): rows, writes and their effects,
//! counters, the search index, lists and SCIM searches.

mod batch;
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
pub(crate) mod write;

use crate::SqliteStore;
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
impl UserStore for SqliteStore {
    async fn create_user(
        &self,
        user: User,
        effects: Effects,
        audit: AuditDraft,
    ) -> Result<User, Error> {
        let tk = self.tenant_key(user.tenant_id).await?;
        self.inner
            .writer
            .write(move |c| ops::create(c, tk, user, effects, audit))
            .await
    }

    async fn insert_users(
        &self,
        tenant_id: TenantId,
        batch: Vec<User>,
        audit: AuditDraft,
    ) -> Result<u64, Error> {
        let tk = self.tenant_key(tenant_id).await?;
        self.inner
            .writer
            .write(move |c| batch::insert_batch(c, tk, batch, audit))
            .await
    }

    async fn get_user(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
    ) -> Result<Option<User>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        self.read(move |c| Ok(rows::user_by_id(c, tk, tenant_id, user_id)?.map(|s| s.user)))
            .await
    }

    async fn get_users(
        &self,
        tenant_id: TenantId,
        ids: Vec<UserId>,
    ) -> Result<Vec<User>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        self.read(move |c| {
            let mut users = Vec::with_capacity(ids.len());
            for id in ids {
                if let Some(s) = rows::user_by_id(c, tk, tenant_id, id)? {
                    users.push(s.user);
                }
            }
            Ok(users)
        })
        .await
    }

    async fn user_by_email(
        &self,
        tenant_id: TenantId,
        email: &Email,
    ) -> Result<Option<User>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        let email = email.normalized().to_owned();
        self.read(move |c| Ok(rows::user_by_email(c, tk, tenant_id, &email)?.map(|s| s.user)))
            .await
    }

    async fn modify_user(&self, write: UserWrite) -> Result<User, Error> {
        let tk = self.tenant_key(write.tenant_id).await?;
        self.inner
            .writer
            .write(move |c| ops::modify(c, tk, write))
            .await
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
        self.inner
            .writer
            .write(move |c| ops::delete(c, tk, tenant_id, user_id, if_match, guard, audit))
            .await
    }

    async fn list_users(
        &self,
        tenant_id: TenantId,
        query: &UserQuery,
    ) -> Result<Page<User>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        let query = query.clone();
        self.read(move |c| list::list_users(c, tk, tenant_id, &query))
            .await
    }

    async fn user_in_scope(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        scope: &AdminScope,
    ) -> Result<bool, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        let scope = scope.clone();
        self.read(move |c| scoped::in_scope(c, tk, user_id, &scope))
            .await
    }

    async fn search_users(
        &self,
        tenant_id: TenantId,
        search: &usher_core::scim::query::UserSearch,
    ) -> Result<(u64, Vec<User>), StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        let search = search.clone();
        self.read(move |c| search::search_users(c, tk, tenant_id, &search))
            .await
    }

    async fn sweep_expired_invitations(
        &self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<u64, StoreError> {
        self.inner
            .writer
            .write(move |c| ops::sweep_expired(c, now, limit))
            .await
            .map_err(|e| match e {
                Error::Store(s) => s,
                other => StoreError::Corrupt(other.to_string()),
            })
    }
}
