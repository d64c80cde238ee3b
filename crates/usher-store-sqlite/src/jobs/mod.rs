//! The job queue ([`JobStore`]) on SQLite.

pub(crate) mod queue;

use crate::SqliteStore;
use async_trait::async_trait;
use time::{Duration, OffsetDateTime};
use usher_core::audit::AuditDraft;
use usher_core::job::{JobKind, JobOutcome, JobQuery, JobRecord, NewJob};
use usher_core::listing::Page;
use usher_core::store::{JobStats, JobStore};
use usher_core::{Error, JobId, StoreError, TenantId};

impl SqliteStore {
    async fn optional_key(&self, tenant: Option<TenantId>) -> Result<Option<i64>, StoreError> {
        match tenant {
            Some(t) => Ok(Some(self.tenant_key(t).await?)),
            None => Ok(None),
        }
    }
}

#[async_trait]
impl JobStore for SqliteStore {
    async fn enqueue_job(&self, job: NewJob) -> Result<(), StoreError> {
        let tk = self.optional_key(job.tenant).await?;
        self.write(move |c| queue::insert(c, tk, &job, None).map(|_| ()))
            .await
    }

    async fn ensure_recurring_job(&self, job: NewJob, every: Duration) -> Result<bool, StoreError> {
        let tk = self.optional_key(job.tenant).await?;
        self.write(move |c| queue::insert(c, tk, &job, Some(every)))
            .await
    }

    async fn claim_jobs(
        &self,
        owner: &str,
        kinds: &[JobKind],
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<JobRecord>, StoreError> {
        let (owner, kinds) = (owner.to_owned(), kinds.to_vec());
        self.write(move |c| queue::claim(c, &owner, &kinds, now, lease_until, limit))
            .await
    }

    async fn claim_job(
        &self,
        id: JobId,
        owner: &str,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> Result<Option<JobRecord>, StoreError> {
        let owner = owner.to_owned();
        self.write(move |c| queue::claim_one(c, id, &owner, now, lease_until))
            .await
    }

    async fn release_jobs(
        &self,
        instance: &str,
        except: &str,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let (instance, except) = (instance.to_owned(), except.to_owned());
        self.write(move |c| queue::release(c, &instance, &except, now))
            .await
    }

    async fn renew_job_lease(
        &self,
        id: JobId,
        owner: &str,
        lease_until: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let owner = owner.to_owned();
        self.write(move |c| queue::renew(c, id, &owner, lease_until))
            .await
    }

    async fn finish_job(
        &self,
        id: JobId,
        owner: &str,
        outcome: JobOutcome,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let owner = owner.to_owned();
        self.write(move |c| queue::finish(c, id, &owner, &outcome, now))
            .await
    }

    async fn get_job(
        &self,
        tenant: Option<TenantId>,
        id: JobId,
    ) -> Result<Option<JobRecord>, StoreError> {
        let tk = self.optional_key(tenant).await?;
        self.read(move |c| queue::get(c, tk, id)).await
    }

    async fn list_jobs(&self, query: &JobQuery) -> Result<Page<JobRecord>, StoreError> {
        let tk = self.optional_key(query.tenant).await?;
        let query = query.clone();
        self.read(move |c| queue::list(c, tk, &query)).await
    }

    async fn retry_job(
        &self,
        tenant: Option<TenantId>,
        id: JobId,
        now: OffsetDateTime,
        audit: AuditDraft,
    ) -> Result<JobRecord, Error> {
        let tk = self.optional_key(tenant).await?;
        self.inner
            .writer
            .write(move |c| queue::retry(c, tk, id, now, audit))
            .await
    }

    async fn purge_jobs(&self, before: OffsetDateTime, limit: u32) -> Result<u64, StoreError> {
        self.write(move |c| queue::purge(c, before, limit)).await
    }

    async fn job_stats(&self, now: OffsetDateTime) -> Result<JobStats, StoreError> {
        self.read(move |c| queue::stats(c, now)).await
    }
}
