//! The bodies that describe bulk processes and their rows.

use serde::Serialize;
use time::OffsetDateTime;
use usher_core::audit::Actor;
use usher_core::bulk::{BulkProcess, BulkRow};
use utoipa::ToSchema;
use uuid::Uuid;

/// Who uploaded or started a process.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActorResponse {
    /// `token`, `cli`, `user` or `system`.
    pub kind: String,
    pub id: String,
    pub name: String,
}

impl ActorResponse {
    pub(crate) fn of(stored: &str) -> Self {
        let a = Actor::from_stored(stored);
        Self {
            kind: a.kind.to_owned(),
            id: a.id,
            name: a.name,
        }
    }
}

/// One bulk process.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkProcessResponse {
    pub id: Uuid,
    pub action: &'static str,
    /// The role `assign_role` and `remove_role` give or take; `null` for
    /// the other actions.
    pub role: Option<String>,
    /// uploaded, running, completed, cancelled or failed.
    pub state: &'static str,
    pub validate: bool,
    pub note: Option<String>,
    pub created_by: ActorResponse,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    pub started_by: Option<ActorResponse>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub started_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<OffsetDateTime>,
    /// Rows in the file.
    pub total: u32,
    /// Rows that could not be read (never run).
    pub malformed: u32,
    /// Rows whose action was carried out.
    pub processed: u32,
    /// Rows left alone, each with its reason.
    pub skipped: u32,
    /// Rows still waiting.
    pub pending: u32,
    /// Share of rows with an outcome, 0 to 100.
    pub progress_percent: u32,
    /// Why Usher stopped the process (`failed`).
    pub error: Option<String>,
}

impl From<&BulkProcess> for BulkProcessResponse {
    fn from(p: &BulkProcess) -> Self {
        let done = p.total - p.pending();
        Self {
            id: p.id.uuid(),
            action: p.action.as_str(),
            role: p.role.as_ref().map(|r| r.as_str().to_owned()),
            state: p.state.as_str(),
            validate: p.validate,
            note: p.note.clone(),
            created_by: ActorResponse::of(&p.created_by),
            created_at: p.created_at,
            started_by: p.started_by.as_deref().map(ActorResponse::of),
            started_at: p.started_at,
            finished_at: p.finished_at,
            total: p.total,
            malformed: p.malformed,
            processed: p.processed,
            skipped: p.skipped,
            pending: p.pending(),
            progress_percent: if p.total == 0 {
                100
            } else {
                (u64::from(done) * 100 / u64::from(p.total)) as u32
            },
            error: p.error.clone(),
        }
    }
}

/// A page of processes, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkProcessList {
    pub items: Vec<BulkProcessResponse>,
    /// The next (older) page, if there is one.
    pub next: Option<String>,
}

/// One row as the file gave it, and how it ended.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkRowResponse {
    pub line: u32,
    /// The id or email the row names the user by.
    pub reference: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    /// The user the row named at upload.
    pub user_id: Option<Uuid>,
    /// True when the action was carried out.
    pub processed: bool,
    /// `processed`, or why not (`already_blocked`, `data_changed`,
    /// `data_mismatch`, `unknown_user`, a malformed-row code, …); null
    /// while the row waits.
    pub outcome: Option<String>,
    pub message: Option<String>,
}

impl From<BulkRow> for BulkRowResponse {
    fn from(r: BulkRow) -> Self {
        Self {
            line: r.line,
            reference: r.data.reference,
            first_name: r.data.first_name,
            last_name: r.data.last_name,
            email: r.data.email,
            user_id: r.user_id.map(usher_core::Id::uuid),
            processed: r.processed,
            outcome: r.outcome,
            message: r.message,
        }
    }
}

/// A page of rows in line order.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkRowList {
    pub items: Vec<BulkRowResponse>,
    /// The next page, if there is one.
    pub next: Option<String>,
}
