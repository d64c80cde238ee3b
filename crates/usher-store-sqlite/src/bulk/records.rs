//! Import records: the queued import with its file, and the record saved
//! after each batch. A save applies only when the stored record has done
//! the batches the saver expects, so two processes that both believe they
//! run an import never both write a batch: the writer runs one closure at
//! a time, so the check and the write below cannot be separated.

use crate::conn::{DbExt, DbResult, audited, uuid};
use rusqlite::{Connection, OptionalExtension, Row, params};
use usher_core::ImportId;
use usher_core::audit::AuditDraft;
use usher_core::clock::{from_micros, to_micros};
use usher_core::error::Error;
use usher_core::import::{ImportFormat, ImportRecord, ImportRunState, OnError};
use usher_core::job::NewJob;
use usher_core::store::{ImportSave, import_moved_on};

const COLUMNS: &str = "i.id, t.id, i.state, i.format, i.dry_run, i.total, i.batches, i.rows_done, \
     i.created, i.updated, i.failed_rows, i.skipped_rows, i.failed_batches, i.errors, \
     i.errors_truncated, i.error, i.created_by, i.created_at, i.finished_at, i.job_id, \
     i.unchanged, i.on_error";

fn corrupt(what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("unknown import {what}").into(),
    )
}

fn record(r: &Row<'_>) -> DbResult<ImportRecord> {
    let state: String = r.get(2)?;
    let format: String = r.get(3)?;
    let errors: String = r.get(13)?;
    let on_error: String = r.get(21)?;
    let count = |i: usize| r.get::<_, i64>(i).map(|n| n.max(0) as u64);
    Ok(ImportRecord {
        id: uuid(&r.get::<_, Vec<u8>>(0)?)?,
        tenant_id: uuid(&r.get::<_, Vec<u8>>(1)?)?,
        state: ImportRunState::parse(&state).ok_or_else(|| corrupt("state"))?,
        format: ImportFormat::parse(&format).ok_or_else(|| corrupt("format"))?,
        dry_run: r.get(4)?,
        on_error: OnError::parse(&on_error).ok_or_else(|| corrupt("on_error"))?,
        total: count(5)?,
        batches: count(6)?,
        rows: count(7)?,
        created: count(8)?,
        updated: count(9)?,
        unchanged: count(20)?,
        failed_rows: count(10)?,
        skipped_rows: count(11)?,
        failed_batches: count(12)?,
        errors: ImportRecord::errors_from_json(&errors),
        errors_truncated: r.get(14)?,
        error: r.get(15)?,
        created_by: r.get(16)?,
        created_at: from_micros(r.get(17)?),
        finished_at: r.get::<_, Option<i64>>(18)?.map(from_micros),
        job_id: r
            .get::<_, Option<Vec<u8>>>(19)?
            .map(|b| uuid(&b))
            .transpose()?,
    })
}

/// Inserts `record` (with `file`) or, when it is stored, replaces its
/// counts and state; the file is dropped once the import has finished.
fn upsert(c: &Connection, tk: i64, record: &ImportRecord, file: Option<&[u8]>) -> DbResult<()> {
    let n = |v: u64| v as i64;
    c.prepare_cached(
        "INSERT INTO imports (id, tenant_key, state, format, dry_run, total, batches, rows_done, \
           created, updated, failed_rows, skipped_rows, failed_batches, errors, errors_truncated, \
           error, created_by, created_at, finished_at, job_id, file, unchanged, on_error) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, \
           ?19, ?20, ?21, ?22, ?23) \
         ON CONFLICT (id) DO UPDATE SET state = excluded.state, total = excluded.total, \
           batches = excluded.batches, rows_done = excluded.rows_done, \
           created = excluded.created, updated = excluded.updated, \
           unchanged = excluded.unchanged, \
           failed_rows = excluded.failed_rows, skipped_rows = excluded.skipped_rows, \
           failed_batches = excluded.failed_batches, errors = excluded.errors, \
           errors_truncated = excluded.errors_truncated, error = excluded.error, \
           finished_at = excluded.finished_at, \
           file = CASE WHEN excluded.state IN ('completed', 'failed') THEN NULL ELSE file END",
    )?
    .execute(params![
        record.id.as_bytes().as_slice(),
        tk,
        record.state.as_str(),
        record.format.as_str(),
        record.dry_run,
        n(record.total),
        n(record.batches),
        n(record.rows),
        n(record.created),
        n(record.updated),
        n(record.failed_rows),
        n(record.skipped_rows),
        n(record.failed_batches),
        record.errors_json(),
        record.errors_truncated,
        record.error,
        record.created_by,
        to_micros(record.created_at),
        record.finished_at.map(to_micros),
        record.job_id.map(|j| j.as_bytes().to_vec()),
        file,
        n(record.unchanged),
        record.on_error.as_str(),
    ])?;
    Ok(())
}

pub(crate) fn create(
    c: &Connection,
    tk: i64,
    record: &ImportRecord,
    file: &[u8],
    job: &NewJob,
    audit: AuditDraft,
) -> Result<(), Error> {
    audited(c, audit, |c, _| {
        upsert(c, tk, record, Some(file)).db()?;
        crate::jobs::queue::insert(c, Some(tk), job, None).db()?;
        Ok(())
    })
}

/// Refuses a save whose import moved on (or back) under it: the stored
/// record must have done `save.after` batches, or be absent when none were.
pub(crate) fn check_save(c: &Connection, tk: i64, save: &ImportSave) -> Result<(), Error> {
    let stored: Option<(i64, String)> = c
        .prepare_cached("SELECT batches, state FROM imports WHERE id = ?1 AND tenant_key = ?2")
        .db()?
        .query_row(params![save.record.id.as_bytes().as_slice(), tk], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()
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

/// Saves a record checked by [`check_save`].
pub(crate) fn save_checked(c: &Connection, tk: i64, save: &ImportSave) -> Result<(), Error> {
    upsert(c, tk, &save.record, None).db()
}

pub(crate) fn save(
    c: &Connection,
    tk: i64,
    save: &ImportSave,
    audit: Option<AuditDraft>,
) -> Result<(), Error> {
    check_save(c, tk, save)?;
    save_checked(c, tk, save)?;
    if let Some(draft) = audit {
        crate::audit::append(c, draft).db()?;
    }
    Ok(())
}

pub(crate) fn get(c: &Connection, tk: i64, id: ImportId) -> DbResult<Option<ImportRecord>> {
    c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM imports i JOIN tenants t ON t.key = i.tenant_key \
         WHERE i.id = ?1 AND i.tenant_key = ?2"
    ))?
    .query_row(params![id.as_bytes().as_slice(), tk], record)
    .optional()
}

pub(crate) fn list(
    c: &Connection,
    tk: i64,
    before: Option<ImportId>,
    limit: u32,
) -> DbResult<Vec<ImportRecord>> {
    // UUIDv7 ids sort by creation time.
    let before = before
        .map(|b| b.as_bytes().to_vec())
        .unwrap_or(vec![0xff; 17]);
    c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM imports i JOIN tenants t ON t.key = i.tenant_key \
         WHERE i.tenant_key = ?1 AND i.id < ?2 ORDER BY i.id DESC LIMIT ?3"
    ))?
    .query_map(params![tk, before, limit], record)?
    .collect()
}

pub(crate) fn file(c: &Connection, id: ImportId) -> DbResult<Option<Vec<u8>>> {
    c.prepare_cached("SELECT file FROM imports WHERE id = ?1")?
        .query_row([id.as_bytes().as_slice()], |r| r.get(0))
        .optional()
        .map(Option::flatten)
}
