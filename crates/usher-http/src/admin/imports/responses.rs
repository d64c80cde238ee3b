//! The bodies that describe imports.

use crate::admin::bulk::responses::ActorResponse;
use serde::Serialize;
use time::OffsetDateTime;
use usher_core::import::ImportRecord;
use utoipa::ToSchema;
use uuid::Uuid;

/// One bad row.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportError {
    pub line: u32,
    pub field: Option<String>,
    pub code: String,
    pub message: String,
}

/// An import: its state, counts, progress and errors.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResponse {
    pub id: Uuid,
    /// queued, running, completed or failed.
    pub state: &'static str,
    /// csv or jsonl.
    pub format: &'static str,
    pub dry_run: bool,
    /// What a bad row does: skip_row, fail_batch or fail_file.
    pub on_error: &'static str,
    /// Rows in the file: its lines until the import finishes (a row can
    /// span lines), then the rows read.
    pub total: u64,
    /// Rows done so far (readable or not).
    pub rows: u64,
    /// Share of `total` done, 0 to 100.
    pub percent: u8,
    /// Users created (would be, in a dry run).
    pub created: u64,
    /// Stored users updated.
    pub updated: u64,
    /// Rows naming a stored user they would not change (nothing written).
    pub unchanged: u64,
    /// Rows with an error.
    pub failed: u64,
    /// The same as `failed` (the name of the first API version).
    pub failed_rows: u64,
    /// Good rows not written because of a bad row (in their batch with
    /// fail_batch, anywhere in the file with fail_file; none with skip_row).
    pub skipped_rows: u64,
    /// Batches done (written or refused), of 5,000 rows each.
    pub batches: u64,
    pub failed_batches: u64,
    /// The first 1,000 errors, by line.
    pub errors: Vec<ImportError>,
    /// True when there were more errors than listed.
    pub errors_truncated: bool,
    /// Why Usher stopped the import (`failed` only).
    pub error: Option<String>,
    pub created_by: ActorResponse,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<OffsetDateTime>,
    /// The job that runs it (none when it ran within its request).
    pub job_id: Option<Uuid>,
}

impl From<&ImportRecord> for ImportResponse {
    fn from(r: &ImportRecord) -> Self {
        let percent = match r.total {
            0 => 100,
            total => (r.rows.min(total) * 100 / total) as u8,
        };
        Self {
            id: r.id.uuid(),
            state: r.state.as_str(),
            format: r.format.as_str(),
            dry_run: r.dry_run,
            on_error: r.on_error.as_str(),
            total: r.total,
            rows: r.rows,
            percent,
            created: r.created,
            updated: r.updated,
            unchanged: r.unchanged,
            failed: r.failed_rows,
            failed_rows: r.failed_rows,
            skipped_rows: r.skipped_rows,
            batches: r.batches,
            failed_batches: r.failed_batches,
            errors: r
                .errors
                .iter()
                .map(|e| ImportError {
                    line: e.line,
                    field: e.field.clone(),
                    code: e.code.as_str().to_owned(),
                    message: e.message.clone(),
                })
                .collect(),
            errors_truncated: r.errors_truncated,
            error: r.error.clone(),
            created_by: ActorResponse::of(&r.created_by),
            created_at: r.created_at,
            finished_at: r.finished_at,
            job_id: r.job_id.map(|j| j.uuid()),
        }
    }
}

/// A page of imports, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportList {
    pub items: Vec<ImportResponse>,
    /// The next page, when there may be one.
    pub next: Option<String>,
}
