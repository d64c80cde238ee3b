//! The job runner: the one place background work runs (see
//! `usher_core::job`). It claims due jobs of the kinds it has a [`Job`] for,
//! runs each on a task of its own while renewing its lease, and records how
//! it ended; failures are retried with the kind's backoff and limit.
//!
//! Several processes may run beside each other on one database: a claim
//! hands each job to one of them, and a process that dies leaves its jobs
//! to the others once their leases run out. A process restarted under the
//! same instance name (host and listen address) frees its earlier run's
//! jobs at once instead.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::{JoinHandle, JoinSet};
use usher_core::job::{
    HEARTBEAT, Job, JobKind, JobOutcome, JobRecord, LEASE, NewJob, after_failure,
};
use usher_core::service::Services;
use usher_core::{JobId, StoreError};

/// Runs jobs for one process.
#[derive(Clone)]
pub struct Runner {
    services: Services,
    /// `instance#nonce`: this run of this process.
    owner: String,
    instance: String,
    jobs: Arc<HashMap<JobKind, Arc<dyn Job>>>,
    workers: usize,
    poll: Duration,
}

impl std::fmt::Debug for Runner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runner")
            .field("owner", &self.owner)
            .field("kinds", &self.kinds())
            .field("workers", &self.workers)
            .finish_non_exhaustive()
    }
}

impl Runner {
    /// A runner named after `instance` (unique among the processes sharing
    /// the database, stable across restarts), doing `jobs`.
    pub fn new(
        services: Services,
        instance: String,
        jobs: Vec<Arc<dyn Job>>,
        workers: usize,
        poll: Duration,
    ) -> Self {
        let nonce: u32 = rand::random();
        Self {
            services,
            owner: format!("{instance}#{nonce:08x}"),
            instance: format!("{instance}#"),
            jobs: Arc::new(jobs.into_iter().map(|j| (j.kind(), j)).collect()),
            workers: workers.max(1),
            poll,
        }
    }

    fn kinds(&self) -> Vec<JobKind> {
        let mut kinds: Vec<JobKind> = self.jobs.keys().copied().collect();
        kinds.sort_by_key(|k| k.as_str());
        kinds
    }

    /// Makes sure the recurring jobs exist and frees the jobs an earlier run
    /// of this instance held.
    pub async fn prepare(&self) -> Result<(), StoreError> {
        let store = &self.services.store;
        let now = self.services.clock.now();
        for (kind, every) in self.services.recurring_jobs() {
            store
                .ensure_recurring_job(NewJob::new(kind, None, serde_json::json!({}), now), every)
                .await?;
        }
        let freed = store.release_jobs(&self.instance, &self.owner, now).await?;
        if freed > 0 {
            tracing::info!(
                jobs = freed,
                "took over the jobs of this instance's previous run"
            );
        }
        Ok(())
    }

    /// Claims up to `limit` due jobs.
    async fn claim(&self, limit: usize) -> Result<Vec<JobRecord>, StoreError> {
        let now = self.services.clock.now();
        self.services
            .store
            .claim_jobs(&self.owner, &self.kinds(), now, now + LEASE, limit as u32)
            .await
    }

    /// Claims the due jobs (as many as there are workers) and runs them to
    /// their end; answers how many ran. Tests call it to drain the queue
    /// deterministically.
    pub async fn run_once(&self) -> Result<usize, StoreError> {
        let due = self.claim(self.workers).await?;
        let n = due.len();
        let mut running = JoinSet::new();
        for job in due {
            running.spawn(self.clone().run(job));
        }
        while running.join_next().await.is_some() {}
        Ok(n)
    }

    /// Claims job `id` and runs it to its end, as the CLI does with the
    /// import it queued; answers false, having done nothing, when the job is
    /// not due or another process holds it.
    pub async fn run_one(&self, id: JobId) -> Result<bool, StoreError> {
        let now = self.services.clock.now();
        let claimed = self
            .services
            .store
            .claim_job(id, &self.owner, now, now + LEASE)
            .await?;
        match claimed {
            Some(job) => {
                self.clone().run(job).await;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Runs one claimed job, renewing its lease meanwhile, and records the
    /// outcome. A job whose lease was taken over (this process stalled past
    /// it) is dropped: its new holder runs it.
    async fn run(self, job: JobRecord) {
        let Some(handler) = self.jobs.get(&job.kind).cloned() else {
            return;
        };
        let store = self.services.store.clone();
        let heartbeat = async {
            let mut tick = tokio::time::interval(HEARTBEAT.unsigned_abs());
            tick.tick().await;
            loop {
                tick.tick().await;
                let until = self.services.clock.now() + LEASE;
                match store.renew_job_lease(job.id, &self.owner, until).await {
                    Ok(true) => {}
                    Ok(false) => return,
                    Err(e) => {
                        tracing::warn!(job = %job.id, error = %e, "renewing a job's lease failed")
                    }
                }
            }
        };
        let result = tokio::select! {
            r = handler.run(&job) => r,
            () = heartbeat => {
                tracing::warn!(job = %job.id, kind = %job.kind, "lost a job's lease; its new holder runs it");
                return;
            }
        };
        let now = self.services.clock.now();
        let outcome = match result {
            Ok(()) => JobOutcome::Completed,
            Err(failure) => {
                tracing::warn!(job = %job.id, kind = %job.kind, attempt = job.attempts, error = %failure, "a job failed");
                after_failure(&job, failure, now)
            }
        };
        if let Err(e) = store.finish_job(job.id, &self.owner, outcome, now).await {
            // The lease runs out and the job is tried again.
            tracing::warn!(job = %job.id, error = %e, "recording a job's outcome failed");
        }
    }

    /// Runs jobs in the background until aborted: up to `workers` at a time,
    /// looking for more whenever one ends, or every `poll`.
    pub fn spawn(self) -> JoinHandle<()> {
        tokio::spawn(async move {
            while let Err(e) = self.prepare().await {
                tracing::warn!(error = %e, "preparing the job runner failed; trying again");
                tokio::time::sleep(self.poll).await;
            }
            let mut running = JoinSet::new();
            loop {
                let free = self.workers - running.len();
                let claimed = if free > 0 {
                    self.claim(free).await.unwrap_or_else(|e| {
                        tracing::warn!(error = %e, "claiming jobs failed");
                        Vec::new()
                    })
                } else {
                    Vec::new()
                };
                let full = claimed.len() == free;
                for job in claimed {
                    running.spawn(self.clone().run(job));
                }
                if full && free > 0 {
                    continue;
                }
                tokio::select! {
                    Some(_) = running.join_next(), if !running.is_empty() => {}
                    () = tokio::time::sleep(self.poll) => {}
                }
                // The minute summaries of audit rows not written one by one.
                if let Err(e) = self.services.flush_audit_summaries().await {
                    tracing::warn!(error = %e, "writing audit summaries failed");
                }
            }
        })
    }
}
