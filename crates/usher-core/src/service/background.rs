//! The jobs that need nothing but the services: the invitation sweep, bulk
//! runs, imports, the purge of finished jobs, the sealing of audit events,
//! forgotten-password links, and the no-op the benchmark measures.
//! (Mail delivery needs SMTP, so it lives with the binary's mailer.)

use super::Services;
use crate::error::Error;
use crate::error::ErrorCode;
use crate::ids::{BulkProcessId, Id, ImportId};
use crate::job::{Job, JobFailure, JobKind, JobRecord};
use crate::tenant::Tenant;
use async_trait::async_trait;
use std::sync::Arc;
use time::Duration;

/// Expired invitations marked per store call: small enough to keep each
/// write short.
const SWEEP_BATCH: u32 = 1000;
/// Finished jobs removed per store call.
const PURGE_BATCH: u32 = 1000;

/// The recurring jobs of every installation and the time between turns.
const RECURRING: [(JobKind, Duration); 2] = [
    // Reads already see an invitation as expired from its deadline on; the
    // sweep only keeps the counters behind expired invitations cheap.
    (JobKind::InvitationSweep, Duration::minutes(1)),
    (JobKind::JobPurge, Duration::hours(1)),
];

/// How long an audit event may wait unsealed, give or take the runner's
/// poll, on a store that seals later (readers of the log seal before they
/// read, so this bounds only what `usher audit verify` of a copy would see).
const AUDIT_SEAL_EVERY: Duration = Duration::seconds(1);

/// How a job's failure reads: a store that was away is worth retrying, a
/// refusal (the process or tenant is gone) is not.
fn failure(e: Error) -> JobFailure {
    match e {
        Error::Store(s) => JobFailure::Transient(s.to_string()),
        other => JobFailure::Permanent(other.to_string()),
    }
}

struct SweepInvitations(Services);

#[async_trait]
impl Job for SweepInvitations {
    fn kind(&self) -> JobKind {
        JobKind::InvitationSweep
    }

    async fn run(&self, _: &JobRecord) -> Result<(), JobFailure> {
        let store = &self.0.store;
        while store
            .sweep_expired_invitations(self.0.clock.now(), SWEEP_BATCH)
            .await
            .map_err(|e| JobFailure::Transient(e.to_string()))?
            == u64::from(SWEEP_BATCH)
        {}
        Ok(())
    }
}

/// The tenant a job names, or a permanent failure when it is gone.
async fn job_tenant(services: &Services, job: &JobRecord) -> Result<Tenant, JobFailure> {
    let tenants = services
        .store
        .list_tenants()
        .await
        .map_err(|e| failure(e.into()))?;
    tenants
        .into_iter()
        .find(|t| Some(t.id) == job.tenant)
        .ok_or_else(|| JobFailure::Permanent("the job's tenant is gone".into()))
}

/// The id a job's payload names under `key`; `what` names it in the error.
fn payload_id<K>(job: &JobRecord, key: &str, what: &str) -> Result<Id<K>, JobFailure> {
    job.payload[key]
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| JobFailure::Permanent(format!("the job names no {what}")))
}

struct RunBulkProcess(Services);

#[async_trait]
impl Job for RunBulkProcess {
    fn kind(&self) -> JobKind {
        JobKind::BulkRun
    }

    async fn run(&self, job: &JobRecord) -> Result<(), JobFailure> {
        let id: BulkProcessId = payload_id(job, "bulk_process_id", "bulk process")?;
        let tenant = job_tenant(&self.0, job).await?;
        self.0.run_bulk(&tenant, id).await.map_err(failure)
    }
}

struct RunImport(Services);

#[async_trait]
impl Job for RunImport {
    fn kind(&self) -> JobKind {
        JobKind::ImportRun
    }

    async fn run(&self, job: &JobRecord) -> Result<(), JobFailure> {
        let id: ImportId = payload_id(job, "import_id", "import")?;
        let tenant = job_tenant(&self.0, job).await?;
        let e = match self.0.run_import(&tenant, id, &|_, _| {}).await {
            Ok(_) => return Ok(()),
            Err(e) => e,
        };
        // Another process saved a batch first: it holds the import now.
        if e.code() == ErrorCode::ImportMovedOn {
            return Err(JobFailure::Transient(e.to_string()));
        }
        let failed = failure(e);
        let gives_up = matches!(failed, JobFailure::Permanent(_))
            || job.attempts >= JobKind::ImportRun.max_attempts();
        if gives_up && let Err(e) = self.0.fail_import(&tenant, id, &failed.to_string()).await {
            tracing::warn!(import = %id, error = %e, "marking an import failed did not work");
        }
        Err(failed)
    }
}

struct PurgeJobs {
    services: Services,
    retention: Duration,
}

#[async_trait]
impl Job for PurgeJobs {
    fn kind(&self) -> JobKind {
        JobKind::JobPurge
    }

    async fn run(&self, _: &JobRecord) -> Result<(), JobFailure> {
        let before = self.services.clock.now() - self.retention;
        while self
            .services
            .store
            .purge_jobs(before, PURGE_BATCH)
            .await
            .map_err(|e| JobFailure::Transient(e.to_string()))?
            == u64::from(PURGE_BATCH)
        {}
        Ok(())
    }
}

struct SealAudit(Services);

#[async_trait]
impl Job for SealAudit {
    fn kind(&self) -> JobKind {
        JobKind::AuditSeal
    }

    async fn run(&self, _: &JobRecord) -> Result<(), JobFailure> {
        self.0
            .store
            .seal_audit()
            .await
            .map_err(|e| JobFailure::Transient(e.to_string()))?;
        Ok(())
    }
}

struct ForgotPassword(Services);

#[async_trait]
impl Job for ForgotPassword {
    fn kind(&self) -> JobKind {
        JobKind::PasswordForgot
    }

    async fn run(&self, job: &JobRecord) -> Result<(), JobFailure> {
        let tenant = job_tenant(&self.0, job).await?;
        let text = |key: &str| job.payload[key].as_str().map(str::to_owned);
        let email = text("email").unwrap_or_default();
        self.0
            .send_forgotten_password_link(&tenant, &email, text("client_ip"), text("request_id"))
            .await
            .map_err(failure)
    }
}

struct Noop;

#[async_trait]
impl Job for Noop {
    fn kind(&self) -> JobKind {
        JobKind::Noop
    }

    async fn run(&self, _: &JobRecord) -> Result<(), JobFailure> {
        Ok(())
    }
}

impl Services {
    /// The recurring jobs of this installation and the time between turns.
    pub fn recurring_jobs(&self) -> Vec<(JobKind, Duration)> {
        let mut jobs = RECURRING.to_vec();
        if self.store.seals_audit_later() {
            jobs.push((JobKind::AuditSeal, AUDIT_SEAL_EVERY));
        }
        jobs
    }

    /// The jobs these services do, finished jobs being kept `retention`.
    pub fn background_jobs(&self, retention: Duration) -> Vec<Arc<dyn Job>> {
        vec![
            Arc::new(SweepInvitations(self.clone())),
            Arc::new(RunBulkProcess(self.clone())),
            Arc::new(RunImport(self.clone())),
            Arc::new(PurgeJobs {
                services: self.clone(),
                retention,
            }),
            Arc::new(SealAudit(self.clone())),
            Arc::new(ForgotPassword(self.clone())),
            Arc::new(Noop),
        ]
    }
}
