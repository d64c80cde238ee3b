//! The kinds of job and the states a job goes through, with their stable
//! names (stored, and shown in the API's job list).

use time::Duration;

/// What a job does. Later kinds (source syncs, provisioning pushes) join
/// this list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// Marks pending invitations past their expiry (recurring).
    InvitationSweep,
    /// Delivers one outbox mail over SMTP.
    MailDelivery,
    /// Runs a started bulk process to its end.
    BulkRun,
    /// Writes a queued import's batches, from the first not yet written.
    ImportRun,
    /// Removes finished jobs older than the retention (recurring).
    JobPurge,
    /// Seals audit events written but not yet in their chain (recurring,
    /// on stores that seal later: PostgreSQL).
    AuditSeal,
    /// Mails a reset link to the account a "forgot your password" request
    /// named, if there is one.
    PasswordForgot,
    /// Does nothing: measures the queue itself (benchmarks, tests).
    Noop,
}

impl JobKind {
    pub const ALL: [JobKind; 8] = [
        JobKind::InvitationSweep,
        JobKind::MailDelivery,
        JobKind::BulkRun,
        JobKind::ImportRun,
        JobKind::JobPurge,
        JobKind::AuditSeal,
        JobKind::PasswordForgot,
        JobKind::Noop,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::InvitationSweep => "invitation_sweep",
            JobKind::MailDelivery => "mail_delivery",
            JobKind::BulkRun => "bulk_run",
            JobKind::ImportRun => "import_run",
            JobKind::JobPurge => "job_purge",
            JobKind::AuditSeal => "audit_seal",
            JobKind::PasswordForgot => "password_forgot",
            JobKind::Noop => "noop",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Attempts before a job of this kind ends `failed`.
    pub fn max_attempts(self) -> u32 {
        match self {
            // A mail server can be away for a while; ten attempts with the
            // mail's backoff span about five hours.
            JobKind::MailDelivery => 10,
            JobKind::BulkRun | JobKind::ImportRun => 5,
            JobKind::InvitationSweep
            | JobKind::JobPurge
            | JobKind::AuditSeal
            | JobKind::PasswordForgot
            | JobKind::Noop => 3,
        }
    }

    /// The wait after a first failed attempt; it doubles each time after.
    pub fn retry_base(self) -> Duration {
        match self {
            JobKind::MailDelivery => Duration::seconds(30),
            JobKind::Noop => Duration::seconds(1),
            _ => Duration::seconds(10),
        }
    }
}

impl std::fmt::Display for JobKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobState {
    /// Waiting for its `run_at`.
    Queued,
    /// Claimed by a process, whose lease has not run out.
    Running,
    Completed,
    /// Gave up after its kind's attempts, or at once on a permanent error.
    Failed,
}

impl JobState {
    pub const ALL: [JobState; 4] = [
        JobState::Queued,
        JobState::Running,
        JobState::Completed,
        JobState::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Completed => "completed",
            JobState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for JobState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
