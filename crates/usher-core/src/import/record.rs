//! An import as a stored resource: what `GET /imports/{id}` shows, and what
//! the `import_run` job resumes from.
//!
//! The record is saved with each batch, in the batch's own transaction, so
//! that the counts, the errors and the number of batches done always match
//! what the store holds: an import that stops (a process dies, the store
//! goes away) starts again after its last saved batch and writes no row
//! twice.

use super::{ImportFormat, RowError};
use crate::error::ErrorCode;
use crate::ids::{ImportId, JobId, TenantId};
use serde_json::{Value, json};
use time::OffsetDateTime;

/// The errors an import keeps, first lines first; its counts stay exact
/// past them. A file of a million bad rows must not make a record of a
/// hundred megabytes.
pub const MAX_KEPT_ERRORS: usize = 1000;

/// What a bad row does to the rest of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum OnError {
    /// The bad row is reported; the batch's good rows are written (the
    /// default: what a user expects of an import).
    #[default]
    SkipRow,
    /// A batch with a bad row writes nothing.
    FailBatch,
    /// Nothing is written unless every row of the file is good: the whole
    /// file is checked before its first batch is written.
    FailFile,
}

impl OnError {
    pub const ALL: [OnError; 3] = [OnError::SkipRow, OnError::FailBatch, OnError::FailFile];

    pub fn as_str(self) -> &'static str {
        match self {
            OnError::SkipRow => "skip_row",
            OnError::FailBatch => "fail_batch",
            OnError::FailFile => "fail_file",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// Where an import stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImportRunState {
    /// Received and stored; waits for a job runner.
    Queued,
    /// Batches are being written.
    Running,
    /// Every batch was written or refused (bad rows do not fail an import).
    Completed,
    /// Usher could not go on (the error says why); the batches saved stay.
    Failed,
}

impl ImportRunState {
    pub const ALL: [ImportRunState; 4] = [
        ImportRunState::Queued,
        ImportRunState::Running,
        ImportRunState::Completed,
        ImportRunState::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ImportRunState::Queued => "queued",
            ImportRunState::Running => "running",
            ImportRunState::Completed => "completed",
            ImportRunState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    pub fn is_finished(self) -> bool {
        matches!(self, ImportRunState::Completed | ImportRunState::Failed)
    }
}

/// One import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRecord {
    pub id: ImportId,
    pub tenant_id: TenantId,
    pub state: ImportRunState,
    pub format: ImportFormat,
    /// Everything checked, nothing kept.
    pub dry_run: bool,
    /// What a bad row does.
    pub on_error: OnError,
    /// Rows in the file: its lines until the import has finished (a row
    /// can span lines), then the rows read.
    pub total: u64,
    /// Batches written or refused so far; the import resumes after them.
    pub batches: u64,
    /// Rows of those batches (readable or not).
    pub rows: u64,
    /// Users created (or, in a dry run, that would be).
    pub created: u64,
    /// Stored users updated.
    pub updated: u64,
    /// Rows naming a stored user that they would not change: nothing is
    /// written for them (no new version, no audit of a change).
    pub unchanged: u64,
    /// Rows with an error.
    pub failed_rows: u64,
    /// Good rows not written because of a bad row (in their batch, or in
    /// the file with `fail_file`).
    pub skipped_rows: u64,
    pub failed_batches: u64,
    /// The first [`MAX_KEPT_ERRORS`] errors, by line.
    pub errors: Vec<RowError>,
    /// More errors were found than kept.
    pub errors_truncated: bool,
    /// Why Usher stopped the import (`failed` only).
    pub error: Option<String>,
    /// The audit actor of the upload, as `kind:id:name`: batches are
    /// audited in its name.
    pub created_by: String,
    pub created_at: OffsetDateTime,
    pub finished_at: Option<OffsetDateTime>,
    /// The job that runs it (none when it ran within its request).
    pub job_id: Option<JobId>,
}

impl ImportRecord {
    /// A new import of a file of `total` lines, not started.
    pub fn new(
        tenant_id: TenantId,
        format: ImportFormat,
        dry_run: bool,
        total: u64,
        created_by: String,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            id: ImportId::generate(),
            tenant_id,
            state: ImportRunState::Queued,
            format,
            dry_run,
            on_error: OnError::default(),
            total,
            batches: 0,
            rows: 0,
            created: 0,
            updated: 0,
            unchanged: 0,
            failed_rows: 0,
            skipped_rows: 0,
            failed_batches: 0,
            errors: Vec::new(),
            errors_truncated: false,
            error: None,
            created_by,
            created_at: now,
            finished_at: None,
            job_id: None,
        }
    }

