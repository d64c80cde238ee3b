//! Background work as rows: one job table, claimed with leases, so that
//! work survives restarts and runs once across several processes.
//!
//! A job is enqueued in the same transaction as the change that causes it
//! (a mail with its outbox row, a bulk run with the move to `running`), so
//! nothing acknowledged is lost. A process claims due jobs for a lease and
//! renews the lease while it works; a job whose lease ran out (its process
//! died) is due again and another process takes it over. Each kind says
//! how often it may fail ([`JobKind::max_attempts`]); between attempts the
//! job waits, longer each time ([`retry_delay`]). Recurring jobs (the
//! invitation sweep, the purge of finished jobs) are rows too: when one
//! finishes it is queued again for its next turn.
//!
//! What a kind does is a [`Job`]; the runner in the binary holds one per
//! kind and calls it for each claimed row.

mod kind;

pub use kind::{JobKind, JobState};

use crate::ids::{JobId, TenantId};
use crate::listing::Cursor;
use async_trait::async_trait;
use serde_json::Value;
use time::{Duration, OffsetDateTime};

/// How long a claim lasts unless renewed. A process that died is replaced
/// within this and one poll of the others.
pub const LEASE: Duration = Duration::seconds(30);

/// How often a running job's lease is renewed: well inside [`LEASE`], so
/// that a slow database round trip does not let it lapse.
pub const HEARTBEAT: Duration = Duration::seconds(10);

/// Finished jobs are kept this long by default (`USHER_JOB_RETENTION_DAYS`).
pub const DEFAULT_RETENTION_DAYS: u32 = 7;

/// A job as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRecord {
    pub id: JobId,
    pub kind: JobKind,
    /// The tenant the job works for; `None` for installation-wide work.
    pub tenant: Option<TenantId>,
    pub payload: Value,
    pub state: JobState,
    /// Attempts started so far (this turn's, for a recurring job).
    pub attempts: u32,
    /// When the job is due (again).
    pub run_at: OffsetDateTime,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<OffsetDateTime>,
    pub last_error: Option<String>,
    /// For a recurring job: the time between two turns.
    pub every: Option<Duration>,
    pub created_at: OffsetDateTime,
    pub finished_at: Option<OffsetDateTime>,
}

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub id: JobId,
    pub kind: JobKind,
    pub tenant: Option<TenantId>,
    pub payload: Value,
    pub run_at: OffsetDateTime,
}

impl NewJob {
    /// A job due at `now`.
    pub fn new(
        kind: JobKind,
        tenant: Option<TenantId>,
        payload: Value,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            id: JobId::generate(),
            kind,
            tenant,
            payload,
            run_at: now,
        }
    }
}

/// How an attempt ended, as the runner tells the store.
#[derive(Debug, Clone, PartialEq)]
pub enum JobOutcome {
    /// Done: the job completes (a recurring one is queued for its next turn).
    Completed,
    /// Failed; try again at `at`.
    Retry { error: String, at: OffsetDateTime },
    /// Failed for good: the job ends `failed` with this error (a recurring
    /// one waits for its next turn, keeping the error).
    Failed { error: String },
}

/// Why an attempt did not complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobFailure {
    /// Worth another attempt (a timeout, a server that answered 4xx/5xx
    /// transiently, a database that was briefly away).
    Transient(String),
    /// Another attempt cannot help (an SMTP server's 5xx refusal).
    Permanent(String),
}

impl std::fmt::Display for JobFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JobFailure::Transient(e) | JobFailure::Permanent(e) => f.write_str(e),
        }
    }
}

/// What one kind of job does. The runner calls [`Job::run`] for each row of
/// [`Job::kind`] it claims; the lease is renewed while it runs, and the
/// outcome (with retries) is recorded by the runner.
#[async_trait]
pub trait Job: Send + Sync {
    fn kind(&self) -> JobKind;

    /// Does the work of `job`. Must be safe to run again after a crash
    /// (it may have been interrupted after doing part of it).
    async fn run(&self, job: &JobRecord) -> Result<(), JobFailure>;
}

/// The outcome to record after attempt number `job.attempts` failed with
/// `failure`, at `now`. The same for every caller: the jitter comes from
/// the job's id and attempt, so a handler that records the retry elsewhere
/// (the outbox shows when a mail is tried next) and the runner agree.
pub fn after_failure(job: &JobRecord, failure: JobFailure, now: OffsetDateTime) -> JobOutcome {
    match failure {
        JobFailure::Transient(error) if job.attempts < job.kind.max_attempts() => {
            JobOutcome::Retry {
                error,
                at: now + retry_delay(job.kind, job.attempts, jitter(job)),
            }
        }
        JobFailure::Transient(error) | JobFailure::Permanent(error) => JobOutcome::Failed { error },
    }
}

/// The wait after failed attempt number `attempt` (1 for the first): the
/// kind's base delay doubled for each attempt before, capped at an hour,
/// then scaled into [50 %, 100 %) by `jitter` (a uniform draw in [0, 1)) so
/// that jobs that failed together do not retry together.
pub fn retry_delay(kind: JobKind, attempt: u32, jitter: f64) -> Duration {
    let cap = Duration::hours(1);
    let doubled = kind
        .retry_base()
        .checked_mul(1_i32 << attempt.saturating_sub(1).min(20))
        .unwrap_or(cap)
        .min(cap);
    doubled * (0.5 + jitter.clamp(0.0, 1.0) / 2.0)
}

/// A draw in [0, 1) fixed by the job's id and attempt, spreading the
/// retries of jobs that failed together.
fn jitter(job: &JobRecord) -> f64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    std::hash::Hash::hash(&(job.id, job.attempts), &mut h);
    (std::hash::Hasher::finish(&h) >> 11) as f64 / (1u64 << 53) as f64
}

/// A query of the job list, newest first; keys are job ids.
#[derive(Debug, Clone)]
pub struct JobQuery {
    /// Only this tenant's jobs; `None`: every job (super-admins).
    pub tenant: Option<TenantId>,
    pub kind: Option<JobKind>,
    pub state: Option<JobState>,
    pub limit: u32,
    pub cursor: Cursor,
}

#[cfg(test)]
mod tests;
