//! Importing users (`POST /imports`, `usher import FILE`).
//!
//! Every row is read and checked with the admin API's rules, matched to a
//! stored user by external id or email (an update) or made a new user, and
//! written in batches of [`BATCH_ROWS`], each in one transaction. What a
//! bad row does is the import's `on_error`: by default (`skip_row`) the
//! batch's good rows are written and the bad one reported by its line;
//! `fail_batch` keeps a batch with a bad row out whole, and `fail_file`
//! writes nothing unless every row of the file is good (see [`whole`]).
//! A dry run does all of it, store checks included, and keeps nothing.
//!
//! A file of one batch is imported within its request. A larger one (or
//! any, when the client asks) is stored with an `import_run` job and the
//! request answers at once: no request waits on a long write, so a client
//! that gives up never leaves half a file behind it, and a process that
//! stops leaves the job to another, which resumes after the last batch
//! saved.

mod batch;
mod rows;
mod whole;

use super::Services;
use crate::audit::{Actor, AuditAction, AuditContext};
use crate::error::{Error, ErrorCode, Missing, StoreError};
use crate::ids::ImportId;
use crate::import::{
    BATCH_ROWS, ImportFormat, ImportRecord, ImportRunState, OnError, ReadFile, Reader,
};
use crate::job::{JobKind, JobState, NewJob};
use crate::role::KnownRoles;
use crate::store::ImportSave;
use crate::tenant::Tenant;
use batch::Prepared;
use rows::{RowRules, Seen};
use serde_json::json;

/// What an import is asked to do.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    pub format: ImportFormat,
    pub dry_run: bool,
    pub on_error: OnError,
    pub file: Vec<u8>,
}

/// How a caller hears an import's progress: rows done, rows expected.
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Send + Sync);

/// The lines of a usable file (an upper bound of its rows), or why it is
/// not one.
fn lines_of(request: &ImportRequest) -> Result<u64, Error> {
    let mut reader = Reader::new(request.format, &request.file)?;
    let mut first = ReadFile::default();
    reader.next_batch(1, &mut first);
    if first.rows.is_empty() && first.errors.is_empty() {
        return Err(Error::bad_request(
            ErrorCode::InvalidImportFile,
            "the file has no rows",
        ));
    }
    Ok(reader.estimate())
}

/// Imports of one tenant that may be queued or running at once: each holds
/// its file and a job runner, and a tenant must not take every runner (or
/// the disk) of the installation.
pub const MAX_UNFINISHED_IMPORTS: usize = 3;

impl Services {
    /// What the rows of an import are checked against, read once a run: a
    /// role defined while the import runs is not known to it, and one
    /// deleted meanwhile is not given (see [`crate::store::RoleWrites`]).
    async fn row_rules(&self, tenant: &Tenant) -> Result<RowRules, Error> {
        let attrs = self.attribute_set(tenant).await?;
        let roles = self.store.list_roles(tenant.id).await?;
        Ok(RowRules {
            attrs,
            roles: KnownRoles::new(roles.into_iter().map(|(r, _)| r.name)),
        })
    }

    /// How many of the tenant's imports are queued or running.
    async fn unfinished_imports(&self, tenant: &Tenant) -> Result<usize, Error> {
        let recent = self.store.list_imports(tenant.id, None, 200).await?;
        Ok(recent
            .iter()
            .filter(|r| matches!(r.state, ImportRunState::Queued | ImportRunState::Running))
            .count())
    }

    /// Starts an import. A file of one batch at most is imported at once
    /// unless `queue` asks otherwise: the answer is then the finished
    /// import. Otherwise the file is stored with its job and the answer is
    /// the queued import.
    pub async fn start_import(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        request: ImportRequest,
        queue: bool,
    ) -> Result<ImportRecord, Error> {
        let draft = self
            .draft(ctx, Some(tenant), AuditAction::UserImport)
            .details(json!({"dry_run": request.dry_run, "on_error": request.on_error.as_str()}));
        let lines = self.accept(&draft, lines_of(&request)).await?;
        let now = self.clock.now();
        let mut record = ImportRecord::new(
            tenant.id,
            request.format,
            request.dry_run,
            lines,
            ctx.actor.to_stored(),
            now,
        );
        record.on_error = request.on_error;
        if !queue && lines <= BATCH_ROWS as u64 {
            record.state = ImportRunState::Running;
            return self
                .run_batches(tenant, ctx, record, &request.file, &|_, _| {})
                .await;
        }
        let running = self.unfinished_imports(tenant).await?;
        if running >= MAX_UNFINISHED_IMPORTS {
            let err = Error::Conflict {
                code: ErrorCode::TooManyImports,
                field: None,
                message: format!(
                    "{running} imports of this tenant are queued or running; start this one when one has finished"
                ),
            };
            return Err(self.refuse(draft, err).await);
        }
        let job = NewJob::new(
            JobKind::ImportRun,
            Some(tenant.id),
            json!({"import_id": record.id.to_string()}),
            now,
        );
        record.job_id = Some(job.id);
        let draft = self
            .draft(ctx, Some(tenant), AuditAction::ImportCreate)
            .target("import", record.id)
            .details(json!({
                "dry_run": request.dry_run,
                "on_error": request.on_error.as_str(),
                "lines": lines,
                "bytes": request.file.len(),
                "job_id": job.id.to_string(),
            }));
        self.store
            .create_import(record.clone(), request.file, job, draft)
            .await?;
        Ok(record)
    }