    /// Marks the import finished at `now`, every batch done: its total is
    /// now the rows read.
    pub fn complete(&mut self, now: OffsetDateTime) {
        self.state = ImportRunState::Completed;
        self.total = self.rows;
        self.finished_at = Some(now);
    }

    /// Keeps a batch's errors (already by line) up to [`MAX_KEPT_ERRORS`].
    pub fn keep_errors(&mut self, errors: Vec<RowError>) {
        let room = MAX_KEPT_ERRORS.saturating_sub(self.errors.len());
        if errors.len() > room {
            self.errors_truncated = true;
        }
        self.errors.extend(errors.into_iter().take(room));
    }

    /// Counts the rows a store refused while it wrote the rest of their
    /// batch (`skip_row`), given as `(line, was a new user, why)`: they
    /// leave `created` or `updated` for `failed_rows`, and their errors
    /// join the kept ones in line order. Stores apply it to the record they
    /// save, and the importer to the one it holds, so both agree.
    pub fn count_refused(&mut self, refused: &[(u32, bool, &crate::error::Error)]) {
        let mut lines: Vec<(u32, bool)> = refused.iter().map(|(l, n, _)| (*l, *n)).collect();
        lines.sort_unstable();
        lines.dedup_by_key(|(l, _)| *l);
        for (_, new) in &lines {
            if *new {
                self.created = self.created.saturating_sub(1);
            } else {
                self.updated = self.updated.saturating_sub(1);
            }
        }
        self.failed_rows += lines.len() as u64;
        let errors = refused
            .iter()
            .flat_map(|(line, _, e)| RowError::from_error(*line, e))
            .collect();
        self.keep_errors(errors);
        self.errors.sort_by_key(|e| e.line);
    }

    /// The kept errors as stores hold them (a JSON array).
    pub fn errors_json(&self) -> String {
        Value::Array(
            self.errors
                .iter()
                .map(|e| json!({"line": e.line, "field": e.field, "code": e.code.as_str(), "message": e.message}))
                .collect(),
        )
        .to_string()
    }

    /// Errors read back from [`ImportRecord::errors_json`]. A code this
    /// version no longer knows reads as `invalid_import_file`.
    pub fn errors_from_json(text: &str) -> Vec<RowError> {
        let Ok(Value::Array(items)) = serde_json::from_str::<Value>(text) else {
            return Vec::new();
        };
        items
            .iter()
            .map(|v| RowError {
                line: v["line"].as_u64().unwrap_or(0) as u32,
                field: v["field"].as_str().map(str::to_owned),
                code: v["code"]
                    .as_str()
                    .and_then(ErrorCode::parse)
                    .unwrap_or(ErrorCode::InvalidImportFile),
                message: v["message"].as_str().unwrap_or_default().to_owned(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_errors_stop_at_the_limit_and_say_so() {
        let mut r = ImportRecord::new(
            TenantId::generate(),
            ImportFormat::Csv,
            false,
            10,
            "system".into(),
            OffsetDateTime::UNIX_EPOCH,
        );
        let errors = |from: u32, n: u32| {
            (from..from + n)
                .map(|line| RowError::new(line, Some("email"), ErrorCode::InvalidEmail, "bad"))
                .collect::<Vec<_>>()
        };
        r.keep_errors(errors(2, 600));
        assert!(!r.errors_truncated);
        r.keep_errors(errors(700, 600));
        assert_eq!(r.errors.len(), MAX_KEPT_ERRORS);
        assert!(r.errors_truncated);
        assert_eq!(r.errors.last().map(|e| e.line), Some(1099));
        let back = ImportRecord::errors_from_json(&r.errors_json());
        assert_eq!(back, r.errors);
    }
}
