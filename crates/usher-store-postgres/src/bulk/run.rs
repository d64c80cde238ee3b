//! Running a chunk of a bulk process. The chunk runs in one transaction
//! that holds the process's row lock: each row's operation (in its own
//! savepoint), its audit event and its outcome commit together, and two
//! processes resuming the same run take its chunks one after the other, so
//! no row is ever run twice.
//!
//! Everything a chunk's rows share is written once, at its end, in one
//! statement each: which rows still wait, the counters, the audit events,
//! the rows' outcomes; a chunk of edits and actions writes its users' rows
//! as a batch too (`batched`). The shared rows (the counters) are locked only for
//! that moment, so a chunk can be large without holding up the tenant's
//! other writes.

use super::batched;
use super::processes::fetch;
use crate::audit;
use crate::error::{DbExt, unavailable};
use crate::users::counts::Counts;
use crate::users::ops::{Target, delete_in, modify_in};
use sqlx::{PgConnection, PgPool};
use std::collections::HashSet;
use usher_core::audit::AuditDraft;
use usher_core::bulk::{BulkProcess, BulkState, PROCESSED, refusal_outcome};
use usher_core::error::{Error, Missing};
use usher_core::store::{BulkOp, BulkStep};
use usher_core::{BulkProcessId, StoreError, TenantId};

/// Runs the steps of one chunk (see `Store::run_bulk`).
pub(crate) async fn run(
    pool: &PgPool,
    tk: i64,
    process_id: BulkProcessId,
    steps: Vec<BulkStep>,
) -> Result<BulkProcess, Error> {
    let mut tx = pool
        .begin_with("BEGIN ISOLATION LEVEL READ COMMITTED")
        .await
        .db()?;
    let result = run_in(&mut tx, tk, process_id, steps).await;
    match result {
        Ok(p) => {
            tx.commit().await.db()?;
            Ok(p)
        }
        Err(e) => {
            if let Err(rollback) = tx.rollback().await {
                tracing::warn!(error = %unavailable(rollback), "rolling back a bulk chunk failed");
            }
            Err(e)
        }
    }
}

/// What a chunk writes at its end.
#[derive(Default)]
pub(super) struct Chunk {
    pub(super) counts: Counts,
    pub(super) events: Vec<AuditDraft>,
    lines: Vec<i32>,
    outcomes: Vec<&'static str>,
    messages: Vec<Option<String>>,
    processed: i32,
    skipped: i32,
}

impl Chunk {
    /// Records how the row at `line` ended.
    pub(super) fn record(&mut self, line: u32, result: Result<(), Error>) {
        let (outcome, message) = match result {
            Ok(()) => {
                self.processed += 1;
                (PROCESSED, None)
            }
            Err(e) => {
                self.skipped += 1;
                let (code, message) = refusal_outcome(&e);
                (code, Some(message))
            }
        };
        self.lines.push(line as i32);
        self.outcomes.push(outcome);
        self.messages.push(message);
    }
}

async fn run_in(
    c: &mut PgConnection,
    tk: i64,
    process_id: BulkProcessId,
    steps: Vec<BulkStep>,
) -> Result<BulkProcess, Error> {
    let current = fetch(c, tk, process_id, true)
        .await
        .db()?
        .ok_or(Error::NotFound(Missing::BulkProcess))?;
    if current.state != BulkState::Running {
        return Ok(current);
    }
    let lines: Vec<i32> = steps.iter().map(|s| s.line as i32).collect();
    let waiting: HashSet<i32> = sqlx::query_scalar(
        "SELECT line FROM bulk_rows WHERE process_id = $1 AND line = ANY($2) AND outcome IS NULL",
    )
    .bind(process_id.uuid())
    .bind(&lines)
    .fetch_all(&mut *c)
    .await
    .db()?
    .into_iter()
    .collect();
    let steps: Vec<BulkStep> = steps
        .into_iter()
        .filter(|s| waiting.contains(&(s.line as i32)))
        .collect();
    let mut chunk = Chunk::default();
    if batched::batchable(&steps) {
        batched::run(c, &mut chunk, tk, current.tenant_id, steps).await?;
    } else {
        for step in steps {
            let result = apply(c, &mut chunk, tk, current.tenant_id, step.op).await?;
            chunk.record(step.line, result);
        }
    }
    finish(c, process_id, chunk).await?;
    fetch(c, tk, process_id, false)
        .await
        .db()?
        .ok_or_else(|| StoreError::Corrupt("a running bulk process vanished".into()).into())
}

/// Writes what the chunk's rows share: counters, events, outcomes, totals.
async fn finish(
    c: &mut PgConnection,
    process_id: BulkProcessId,
    mut chunk: Chunk,
) -> Result<(), Error> {
    chunk.counts.flush(c).await.db()?;
    audit::append_all(c, chunk.events).await.db()?;
    sqlx::query(
        "WITH outcomes AS (\
           UPDATE bulk_rows r SET outcome = o.outcome, message = o.message \
           FROM UNNEST($2::int[], $3::text[], $4::text[]) AS o (line, outcome, message) \
           WHERE r.process_id = $1 AND r.line = o.line) \
         UPDATE bulk_processes SET processed = processed + $5, skipped = skipped + $6 WHERE id = $1",
    )
    .bind(process_id.uuid())
    .bind(chunk.lines)
    .bind(chunk.outcomes)
    .bind(chunk.messages)
    .bind(chunk.processed)
    .bind(chunk.skipped)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

/// One row's operation inside its own savepoint; its audit event joins the
/// chunk's. The outer `Err` is a store failure (the chunk is rolled back);
/// the inner one a refusal, recorded and rolled back to the savepoint.
async fn apply(
    c: &mut PgConnection,
    chunk: &mut Chunk,
    tk: i64,
    tenant_id: TenantId,
    op: BulkOp,
) -> Result<Result<(), Error>, Error> {
    sqlx::raw_sql("SAVEPOINT row").execute(&mut *c).await.db()?;
    let mut counts = Counts::default();
    let (result, draft) = match op {
        BulkOp::Refuse { refusal, audit } => (Err(refusal), audit),
        BulkOp::Write(w) => {
            let mut draft = w.audit;
            let target = Target {
                tenant_id: w.tenant_id,
                user_id: w.user_id,
                if_match: w.if_match,
            };
            let r = modify_in(c, &mut counts, &mut draft, tk, target, w.now, w.mutation).await;
            (r.map(|_| ()), draft)
        }
        BulkOp::Delete {
            user_id,
            if_match,
            guard,
            audit,
        } => {
            let mut draft = audit;
            let target = Target {
                tenant_id,
                user_id,
                if_match,
            };
            let r = delete_in(c, &mut counts, &mut draft, tk, target, guard).await;
            (r.map(|_| ()), draft)
        }
    };
    match result {
        Ok(()) => {
            sqlx::raw_sql("RELEASE SAVEPOINT row")
                .execute(&mut *c)
                .await
                .db()?;
            chunk.counts.merge(counts);
            chunk.events.push(draft);
            Ok(Ok(()))
        }
        Err(e) if e.is_refusal() => {
            sqlx::raw_sql("ROLLBACK TO SAVEPOINT row; RELEASE SAVEPOINT row")
                .execute(&mut *c)
                .await
                .db()?;
            chunk.events.push(draft.failed_with(&e));
            Ok(Err(e))
        }
        Err(e) => Err(e),
    }
}