    /// Runs a queued import from the batch after its last saved one (the
    /// `import_run` job, or a CLI that claimed that job) and answers it
    /// finished.
    pub async fn run_import(
        &self,
        tenant: &Tenant,
        id: ImportId,
        progress: Progress<'_>,
    ) -> Result<ImportRecord, Error> {
        let Some(record) = self.store.get_import(tenant.id, id).await? else {
            return Err(Error::NotFound(Missing::Import));
        };
        if record.state.is_finished() {
            return Ok(record);
        }
        let Some(file) = self.store.import_file(id).await? else {
            return Err(
                StoreError::Corrupt(format!("the unfinished import {id} has no file")).into(),
            );
        };
        let mut running = record.clone();
        running.state = ImportRunState::Running;
        let save = ImportSave {
            record: running.clone(),
            after: record.batches,
        };
        self.store.save_import(save, None).await?;
        let ctx = AuditContext::new(Actor::from_stored(&record.created_by));
        self.run_batches(tenant, &ctx, running, &file, progress)
            .await
    }

    /// Marks an unfinished import failed (its job gave up), saying why.
    pub async fn fail_import(&self, tenant: &Tenant, id: ImportId, why: &str) -> Result<(), Error> {
        let Some(record) = self.store.get_import(tenant.id, id).await? else {
            return Ok(());
        };
        if record.state.is_finished() {
            return Ok(());
        }
        let mut failed = record.clone();
        failed.state = ImportRunState::Failed;
        failed.error = Some(why.to_owned());
        failed.finished_at = Some(self.clock.now());
        let draft = self
            .draft(
                &AuditContext::new(Actor::system()),
                Some(tenant),
                AuditAction::ImportFail,
            )
            .target("import", id)
            .details(json!({"error": why, "batches": record.batches}));
        let save = ImportSave {
            record: failed,
            after: record.batches,
        };
        self.store.save_import(save, Some(draft)).await
    }

    /// Writes the file's batches after the `record.batches` already saved,
    /// saving the record with each, and answers it finished. While the store
    /// writes one batch, the next one is read, checked and matched (the
    /// store's writer and the checks then use both cores).
    async fn run_batches(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        mut record: ImportRecord,
        file: &[u8],
        progress: Progress<'_>,
    ) -> Result<ImportRecord, Error> {
        if record.on_error == OnError::FailFile
            && record.batches == 0
            && let Some(refused) = self.refuse_bad_file(tenant, &record, file).await?
        {
            return Ok(refused);
        }
        let mut reader = Reader::new(record.format, file)?;
        let lines = reader.estimate();
        let rules = self.row_rules(tenant).await?;
        let mut seen = Seen::default();
        // The batches saved by an earlier attempt are read again only for
        // the emails and external ids they claimed.
        for _ in 0..record.batches {
            let mut done = ReadFile::default();
            reader.next_batch(BATCH_ROWS, &mut done);
            seen.screen(done.rows, &rules, &mut Vec::new());
        }
        let mut number = record.batches;
        let mut in_flight: Option<(Prepared, u64)> = None;
        loop {
            let prepare = async {
                let mut batch = ReadFile::default();
                reader.next_batch(BATCH_ROWS, &mut batch);
                if batch.rows.is_empty() && batch.errors.is_empty() {
                    return Ok(None);
                }
                number += 1;
                let mut read_errors = batch.errors;
                read_errors.sort_by_key(|e| e.line);
                self.prepare_batch(tenant, &rules, &mut seen, batch.rows, read_errors)
                    .await
                    .map(|p| Some((p, number)))
            };
            let prepared = match in_flight.take() {
                Some((batch, n)) => {
                    // No row can follow once the batches hold every line.
                    let last = n * BATCH_ROWS as u64 >= lines;
                    let write = self.write_batch(tenant, ctx, &mut record, batch, n, last);
                    let (written, prepared) = tokio::join!(write, prepare);
                    written?;
                    progress(record.rows, lines.max(record.rows));
                    prepared?
                }
                None => prepare.await?,
            };
            match prepared {
                Some(p) => in_flight = Some(p),
                None => break,
            }
        }
        if !record.state.is_finished() {
            let mut done = record.clone();
            done.complete(self.clock.now());
            let save = ImportSave {
                record: done.clone(),
                after: record.batches,
            };
            self.store.save_import(save, None).await?;
            record = done;
        }
        Ok(record)
    }

    /// One import of the tenant (audited as a view). An import whose job
    /// gave up reads as failed, with the job's last error.
    pub async fn get_import(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        id: &str,
    ) -> Result<ImportRecord, Error> {
        let draft = self.draft(ctx, Some(tenant), AuditAction::ImportView);
        let found = match id.parse::<ImportId>() {
            Ok(id) => self.store.get_import(tenant.id, id).await?,
            Err(_) => None,
        };
        let Some(mut record) = found else {
            return Err(self.refuse(draft, Error::NotFound(Missing::Import)).await);
        };
        self.store
            .append_audit(draft.target("import", record.id))
            .await?;
        if !record.state.is_finished()
            && let Some(job_id) = record.job_id
            && let Some(job) = self.store.get_job(Some(tenant.id), job_id).await?
            && job.state == JobState::Failed
        {
            record.state = ImportRunState::Failed;
            record.error = job.last_error;
        }
        Ok(record)
    }

    /// The tenant's imports, newest first (audited as a list).
    pub async fn list_imports(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        before: Option<&str>,
        limit: u32,
    ) -> Result<Vec<ImportRecord>, Error> {
        let draft = self.draft(ctx, Some(tenant), AuditAction::ImportList);
        let before = match before.map(str::parse::<ImportId>).transpose() {
            Ok(b) => b,
            Err(_) => {
                let e = Error::bad_request(ErrorCode::InvalidCursor, "before must be an import id");
                return Err(self.refuse(draft, e).await);
            }
        };
        let list = self.store.list_imports(tenant.id, before, limit).await?;
        self.store
            .append_audit(draft.details(json!({"count": list.len()})))
            .await?;
        Ok(list)
    }
}
