//! The job queue: durable rows claimed with leases (see [`crate::job`]).

use crate::audit::AuditDraft;
use crate::error::{Error, StoreError};
use crate::ids::{JobId, TenantId};
use crate::job::{JobKind, JobOutcome, JobQuery, JobRecord, JobState, NewJob};
use crate::listing::Page;
use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

/// What the metrics report of the queue.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JobStats {
    /// Jobs by kind and state (kinds and states without jobs left out).
    pub counts: Vec<(JobKind, JobState, u64)>,
    /// The oldest `run_at` among queued jobs already due, if any.
    pub oldest_due: Option<OffsetDateTime>,
}

/// Jobs: enqueued, claimed, renewed, finished, listed, retried, purged.
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Stores a job, due at its `run_at`.
    async fn enqueue_job(&self, job: NewJob) -> Result<(), StoreError>;
    /// Makes sure one recurring job of `job.kind` for `job.tenant` exists,
    /// repeating `every`; answers false when it already did (then nothing
    /// changes). Safe for several processes to call at once.
    async fn ensure_recurring_job(&self, job: NewJob, every: Duration) -> Result<bool, StoreError>;
    /// Claims up to `limit` jobs of `kinds` that are due at `now` (queued
    /// with `run_at <= now`, or running with a lease that ran out) for
    /// `owner` until `lease_until`, oldest due first, counting one more
    /// attempt on each. Of concurrent claimers each job goes to one.
    async fn claim_jobs(
        &self,
        owner: &str,
        kinds: &[JobKind],
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<JobRecord>, StoreError>;
    /// Claims job `id` as [`JobStore::claim_jobs`] would, if it is due at
    /// `now`: a process that made a job can run it itself at once (the CLI's
    /// import) and another takes it over should that process stop. None
    /// when it is not due or another process holds it.
    async fn claim_job(
        &self,
        id: JobId,
        owner: &str,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> Result<Option<JobRecord>, StoreError>;
    /// Makes due at `now` the running jobs whose owner starts with
    /// `instance` but is not `except`: an earlier run of this same process
    /// (restarted) held them and will not finish them, so they need not wait
    /// for their leases to run out. Answers how many.
    async fn release_jobs(
        &self,
        instance: &str,
        except: &str,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError>;
    /// Extends the lease `owner` holds; false when it holds it no more.
    async fn renew_job_lease(
        &self,
        id: JobId,
        owner: &str,
        lease_until: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Records how `owner`'s attempt ended (see [`JobOutcome`]); false, and
    /// nothing written, when `owner` no longer holds the job.
    async fn finish_job(
        &self,
        id: JobId,
        owner: &str,
        outcome: JobOutcome,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// One job, of `tenant` when given.
    async fn get_job(
        &self,
        tenant: Option<TenantId>,
        id: JobId,
    ) -> Result<Option<JobRecord>, StoreError>;
    /// A page of jobs, newest first, with the exact total.
    async fn list_jobs(&self, query: &JobQuery) -> Result<Page<JobRecord>, StoreError>;
    /// Queues a failed job again, due at `now` with no attempts; refuses
    /// with `job_not_failed` when it is in another state and `job_not_found`
    /// when `tenant` (if given) has no such job.
    async fn retry_job(
        &self,
        tenant: Option<TenantId>,
        id: JobId,
        now: OffsetDateTime,
        audit: AuditDraft,
    ) -> Result<JobRecord, Error>;
    /// Removes up to `limit` finished one-off jobs that finished before
    /// `before`; answers how many.
    async fn purge_jobs(&self, before: OffsetDateTime, limit: u32) -> Result<u64, StoreError>;
    /// Counts by kind and state, and the oldest due job, at `now`.
    async fn job_stats(&self, now: OffsetDateTime) -> Result<JobStats, StoreError>;
}
