//! The job queue ([`JobStore`]) on PostgreSQL.

pub(crate) mod queue;

use crate::PostgresStore;
use crate::error::unavailable;
use async_trait::async_trait;
use time::{Duration, OffsetDateTime};
use usher_core::audit::AuditDraft;
use usher_core::job::{JobKind, JobOutcome, JobQuery, JobRecord, NewJob};
use usher_core::listing::Page;
use usher_core::store::{JobStats, JobStore};
use usher_core::{Error, JobId, StoreError, TenantId};

impl PostgresStore {
    async fn optional_key(&self, tenant: Option<TenantId>) -> Result<Option<i64>, StoreError> {
        match tenant {
            Some(t) => Ok(Some(self.tenant_key(t).await?)),
            None => Ok(None),
        }
    }
}

#[async_trait]
impl JobStore for PostgresStore {
    async fn enqueue_job(&self, job: NewJob) -> Result<(), StoreError> {
        let tk = self.optional_key(job.tenant).await?;
        let mut c = self.pool().acquire().await.map_err(unavailable)?;
        queue::insert(&mut c, tk, &job, None)
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    async fn ensure_recurring_job(&self, job: NewJob, every: Duration) -> Result<bool, StoreError> {
        let tk = self.optional_key(job.tenant).await?;
        let mut c = self.pool().acquire().await.map_err(unavailable)?;
        queue::insert(&mut c, tk, &job, Some(every))
            .await
            .map_err(unavailable)
    }

    async fn claim_jobs(
        &self,
        owner: &str,
        kinds: &[JobKind],
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<JobRecord>, StoreError> {
        queue::claim(self.pool(), owner, kinds, now, lease_until, limit).await
    }

    async fn claim_job(
        &self,
        id: JobId,
        owner: &str,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> Result<Option<JobRecord>, StoreError> {
        queue::claim_one(self.pool(), id, owner, now, lease_until).await
    }

    async fn release_jobs(
        &self,
        instance: &str,
        except: &str,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        queue::release(self.pool(), instance, except, now).await
    }

    async fn renew_job_lease(
        &self,
        id: JobId,
        owner: &str,
        lease_until: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        queue::renew(self.pool(), id, owner, lease_until).await
    }

    async fn finish_job(
        &self,
        id: JobId,
        owner: &str,
        outcome: JobOutcome,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        queue::finish(self.pool(), id, owner, &outcome, now).await
    }

    async fn get_job(
        &self,
        tenant: Option<TenantId>,
        id: JobId,
    ) -> Result<Option<JobRecord>, StoreError> {
        let tk = self.optional_key(tenant).await?;
        let mut c = self.pool().acquire().await.map_err(unavailable)?;
        queue::get(&mut c, tk, id).await.map_err(unavailable)
    }

    async fn list_jobs(&self, query: &JobQuery) -> Result<Page<JobRecord>, StoreError> {
        let tk = self.optional_key(query.tenant).await?;
        queue::list(self.pool(), tk, query).await
    }

    async fn retry_job(
        &self,
        tenant: Option<TenantId>,
        id: JobId,
        now: OffsetDateTime,
        audit: AuditDraft,
    ) -> Result<JobRecord, Error> {
        let tk = self.optional_key(tenant).await?;
        let pool = self.pool().clone();
        crate::detached(async move { queue::retry(&pool, tk, id, now, audit).await }).await
    }

    async fn purge_jobs(&self, before: OffsetDateTime, limit: u32) -> Result<u64, StoreError> {
        queue::purge(self.pool(), before, limit).await
    }

    async fn job_stats(&self, now: OffsetDateTime) -> Result<JobStats, StoreError> {
        queue::stats(self.pool(), now).await
    }
}
