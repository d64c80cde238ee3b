//! Import records: the queued import with its file, and the record saved
//! after each batch. A save locks the stored record and applies only when
//! it has done the batches the saver expects, so two processes that both
//! believe they run an import never both write a batch: the second waits
//! for the first's lock, then finds the record moved on.

use crate::audit;
use crate::error::{DbExt, unavailable};
use crate::ids::{id, opt_id};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Row};
use usher_core::audit::AuditDraft;
use usher_core::error::Error;
use usher_core::import::{ImportFormat, ImportRecord, ImportRunState, OnError};
use usher_core::job::NewJob;
use usher_core::store::{ImportSave, import_moved_on};
use usher_core::{ImportId, StoreError};

/// A query of imports with their tenant's id, ending in `$condition`.
macro_rules! select_imports {
    ($condition:literal) => {
        concat!(
            "SELECT i.id, t.id AS tenant_id, i.state, i.format, i.dry_run, i.total, i.batches, ",
            "i.rows_done, i.created, i.updated, i.failed_rows, i.skipped_rows, i.failed_batches, ",
            "i.errors, i.errors_truncated, i.error, i.created_by, i.created_at, i.finished_at, ",
            "i.job_id, i.unchanged, i.on_error FROM imports i JOIN tenants t ON t.key = i.tenant_key WHERE ",
            $condition
        )
    };
}

fn record(r: &PgRow) -> Result<ImportRecord, sqlx::Error> {
    let unknown = |what: &str| sqlx::Error::Decode(format!("unknown import {what}").into());
    let state: String = r.try_get("state")?;
    let format: String = r.try_get("format")?;
    let errors: String = r.try_get("errors")?;
    let on_error: String = r.try_get("on_error")?;
    let count = |k: &str| r.try_get::<i64, _>(k).map(|n| n.max(0) as u64);
    Ok(ImportRecord {
        id: id(r, "id")?,
        tenant_id: id(r, "tenant_id")?,
        state: ImportRunState::parse(&state).ok_or_else(|| unknown("state"))?,
        format: ImportFormat::parse(&format).ok_or_else(|| unknown("format"))?,
        dry_run: r.try_get("dry_run")?,
        on_error: OnError::parse(&on_error).ok_or_else(|| unknown("on_error"))?,
        total: count("total")?,
        batches: count("batches")?,
        rows: count("rows_done")?,
        created: count("created")?,
        updated: count("updated")?,
        unchanged: count("unchanged")?,
        failed_rows: count("failed_rows")?,
        skipped_rows: count("skipped_rows")?,
        failed_batches: count("failed_batches")?,
        errors: ImportRecord::errors_from_json(&errors),
        errors_truncated: r.try_get("errors_truncated")?,
        error: r.try_get("error")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        finished_at: r.try_get("finished_at")?,
        job_id: opt_id(r, "job_id")?,
    })
}

/// Inserts `record` (with `file`) or, when it is stored, replaces its
/// counts and state; the file is dropped once the import has finished.
async fn upsert(
    c: &mut PgConnection,
    tk: i64,
    record: &ImportRecord,
    file: Option<&[u8]>,
) -> Result<(), sqlx::Error> {
    let n = |v: u64| v as i64;
    sqlx::query(
        "INSERT INTO imports (id, tenant_key, state, format, dry_run, total, batches, rows_done, \
           created, updated, failed_rows, skipped_rows, failed_batches, errors, errors_truncated, \
           error, created_by, created_at, finished_at, job_id, file, unchanged, on_error) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
           $19, $20, $21, $22, $23) \
         ON CONFLICT (id) DO UPDATE SET state = excluded.state, total = excluded.total, \
           batches = excluded.batches, rows_done = excluded.rows_done, \
           created = excluded.created, updated = excluded.updated, \
           unchanged = excluded.unchanged, \
           failed_rows = excluded.failed_rows, skipped_rows = excluded.skipped_rows, \
           failed_batches = excluded.failed_batches, errors = excluded.errors, \
           errors_truncated = excluded.errors_truncated, error = excluded.error, \
           finished_at = excluded.finished_at, \
           file = CASE WHEN excluded.state IN ('completed', 'failed') THEN NULL \
             ELSE imports.file END",
    )
    .bind(record.id.uuid())
    .bind(tk)
    .bind(record.state.as_str())
    .bind(record.format.as_str())
    .bind(record.dry_run)
    .bind(n(record.total))
    .bind(n(record.batches))
    .bind(n(record.rows))
    .bind(n(record.created))
    .bind(n(record.updated))
    .bind(n(record.failed_rows))
    .bind(n(record.skipped_rows))
    .bind(n(record.failed_batches))
    .bind(record.errors_json())
    .bind(record.errors_truncated)
    .bind(&record.error)
    .bind(&record.created_by)
    .bind(record.created_at)
    .bind(record.finished_at)
    .bind(record.job_id.map(|j| j.uuid()))
    .bind(file)
    .bind(n(record.unchanged))
    .bind(record.on_error.as_str())
    .execute(&mut *c)
    .await?;
    Ok(())
}

pub(crate) async fn create(
    pool: &PgPool,
    tk: i64,
    record: &ImportRecord,
    file: &[u8],
    job: &NewJob,
    draft: AuditDraft,
) -> Result<(), Error> {
    let mut tx = pool.begin().await.db()?;
    upsert(&mut tx, tk, record, Some(file)).await.db()?;
    crate::jobs::queue::insert(&mut tx, Some(tk), job, None)
        .await
        .db()?;
    audit::append(&mut tx, draft).await.db()?;
    tx.commit().await.db()
}

/// Locks the stored record and refuses a save whose import moved on (or
/// back) under it: the record must have done `save.after` batches, or be
/// absent when none were.
pub(crate) async fn check_save(
    c: &mut PgConnection,
    tk: i64,
    save: &ImportSave,
) -> Result<(), Error> {
    let stored: Option<(i64, String)> = sqlx::query_as(
        "SELECT batches, state FROM imports WHERE id = $1 AND tenant_key = $2 FOR UPDATE",
    )
    .bind(save.record.id.uuid())
    .bind(tk)
    .fetch_optional(&mut *c)
    .await
    .db()?;
    let applies = match stored {
        None => save.after == 0,
        Some((batches, state)) => {
            let finished = ImportRunState::parse(&state).is_some_and(ImportRunState::is_finished);
            batches as u64 == save.after && !finished
        }
    };
    if applies {
        Ok(())
    } else {
        Err(import_moved_on())
    }
}

/// Saves a record checked (and locked) by [`check_save`].
pub(crate) async fn save_checked(
    c: &mut PgConnection,
    tk: i64,
    save: &ImportSave,
) -> Result<(), Error> {
    upsert(c, tk, &save.record, None).await.db()
}

pub(crate) async fn save(
    pool: &PgPool,
    tk: i64,
    save: &ImportSave,
    draft: Option<AuditDraft>,
) -> Result<(), Error> {
    let mut tx = pool.begin().await.db()?;
    check_save(&mut tx, tk, save).await?;
    save_checked(&mut tx, tk, save).await?;
    if let Some(draft) = draft {
        audit::append(&mut tx, draft).await.db()?;
    }
    tx.commit().await.db()
}

pub(crate) async fn get(
    pool: &PgPool,
    tk: i64,
    id: ImportId,
) -> Result<Option<ImportRecord>, StoreError> {
    let row = sqlx::query(select_imports!("i.id = $1 AND i.tenant_key = $2"))
        .bind(id.uuid())
        .bind(tk)
        .fetch_optional(pool)
        .await
        .map_err(unavailable)?;
    row.as_ref().map(record).transpose().map_err(unavailable)
}

pub(crate) async fn list(
    pool: &PgPool,
    tk: i64,
    before: Option<ImportId>,
    limit: u32,
) -> Result<Vec<ImportRecord>, StoreError> {
    // UUIDv7 ids sort by creation time.
    let rows = sqlx::query(select_imports!(
        "i.tenant_key = $1 AND ($2::uuid IS NULL OR i.id < $2) ORDER BY i.id DESC LIMIT $3"
    ))
    .bind(tk)
    .bind(before.map(|b| b.uuid()))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(unavailable)?;
    rows.iter()
        .map(record)
        .collect::<Result<_, _>>()
        .map_err(unavailable)
}

pub(crate) async fn file(pool: &PgPool, id: ImportId) -> Result<Option<Vec<u8>>, StoreError> {
    let file: Option<Option<Vec<u8>>> =
        sqlx::query_scalar("SELECT file FROM imports WHERE id = $1")
            .bind(id.uuid())
            .fetch_optional(pool)
            .await
            .map_err(unavailable)?;
    Ok(file.flatten())
}
